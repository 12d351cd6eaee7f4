"""Annual assessment tables (年度考核): plans, the facts HR enters, and the computed records.

- ``AssessmentPlan`` (考核方案): one year, one unit subtree, made by HR. ``components`` is a JSON
  list of the parts of the total, each ``{"key", "kind", "name", "weight", ...}`` (see
  ``quiz.assessment.rules`` for the kinds and their settings); ``grade_bands`` a JSON list of
  ``[name, minimum]`` from the best band down; ``excellent_cap`` the largest share (percent) of
  the best band, or None; ``hours_required`` and ``hours_rule`` the 学时 settings.
  ``current_revision`` is the revision the last computation wrote (0: never computed);
  ``locked_revision`` the last revision HR locked (0: none). A computation after a lock writes
  ``current_revision + 1`` and leaves the locked rows as they were.
- ``AssessmentRecord`` (考核记录): one cadre in one revision of a plan: the inputs read at
  computation (``inputs``, a JSON snapshot including the plan's settings), each component's value
  and contribution (``components``), the computed total, an optional adjustment with its reason,
  the total that counts, the grade and the rank. ``org_unit_id`` is the cadre's unit at
  computation: scoping reads it. A record whose ``status`` is ``locked`` never changes: the
  services refuse, and a mapper hook refuses any UPDATE or DELETE of a locked row as a last guard.
- ``AssessmentExemption`` (免考): a cadre excused from one component of a plan, with the reason;
  the component is left out of that cadre's total and the other weights are scaled up.
- ``AssessmentEntry``: a value HR entered or imported for one cadre: a manual component's score
  (``component_key``) or imported 学时 (``component_key`` = ``"hours"``), with its 说明.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from question_bank.db import Base, utcnow

RECORD_STATUSES = ("draft", "locked")
HOURS_KEY = "hours"  # AssessmentEntry.component_key of imported 学时
TITLE_MAX = 200


class AssessmentPlan(Base):
    __tablename__ = "assessment_plans"
    __table_args__ = (
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year"),
        CheckConstraint("excellent_cap IS NULL OR (excellent_cap > 0 AND excellent_cap <= 100)", name="excellent_cap"),
        CheckConstraint("hours_required >= 0", name="hours_required"),
        Index("ix_assessment_plans_org_unit_id_year", "org_unit_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    year: Mapped[int] = mapped_column(Integer)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    grade_bands: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)
    excellent_cap: Mapped[float | None] = mapped_column(Float)
    hours_required: Mapped[float] = mapped_column(Float, default=50.0)
    hours_rule: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    current_revision: Mapped[int] = mapped_column(Integer, default=0)
    locked_revision: Mapped[int] = mapped_column(Integer, default=0)
    computed_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    org_unit = relationship("OrgUnit")

    @property
    def current_locked(self) -> bool:
        return self.current_revision > 0 and self.locked_revision == self.current_revision

    def __repr__(self) -> str:
        return f"<AssessmentPlan {self.id} {self.year}>"


class AssessmentRecord(Base):
    __tablename__ = "assessment_records"
    __table_args__ = (
        UniqueConstraint("plan_id", "revision", "user_id", name="uq_assessment_records_plan_revision_user"),
        CheckConstraint("status IN ('draft', 'locked')", name="status"),
        Index("ix_assessment_records_org_unit_id", "org_unit_id"),
        Index("ix_assessment_records_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("assessment_plans.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    computed_total: Mapped[float] = mapped_column(Float, default=0.0)
    adjusted_total: Mapped[float | None] = mapped_column(Float)
    adjust_reason: Mapped[str] = mapped_column(Text, default="")
    adjusted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    adjusted_at: Mapped[datetime | None] = mapped_column(DateTime)
    total: Mapped[float] = mapped_column(Float, default=0.0)
    grade: Mapped[str] = mapped_column(String(20), default="")
    grade_note: Mapped[str] = mapped_column(String(40), default="")  # "capped": moved down by the 优秀 cap
    rank: Mapped[int | None] = mapped_column(Integer)
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    hours_required: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    locked_at: Mapped[datetime | None] = mapped_column(DateTime)
    locked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    plan: Mapped[AssessmentPlan] = relationship()
    user = relationship("User", foreign_keys=[user_id])
    org_unit = relationship("OrgUnit")

    @property
    def locked(self) -> bool:
        return self.status == "locked"

    @property
    def hours_met(self) -> bool:
        return self.hours >= self.hours_required

    def __repr__(self) -> str:
        return f"<AssessmentRecord {self.id} p={self.plan_id} r{self.revision} u={self.user_id} {self.status}>"


class LockedRecordError(RuntimeError):
    """A write reached a locked assessment record: a bug, since the services refuse first."""


@event.listens_for(AssessmentRecord, "before_update")
def _refuse_changing_locked(_mapper, _connection, target: AssessmentRecord) -> None:
    status = inspect(target).attrs.status.history
    was = (status.deleted or status.unchanged or [None])[0]
    if was == "locked":
        raise LockedRecordError(f"assessment record {target.id} is locked")


@event.listens_for(AssessmentRecord, "before_delete")
def _refuse_deleting_locked(_mapper, _connection, target: AssessmentRecord) -> None:
    if target.status == "locked":
        raise LockedRecordError(f"assessment record {target.id} is locked")


class AssessmentExemption(Base):
    __tablename__ = "assessment_exemptions"
    __table_args__ = (UniqueConstraint("plan_id", "user_id", "component_key", name="uq_assessment_exemptions_plan_user_component"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("assessment_plans.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    component_key: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user = relationship("User", foreign_keys=[user_id])


class AssessmentEntry(Base):
    __tablename__ = "assessment_entries"
    __table_args__ = (
        UniqueConstraint("plan_id", "component_key", "user_id", name="uq_assessment_entries_plan_component_user"),
        CheckConstraint("value >= 0", name="value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("assessment_plans.id", ondelete="CASCADE"), index=True)
    component_key: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(String(500), default="")
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
