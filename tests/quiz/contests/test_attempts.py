"""Attempt services: start, save (seq, deadline, grace), submit exactly once, finalisation."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from question_bank.drafts import OPTION_KEYS
from quiz.accounts.models import User
from quiz.audit.models import AuditEntry
from quiz.contests import attempts as svc
from quiz.contests.errors import ContestError
from quiz.contests.models import Attempt, Response
from quiz.contests.services import close_contest
from tests.factories import make_contest, make_paper, make_question, make_user
from tests.quiz.contests.conftest import T0

GRACE = 5


def _contest(session, world, **settings):
    paper = make_paper(session, world.bank, questions=world.questions, points=2.0, **settings.pop("paper", {}))
    contest = make_contest(session, paper, now=T0, **settings)
    session.commit()
    return contest


def _question(session, attempt, qtype):
    """(attempt question, version) of the attempt's question of ``qtype``."""
    from question_bank.models import QuestionVersion

    for aq in attempt.questions:
        version = session.get(QuestionVersion, aq.question_version_id)
        if version.type == qtype:
            return aq, version
    raise AssertionError(qtype)


def _display_key(aq, canonical: str) -> str:
    """The letter the page shows for a canonical option letter."""
    index = OPTION_KEYS.index(canonical)
    return OPTION_KEYS[aq.option_order.index(index)] if aq.option_order else canonical


def test_start_creates_then_resumes_the_same_attempt(session, world):
    contest = _contest(session, world)
    cadre = world.zz[0]
    attempt, created = svc.start_attempt(session, cadre, contest, now=T0)
    session.commit()
    assert created and attempt.number == 1 and attempt.status == "in_progress"
    assert attempt.deadline == T0 + timedelta(minutes=30)
    again, created_again = svc.start_attempt(session, cadre, contest, now=T0 + timedelta(minutes=1))
    assert not created_again and again.id == attempt.id
    assert session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_start_refuses_outside_the_window_and_when_attempts_are_used_up(session, world):
    contest = _contest(session, world)
    cadre = world.zz[0]
    with pytest.raises(ContestError) as upcoming:
        svc.start_attempt(session, cadre, contest, now=T0 - timedelta(hours=2))
    assert upcoming.value.code == "not_open" and "尚未开始" in str(upcoming.value)
    with pytest.raises(ContestError) as closed:
        svc.start_attempt(session, cadre, contest, now=T0 + timedelta(hours=3))
    assert closed.value.code == "not_open" and "已结束" in str(closed.value)
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    svc.submit_attempt(session, cadre, attempt, now=T0 + timedelta(minutes=5))
    session.commit()
    with pytest.raises(ContestError) as used:
        svc.start_attempt(session, cadre, contest, now=T0 + timedelta(minutes=6))
    assert used.value.code == "attempts_used_up" and "1 次" in str(used.value)


def test_a_second_attempt_when_allowed(session, world):
    contest = _contest(session, world, attempts_allowed=2)
    cadre = world.zz[0]
    first, _ = svc.start_attempt(session, cadre, contest, now=T0)
    svc.submit_attempt(session, cadre, first, now=T0 + timedelta(minutes=1))
    second, created = svc.start_attempt(session, cadre, contest, now=T0 + timedelta(minutes=2))
    assert created and second.number == 2 and second.id != first.id


def test_eligibility_a_luoyang_cadre_cannot_start_a_zhengzhou_only_contest(session, world):
    """Invariant: a user sees and touches only what their roles and unit subtree allow."""
    contest = _contest(session, world, eligible_unit_ids=[world.units["郑州"].id])
    with pytest.raises(ContestError) as refused:
        svc.start_attempt(session, world.ly[0], contest, now=T0)
    assert refused.value.code == "not_eligible" and "参赛范围" in str(refused.value)
    attempt, created = svc.start_attempt(session, world.zz[0], contest, now=T0)
    assert created
    hr = make_user(session, "hr_jinshui", world.units["金水"], ("hr",))
    with pytest.raises(ContestError):
        svc.start_attempt(session, hr, contest, now=T0)  # eligible roles default to cadres


