"""The bank's tables: subjects, knowledge points, banks, questions and their versions.

A question is a stable identity (bank, status, review flag); what a cadre sees lives in its
versions. ``Question.current_version`` is the version new papers and practice use; every older
version stays as it was, so an attempt keeps the exact question it showed (DESIGN.md invariant:
"a question that any attempt has used is never changed in place").

The lock: whoever first shows a version to a cadre (contests, practice) calls ``mark_used``,
which sets ``QuestionVersion.locked`` in one UPDATE. From then on ``services.edit_question``
never touches that row: an edit makes version n+1. An unlocked current version (nobody has
seen it yet) is corrected in place, so fixing a typo right after an import does not pile up
versions nobody used.

Units and users belong to the ``quiz`` application, which this library never imports: banks
and versions refer to them by foreign key only ("org_units.id", "users.id"), with no ORM
relationship, so the library maps and works without the application's classes.
"""
from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from question_bank.db import Base, utcnow
from question_bank.drafts import QUESTION_TYPES

STATUSES = ("draft", "active", "retired")
DEFAULT_SUBJECTS = ("理论", "政策", "法律", "科技", "业务")

NAME_MAX = 100  # subject and knowledge-point names
BANK_NAME_MAX = 100
REVIEW_REASON_MAX = 500


def _in_list(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# --- normalisation ----------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")


def normalize_stem(stem: str) -> str:
    """What two stems must share to count as the same question: NFKC (full/half width), no
    whitespace, punctuation or symbols (blanks like （ ） and ___ vanish too), casefolded."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", stem or "")).casefold()


def stem_hash(stem: str) -> str:
    """A short digest of ``normalize_stem``, stored and indexed per question for duplicate checks."""
    return hashlib.blake2b(normalize_stem(stem).encode("utf-8"), digest_size=16).hexdigest()


# Names repeat across thousands of imported rows (a few subjects, some dozens of knowledge points).
@functools.lru_cache(maxsize=4096)
def normalize_name(name: str) -> str:
    """Subject and knowledge-point names compare by this: NFKC, trimmed, inner spaces collapsed,
    casefolded (so ``党 章`` and ``党章`` stay distinct but ``ＡＢＣ`` and ``abc`` are one)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name or "").strip()).casefold()


