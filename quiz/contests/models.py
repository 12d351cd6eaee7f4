"""Contest tables: papers (组卷), contests (竞赛), attempts (答卷), their questions and responses.

Shapes, in the words of DESIGN.md:

- ``Paper``: either a fixed list of questions (``PaperItem``) or draw rules (``PaperRule``: banks,
  subject, knowledge points, type, difficulty range, count, points each). ``draw`` says whether
  everyone gets one paper (``shared``) or each attempt its own (``per_attempt``, 千人千卷).
- ``Contest``: the window, time limit, attempts, eligibility, release and integrity settings.
  Its lifecycle column ``status`` is draft → published → closed → archived; "running" is not
  stored, it is ``published`` while ``opens_at <= now < closes_at`` (see ``Contest.phase``).
- ``PaperVariant``: the papers drawn for a contest when it is published (one for ``shared``,
  ``Paper.pool_size`` of them for 千人千卷), so that starting an attempt only copies one variant
  instead of searching the bank (DESIGN.md lesson: make starting cheap).
- ``Attempt``: one cadre's go at a contest (or a mock exam, ``kind='mock'``, which stays out of
  contest results). ``deadline = min(started_at + time limit + extra, closes_at)`` is stored, so
  every save can be refused by one comparison.
- ``AttemptQuestion``: the questions an attempt shows, in its order, with the exact version and
  the option permutation (``option_order[display_index] = canonical_index``).
- ``Response``: the cadre's answer to one question, stored with canonical option letters, with the
  client's ``seq`` (Moodle's sequence check) and, after grading, the points awarded.

Races that could double something are closed by constraints: one in-progress attempt per
(contest, user) (a partial unique index) and unique (contest, user, number).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from question_bank.db import Base, utcnow

PAPER_MODES = ("fixed", "rules")
PAPER_DRAWS = ("shared", "per_attempt")
MULTIPLE_MODES = ("all_or_nothing", "partial", "per_option")
CONTEST_STATUSES = ("draft", "published", "closed", "archived")
COUNTS = ("best", "last")
RELEASES = ("immediately", "after_close", "manual")
LEADERBOARDS = ("hidden", "after_close", "live")
ATTEMPT_KINDS = ("contest", "mock")
ATTEMPT_STATUSES = ("in_progress", "submitted", "expired")
# How an attempt was finalised: the cadre submitted; the deadline passed and someone opened it
# (on access); the contest closed; the cron command; the integrity limit (too many tab switches).
FINALISED_BY = ("submit", "access", "close", "cli", "integrity")

TITLE_MAX = 200
DEFAULT_POOL_SIZE = 50


def _in_list(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# --- papers -----------------------------------------------------------------------------------

class Paper(Base):
    """试卷 / 组卷: what a contest shows. Owned by a unit like banks and contests."""

    __tablename__ = "papers"
    __table_args__ = (
        CheckConstraint(_in_list("mode", PAPER_MODES), name="mode"),
        CheckConstraint(_in_list("draw", PAPER_DRAWS), name="draw"),
        CheckConstraint(_in_list("multiple_mode", MULTIPLE_MODES), name="multiple_mode"),
        CheckConstraint("multiple_fraction >= 0 AND multiple_fraction <= 1", name="multiple_fraction"),
        CheckConstraint("pool_size >= 1", name="pool_size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    mode: Mapped[str] = mapped_column(String(10), default="rules")
    draw: Mapped[str] = mapped_column(String(12), default="shared")
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=True)
    shuffle_options: Mapped[bool] = mapped_column(Boolean, default=True)
    multiple_mode: Mapped[str] = mapped_column(String(20), default="all_or_nothing")
    multiple_fraction: Mapped[float] = mapped_column(Float, default=0.5)
    # 千人千卷: how many distinct papers are drawn ahead when a contest is published.
    pool_size: Mapped[int] = mapped_column(Integer, default=DEFAULT_POOL_SIZE)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list[PaperItem]] = relationship(
        back_populates="paper", order_by="PaperItem.position", cascade="all, delete-orphan"
    )
    rules: Mapped[list[PaperRule]] = relationship(
        back_populates="paper", order_by="PaperRule.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Paper {self.id} {self.mode}/{self.draw}>"


class PaperItem(Base):
    """One question of a fixed paper; the current version is taken when a contest is published."""

    __tablename__ = "paper_items"
    __table_args__ = (
        UniqueConstraint("paper_id", "question_id", name="uq_paper_items_paper_question"),
        CheckConstraint("points >= 0", name="points"),
    )

    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    points: Mapped[float] = mapped_column(Float, default=1.0)

    paper: Mapped[Paper] = relationship(back_populates="items")


class PaperRule(Base):
    """组卷规则: draw ``count`` questions matching every given filter, ``points_each`` each.

    ``bank_ids`` (required) and ``knowledge_point_ids`` (any of them; empty = no filter) are JSON
    lists of ids; ``subject_id`` and ``type`` None mean any.
    """

    __tablename__ = "paper_rules"
    __table_args__ = (
        CheckConstraint("count >= 1", name="count"),
        CheckConstraint("points_each >= 0", name="points_each"),
        CheckConstraint("difficulty_min BETWEEN 1 AND 5 AND difficulty_max BETWEEN 1 AND 5 "
                        "AND difficulty_min <= difficulty_max", name="difficulty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    bank_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))
    knowledge_point_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    type: Mapped[str | None] = mapped_column(String(20))
    difficulty_min: Mapped[int] = mapped_column(Integer, default=1)
    difficulty_max: Mapped[int] = mapped_column(Integer, default=5)
    count: Mapped[int] = mapped_column(Integer)
    points_each: Mapped[float] = mapped_column(Float, default=1.0)

    paper: Mapped[Paper] = relationship(back_populates="rules")


# --- contests ---------------------------------------------------------------------------------

class Contest(Base):
    """竞赛. Times are naive UTC. Empty ``eligible_unit_ids`` = the owner unit's subtree;
    empty ``eligible_roles`` = anyone with the cadre role."""

    __tablename__ = "contests"
    __table_args__ = (
        CheckConstraint(_in_list("status", CONTEST_STATUSES), name="status"),
        CheckConstraint(_in_list("counts", COUNTS), name="counts"),
        CheckConstraint(_in_list("release", RELEASES), name="release"),
        CheckConstraint(_in_list("leaderboard", LEADERBOARDS), name="leaderboard"),
        CheckConstraint("attempts_allowed >= 1", name="attempts_allowed"),
        CheckConstraint("opens_at < closes_at", name="window"),
        Index("ix_contests_status_closes_at", "status", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    notice: Mapped[str] = mapped_column(Text, default="")
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    opens_at: Mapped[datetime] = mapped_column(DateTime)
    closes_at: Mapped[datetime] = mapped_column(DateTime)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)  # None: the whole window
    attempts_allowed: Mapped[int] = mapped_column(Integer, default=1)
    counts: Mapped[str] = mapped_column(String(10), default="best")
    eligible_unit_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    eligible_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    pass_score: Mapped[float | None] = mapped_column(Float)
    release: Mapped[str] = mapped_column(String(12), default="immediately")
    results_released: Mapped[bool] = mapped_column(Boolean, default=False)  # for release='manual'
    review_after_close: Mapped[bool] = mapped_column(Boolean, default=False)
    leaderboard: Mapped[str] = mapped_column(String(12), default="after_close")
    one_page: Mapped[bool] = mapped_column(Boolean, default=False)  # all questions on one page on wide screens
    count_tab_switches: Mapped[bool] = mapped_column(Boolean, default=True)
    count_pastes: Mapped[bool] = mapped_column(Boolean, default=True)
    auto_submit_after_switches: Mapped[int | None] = mapped_column(Integer)
    variant_count: Mapped[int] = mapped_column(Integer, default=0)  # papers drawn at publish (PaperVariant)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    paper: Mapped[Paper] = relationship()

    def phase(self, now: datetime) -> str:
        """draft, upcoming, running, closed or archived: the lifecycle with "running" derived."""
        if self.status in ("draft", "archived"):
            return self.status
        if self.status == "closed" or now >= self.closes_at:
            return "closed"
        return "running" if now >= self.opens_at else "upcoming"

    def deadline_for(self, started_at: datetime, extra_seconds: int = 0) -> datetime:
        """min(started_at + time limit + extra, closes_at)."""
        if self.time_limit_minutes is None:
            return self.closes_at
        return min(started_at + timedelta(minutes=self.time_limit_minutes, seconds=extra_seconds), self.closes_at)

    def results_visible(self, now: datetime) -> bool:
        """Whether a cadre may see their score now (the release setting)."""
        if self.release == "immediately":
            return True
        if self.release == "after_close":
            return self.phase(now) in ("closed", "archived")
        return self.results_released

    def __repr__(self) -> str:
        return f"<Contest {self.id} {self.status}>"


class PaperVariant(Base):
    """A paper drawn for a contest at publish time. ``items`` is a JSON list, in paper order, of
    ``[question_id, question_version_id, points, option_count]`` (option_count 0 for types without
    options); every version in it is locked (mark_used)."""

    __tablename__ = "paper_variants"

    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0 .. pool size - 1
    items: Mapped[list[list[Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


# --- attempts ---------------------------------------------------------------------------------

class Attempt(Base):
    """答卷. ``deadline`` already includes the time limit, extra time and the contest's close."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("contest_id", "user_id", "number", name="uq_attempts_contest_user_number"),
        # One attempt in progress per (contest, user): two concurrent starts cannot both insert.
        Index("uq_attempts_one_in_progress", "contest_id", "user_id", unique=True,
              sqlite_where=text("status = 'in_progress'"), postgresql_where=text("status = 'in_progress'")),
        Index("ix_attempts_status_deadline", "status", "deadline"),
        Index("ix_attempts_user_id_kind", "user_id", "kind"),
        CheckConstraint(_in_list("kind", ATTEMPT_KINDS), name="kind"),
        CheckConstraint(_in_list("status", ATTEMPT_STATUSES), name="status"),
        CheckConstraint("finalised_by IS NULL OR " + _in_list("finalised_by", FINALISED_BY), name="finalised_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="contest")
    contest_id: Mapped[int | None] = mapped_column(ForeignKey("contests.id"))
    paper_id: Mapped[int | None] = mapped_column(ForeignKey("papers.id"))  # mock exams: the paper drawn from
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    number: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12), default="in_progress")
    seed: Mapped[int] = mapped_column(BigInteger)  # drives the variant choice and the shuffles
    variant_number: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    deadline: Mapped[datetime] = mapped_column(DateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)  # when finalised (submit or expiry)
    finalised_by: Mapped[str | None] = mapped_column(String(12))
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float, default=0.0)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    needs_marking: Mapped[bool] = mapped_column(Boolean, default=False)
    time_used_seconds: Mapped[int | None] = mapped_column(Integer)
    extra_seconds: Mapped[int] = mapped_column(Integer, default=0)
    tab_switches: Mapped[int] = mapped_column(Integer, default=0)
    pastes: Mapped[int] = mapped_column(Integer, default=0)

    contest: Mapped[Contest | None] = relationship()
    questions: Mapped[list[AttemptQuestion]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position", cascade="all, delete-orphan"
    )

    @property
    def finished(self) -> bool:
        return self.status != "in_progress"

    def __repr__(self) -> str:
        return f"<Attempt {self.id} c={self.contest_id} u={self.user_id} #{self.number} {self.status}>"


