"""The review book's spaced-repetition schedule (错题本), with a frozen clock.

Each expected due time is fsrs's own computation (``fsrs.Scheduler.review_card`` with the same
settings), never a number written here: the tests check that our rules feed FSRS the right
ratings at the right moments, and that the book applies its own rules (due reviews, three right
in a row) on top.
"""
from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from fsrs import Card, Rating, Scheduler

from quiz.practice import review, services as svc
from quiz.practice.models import PracticeAnswer, ReviewEntry
from tests.quiz.practice.conftest import T0, answer_one

# The scheduler as review.py documents it, built here from fsrs's API, not imported from review.py.
FSRS = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False, maximum_interval=180)


def utc(moment):
    return moment.replace(tzinfo=timezone.utc)


def naive(moment):
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def fsrs_history(*reviews):
    """The card after ``(rating, naive UTC moment)`` reviews, by fsrs alone."""
    card = Card(card_id=1)
    for rating, moment in reviews:
        card, _log = FSRS.review_card(card, rating, review_datetime=utc(moment))
    return card


def entry_of(session, user, question) -> ReviewEntry:
    return session.query(ReviewEntry).filter_by(user_id=user.id, question_id=question.id).one()


def test_the_scheduler_is_the_documented_one():
    assert review.SCHEDULER.to_dict() == FSRS.to_dict()


def test_a_missed_question_is_due_again_after_the_interval_fsrs_gives(session, world):
    question = world.questions[0]
    answer_one(session, world.cadre, question, False, T0)
    entry = entry_of(session, world.cadre, question)
    expected = fsrs_history((Rating.Again, T0))
    assert entry.due == naive(expected.due)
    assert entry.stability == pytest.approx(expected.stability) and entry.difficulty == pytest.approx(expected.difficulty)
    assert entry.due > T0 and entry.status == "active" and entry.right_streak == 0
    # not due a second before, due at that moment
    assert svc.book_size(session, world.cadre, now=entry.due - timedelta(seconds=1)).due == 0
    assert svc.book_size(session, world.cadre, now=entry.due).due == 1
    answer = session.query(PracticeAnswer).one()
    assert (answer.correct, answer.rating, answer.due_review) == (False, int(Rating.Again), False)


def test_a_wrong_review_brings_it_back_sooner_than_a_right_one(session, world):
    question = world.questions[0]
    for user in (world.cadre, world.other):
        answer_one(session, user, question, False, T0)
    due = entry_of(session, world.cadre, question).due
    answer_one(session, world.cadre, question, True, due, seconds=20)  # right, in normal time: Good
    answer_one(session, world.other, question, False, due, seconds=20)  # wrong again: Again
    after_right, after_wrong = entry_of(session, world.cadre, question), entry_of(session, world.other, question)
    assert after_right.due == naive(fsrs_history((Rating.Again, T0), (Rating.Good, due)).due)
    assert after_wrong.due == naive(fsrs_history((Rating.Again, T0), (Rating.Again, due)).due)
    assert after_wrong.due < after_right.due
    assert (after_right.right_streak, after_wrong.right_streak) == (1, 0)


def test_it_leaves_the_book_after_three_consecutive_right_due_reviews(session, world):
    question = world.questions[0]
    answer_one(session, world.cadre, question, False, T0)
    history = [(Rating.Again, T0)]
    for n in range(1, review.GRADUATE_AFTER + 1):
        entry = entry_of(session, world.cadre, question)
        assert entry.status == "active"
        due = entry.due
        _set, result = answer_one(session, world.cadre, question, True, due, seconds=20)
        history.append((Rating.Good, due))
        assert result.outcome.due_review and result.outcome.rating == Rating.Good
        session.refresh(entry)
        assert entry.right_streak == n
        assert entry.due == naive(fsrs_history(*history).due)
    assert entry.status == "mastered" and entry.mastered_at == due
    book = svc.book_size(session, world.cadre, now=due + timedelta(days=400))
    assert (book.active, book.due, book.mastered) == (0, 0, 1)


def test_a_wrong_answer_in_between_starts_the_run_again(session, world):
    question = world.questions[0]
    answer_one(session, world.cadre, question, False, T0)
    for _ in range(2):
        answer_one(session, world.cadre, question, True, entry_of(session, world.cadre, question).due)
    assert entry_of(session, world.cadre, question).right_streak == 2
    answer_one(session, world.cadre, question, False, entry_of(session, world.cadre, question).due)
    entry = entry_of(session, world.cadre, question)
    assert (entry.right_streak, entry.status, entry.lapses) == (0, "active", 1)
    for n in range(1, 4):
        answer_one(session, world.cadre, question, True, entry_of(session, world.cadre, question).due)
    assert entry_of(session, world.cadre, question).status == "mastered"