@functools.lru_cache(maxsize=4096)
def clean_name(name: str) -> str:
    """The name as shown: NFKC, trimmed, inner whitespace collapsed (case kept)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name or "").strip())


# --- subjects and knowledge points ------------------------------------------------------------

class Subject(Base):
    """科目: an editable list (理论/政策/法律/科技/业务 to start with)."""

    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return f"<Subject {self.id} {self.name}>"


def ensure_default_subjects(session: Session) -> list[Subject]:
    """Add the default subjects that are missing (the migration seeds them; tests and fresh
    ``create_all`` databases call this). Returns every subject in list order."""
    from sqlalchemy import select

    existing = {s.name for s in session.scalars(select(Subject))}
    for order, name in enumerate(DEFAULT_SUBJECTS, start=1):
        if name not in existing:
            session.add(Subject(name=name, sort_order=order))
    session.flush()
    return list(session.scalars(select(Subject).order_by(Subject.sort_order, Subject.id)))


version_knowledge_points = Table(
    "question_version_knowledge_points",
    Base.metadata,
    Column("version_id", ForeignKey("question_versions.id", ondelete="CASCADE"), primary_key=True),
    Column("knowledge_point_id", ForeignKey("knowledge_points.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class KnowledgePoint(Base):
    """知识点: one global list; ``normalized_name`` is unique so 党章 and ＂党章 ＂ are one point."""

    __tablename__ = "knowledge_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    normalized_name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    versions: Mapped[list[QuestionVersion]] = relationship(
        secondary=version_knowledge_points, back_populates="knowledge_points"
    )

    def __repr__(self) -> str:
        return f"<KnowledgePoint {self.id} {self.name}>"


# --- banks and questions ----------------------------------------------------------------------

class Bank(Base):
    """题库: owned by a unit and shared down its subtree (see ``services.banks_visible_to``).

    ``confidential`` (保密): while a contest that is not yet over draws on it, practice and mock exams
    never show its questions (quiz/practice decides); contests may always use them.
    ``archived``: hidden from lists and from new papers; its questions stay for old attempts.
    """

    __tablename__ = "banks"
    __table_args__ = (UniqueConstraint("org_unit_id", "name", name="uq_banks_org_unit_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(BANK_NAME_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    questions: Mapped[list[Question]] = relationship(back_populates="bank", order_by="Question.id")

    def __repr__(self) -> str:
        return f"<Bank {self.id} {self.name}>"


class Question(Base):
    """题目: the identity that papers, statistics and the review book refer to.

    ``stem_hash`` is ``stem_hash(current stem)``, indexed with the bank for duplicate detection.
    ``needs_review``/``review_reason`` are set when a source article changes (materials issue).
    """

    __tablename__ = "questions"
    __table_args__ = (
        Index("ix_questions_bank_id_status", "bank_id", "status"),
        Index("ix_questions_bank_id_stem_hash", "bank_id", "stem_hash"),
        CheckConstraint(_in_list("status", STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    status: Mapped[str] = mapped_column(String(10), default="active")
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    review_reason: Mapped[str] = mapped_column(String(REVIEW_REASON_MAX), default="")
    # use_alter: questions and versions point at each other; SET NULL lets versions be deleted first;
    # deferrable so that a bulk import can write both tables with COPY (importing.insert_questions_and_versions).
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_versions.id", use_alter=True, ondelete="SET NULL", deferrable=True, initially="IMMEDIATE")
    )
    stem_hash: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    bank: Mapped[Bank] = relationship(back_populates="questions")
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question",
        foreign_keys="QuestionVersion.question_id",
        order_by="QuestionVersion.number",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    current_version: Mapped[QuestionVersion | None] = relationship(foreign_keys=[current_version_id], post_update=True)

    def __repr__(self) -> str:
        return f"<Question {self.id} bank={self.bank_id} {self.status}>"


class QuestionVersion(Base):
    """One version of a question, numbered 1..n; never changed once ``locked`` (used by an attempt).

    ``options`` is a JSON list of option texts (keys A, B, ... by position); ``answer`` is the
    canonical key of ``question_bank.drafts``; ``points`` None means the paper decides.
    """

    __tablename__ = "question_versions"
    __table_args__ = (
        UniqueConstraint("question_id", "number", name="uq_question_versions_question_number"),
        CheckConstraint("difficulty BETWEEN 1 AND 5", name="difficulty"),
        CheckConstraint(_in_list("type", QUESTION_TYPES), name="type"),
        Index("ix_question_versions_subject_id", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(20))
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer: Mapped[Any] = mapped_column(JSON)
    explanation: Mapped[str] = mapped_column(Text, default="")
    difficulty: Mapped[int] = mapped_column(Integer, default=3)
    points: Mapped[float | None] = mapped_column(Float)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))
    source: Mapped[str] = mapped_column(Text, default="")
    # The article the 出处 resolves to (question_bank.materials): set on save, moved by a revision.
    source_article_id: Mapped[int | None] = mapped_column(ForeignKey("material_articles.id", ondelete="SET NULL"), index=True)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    question: Mapped[Question] = relationship(back_populates="versions", foreign_keys=[question_id])
    subject: Mapped[Subject | None] = relationship()
    knowledge_points: Mapped[list[KnowledgePoint]] = relationship(
        secondary=version_knowledge_points, back_populates="versions", order_by="KnowledgePoint.name"
    )

    def __repr__(self) -> str:
        return f"<QuestionVersion {self.id} q={self.question_id} v{self.number}{' locked' if self.locked else ''}>"


def mark_used(session: Session, version_ids: Iterable[int]) -> int:
    """Lock the versions an attempt is about to show, in one UPDATE; returns how many were newly locked.

    Contests and practice call this when a paper is built or an attempt starts, inside the same
    transaction, so no edit can slip in between showing a version and locking it.
    """
    ids = sorted(set(version_ids))
    if not ids:
        return 0
    result = session.execute(
        update(QuestionVersion).where(QuestionVersion.id.in_(ids), QuestionVersion.locked.is_(False)).values(locked=True)
    )
    return result.rowcount or 0


# The materials' tables (source_article_id points at material_articles): mapped with the bank's.
from question_bank.materials import models as _materials_models  # noqa: E402,F401