class AttemptQuestion(Base):
    """A question as this attempt shows it: position, exact version, option permutation, points.

    ``option_order[i]`` is the canonical index of the option shown as the i-th letter (display
    key ``"ABCDEFGH"[i]``); None when the type has no options or options are not shuffled.
    """

    __tablename__ = "attempt_questions"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id", name="uq_attempt_questions_attempt_question"),)

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1-based, display order
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"))
    option_order: Mapped[list[int] | None] = mapped_column(JSON)
    points: Mapped[float] = mapped_column(Float)

    attempt: Mapped[Attempt] = relationship(back_populates="questions")


class Response(Base):
    """作答: the latest saved answer to one question of an attempt (canonical option letters).

    ``seq`` is the client's counter: a save with a lower seq than the stored one is acknowledged
    and dropped. ``points``/``correct``/``needs_marking`` are written when the attempt is graded;
    ``override_*`` when a marker changes the points by hand (the effective points are
    ``override_points`` if set, else ``points``).
    """

    __tablename__ = "responses"
    __table_args__ = (
        ForeignKeyConstraint(["attempt_id", "question_id"], ["attempt_questions.attempt_id", "attempt_questions.question_id"],
                             name="fk_responses_attempt_question", ondelete="CASCADE"),
    )

    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    saved_at: Mapped[datetime] = mapped_column(DateTime)
    points: Mapped[float | None] = mapped_column(Float)
    correct: Mapped[bool | None] = mapped_column(Boolean)
    needs_marking: Mapped[bool] = mapped_column(Boolean, default=False)
    override_points: Mapped[float | None] = mapped_column(Float)
    override_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    override_at: Mapped[datetime | None] = mapped_column(DateTime)
    override_note: Mapped[str] = mapped_column(Text, default="")

    @property
    def effective_points(self) -> float | None:
        return self.override_points if self.override_points is not None else self.points