def test_another_cadres_attempt_is_not_found(session, world):
    contest = _contest(session, world)
    attempt, _ = svc.start_attempt(session, world.zz[0], contest, now=T0)
    session.commit()
    with pytest.raises(ContestError) as other:
        svc.get_attempt(session, world.zz[1], attempt.id)
    assert other.value.code == "not_found"
    aq, _ = _question(session, attempt, "true_false")
    with pytest.raises(ContestError):
        svc.save_response(session, world.zz[1], attempt, aq.question_id, True, now=T0)
    with pytest.raises(ContestError):
        svc.submit_attempt(session, world.zz[1], attempt, now=T0)


def test_out_of_order_save_seq_5_after_seq_6_does_not_overwrite(session, world):
    """Moodle's sequence check: a stale autosave is acknowledged and dropped."""
    contest = _contest(session, world)
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    session.commit()
    aq, _v = _question(session, attempt, "short_answer")
    newer = svc.save_response(session, cadre, attempt, aq.question_id, "第六次的答案", seq=6, now=T0 + timedelta(seconds=60))
    session.commit()
    older = svc.save_response(session, cadre, attempt, aq.question_id, "第五次的答案", seq=5, now=T0 + timedelta(seconds=61))
    session.commit()
    assert newer.stored and not older.stored
    stored = session.get(Response, (attempt.id, aq.question_id), populate_existing=True)
    assert stored.answer == "第六次的答案" and stored.seq == 6
    same = svc.save_response(session, cadre, attempt, aq.question_id, "同序号重发", seq=6, now=T0 + timedelta(seconds=62))
    assert same.stored  # a retry of the same seq lands (>=)
    svc.save_response(session, cadre, attempt, aq.question_id, "第七次", seq=7, now=T0 + timedelta(seconds=63))
    session.commit()
    assert session.get(Response, (attempt.id, aq.question_id), populate_existing=True).answer == "第七次"


def test_saves_without_seq_are_last_write_wins(session, world):
    contest = _contest(session, world)
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    aq, _v = _question(session, attempt, "true_false")
    svc.save_response(session, cadre, attempt, aq.question_id, True, seq=3, now=T0)
    svc.save_response(session, cadre, attempt, aq.question_id, False, now=T0)
    stored = session.get(Response, (attempt.id, aq.question_id), populate_existing=True)
    assert stored.answer is False and stored.seq == 3


@pytest.mark.parametrize("offset, lands", [
    (-1, True),             # one second before the deadline
    (0, True),              # at the deadline
    (GRACE - 1, True),      # inside the network grace
    (GRACE, True),          # the last instant of the grace
    (GRACE + 1, False),     # one second after deadline + grace
])
def test_deadline_edges(session, world, offset, lands):
    """Invariant: time is the server's; a save within the grace lands, a later one is refused."""
    contest = _contest(session, world)
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    session.commit()
    aq, _v = _question(session, attempt, "true_false")
    when = attempt.deadline + timedelta(seconds=offset)
    if lands:
        result = svc.save_response(session, cadre, attempt, aq.question_id, True, seq=1, now=when, grace_seconds=GRACE)
        assert result.stored
        assert result.remaining_seconds == max(0, -offset)
    else:
        with pytest.raises(ContestError) as refused:
            svc.save_response(session, cadre, attempt, aq.question_id, True, seq=1, now=when, grace_seconds=GRACE)
        assert refused.value.code == "deadline_passed" and "时间已到" in str(refused.value)
        session.rollback()
        assert session.get(Response, (attempt.id, aq.question_id)) is None


def test_contest_closing_before_the_time_limit_caps_the_deadline(session, world):
    contest = _contest(session, world, closes_at=T0 + timedelta(minutes=10), time_limit_minutes=30)
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    assert attempt.deadline == T0 + timedelta(minutes=10)
    aq, _v = _question(session, attempt, "true_false")
    svc.save_response(session, cadre, attempt, aq.question_id, True, now=T0 + timedelta(minutes=9, seconds=59))
    session.commit()
    with pytest.raises(ContestError):
        svc.save_response(session, cadre, attempt, aq.question_id, False, now=T0 + timedelta(minutes=10, seconds=GRACE + 1))


def test_no_time_limit_means_the_whole_window(session, world):
    contest = _contest(session, world, time_limit_minutes=None)
    attempt, _ = svc.start_attempt(session, world.zz[0], contest, now=T0)
    assert attempt.deadline == contest.closes_at


