"""The review book (错题本), scheduled by FSRS through the ``fsrs`` package (the scheduler Anki uses).

Every wrong answer puts its question in the cadre's review book (or back into it). Each question
in the book is an FSRS card; we never compute an interval ourselves, ``fsrs.Scheduler.review_card``
does, from a rating made of the answer's right/wrong and its answer time.

The scheduler (``SCHEDULER``): FSRS-6 default parameters, desired retention 0.9, **no learning or
relearning steps** (intervals are whole days, at least one: a cadre practises in spare minutes on
some days, not in a ten-minute drill), no fuzzing (the same history gives the same schedule, which
a cadre can be told and a test can check), at most ``MAXIMUM_INTERVAL_DAYS`` days.

The rating (``rating_for``), from the answer and the time from showing the question to answering:

=========================  ===============================================================
wrong (or 不会)             ``Again``
right, slower than *slow*  ``Hard``
right, faster than *fast*  ``Easy``
right otherwise            ``Good``
=========================  ===============================================================

*fast* and *slow* depend on the question type (``THRESHOLDS``, in seconds): single and true/false
8 / 45, multiple 12 / 60, fill-in 15 / 90, short answer 30 / 180. A missing answer time counts as
neither fast nor slow (``Good``). A short answer that cannot be marked automatically (no keywords)
is not rated and changes nothing.

Which answers the schedule counts (``record_answer``), for a question in the book:

- a **wrong** answer, whenever it comes (in any practice mode): rated ``Again``; the run of right
  answers starts again from zero. If the question had left the book, it comes back with a new card.
- a **right answer at a due review**: the question is due (``now >= due``): rated as above; the
  run of right answers grows by one; at ``GRADUATE_AFTER`` (three) in a row the question leaves the
  book (``mastered``).
- a **right answer before it is due** does not count: no rating, no change to the schedule or the
  run. (Getting it right an hour after getting it wrong says little; the schedule asks again when
  FSRS predicts it would be forgotten.)

A question not in the book is only added by a wrong answer; right answers to it change nothing here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from fsrs import Card, Rating, Scheduler, State
from sqlalchemy import select
from sqlalchemy.orm import Session

from quiz.practice.models import ReviewEntry

GRADUATE_AFTER = 3  # consecutive right answers at due reviews that take a question out of the book
MAXIMUM_INTERVAL_DAYS = 180
SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False,
                      maximum_interval=MAXIMUM_INTERVAL_DAYS)

# seconds: (right faster than this → Easy, right slower than this → Hard)
THRESHOLDS: dict[str, tuple[int, int]] = {
    "single": (8, 45),
    "true_false": (8, 45),
    "multiple": (12, 60),
    "fill_blank": (15, 90),
    "short_answer": (30, 180),
}


def rating_for(correct: bool, duration_ms: int | None, qtype: str) -> Rating:
    """The FSRS rating of one answer (see the table in the module docstring)."""
    if not correct:
        return Rating.Again
    if duration_ms is None:
        return Rating.Good
    fast, slow = THRESHOLDS.get(qtype, THRESHOLDS["single"])
    seconds = duration_ms / 1000
    if seconds > slow:
        return Rating.Hard
    if seconds < fast:
        return Rating.Easy
    return Rating.Good


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def card_of(entry: ReviewEntry) -> Card:
    """The entry's FSRS card (times as aware UTC, as fsrs wants them)."""
    return Card(
        card_id=entry.id or 0, state=State(entry.card_state), step=entry.card_step, stability=entry.stability,
        difficulty=entry.difficulty, due=_aware(entry.due), last_review=_aware(entry.last_review) if entry.last_review else None,
    )


def new_card() -> Card:
    """A card that has never been reviewed (card_id given: fsrs would otherwise sleep 1 ms to make one)."""
    return Card(card_id=0)


