"""Practice tables (练习与自测): sets of questions, every answer as a fact, the review book, favourites.

- ``PracticeSet``: one sitting of practice (一组题), in one mode: 随机练习 ``random``, 顺序练习
  ``sequential``, 每日一练 ``daily``, 错题复习 ``review``, 收藏 ``favourites``, 专项练习 ``focus``; and
  模拟考试 ``mock``, whose questions live in a contest ``Attempt`` of kind ``mock`` (``attempt_id``):
  the set row is the mock's title and the mark that its wrong answers reached the review book.
  ``position`` is how many items are answered (or skipped): the next item is ``position + 1``.
  A daily set is unique per (user, day): ``day`` is the cadre's calendar day in QUIZ_TIMEZONE.
- ``PracticeItem``: a question of a set, in order, with the exact version shown (``mark_used``),
  when it was first shown (the answer time is measured from it) and the answer given.
- ``PracticeAnswer``: every practice answer, the fact stats are computed from: user, question
  version, answer, right or wrong, points fraction, ``answered_at`` (UTC), ``duration_ms``, mode;
  ``day`` is ``answered_at`` as a calendar day in QUIZ_TIMEZONE at the time of answering (streaks,
  days active and the yearly figures read it, so they need no time-zone arithmetic in SQL);
  ``rating`` is the FSRS rating when the answer was a review of a review-book entry
  (``review.py``), and ``due_review`` whether that review was due.
- ``ReviewEntry``: a question in a cadre's review book (错题本), with its FSRS card (state, step,
  stability, difficulty, due, last review) and ``right_streak``, the consecutive right answers at
  due reviews; three make it ``mastered`` (it leaves the book; a later wrong answer brings it back).
- ``Favourite``: 收藏. ``SequentialCursor``: how far a cadre got through a bank in 顺序练习.
- ``MockPaper``: a practice paper (模拟试卷) an organizer offers for mock exams: a contest paper
  (rules or fixed) with a time limit, open to the owner unit's subtree.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from question_bank.db import Base, utcnow

SET_MODES = ("random", "sequential", "daily", "review", "favourites", "focus", "mock")
ANSWER_MODES = ("random", "sequential", "daily", "review", "favourites", "focus")
ENTRY_STATUSES = ("active", "mastered")
ENTRY_SOURCES = ("practice", "mock")
TITLE_MAX = 200


def _in_list(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PracticeSet(Base):
    """一组练习: the questions of one sitting, in one mode, and how far the cadre got."""

    __tablename__ = "practice_sets"
    __table_args__ = (
        CheckConstraint(_in_list("mode", SET_MODES), name="mode"),
        UniqueConstraint("user_id", "mode", "day", name="uq_practice_sets_user_mode_day"),  # one daily set a day
        UniqueConstraint("attempt_id", name="uq_practice_sets_attempt_id"),
        Index("ix_practice_sets_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    mode: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(TITLE_MAX), default="")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the filters the set was drawn with
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id"))  # sequential
    day: Mapped[date | None] = mapped_column(Date)  # daily: the cadre's calendar day
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))  # mock
    size: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)  # items answered or skipped
    answered: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    items: Mapped[list[PracticeItem]] = relationship(
        back_populates="practice_set", order_by="PracticeItem.position", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    def __repr__(self) -> str:
        return f"<PracticeSet {self.id} u={self.user_id} {self.mode} {self.position}/{self.size}>"


class PracticeItem(Base):
    """A question of a set: its place, the exact version shown, when it was shown, the answer given."""

    __tablename__ = "practice_items"

    set_id: Mapped[int] = mapped_column(ForeignKey("practice_sets.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1-based
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"))
    shown_at: Mapped[datetime | None] = mapped_column(DateTime)
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("practice_answers.id", ondelete="SET NULL"))
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)  # left out: no longer open to practice

    practice_set: Mapped[PracticeSet] = relationship(back_populates="items")


class PracticeAnswer(Base):
    """One practice answer: the fact every practice figure is computed from."""

    __tablename__ = "practice_answers"
    __table_args__ = (
        CheckConstraint(_in_list("mode", ANSWER_MODES), name="mode"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 4", name="rating"),
        CheckConstraint("points_fraction >= 0 AND points_fraction <= 1", name="points_fraction"),
        UniqueConstraint("set_id", "position", name="uq_practice_answers_set_position"),  # one answer per item
        Index("ix_practice_answers_user_id_day", "user_id", "day"),
        Index("ix_practice_answers_user_id_question_id", "user_id", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"))
    set_id: Mapped[int | None] = mapped_column(ForeignKey("practice_sets.id", ondelete="SET NULL"))
    position: Mapped[int | None] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(12))
    answer: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)  # canonical response; None: 不会
    correct: Mapped[bool | None] = mapped_column(Boolean)  # None: a short answer nobody can mark automatically
    points_fraction: Mapped[float] = mapped_column(Float, default=0.0)
    answered_at: Mapped[datetime] = mapped_column(DateTime)
    day: Mapped[date] = mapped_column(Date)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    rating: Mapped[int | None] = mapped_column(Integer)  # fsrs.Rating when the answer reviewed a review-book entry
    due_review: Mapped[bool] = mapped_column(Boolean, default=False)

    def __repr__(self) -> str:
        return f"<PracticeAnswer {self.id} u={self.user_id} q={self.question_id} {self.correct}>"


class ReviewEntry(Base):
    """错题本: a question the cadre got wrong, scheduled by FSRS until three right due reviews in a row."""

    __tablename__ = "practice_review_entries"
    __table_args__ = (
        UniqueConstraint("user_id", "question_id", name="uq_practice_review_entries_user_question"),
        CheckConstraint(_in_list("status", ENTRY_STATUSES), name="status"),
        CheckConstraint(_in_list("source", ENTRY_SOURCES), name="source"),
        Index("ix_practice_review_entries_user_id_status_due", "user_id", "status", "due"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    status: Mapped[str] = mapped_column(String(10), default="active")
    source: Mapped[str] = mapped_column(String(10), default="practice")  # where the first wrong answer was
    added_at: Mapped[datetime] = mapped_column(DateTime)
    # The FSRS card (fsrs.Card), times naive UTC.
    card_state: Mapped[int] = mapped_column(Integer)
    card_step: Mapped[int | None] = mapped_column(Integer)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due: Mapped[datetime] = mapped_column(DateTime)
    last_review: Mapped[datetime | None] = mapped_column(DateTime)
    right_streak: Mapped[int] = mapped_column(Integer, default=0)  # consecutive right answers at due reviews
    reviews: Mapped[int] = mapped_column(Integer, default=0)  # reviews the schedule counted (due, or wrong)
    lapses: Mapped[int] = mapped_column(Integer, default=0)  # wrong answers since it entered the book
    mastered_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<ReviewEntry {self.id} u={self.user_id} q={self.question_id} {self.status} due={self.due}>"


class Favourite(Base):
    """收藏: a question the cadre keeps to practise again."""

    __tablename__ = "practice_favourites"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SequentialCursor(Base):
    """顺序练习: the last question (by id) a cadre answered in a bank; the next set goes on after it."""

    __tablename__ = "practice_cursors"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), primary_key=True)
    last_question_id: Mapped[int] = mapped_column(Integer, default=0)
    rounds: Mapped[int] = mapped_column(Integer, default=0)  # times the cadre went through the whole bank
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class MockPaper(Base):
    """模拟试卷: a paper an organizer offers for timed mock exams to their unit's subtree."""

    __tablename__ = "practice_mock_papers"
    __table_args__ = (CheckConstraint("time_limit_minutes BETWEEN 1 AND 600", name="time_limit_minutes"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    time_limit_minutes: Mapped[int] = mapped_column(Integer, default=60)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<MockPaper {self.id} paper={self.paper_id}>"