def test_save_maps_display_keys_to_canonical_keys_and_back(session, world):
    contest = _contest(session, world)
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    single, _v = _question(session, attempt, "single")
    multiple, _w = _question(session, attempt, "multiple")
    svc.save_response(session, cadre, attempt, single.question_id, _display_key(single, "A"), now=T0)
    svc.save_response(session, cadre, attempt, multiple.question_id, [_display_key(multiple, k) for k in "BC"], now=T0)
    session.commit()
    assert session.get(Response, (attempt.id, single.question_id)).answer == "A"
    assert session.get(Response, (attempt.id, multiple.question_id)).answer == ["B", "C"]
    payload = svc.attempt_payload(session, attempt, now=T0)
    assert payload["responses"][str(single.question_id)]["value"] == _display_key(single, "A")
    assert payload["responses"][str(multiple.question_id)]["value"] == sorted(_display_key(multiple, k) for k in "BC")


@pytest.mark.parametrize("qtype, answer, message", [
    ("single", "Z", "单选题"),
    ("single", ["A"], "单选题"),
    ("multiple", "AB", "多选题"),
    ("true_false", "对", "判断题"),
    ("fill_blank", "民主集中制", "填空题"),
    ("fill_blank", ["只有一空"], "2 个空"),
    ("short_answer", 42, "简答题"),
])
def test_answers_of_the_wrong_shape_are_refused_with_a_clear_message(session, world, qtype, answer, message):
    contest = _contest(session, world)
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    aq, _v = _question(session, attempt, qtype)
    with pytest.raises(ContestError) as refused:
        svc.save_response(session, cadre, attempt, aq.question_id, answer, now=T0)
    assert refused.value.code == "invalid" and message in str(refused.value)


def test_a_question_not_in_the_attempt_is_not_found(session, world):
    contest = _contest(session, world)
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    stranger = make_question(session, world.bank, "true_false")
    with pytest.raises(ContestError) as refused:
        svc.save_response(session, cadre, attempt, stranger.id, True, now=T0)
    assert refused.value.code == "not_found"


def _answer_everything_right(session, cadre, attempt):
    for aq in attempt.questions:
        _aq, version = _question_by_id(session, attempt, aq.question_id)
        key = version.answer
        if version.type == "single":
            value = _display_key(aq, key)
        elif version.type == "multiple":
            value = [_display_key(aq, k) for k in key]
        elif version.type == "fill_blank":
            value = [alternatives[0] for alternatives in key]
        elif version.type == "short_answer":
            value = "".join(group[0] for group in key["keywords"])
        else:
            value = key
        svc.save_response(session, cadre, attempt, aq.question_id, value, now=attempt.started_at + timedelta(minutes=1))


def _question_by_id(session, attempt, question_id):
    from question_bank.models import QuestionVersion

    aq = next(a for a in attempt.questions if a.question_id == question_id)
    return aq, session.get(QuestionVersion, aq.question_version_id)


def test_submit_grades_once_and_again_returns_the_same_result(session, world):
    """Invariant: submission is idempotent, graded once."""
    contest = _contest(session, world, pass_score=6)
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    _answer_everything_right(session, cadre, attempt)
    session.commit()
    done = svc.submit_attempt(session, cadre, attempt, now=T0 + timedelta(minutes=7))
    session.commit()
    assert (done.status, done.score, done.max_score, done.passed) == ("submitted", 10.0, 10.0, True)
    assert done.time_used_seconds == 7 * 60 and done.finalised_by == "submit"
    again = svc.submit_attempt(session, cadre, attempt, now=T0 + timedelta(minutes=9))
    assert (again.score, again.submitted_at, again.time_used_seconds) == (10.0, T0 + timedelta(minutes=7), 420)
    with pytest.raises(ContestError) as late:
        svc.save_response(session, cadre, attempt, attempt.questions[0].question_id, None, now=T0 + timedelta(minutes=8))
    assert late.value.code == "attempt_finished"