def _store(entry: ReviewEntry, card: Card) -> None:
    entry.card_state = int(card.state)
    entry.card_step = card.step
    entry.stability = card.stability
    entry.difficulty = card.difficulty
    entry.due = _naive(card.due)
    entry.last_review = _naive(card.last_review) if card.last_review else None


def schedule(card: Card, rating: Rating, now: datetime) -> Card:
    """``SCHEDULER.review_card`` at ``now`` (naive UTC)."""
    reviewed, _log = SCHEDULER.review_card(card, rating, review_datetime=_aware(now))
    return reviewed


@dataclass(frozen=True)
class ReviewOutcome:
    """What one answer did to the review book."""

    rating: Rating | None  # None: the schedule did not count this answer
    due_review: bool  # the question was in the book and due
    added: bool = False  # the answer put the question (back) into the book
    mastered: bool = False  # the answer took it out (three right due reviews in a row)
    entry: ReviewEntry | None = None


NOTHING = ReviewOutcome(None, False)


def _entry_for_update(session: Session, user_id: int, question_id: int) -> ReviewEntry | None:
    stmt = select(ReviewEntry).where(ReviewEntry.user_id == user_id, ReviewEntry.question_id == question_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def record_answer(session: Session, *, user_id: int, question_id: int, qtype: str, correct: bool | None,
                  duration_ms: int | None, now: datetime, source: str = "practice") -> ReviewOutcome:
    """Apply one answer to the review book (the rules in the module docstring). Flushes; the caller
    has begun a write transaction (SQLite) so the read and the write of the entry are one step."""
    if correct is None:
        return NOTHING
    entry = _entry_for_update(session, user_id, question_id)
    outcome = apply_answer(entry, user_id=user_id, question_id=question_id, qtype=qtype, correct=correct,
                           duration_ms=duration_ms, now=now, source=source)
    if entry is None and outcome.entry is not None:
        session.add(outcome.entry)
    if outcome.entry is not None:
        session.flush()
    return outcome


def apply_answer(entry: ReviewEntry | None, *, user_id: int, question_id: int, qtype: str, correct: bool | None,
                 duration_ms: int | None, now: datetime, source: str = "practice") -> ReviewOutcome:
    """The rules on one entry, without the database: ``entry`` is the question's review-book entry
    (None when it was never in the book); a new entry is returned in the outcome, not added to a
    session. ``record_answer`` is this plus reading and writing the row."""
    if correct is None:
        return NOTHING
    if not correct:
        if entry is None:
            entry = ReviewEntry(user_id=user_id, question_id=question_id, source=source, added_at=now, status="active",
                                right_streak=0, reviews=1, lapses=0)
            _store(entry, schedule(new_card(), Rating.Again, now))
            return ReviewOutcome(Rating.Again, False, added=True, entry=entry)
        if entry.status == "mastered":  # it had left the book: back in, with a fresh card
            entry.status, entry.mastered_at, entry.added_at, entry.source = "active", None, now, source
            entry.right_streak, entry.reviews = 0, 1
            entry.lapses += 1
            _store(entry, schedule(new_card(), Rating.Again, now))
            return ReviewOutcome(Rating.Again, False, added=True, entry=entry)
        due = now >= entry.due
        _store(entry, schedule(card_of(entry), Rating.Again, now))
        entry.right_streak = 0
        entry.reviews += 1
        entry.lapses += 1
        return ReviewOutcome(Rating.Again, due, entry=entry)
    if entry is None or entry.status != "active" or now < entry.due:
        return NOTHING  # not in the book, or right before it is due: the schedule does not count it
    rating = rating_for(True, duration_ms, qtype)
    _store(entry, schedule(card_of(entry), rating, now))
    entry.right_streak += 1
    entry.reviews += 1
    mastered = entry.right_streak >= GRADUATE_AFTER
    if mastered:
        entry.status, entry.mastered_at = "mastered", now
    return ReviewOutcome(rating, True, mastered=mastered, entry=entry)