def test_a_right_answer_before_it_is_due_is_not_a_due_review(session, world):
    """Defined in review.py: it changes neither the schedule nor the run of right answers."""
    question = world.questions[0]
    answer_one(session, world.cadre, question, False, T0)
    entry = entry_of(session, world.cadre, question)
    before = (entry.due, entry.stability, entry.difficulty, entry.last_review, entry.right_streak, entry.reviews)
    _set, result = answer_one(session, world.cadre, question, True, entry.due - timedelta(minutes=1))
    session.refresh(entry)
    assert (entry.due, entry.stability, entry.difficulty, entry.last_review, entry.right_streak, entry.reviews) == before
    assert result.outcome.rating is None and not result.outcome.due_review
    assert (result.answer.rating, result.answer.due_review, result.answer.correct) == (None, False, True)


def test_a_wrong_answer_before_it_is_due_still_counts(session, world):
    question = world.questions[0]
    answer_one(session, world.cadre, question, False, T0)
    early = T0 + timedelta(hours=2)
    answer_one(session, world.cadre, question, False, early)
    entry = entry_of(session, world.cadre, question)
    assert entry.due == naive(fsrs_history((Rating.Again, T0), (Rating.Again, early)).due)
    assert (entry.lapses, entry.reviews) == (1, 2)


def test_the_answer_time_becomes_the_rating(session, world):
    fast, normal, slow = world.questions[0], world.questions[1], world.questions[2]
    for q in (fast, normal, slow):
        answer_one(session, world.cadre, q, False, T0)
    due = entry_of(session, world.cadre, fast).due
    for q, seconds, rating in ((fast, 3, Rating.Easy), (normal, 20, Rating.Good), (slow, 120, Rating.Hard)):
        _set, result = answer_one(session, world.cadre, q, True, due, seconds=seconds)
        assert result.answer.rating == int(rating) and result.answer.duration_ms == seconds * 1000
        assert entry_of(session, world.cadre, q).due == naive(fsrs_history((Rating.Again, T0), (rating, due)).due)
    dues = [entry_of(session, world.cadre, q).due for q in (slow, normal, fast)]
    assert dues == sorted(dues) and len(set(dues)) == 3  # Hard < Good < Easy


@pytest.mark.parametrize("correct, seconds, qtype, rating", [
    (False, 2, "single", Rating.Again),
    (False, None, "multiple", Rating.Again),
    (True, 7.9, "single", Rating.Easy),
    (True, 8, "single", Rating.Good),
    (True, 45, "true_false", Rating.Good),
    (True, 45.1, "true_false", Rating.Hard),
    (True, 11, "multiple", Rating.Easy),
    (True, 61, "multiple", Rating.Hard),
    (True, 14, "fill_blank", Rating.Easy),
    (True, 91, "fill_blank", Rating.Hard),
    (True, 29, "short_answer", Rating.Easy),
    (True, 181, "short_answer", Rating.Hard),
    (True, None, "single", Rating.Good),
])
def test_rating_rule(correct, seconds, qtype, rating):
    assert review.rating_for(correct, None if seconds is None else int(seconds * 1000), qtype) == rating


def test_a_mastered_question_answered_wrong_comes_back_with_a_new_card(session, world):
    question = world.questions[0]
    answer_one(session, world.cadre, question, False, T0)
    for _ in range(3):
        answer_one(session, world.cadre, question, True, entry_of(session, world.cadre, question).due)
    entry = entry_of(session, world.cadre, question)
    assert entry.status == "mastered"
    later = entry.due + timedelta(days=3)
    _set, result = answer_one(session, world.cadre, question, False, later)
    session.refresh(entry)
    assert result.outcome.added and entry.status == "active" and entry.right_streak == 0 and entry.mastered_at is None
    assert entry.due == naive(fsrs_history((Rating.Again, later)).due)


def test_right_answers_to_questions_outside_the_book_change_nothing(session, world):
    answer_one(session, world.cadre, world.questions[0], True, T0)
    assert session.query(ReviewEntry).count() == 0