def test_multiple_choice_policy_comes_from_the_paper(session, world):
    multiple = world.questions[1]  # key A, B, C
    paper = make_paper(session, world.bank, questions=[multiple], points=4.0, multiple_mode="partial", multiple_fraction=0.5)
    contest = make_contest(session, paper, now=T0)
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    aq = attempt.questions[0]
    svc.save_response(session, cadre, attempt, aq.question_id, [_display_key(aq, "A"), _display_key(aq, "B")], now=T0)
    assert svc.submit_attempt(session, cadre, attempt, now=T0).score == 2.0


def test_submit_after_deadline_and_grace_finalises_with_what_was_saved_in_time(session, world):
    contest = _contest(session, world)
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    aq, version = _question(session, attempt, "true_false")
    svc.save_response(session, cadre, attempt, aq.question_id, version.answer, now=T0 + timedelta(minutes=1))
    session.commit()
    late = svc.submit_attempt(session, cadre, attempt, now=attempt.deadline + timedelta(seconds=GRACE + 30), grace_seconds=GRACE)
    assert (late.status, late.finalised_by, late.score) == ("expired", "access", 2.0)
    assert late.submitted_at == attempt.deadline and late.time_used_seconds == 30 * 60


def test_finalisation_without_submit_on_next_access(session, world):
    """Invariant: an attempt past its deadline is finalised with the responses saved in time."""
    contest = _contest(session, world)
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    aq, version = _question(session, attempt, "true_false")
    svc.save_response(session, cadre, attempt, aq.question_id, version.answer, now=T0 + timedelta(minutes=2))
    session.commit()
    assert not svc.finalise_if_expired(session, attempt, now=attempt.deadline + timedelta(seconds=GRACE), grace_seconds=GRACE)
    assert svc.finalise_if_expired(session, attempt, now=attempt.deadline + timedelta(seconds=GRACE + 1), grace_seconds=GRACE)
    session.commit()
    assert (attempt.status, attempt.finalised_by, attempt.score) == ("expired", "access", 2.0)
    response = session.get(Response, (attempt.id, aq.question_id), populate_existing=True)
    assert response.points == 2.0 and response.correct is True


def test_finalisation_at_close_and_by_the_cli(app, session, world, clock):
    contest = _contest(session, world)
    cadres = world.zz
    started = [svc.start_attempt(session, c, contest, now=T0)[0] for c in cadres]
    session.commit()
    # Closed early: every attempt in progress is cut to now; after the grace they are finalised.
    cut = close_contest(session, world.organizer, contest, now=T0 + timedelta(minutes=3))
    session.commit()
    assert cut == 3 and contest.phase(T0 + timedelta(minutes=3)) == "closed"
    assert svc.finalise_expired(session, now=T0 + timedelta(minutes=3, seconds=GRACE), grace_seconds=GRACE) == 0
    assert svc.finalise_expired(session, now=T0 + timedelta(minutes=4), grace_seconds=GRACE, contest_id=contest.id, how="close") == 3
    session.commit()
    for attempt in started:
        session.refresh(attempt)
        assert (attempt.status, attempt.finalised_by, attempt.score) == ("expired", "close", 0.0)
        assert attempt.submitted_at == T0 + timedelta(minutes=3)
    # The cron command finalises whatever the deadline ended elsewhere.
    other = _contest(session, world)
    late, _ = svc.start_attempt(session, world.ly[0], other, now=T0)
    session.commit()
    clock.now = late.deadline + timedelta(minutes=1)
    app.config["QUIZ_CLOCK"] = clock
    result = app.test_cli_runner().invoke(args=["close-expired"])
    assert result.exit_code == 0, result.output
    assert "1 份" in result.output
    session.refresh(late)
    assert (late.status, late.finalised_by) == ("expired", "cli")
    assert "0 份" in app.test_cli_runner().invoke(args=["close-expired"]).output


