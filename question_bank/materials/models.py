"""Study material tables: materials (学习资料), their editions, articles, the changes between editions,
the review flags a revision puts on questions, and draft questions awaiting review.

- ``Material``: a regulation or policy text owned by a unit and read down its subtree, like a bank.
  ``current_edition`` is the edition 出处 citations resolve against and the reader shows first.
- ``MaterialEdition``: one loaded text (2010 修订, 2024 修订 ...), numbered 1..n per material. The
  text is kept as uploaded, with the structure the parser found (outline, counts). An edition that
  revises an earlier one keeps its comparison (``diff_counts`` and ``EditionChange`` rows).
- ``MaterialArticle``: a citable unit of an edition: a 第X条, or a numbered paragraph (一、（二）) of a
  policy text without articles. Articles of old editions are never deleted: question versions keep
  pointing at the article they were written against (``QuestionVersion.source_article_id``).
- ``EditionChange``: what became of each article of the previous edition (unchanged, renumbered,
  changed, removed) and which new articles are added, as ``question_bank.materials.diff`` decided.
- ``ReviewFlag``: why a question was flagged 需复核 by a revision, and how the flag was resolved
  (kept, edited, retired). ``Question.needs_review`` is the flag itself (contest draws read it);
  these rows are its history and point at the side-by-side difference.
- ``ArticleDraft``: a question generated from an article (``drafts.py``), waiting in the review
  queue of the unit of the organizer who generated it. Nothing reaches a bank until an organizer
  accepts it.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from question_bank.db import Base, utcnow

TITLE_MAX = 200
ISSUER_MAX = 200
EDITION_NAME_MAX = 100
REF_MAX = 100
REASON_MAX = 500
CHANGE_STATUSES = ("unchanged", "renumbered", "changed", "removed", "added")
CHANGE_KINDS = ("single", "split", "merge")
UNIT_KINDS = ("article", "section")
FLAG_RESOLUTIONS = ("kept", "edited", "retired")
DRAFT_STATUSES = ("pending", "accepted", "rejected")
DRAFT_KINDS = ("number", "period", "quantity", "term", "tf_number", "tf_term")


def _in_list(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Material(Base):
    """学习资料: a regulation or policy text, owned by a unit and shared down its subtree."""

    __tablename__ = "materials"
    __table_args__ = (UniqueConstraint("org_unit_id", "title", name="uq_materials_org_unit_title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    issuer: Mapped[str] = mapped_column(String(ISSUER_MAX), default="")  # 发文机关 / 制定机关
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    # use_alter: materials and editions point at each other
    current_edition_id: Mapped[int | None] = mapped_column(
        ForeignKey("material_editions.id", use_alter=True, ondelete="SET NULL")
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    editions: Mapped[list[MaterialEdition]] = relationship(
        back_populates="material", foreign_keys="MaterialEdition.material_id", order_by="MaterialEdition.number",
        cascade="all, delete-orphan", passive_deletes=True,
    )
    current_edition: Mapped[MaterialEdition | None] = relationship(foreign_keys=[current_edition_id], post_update=True)

    def __repr__(self) -> str:
        return f"<Material {self.id} {self.title}>"


class MaterialEdition(Base):
    """One edition of a material: the text as loaded and the structure found in it."""

    __tablename__ = "material_editions"
    __table_args__ = (
        UniqueConstraint("material_id", "number", name="uq_material_editions_material_number"),
        CheckConstraint(_in_list("unit_kind", UNIT_KINDS), name="unit_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... in loading order
    name: Mapped[str] = mapped_column(String(EDITION_NAME_MAX), default="")  # 2024年修订
    issued_on: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(TITLE_MAX), default="")  # the material's title when loaded
    filename: Mapped[str] = mapped_column(String(255), default="")
    text: Mapped[str] = mapped_column(Text)
    preamble: Mapped[str] = mapped_column(Text, default="")
    # [{"kind","label","title","anchor","children":[...]}]: the 编/章/节 tree for the table of contents
    outline: Mapped[list[Any]] = mapped_column(JSON, default=list)
    notes: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"text","after"}]
    unit_kind: Mapped[str] = mapped_column(String(10), default="article")  # article 条, section 一、（一）
    chapter_count: Mapped[int] = mapped_column(Integer, default=0)
    article_count: Mapped[int] = mapped_column(Integer, default=0)  # citable units
    revises_id: Mapped[int | None] = mapped_column(ForeignKey("material_editions.id", ondelete="SET NULL"))
    diff_counts: Mapped[dict[str, int] | None] = mapped_column(JSON)  # by status, when it revises an edition
    followed_questions: Mapped[int] = mapped_column(Integer, default=0)
    flagged_questions: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    material: Mapped[Material] = relationship(back_populates="editions", foreign_keys=[material_id])
    articles: Mapped[list[MaterialArticle]] = relationship(
        back_populates="edition", order_by="MaterialArticle.position", cascade="all, delete-orphan", passive_deletes=True,
    )

    @property
    def label(self) -> str:
        return self.name or f"第{self.number}版"

    def __repr__(self) -> str:
        return f"<MaterialEdition {self.id} m={self.material_id} #{self.number} {self.name}>"


class MaterialArticle(Base):
    """条款: one citable unit of an edition (第十二条, 第十二条之一, or 二、（三） in a policy text)."""

    __tablename__ = "material_articles"
    __table_args__ = (
        UniqueConstraint("edition_id", "position", name="uq_material_articles_edition_position"),
        Index("ix_material_articles_edition_id_ref", "edition_id", "ref"),
        CheckConstraint(_in_list("kind", UNIT_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("material_editions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # 0-based order in the edition
    kind: Mapped[str] = mapped_column(String(10), default="article")
    ref: Mapped[str] = mapped_column(String(REF_MAX))  # 第十二条之一 / 二、（三）
    number: Mapped[int] = mapped_column(Integer)
    suffix: Mapped[int] = mapped_column(Integer, default=0)  # Y of 第X条之Y
    path: Mapped[list[str]] = mapped_column(JSON, default=list)  # enclosing divisions: ["第二章", "第一节"]
    text: Mapped[str] = mapped_column(Text)  # paragraphs joined by newlines, without the label
    line: Mapped[int] = mapped_column(Integer, default=0)

    edition: Mapped[MaterialEdition] = relationship(back_populates="articles")

    @property
    def anchor(self) -> str:
        """The reader view's fragment id: art-12, art-12-1 (第十二条之一), sec-3 (a policy section)."""
        if self.kind == "section":
            return f"sec-{self.position + 1}"
        return f"art-{self.number}" + (f"-{self.suffix}" if self.suffix else "")

    def __repr__(self) -> str:
        return f"<MaterialArticle {self.id} e={self.edition_id} {self.ref}>"


