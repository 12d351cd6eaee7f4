"""Item analysis of a contest (quiz.contests.item_analysis): counted attempts, shuffled options, query count.

The answers follow the hand-computed data set of tests/question_bank/test_item_analysis.py (6 cadres
× 4 one-point single-choice questions), so the figures read back from the database are the ones
worked out by hand there: facility 5/6, 1/2, 1/2, 1/3; discrimination 1/√40, 1/√5, 1/√5, −2/√82;
α = 40/123.
"""
from __future__ import annotations

import math
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from quiz.contests import attempts as svc
from quiz.contests.item_analysis import contest_item_analysis
from quiz.contests.models import AttemptQuestion, PaperVariant
from tests.factories import make_contest, make_paper, make_question, make_user
from tests.question_bank.test_item_analysis import MATRIX  # the hand-computed data set
from tests.quiz.contests.conftest import T0



def answer_matrix(session, contest, cadres, matrix, *, wrong: str = "C", now=T0, number_of_minutes: int = 5):
    """Each cadre starts an attempt and answers the paper's questions (in paper order) right (the
    key, canonical "A") or wrong (canonical ``wrong``) as its row says, sent with the letter the
    cadre saw after the shuffle; then submits. Returns the attempts."""
    order = [item[0] for item in session.get(PaperVariant, (contest.id, 0)).items]
    made = []
    for cadre, row in zip(cadres, matrix):
        attempt, _created = svc.start_attempt(session, cadre, contest, now=now)
        layout = dict(session.execute(select(AttemptQuestion.question_id, AttemptQuestion.option_order)
                                      .where(AttemptQuestion.attempt_id == attempt.id)).all())
        for question_id, right in zip(order, row):
            shown = svc.to_display("single", "A" if right else wrong, layout[question_id])
            svc.save_response(session, cadre, attempt, question_id, shown, now=now + timedelta(minutes=1))
        svc.submit_attempt(session, cadre, attempt, now=now + timedelta(minutes=number_of_minutes))
        made.append(attempt)
    session.commit()
    return made


@pytest.fixture
def singles(session, world):
    return [make_question(session, world.bank, "single") for _ in range(4)]


@pytest.fixture
def contest(session, world, singles):
    c = make_contest(session, make_paper(session, world.bank, questions=singles, points=1.0), now=T0, attempts_allowed=2)
    session.commit()
    return c


@pytest.fixture
def cadres(session, world):
    extra = make_user(session, "zz9", world.units["金水"])
    session.commit()
    return [*world.zz, *world.ly, extra]


def test_figures_from_the_database_match_the_hand_computation(session, contest, cadres, singles):
    answer_matrix(session, contest, cadres, MATRIX)
    result = contest_item_analysis(session, contest)
    analysis = result.analysis
    assert analysis.attempts == 6
    assert [i.question_id for i in analysis.items] == [q.id for q in singles]  # paper order
    assert [i.facility.value for i in analysis.items] == pytest.approx([5 / 6, 1 / 2, 1 / 2, 1 / 3])
    assert [i.discrimination.value for i in analysis.items] == pytest.approx(
        [1 / math.sqrt(40), 1 / math.sqrt(5), 1 / math.sqrt(5), -2 / math.sqrt(82)])
    assert [i.efficiency.value for i in analysis.items] == pytest.approx([1 / 4, 1 / 2, 1 / 2, -2 / 7])
    assert [i.upper_lower.value for i in analysis.items] == pytest.approx([0.5, 1.0, 1.0, 0.0])
    assert analysis.alpha.value == pytest.approx(40 / 123) and analysis.kr20.value == pytest.approx(40 / 123)
    assert [i.question_id for i in analysis.flagged] == [singles[3].id]
    assert result.questions[singles[0].id].bank_id == singles[0].bank_id


def test_option_shares_are_in_the_banks_order_whatever_letter_each_cadre_saw(session, contest, cadres, singles):
    """Wrong answers are the bank's option C, sent under whatever letter the shuffle gave it. Q2:
    right (A) for 3, wrong (C) for 3: A 1/2, C 1/2, B and D 0, even though most cadres saw C
    under another letter."""
    attempts = answer_matrix(session, contest, cadres, MATRIX)
    orders = session.scalars(select(AttemptQuestion.option_order)
                             .where(AttemptQuestion.attempt_id.in_([a.id for a in attempts]))).all()
    assert any(order[2] != 2 for order in orders)  # the shuffle really moved the bank's C somewhere else
    item = contest_item_analysis(session, contest).analysis.items[1]
    assert [(o.key, o.count, o.correct) for o in item.options] == [("A", 3, True), ("B", 0, False), ("C", 3, False), ("D", 0, False)]
    assert item.blank_count == 0


@pytest.mark.parametrize("counts, expected_facility", [("best", 1.0), ("last", 0.0)])
def test_only_the_counted_attempt_of_each_cadre_enters(session, contest, cadres, singles, counts, expected_facility):
    """A cadre answers everything right, then tries again and answers everything wrong: best
    counts the first, last the second; either way one attempt per cadre."""
    contest.counts = counts
    session.commit()
    answer_matrix(session, contest, cadres[:1], [[1, 1, 1, 1]])
    answer_matrix(session, contest, cadres[:1], [[0, 0, 0, 0]], now=T0 + timedelta(minutes=10))
    analysis = contest_item_analysis(session, contest).analysis
    assert analysis.attempts == 1
    assert [i.facility.value for i in analysis.items] == [expected_facility] * 4


def test_unanswered_questions_count_as_zero_and_as_blank(session, contest, cadres, singles):
    attempt, _ = svc.start_attempt(session, cadres[0], contest, now=T0)
    svc.submit_attempt(session, cadres[0], attempt, now=T0 + timedelta(minutes=1))
    session.commit()
    item = contest_item_analysis(session, contest).analysis.items[0]
    assert item.attempts == 1 and item.facility.value == 0.0 and item.blank_count == 1 and item.blank_share == 1.0


def test_no_attempts_gives_an_empty_analysis(session, contest):
    analysis = contest_item_analysis(session, contest).analysis
    assert analysis.attempts == 0 and analysis.items == [] and analysis.alpha.value is None


def _statements(session, call) -> int:
    engine = session.get_bind()
    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def test_query_count_does_not_grow_with_the_attempts(session, world, singles, cadres):
    """Three SELECTs for 1 attempt and for 6: no query per attempt or per question."""
    paper = make_paper(session, world.bank, questions=singles, points=1.0)
    few, many = make_contest(session, paper, now=T0), make_contest(session, paper, now=T0)
    session.commit()
    answer_matrix(session, few, cadres[:1], MATRIX[:1])
    answer_matrix(session, many, cadres, MATRIX)
    for c in (few, many):
        session.refresh(c)  # the contest's own row is the caller's, loaded before
    counts = [_statements(session, lambda c=c: contest_item_analysis(session, c)) for c in (few, many)]
    assert counts == [3, 3]