def test_resume_keeps_order_options_and_answers(session, session_factory, world):
    """Shuffles are stable: a reload (a new session, another device) shows the same paper."""
    contest = _contest(session, world)
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    single, _v = _question(session, attempt, "single")
    svc.save_response(session, cadre, attempt, single.question_id, "C", seq=1, now=T0)
    session.commit()
    first = svc.attempt_payload(session, attempt, now=T0)
    other = session_factory()
    try:
        again_user = other.get(User, cadre.id)
        resumed, created = svc.start_attempt(other, again_user, other.get(type(contest), contest.id), now=T0 + timedelta(minutes=5))
        other.commit()
        second = svc.attempt_payload(other, resumed, now=T0 + timedelta(minutes=5))
    finally:
        other.close()
    assert not created and resumed.id == attempt.id
    assert first["questions"] == second["questions"]
    assert second["responses"][str(single.question_id)]["value"] == "C"
    assert second["remaining_seconds"] == 25 * 60


def test_layout_is_deterministic_per_seed_and_differs_between_seeds(session, world):
    questions = world.questions + [make_question(session, world.bank, "single") for _ in range(10)]
    paper = make_paper(session, world.bank, questions=questions)
    items = [[q.id, q.current_version_id, 1.0, len(q.current_version.options) if q.current_version.type in ("single", "multiple") else 0]
             for q in questions]
    a = svc.layout(1, items, 12345, paper)
    b = svc.layout(1, items, 12345, paper)
    c = svc.layout(1, items, 54321, paper)
    assert a == b
    assert a != c
    paper.shuffle_questions = paper.shuffle_options = False
    plain = svc.layout(1, items, 12345, paper)
    assert [r["question_id"] for r in plain] == [i[0] for i in items]
    assert all(r["option_order"] in (None, [0, 1, 2, 3]) for r in plain)


def test_extend_one_cadres_time_is_audited_and_capped_by_close(session, world):
    contest = _contest(session, world, closes_at=T0 + timedelta(minutes=40))
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    svc.extend_attempt(session, world.organizer, attempt, minutes=5, now=T0,
                       audit=lambda action, **kw: session.add(AuditEntry(actor_id=world.organizer.id, action=action, target_type="Attempt",
                                                                          target_id=str(attempt.id), summary=kw["summary"], before=kw["before"], after=kw["after"])))
    session.commit()
    session.refresh(attempt)
    assert attempt.deadline == T0 + timedelta(minutes=35) and attempt.extra_seconds == 300
    svc.extend_attempt(session, world.organizer, attempt, minutes=30, now=T0)
    session.refresh(attempt)
    assert attempt.deadline == T0 + timedelta(minutes=40)
    assert session.scalar(select(AuditEntry.action).where(AuditEntry.action == "attempt.extend")) == "attempt.extend"
    with pytest.raises(ContestError):
        svc.extend_attempt(session, world.zz[1], attempt, minutes=5, now=T0)  # a cadre is no organizer


def test_integrity_counters_are_cumulative_and_can_auto_submit(session, world):
    contest = _contest(session, world, auto_submit_after_switches=3)
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    svc.record_integrity(session, cadre, attempt, tab_switches=2, pastes=1, now=T0)
    svc.record_integrity(session, cadre, attempt, tab_switches=1, pastes=0, now=T0)  # a late retry: no change
    assert (attempt.tab_switches, attempt.pastes, attempt.status) == (2, 1, "in_progress")
    svc.record_integrity(session, cadre, attempt, tab_switches=3, now=T0 + timedelta(minutes=1))
    assert (attempt.status, attempt.finalised_by) == ("submitted", "integrity")


# --- concurrency --------------------------------------------------------------------------------

def test_twenty_concurrent_submits_are_graded_once(session, session_factory, world, monkeypatch):
    """Invariant: submission is idempotent: 20 threads, 20 sessions, one grading."""
    contest = _contest(session, world)
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    _answer_everything_right(session, cadre, attempt)
    session.commit()
    graded, lock = [], threading.Lock()
    real_grade = svc._grade

    def counting_grade(s, attempt_id):
        with lock:
            graded.append(attempt_id)
        return real_grade(s, attempt_id)

    monkeypatch.setattr(svc, "_grade", counting_grade)
    barrier = threading.Barrier(20)
    results, errors = [], []

    def submit(n):
        s = session_factory()
        try:
            me = s.get(User, cadre.id)
            mine = s.get(Attempt, attempt.id)
            s.commit()  # end the read (as the API does) and give the connection back: the pool holds 15
            barrier.wait()
            done = svc.submit_attempt(s, me, mine, now=T0 + timedelta(minutes=3, seconds=n))
            s.commit()
            results.append((done.status, done.score, done.submitted_at))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            s.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert graded == [attempt.id]
    assert len(set(results)) == 1 and results[0][:2] == ("submitted", 10.0)