class EditionChange(Base):
    """What became of the previous edition's articles in this edition (one row per change)."""

    __tablename__ = "material_changes"
    __table_args__ = (
        Index("ix_material_changes_edition_id_status", "edition_id", "status"),
        CheckConstraint(_in_list("status", CHANGE_STATUSES), name="status"),
        CheckConstraint(_in_list("kind", CHANGE_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("material_editions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # order in the revision report
    status: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(8), default="single")
    similarity: Mapped[float] = mapped_column(Float, default=0.0)
    references_only: Mapped[bool] = mapped_column(Boolean, default=False)
    moved: Mapped[bool] = mapped_column(Boolean, default=False)
    old_article_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    new_article_ids: Mapped[list[int]] = mapped_column(JSON, default=list)

    edition: Mapped[MaterialEdition] = relationship()

    def __repr__(self) -> str:
        return f"<EditionChange {self.id} e={self.edition_id} {self.status}>"


class ReviewFlag(Base):
    """Why a revision flagged a question 需复核, and how an organizer resolved it."""

    __tablename__ = "material_review_flags"
    __table_args__ = (
        Index("ix_material_review_flags_question_id", "question_id"),
        Index("ix_material_review_flags_edition_id", "edition_id"),
        CheckConstraint(_in_list("resolution", FLAG_RESOLUTIONS), name="resolution"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    edition_id: Mapped[int] = mapped_column(ForeignKey("material_editions.id", ondelete="CASCADE"))
    change_id: Mapped[int] = mapped_column(ForeignKey("material_changes.id", ondelete="CASCADE"))
    old_article_id: Mapped[int] = mapped_column(ForeignKey("material_articles.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(REASON_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resolution: Mapped[str | None] = mapped_column(String(10))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)

    change: Mapped[EditionChange] = relationship()
    old_article: Mapped[MaterialArticle] = relationship(foreign_keys=[old_article_id])

    def __repr__(self) -> str:
        return f"<ReviewFlag {self.id} q={self.question_id} {self.resolution or 'open'}>"


class ArticleDraft(Base):
    """题目草稿: a question generated from an article, waiting for an organizer's review."""

    __tablename__ = "material_drafts"
    __table_args__ = (
        Index("ix_material_drafts_material_id_status", "material_id", "status"),
        CheckConstraint(_in_list("status", DRAFT_STATUSES), name="status"),
        CheckConstraint(_in_list("kind", DRAFT_KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"))
    # whose queue it is in: the generating organizer's unit; organizers managing that unit review it
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("material_articles.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(20))  # fill_blank or true_false
    kind: Mapped[str] = mapped_column(String(20))  # what was blanked or changed
    stem: Mapped[str] = mapped_column(Text)
    answer: Mapped[Any] = mapped_column(JSON)
    explanation: Mapped[str] = mapped_column(Text, default="")  # the original sentence
    status: Mapped[str] = mapped_column(String(10), default="pending")
    edited: Mapped[bool] = mapped_column(Boolean, default=False)  # accepted after the reviewer changed it
    bank_id: Mapped[int | None] = mapped_column(ForeignKey("banks.id", ondelete="SET NULL"))
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)

    article: Mapped[MaterialArticle] = relationship()

    def __repr__(self) -> str:
        return f"<ArticleDraft {self.id} a={self.article_id} {self.type} {self.status}>"
