"""模拟考试: graded by the contest machinery like a contest attempt, never counted in contest results."""
from __future__ import annotations

import random
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from question_bank.grading import MultiplePolicy, grade
from question_bank.models import Question, QuestionVersion
from quiz.contests import attempts, leaderboard as lb
from quiz.contests.errors import ContestError
from quiz.contests.models import Attempt, AttemptQuestion
from quiz.contests.services import contests_for
from quiz.practice import mock_exams, services as svc, stats
from quiz.practice.models import MockPaper, ReviewEntry
from tests.factories import make_contest, make_paper, make_question
from tests.quiz.practice.conftest import T0, right, wrong


@pytest.fixture
def paper(session, world):
    """A fixed paper, one question of each type, 2 points each, partial credit for multiple choice."""
    questions = [make_question(session, world.bank, t) for t in ("single", "multiple", "true_false", "fill_blank", "short_answer")]
    p = make_paper(session, world.bank, questions=questions, multiple_mode="partial", multiple_fraction=0.5, org_unit_id=world.units["省"].id)
    session.commit()
    return p


@pytest.fixture
def contest(session, world, paper):
    c = make_contest(session, paper, now=T0, time_limit_minutes=20, leaderboard="live", pass_score=6)
    session.commit()
    return c


def answers_for(session, attempt):
    """{question_id: (display answer, canonical answer)}: single and true/false right, multiple half right,
    fill-in wrong, short answer right; in the attempt's display keys."""
    out = {}
    for question_id, order, version in session.execute(
        select(AttemptQuestion.question_id, AttemptQuestion.option_order, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
        .where(AttemptQuestion.attempt_id == attempt.id)
    ):
        if version.type == "multiple":
            canonical = version.answer[:1]
        elif version.type == "fill_blank":
            canonical = wrong(version)
        else:
            canonical = right(version)
        out[question_id] = (attempts.to_display(version.type, canonical, order), canonical, version)
    return out


def take(session, user, attempt, now):
    for question_id, (shown, _canonical, _v) in answers_for(session, attempt).items():
        attempts.save_response(session, user, attempt, question_id, shown, now=now)
    attempts.submit_attempt(session, user, attempt, now=now + timedelta(minutes=1))
    return attempt


def test_a_mock_exam_is_graded_like_a_contest_attempt(session, world, contest):
    practice_set = mock_exams.start_mock(session, world.cadre, now=T0, contest=contest, rng=random.Random(3))
    mock = session.get(Attempt, practice_set.attempt_id)
    assert (mock.kind, mock.contest_id, mock.paper_id) == ("mock", None, contest.paper_id)
    assert mock.deadline == T0 + timedelta(minutes=20)  # the contest's time limit
    real, _created = attempts.start_attempt(session, world.other, contest, now=T0)
    take(session, world.cadre, mock, T0 + timedelta(minutes=5))
    take(session, world.other, real, T0 + timedelta(minutes=5))
    # the same answers, the same grading: the paper's partial credit for multiple choice
    policy = MultiplePolicy("partial", 0.5)
    expected = sum(grade(SimpleNamespace(type=v.type, answer=v.answer, points=2.0), canonical, multiple_policy=policy).points
                   for _shown, canonical, v in answers_for(session, mock).values())
    assert mock.score == real.score == pytest.approx(expected) == 7.0  # 2 + 1 + 2 + 0 + 2
    assert mock.max_score == real.max_score == 10.0
    assert mock.status == "submitted" and mock.passed is None  # no pass score outside a contest
    assert attempts.result_payload(session, mock, now=T0)["released"] is True


def test_a_seeded_mock_exam_lays_out_the_same_paper_every_time(session, world, contest):
    """The demo passes a seeded Random so its data comes out the same on every run; real starts do not."""
    seeded = [session.get(Attempt, mock_exams.start_mock(session, user, now=T0, contest=contest, rng=random.Random(5)).attempt_id)
              for user in (world.cadre, world.other)]
    assert seeded[0].seed == seeded[1].seed
    assert [q for q in answers_for(session, seeded[0])] == [q for q in answers_for(session, seeded[1])]


def test_mock_exams_never_appear_in_contest_results_or_leaderboards(session, world, contest):
    real, _created = attempts.start_attempt(session, world.other, contest, now=T0)
    take(session, world.other, real, T0 + timedelta(minutes=1))
    mock = session.get(Attempt, mock_exams.start_mock(session, world.cadre, now=T0, contest=contest).attempt_id)
    take(session, world.cadre, mock, T0 + timedelta(minutes=1))
    session.commit()
    assert [r["user_id"] for r in lb.contest_leaderboard(session, contest)] == [world.other.id]
    jinshui = next(r for r in lb.unit_standings(session, contest) if r["unit"] == "金水区委组织部")
    assert jinshui["participants"] == 1  # cadre and other are both in 金水: only the contest attempt counts
    summary = lb.live_summary(session, contest, now=T0 + timedelta(minutes=3))
    assert (summary["totals"]["started"], summary["totals"]["submitted"]) == (1, 1)
    mine = dict((c.id, m) for c, m in contests_for(session, world.cadre, now=T0 + timedelta(minutes=3)))
    assert mine[contest.id]["attempts_used"] == 0 and mine[contest.id]["can_start"]
    # and the cadre may still take the real contest
    attempt, created = attempts.start_attempt(session, world.cadre, contest, now=T0 + timedelta(minutes=4))
    assert created and attempt.kind == "contest"


def test_a_mock_exam_counts_for_practice_not_for_contests(session, world, contest):
    mock = session.get(Attempt, mock_exams.start_mock(session, world.cadre, now=T0, contest=contest).attempt_id)
    take(session, world.cadre, mock, T0 + timedelta(minutes=1))
    added = mock_exams.absorb_mock(session, world.cadre, mock, now=T0 + timedelta(minutes=3))
    wrong_ids = {q for q, (_s, c, v) in answers_for(session, mock).items() if v.type in ("multiple", "fill_blank")}
    assert added == 2
    assert {e.question_id for e in session.scalars(select(ReviewEntry).where(ReviewEntry.user_id == world.cadre.id))} == wrong_ids
    assert mock_exams.absorb_mock(session, world.cadre, mock, now=T0 + timedelta(minutes=4)) == 0  # once only
    year = stats.yearly_practice(session, [world.cadre.id, world.other.id], T0.year)
    assert (year[world.cadre.id].mock_exams, year[world.other.id].mock_exams) == (1, 0)
    assert year[world.cadre.id].questions_practised == 0  # mock questions are not practice answers


def test_a_mock_exam_past_its_deadline_is_finalised_with_what_was_saved(session, world, contest):
    mock = session.get(Attempt, mock_exams.start_mock(session, world.cadre, now=T0, contest=contest).attempt_id)
    first_id, (shown, _c, _v) = next(iter(answers_for(session, mock).items()))
    attempts.save_response(session, world.cadre, mock, first_id, shown, now=T0 + timedelta(minutes=19))
    late = mock.deadline + timedelta(seconds=attempts.DEFAULT_GRACE_SECONDS + 1)
    with pytest.raises(ContestError) as refused:
        attempts.save_response(session, world.cadre, mock, first_id, shown, now=late)
    assert refused.value.code == "deadline_passed"
    assert attempts.finalise_if_expired(session, mock, now=late)
    assert mock.status == "expired" and mock.score is not None


def test_one_mock_at_a_time(session, world, contest):
    first = mock_exams.start_mock(session, world.cadre, now=T0, contest=contest)
    assert mock_exams.start_mock(session, world.cadre, now=T0 + timedelta(minutes=1), contest=contest).id == first.id
    later = T0 + timedelta(minutes=21)  # past the first one's deadline: a new one may start
    assert mock_exams.start_mock(session, world.cadre, now=later, contest=contest).id != first.id


def test_start_mock_attempt_lays_out_and_locks_like_a_contest_start(session, world, paper):
    items = mock_exams.draw_mock_items(session, world.cadre, paper, now=T0)
    attempt = attempts.start_mock_attempt(session, world.cadre, paper, items, time_limit_minutes=15, now=T0)
    shown = session.execute(select(AttemptQuestion.question_version_id, AttemptQuestion.points)
                            .where(AttemptQuestion.attempt_id == attempt.id)).all()
    assert sorted(v for v, _p in shown) == sorted(item[1] for item in items) and {p for _v, p in shown} == {2.0}
    assert all(session.get(QuestionVersion, v).locked for v, _p in shown)
    assert (attempt.max_score, attempt.deadline, attempt.number) == (10.0, T0 + timedelta(minutes=15), 1)
    payload = attempts.attempt_payload(session, attempt, now=T0)
    assert all(set(q) == {"id", "position", "type", "stem", "options", "blanks", "points"} for q in payload["questions"])


def test_practice_papers_are_offered_down_the_unit_subtree(session, world, paper):
    mock_paper = mock_exams.create_mock_paper(session, world.organizer, paper=paper, title="模拟卷", time_limit_minutes=30,
                                       org_unit_id=world.units["郑州"].id, now=T0)
    assert [p.id for p in mock_exams.mock_papers(session, world.cadre)] == [mock_paper.id]  # 金水 is under 郑州
    assert mock_exams.mock_papers(session, world.outsider) == []
    practice_set = mock_exams.start_mock(session, world.cadre, now=T0, mock_paper=mock_paper)
    attempt = session.get(Attempt, practice_set.attempt_id)
    assert attempt.deadline == T0 + timedelta(minutes=30) and practice_set.title == "模拟卷"
    mock_exams.set_mock_paper_active(session, world.organizer, mock_paper, False)
    assert mock_exams.mock_papers(session, world.cadre) == []
    assert isinstance(mock_paper, MockPaper)


def test_a_mock_paper_with_nothing_practisable_is_refused(session, world, paper):
    for item in paper.items:
        session.get(Question, item.question_id).needs_review = True
    session.flush()
    with pytest.raises(svc.PracticeError) as refused:
        mock_exams.draw_mock_items(session, world.cadre, paper, now=T0)
    assert refused.value.code == "empty"