def test_concurrent_starts_of_one_cadre_create_one_attempt(session, session_factory, world):
    contest = _contest(session, world)
    cadre = world.zz[0]
    barrier = threading.Barrier(8)
    ids, errors = [], []

    def start():
        s = session_factory()
        try:
            me, c = s.get(User, cadre.id), s.get(type(contest), contest.id)
            s.commit()
            barrier.wait()
            attempt, _ = svc.start_attempt(s, me, c, now=T0)
            s.commit()
            ids.append(attempt.id)
        except Exception as exc:
            errors.append(exc)
        finally:
            s.close()

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(set(ids)) == 1
    assert session.scalar(select(func.count()).select_from(Attempt)) == 1


# --- the cost of a start ------------------------------------------------------------------------

def _count_statements(engine, fn):
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return statements


@pytest.mark.parametrize("draw", ["shared", "per_attempt"])
def test_a_start_costs_the_same_few_queries_whatever_the_paper_or_crowd(session, db, world, draw):
    """DESIGN lesson: starting must be cheap. The count does not grow with questions or cadres."""
    from quiz.contests.services import RuleSpec

    for _ in range(40):
        make_question(session, world.bank, "single")
    small = make_paper(session, rules=[RuleSpec([world.bank.id], 3, type="single")], org_unit_id=world.units["省"].id, draw=draw, pool_size=5)
    large = make_paper(session, rules=[RuleSpec([world.bank.id], 40, type="single")], org_unit_id=world.units["省"].id, draw=draw, pool_size=5)
    contests = {"small": make_contest(session, small, now=T0), "large": make_contest(session, large, now=T0)}
    crowd = [make_user(session, unit=world.units["洛龙"]) for _ in range(30)]
    session.commit()
    for cadre in crowd[:29]:  # a busy contest: the 30th cadre starts after 29 others
        svc.start_attempt(session, cadre, contests["large"], now=T0)
    session.commit()
    counts = {}
    for name, contest, cadre in (("small", contests["small"], world.zz[0]), ("large", contests["large"], crowd[29])):
        session.expire_all()
        me, c = session.get(User, cadre.id), session.get(type(contest), contest.id)
        _ = me.org_unit.path, me.roles  # loaded by the request's login already
        statements = _count_statements(db, lambda: svc.start_attempt(session, me, c, now=T0))
        session.commit()
        counts[name] = len(statements)
    assert counts["small"] == counts["large"], counts
    assert counts["large"] <= 7, counts  # [lock user], attempts, variant, paper, insert attempt, insert questions


def test_a_marker_overrides_points_and_the_score_follows(session, world):
    contest = _contest(session, world, pass_score=4)
    cadre = world.zz[0]
    attempt, _ = svc.start_attempt(session, cadre, contest, now=T0)
    aq, version = _question(session, attempt, "true_false")
    svc.save_response(session, cadre, attempt, aq.question_id, version.answer, now=T0)
    short, _v = _question(session, attempt, "short_answer")
    svc.save_response(session, cadre, attempt, short.question_id, "答非所问", now=T0)
    svc.submit_attempt(session, cadre, attempt, now=T0 + timedelta(minutes=1))
    assert (attempt.score, attempt.passed) == (2.0, False)
    entries = []
    svc.override_points(session, world.organizer, attempt, short.question_id, 1.5, note="部分正确", now=T0,
                        audit=lambda action, **kw: entries.append((action, kw["before"], kw["after"])))
    assert (attempt.score, attempt.passed) == (3.5, False)
    svc.override_points(session, world.organizer, attempt, short.question_id, 2, now=T0)
    assert (attempt.score, attempt.passed) == (4.0, True)
    assert entries == [("attempt.mark", {"points": 0.0}, {"points": 1.5, "note": "部分正确"})]
    with pytest.raises(ContestError):
        svc.override_points(session, world.organizer, attempt, short.question_id, 2.5, now=T0)
    with pytest.raises(ContestError):
        svc.override_points(session, cadre, attempt, short.question_id, 1, now=T0)
