"""HR's operations on assessment plans and records: functions ``(session, actor, ...)`` that flush,
raise ``AssessmentError`` with a message HR can act on, and never commit.

``actor`` is the HR user (None = the system: CLI, seed data). A plan belongs to a unit in the
actor's reach; its cadres are the active users with the cadre role in the plan's unit subtree,
and every query listing them goes through ``scoped``. Changes are audit-logged through the
optional ``audit`` callback (``functools.partial(quiz.audit.services.record, session, actor, ...)``).

Computing (``compute_plan``) reads the facts (counted contest attempts through
``quiz.contests.leaderboard.counted_attempts``, the year's practice through
``quiz.practice.stats.yearly_practice``, the entries, exemptions and 学时), then writes one record
per cadre into the plan's current revision; if that revision is locked it writes the next one
and leaves the locked records untouched. Adjusting and locking refuse locked records.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select
from sqlalchemy.orm import Session, selectinload

from question_bank.db import utcnow
from question_bank.messages import N_
from quiz.accounts.models import OrgUnit, User, UserRole
from quiz.accounts.scope import can_reach_unit, scoped, subtree_ids
from quiz.assessment import rules
from quiz.assessment.models import HOURS_KEY, AssessmentEntry, AssessmentExemption, AssessmentPlan, AssessmentRecord
from quiz.assessment.rules import AssessmentError
from quiz.contests.leaderboard import counted_attempts
from quiz.contests.models import Attempt, Contest
from quiz.contests.services import begin_write_first
from quiz.practice.models import PracticeAnswer
from quiz.practice.services import day_start_utc
from quiz.practice.stats import yearly_practice

Audit = Callable[..., Any]
IN_CHUNK = 500
MOCK_PASS_SHARE = 0.6  # mock papers have no pass mark: a mock exam counts as passed at 60 % of its maximum
MAX_ANSWER_MS = 5 * 60 * 1000  # practice time counts at most five minutes per answer (a page left open is not study)


def _log(audit: Audit | None, action: str, **kwargs: Any) -> None:
    if audit is not None:
        audit(action, **kwargs)


# --- plans ------------------------------------------------------------------------------------

def _ancestor_ids(unit: OrgUnit) -> list[int]:
    return [int(p) for p in unit.path.strip("/").split("/") if p]


def plans_stmt(actor):
    """Plans the actor may open: those of a unit in their reach (which they manage) and those of
    a unit above them (a provincial plan, of which they see only their own subtree's records)."""
    return (select(AssessmentPlan)
            .where(or_(AssessmentPlan.org_unit_id.in_(subtree_ids(actor.org_unit)), AssessmentPlan.org_unit_id.in_(_ancestor_ids(actor.org_unit))))
            .order_by(AssessmentPlan.year.desc(), AssessmentPlan.id.desc()))


def can_manage_plan(actor, plan: AssessmentPlan) -> bool:
    """Editing, computing, adjusting, locking, exemptions and imports: the plan's unit lies in the actor's reach."""
    return actor is None or can_reach_unit(actor, plan.org_unit)


def get_plan(session: Session, actor, plan_id: int, *, manage: bool = False) -> AssessmentPlan:
    """The plan, if the actor may open it (``plans_stmt``), or manage it with ``manage``;
    otherwise not found (never forbidden: we do not confirm it exists)."""
    plan = session.get(AssessmentPlan, plan_id)
    if plan is None or actor is None:
        if plan is None:
            raise AssessmentError(N_("考核方案不存在或不在您的管理范围内"))
        return plan
    visible = can_reach_unit(actor, plan.org_unit) or plan.org_unit.contains(actor.org_unit)
    if not visible or (manage and not can_manage_plan(actor, plan)):
        raise AssessmentError(N_("考核方案不存在或不在您的管理范围内"))
    return plan


def available_contests(session: Session, actor) -> list[Contest]:
    """Contests a plan may use: published, closed or archived ones owned by a unit in the actor's
    reach or above it (a provincial contest is taken by the whole province)."""
    stmt = select(Contest).where(Contest.status != "draft").order_by(Contest.opens_at.desc())
    if actor is not None:
        path = actor.org_unit.path
        above = [int(p) for p in path.strip("/").split("/") if p]
        stmt = stmt.where(or_(Contest.org_unit_id.in_(subtree_ids(actor.org_unit)), Contest.org_unit_id.in_(above)))
    return list(session.scalars(stmt))


def component_keys(plan: AssessmentPlan) -> list[str]:
    return [c["key"] for c in plan.components or []]


def _used_keys(session: Session, plan: AssessmentPlan) -> set[str]:
    """Every key the plan has given: its components', and those its entries and exemptions still hold."""
    used = set(component_keys(plan))
    used.update(session.scalars(select(AssessmentEntry.component_key).where(AssessmentEntry.plan_id == plan.id).distinct()))
    used.update(session.scalars(select(AssessmentExemption.component_key).where(AssessmentExemption.plan_id == plan.id).distinct()))
    return used


def _assign_keys(components: list[dict[str, Any]], used: set[str]) -> list[dict[str, Any]]:
    """Give each component without a key a new one (``c<n>``, n above every ``c<n>`` in ``used``
    or in the list), so a key never moves to another component when rows are reordered or removed:
    the values entered and exemptions recorded for a key stay with their component."""
    numbers = [int(k[1:]) for k in used | {str(c.get("key") or "") for c in components} if k[:1] == "c" and k[1:].isdigit()]
    next_number = max(numbers, default=0) + 1
    out = []
    for raw in components:
        c = dict(raw)
        if c.get("kind") == "hours":
            c["key"] = HOURS_KEY
        elif not c.get("key"):
            c["key"], next_number = f"c{next_number}", next_number + 1
        out.append(c)
    return out


def _check_plan(session: Session, actor, fields: dict[str, Any], plan: AssessmentPlan | None = None) -> dict[str, Any]:
    out = dict(fields)
    out["title"] = str(fields.get("title") or "").strip()
    if not out["title"]:
        raise AssessmentError(N_("请填写方案名称"))
    year = int(fields.get("year") or 0)
    if not 2000 <= year <= 2100:
        raise AssessmentError(N_("考核年度应在 2000 到 2100 之间"))
    out["year"] = year
    unit = session.get(OrgUnit, int(fields.get("org_unit_id") or 0))
    if unit is None or (actor is not None and not can_reach_unit(actor, unit)):
        raise AssessmentError(N_("考核范围应为您管理范围内的单位"))
    used = _used_keys(session, plan) if plan is not None else set()
    out["components"] = rules.check_components(_assign_keys(fields.get("components") or [], used))
    allowed = {c.id for c in available_contests(session, actor)}
    for c in out["components"]:
        if c["kind"] == "contest" and c["contest_id"] not in allowed:
            raise AssessmentError(N_("“%(name)s”选择的竞赛不存在或不在您的范围内"), name=c["name"])
    out["grade_bands"] = rules.check_bands(fields.get("grade_bands") or rules.DEFAULT_BANDS)
    cap = fields.get("excellent_cap")
    if cap in (None, ""):
        out["excellent_cap"] = None
    else:
        cap = float(cap)
        if not 0 < cap <= 100:
            raise AssessmentError(N_("优秀比例上限应在 0 到 100 之间（百分比），不限制请留空"))
        out["excellent_cap"] = cap
    hours = float(fields.get("hours_required") if fields.get("hours_required") not in (None, "") else 50)
    if hours < 0:
        raise AssessmentError(N_("年度学时要求不能为负数"))
    out["hours_required"] = hours
    out["hours_rule"] = rules.check_hours_rule(fields.get("hours_rule") or rules.DEFAULT_HOURS_RULE)
    out["description"] = str(fields.get("description") or "")
    return out


PLAN_FIELDS = ("title", "year", "org_unit_id", "description", "components", "grade_bands", "excellent_cap", "hours_required", "hours_rule")


def create_plan(session: Session, actor, *, audit: Audit | None = None, **fields: Any) -> AssessmentPlan:
    values = _check_plan(session, actor, fields)
    plan = AssessmentPlan(**{k: values[k] for k in PLAN_FIELDS}, created_by=actor.id if actor is not None else None)
    session.add(plan)
    session.flush()
    _log(audit, "assessment.plan_create", target=plan, org_unit_id=plan.org_unit_id, summary=plan.title,
         after={k: values[k] for k in PLAN_FIELDS})
    return plan


def update_plan(session: Session, actor, plan: AssessmentPlan, *, audit: Audit | None = None, **fields: Any) -> AssessmentPlan:
    """Change the plan's settings. Records already computed keep the settings they were computed
    with (their snapshot); the next computation uses the new ones."""
    values = _check_plan(session, actor, fields, plan)
    before = {k: getattr(plan, k) for k in PLAN_FIELDS}
    for k in PLAN_FIELDS:
        setattr(plan, k, values[k])
    session.flush()
    _log(audit, "assessment.plan_update", target=plan, org_unit_id=plan.org_unit_id, summary=plan.title,
         before=before, after={k: values[k] for k in PLAN_FIELDS})
    return plan


# --- the facts --------------------------------------------------------------------------------

def eligible_cadres_stmt(plan: AssessmentPlan, actor=None):
    """Active users with the cadre role in the plan's unit subtree (and the actor's reach)."""
    stmt = (
        select(User).where(User.active.is_(True), User.org_unit_id.in_(subtree_ids(plan.org_unit)),
                           User.id.in_(select(UserRole.user_id).where(UserRole.role == "cadre")))
    )
    return scoped(stmt, actor, User.org_unit_id) if actor is not None else stmt


def year_bounds(year: int, tz=None):
    """[start, end) of the calendar year in naive UTC, the year taken in ``tz`` (QUIZ_TIMEZONE)."""
    return day_start_utc(date(year, 1, 1), tz), day_start_utc(date(year + 1, 1, 1), tz)


def credit_hours(session: Session, plan: AssessmentPlan, user_ids: list[int], *, tz=None) -> dict[int, dict[str, Any]]:
    """Each cadre's 学时 for the plan's year: {user id: {"passed_contests", "passed_mocks",
    "practice_minutes", "imported", "import_note", "contest_hours", "mock_hours", "practice_hours",
    "total", "required"}} by the plan's rule (see docs/guide-hr.md)."""
    rule = {**{k: 0.0 for k in rules.HOURS_RULE_KEYS}, **(plan.hours_rule or {})}
    start, end = year_bounds(plan.year, tz)
    first, last = date(plan.year, 1, 1), date(plan.year, 12, 31)
    out = {u: {"passed_contests": 0, "passed_mocks": 0, "practice_minutes": 0.0, "imported": 0.0, "import_note": ""} for u in user_ids}
    in_year = and_(Attempt.status != "in_progress", Attempt.submitted_at >= start, Attempt.submitted_at < end)
    mock_passed = and_(Attempt.kind == "mock", Attempt.max_score > 0, Attempt.score >= Attempt.max_score * MOCK_PASS_SHARE)
    capped_ms = case((PracticeAnswer.duration_ms > MAX_ANSWER_MS, MAX_ANSWER_MS), else_=func.coalesce(PracticeAnswer.duration_ms, 0))
    for i in range(0, len(user_ids), IN_CHUNK):
        chunk = user_ids[i:i + IN_CHUNK]
        for user_id, contests in session.execute(
            select(Attempt.user_id, func.count(Attempt.contest_id.distinct()))
            .where(Attempt.user_id.in_(chunk), Attempt.kind == "contest", Attempt.passed.is_(True), in_year)
            .group_by(Attempt.user_id)
        ):
            out[user_id]["passed_contests"] = contests
        for user_id, mocks in session.execute(
            select(Attempt.user_id, func.count()).where(Attempt.user_id.in_(chunk), mock_passed, in_year).group_by(Attempt.user_id)
        ):
            out[user_id]["passed_mocks"] = mocks
        for user_id, ms in session.execute(
            select(PracticeAnswer.user_id, func.sum(capped_ms))
            .where(PracticeAnswer.user_id.in_(chunk), PracticeAnswer.day.between(first, last)).group_by(PracticeAnswer.user_id)
        ):
            out[user_id]["practice_minutes"] = round(float(ms or 0) / 60000, 1)
        for entry in session.scalars(select(AssessmentEntry).where(
                AssessmentEntry.plan_id == plan.id, AssessmentEntry.component_key == HOURS_KEY, AssessmentEntry.user_id.in_(chunk))):
            out[entry.user_id].update(imported=entry.value, import_note=entry.note)
    for figures in out.values():
        figures["contest_hours"] = round(figures["passed_contests"] * rule["per_passed_contest"], 2)
        figures["mock_hours"] = round(figures["passed_mocks"] * rule["per_passed_mock"], 2)
        figures["practice_hours"] = round(figures["practice_minutes"] / 60 * rule["per_practice_hour"], 2)
        figures["total"] = round(figures["contest_hours"] + figures["mock_hours"] + figures["practice_hours"] + figures["imported"], 2)
        figures["required"] = plan.hours_required
    return out


def _contest_facts(session: Session, plan: AssessmentPlan, user_ids: list[int]) -> dict[int, dict[int, dict[str, Any]]]:
    """{component key: {user id: counted attempt}} for the plan's contest components (two
    components may read the same contest, one by the best attempt, one by the last)."""
    out: dict[int, dict[int, dict[str, Any]]] = {}
    wanted = set(user_ids)
    for c in plan.components:
        if c["kind"] != "contest":
            continue
        contest = session.get(Contest, c["contest_id"])
        if contest is None:
            out[c["key"]] = {}
            continue
        counted = counted_attempts(SimpleNamespace(id=contest.id, counts=c.get("counts") or contest.counts))
        rows = session.execute(select(counted.c.id, counted.c.user_id, counted.c.score, counted.c.max_score, counted.c.passed,
                                      counted.c.submitted_at))
        out[c["key"]] = {
            r.user_id: {"attempt_id": r.id, "contest": contest.title, "counts": c.get("counts") or contest.counts,
                        "score": r.score, "max_score": r.max_score, "passed": r.passed,
                        "submitted_at": r.submitted_at.isoformat(timespec="seconds") if r.submitted_at else None}
            for r in rows if r.user_id in wanted
        }
    return out


def gather_facts(session: Session, plan: AssessmentPlan, users: list[User], *, tz=None) -> dict[int, rules.Facts]:
    ids = [u.id for u in users]
    contests = _contest_facts(session, plan, ids)
    practice = yearly_practice(session, ids, plan.year, tz=tz)
    hours = credit_hours(session, plan, ids, tz=tz)
    entries: dict[int, dict[str, dict[str, Any]]] = {}
    for e in session.scalars(select(AssessmentEntry).where(AssessmentEntry.plan_id == plan.id, AssessmentEntry.component_key != HOURS_KEY)):
        entries.setdefault(e.user_id, {})[e.component_key] = {"value": e.value, "note": e.note}
    exemptions: dict[int, dict[str, str]] = {}
    for x in session.scalars(select(AssessmentExemption).where(AssessmentExemption.plan_id == plan.id)):
        exemptions.setdefault(x.user_id, {})[x.component_key] = x.reason
    facts = {}
    for uid in ids:
        p = practice[uid]
        facts[uid] = rules.Facts(
            contests={key: by_user.get(uid) for key, by_user in contests.items()},
            practice={"questions_practised": p.questions_practised, "graded": p.graded, "correct": p.correct,
                      "days_active": p.days_active, "mock_exams": p.mock_exams},
            entries=entries.get(uid, {}), exemptions=exemptions.get(uid, {}), hours=hours[uid],
        )
    return facts


def plan_snapshot(plan: AssessmentPlan) -> dict[str, Any]:
    return {"title": plan.title, "year": plan.year, "components": plan.components, "grade_bands": plan.grade_bands,
            "excellent_cap": plan.excellent_cap, "hours_required": plan.hours_required, "hours_rule": plan.hours_rule}


# --- computing, adjusting, locking --------------------------------------------------------------

@dataclass(frozen=True)
class ComputeResult:
    revision: int
    records: int
    new_revision: bool


def _hold(session: Session, plan: AssessmentPlan) -> None:
    """Begin the write and hold the plan's row (FOR UPDATE on PostgreSQL; SQLite's write lock
    already serialises), so two computations, locks or adjustments of one plan run one after the
    other, each on fresh figures."""
    begin_write_first(session)
    session.execute(select(AssessmentPlan.id).where(AssessmentPlan.id == plan.id).with_for_update())
    session.refresh(plan)


def compute_plan(session: Session, actor, plan: AssessmentPlan, *, now=None, tz=None, audit: Audit | None = None) -> ComputeResult:
    """Write a draft record for every eligible cadre. Into the current revision while it is a
    draft (its rows are replaced; an adjustment stays with its cadre and is re-applied); into a new
    revision when the current one is locked (the locked rows are kept as they are)."""
    _hold(session, plan)
    now = now or utcnow()
    new_revision = plan.current_revision == 0 or plan.current_locked
    revision = plan.current_revision + 1 if new_revision else plan.current_revision
    adjustments: dict[int, tuple[float, str, int | None, Any]] = {}
    if not new_revision:
        for old in session.scalars(select(AssessmentRecord).where(AssessmentRecord.plan_id == plan.id, AssessmentRecord.revision == revision)):
            if old.status == "locked":  # cannot happen while the revision is not locked; refuse rather than guess
                raise AssessmentError(N_("本方案的考核记录已锁定，不能重新计算到同一版本"))
            if old.adjusted_total is not None:
                adjustments[old.user_id] = (old.adjusted_total, old.adjust_reason, old.adjusted_by, old.adjusted_at)
        session.execute(delete(AssessmentRecord).where(AssessmentRecord.plan_id == plan.id, AssessmentRecord.revision == revision,
                                                       AssessmentRecord.status == "draft"))
    users = list(session.scalars(eligible_cadres_stmt(plan, actor).options(selectinload(User.org_unit)).order_by(User.id)))
    facts = gather_facts(session, plan, users, tz=tz)
    snapshot = plan_snapshot(plan)
    records = []
    for user in users:
        f = facts[user.id]
        total, parts = rules.compute_total(plan.components, f)
        inputs = {"plan": snapshot, "cadre": {"username": user.username, "name": user.name, "unit": user.org_unit.name,
                                              "position": user.position},
                  "practice": f.practice, "hours": f.hours, "exemptions": f.exemptions, "computed_at": now.isoformat(timespec="seconds")}
        record = AssessmentRecord(plan_id=plan.id, revision=revision, user_id=user.id, org_unit_id=user.org_unit_id, inputs=inputs,
                                  components=parts, computed_total=total, total=total, hours=f.hours["total"],
                                  hours_required=plan.hours_required, computed_at=now)
        if user.id in adjustments:
            record.adjusted_total, record.adjust_reason, record.adjusted_by, record.adjusted_at = adjustments[user.id]
            record.total = record.adjusted_total
        records.append(record)
    session.add_all(records)
    _grade(plan, records)
    plan.current_revision, plan.computed_at = revision, now
    session.flush()
    _log(audit, "assessment.compute", target=plan, org_unit_id=plan.org_unit_id, summary=f"{plan.title} r{revision}",
         after={"revision": revision, "records": len(records), "new_revision": new_revision})
    return ComputeResult(revision, len(records), new_revision)


def _grade(plan: AssessmentPlan, records: list[AssessmentRecord]) -> None:
    grades = rules.assign_grades({i: r.total for i, r in enumerate(records)}, plan.grade_bands, plan.excellent_cap)
    for i, r in enumerate(records):
        r.grade, r.grade_note, r.rank = grades[i]


def _revision_records(session: Session, plan: AssessmentPlan, revision: int) -> list[AssessmentRecord]:
    return list(session.scalars(select(AssessmentRecord).where(AssessmentRecord.plan_id == plan.id, AssessmentRecord.revision == revision)
                                .order_by(AssessmentRecord.id)))


def get_record(session: Session, actor, record_id: int) -> AssessmentRecord:
    """A record whose cadre's unit (at computation) and plan lie in the actor's reach."""
    record = session.get(AssessmentRecord, record_id)
    if record is None:
        raise AssessmentError(N_("考核记录不存在或不在您的管理范围内"))
    plan = record.plan
    if actor is not None and not (can_reach_unit(actor, record.org_unit)
                                  and (can_reach_unit(actor, plan.org_unit) or plan.org_unit.contains(actor.org_unit))):
        raise AssessmentError(N_("考核记录不存在或不在您的管理范围内"))
    return record


def adjust_record(session: Session, actor, record: AssessmentRecord, *, total: float | None, reason: str, now=None,
                  audit: Audit | None = None) -> AssessmentRecord:
    """Set (or, with ``total`` None, remove) HR's adjusted total with a reason; the revision's
    grades and ranks are worked out again (the 优秀 cap depends on everyone's totals)."""
    _hold(session, record.plan)
    session.refresh(record)
    if record.locked:
        raise AssessmentError(N_("该考核记录已锁定，不能再调整；如需更正，请重新计算生成新版本"))
    reason = (reason or "").strip()
    if not reason:
        raise AssessmentError(N_("请填写调整原因"))
    if total is not None and not 0 <= total <= 100:
        raise AssessmentError(N_("调整后的总分应在 0 到 100 之间"))
    before = {"total": record.total, "grade": record.grade, "adjusted_total": record.adjusted_total, "adjust_reason": record.adjust_reason}
    record.adjusted_total = round(total, 2) if total is not None else None
    record.adjust_reason = reason
    record.adjusted_by = actor.id if actor is not None else None
    record.adjusted_at = now or utcnow()
    record.total = record.adjusted_total if record.adjusted_total is not None else record.computed_total
    _grade(record.plan, _revision_records(session, record.plan, record.revision))
    session.flush()
    _log(audit, "assessment.adjust", target=record, org_unit_id=record.org_unit_id,
         summary=f"{record.inputs.get('cadre', {}).get('name', '')} {before['total']} → {record.total}：{reason}"[:500],
         before=before, after={"total": record.total, "grade": record.grade, "adjusted_total": record.adjusted_total, "adjust_reason": reason})
    return record


def lock_plan(session: Session, actor, plan: AssessmentPlan, *, now=None, audit: Audit | None = None) -> int:
    """Lock every record of the current revision; returns how many. Locked records never change."""
    _hold(session, plan)
    if plan.current_revision == 0:
        raise AssessmentError(N_("请先计算考核结果，再锁定"))
    if plan.current_locked:
        raise AssessmentError(N_("第 %(r)d 版考核记录已经锁定"), r=plan.current_revision)
    now = now or utcnow()
    records = _revision_records(session, plan, plan.current_revision)
    for r in records:
        r.status, r.locked_at, r.locked_by = "locked", now, actor.id if actor is not None else None
    plan.locked_revision = plan.current_revision
    session.flush()
    _log(audit, "assessment.lock", target=plan, org_unit_id=plan.org_unit_id, summary=f"{plan.title} r{plan.current_revision}",
         after={"revision": plan.current_revision, "records": len(records)})
    return len(records)


# --- exemptions and entries -----------------------------------------------------------------------

def _find_cadre(session: Session, actor, plan: AssessmentPlan, username: str) -> User:
    user = session.scalar(eligible_cadres_stmt(plan, actor).where(User.username == (username or "").strip()))
    if user is None:
        raise AssessmentError(N_("账号“%(u)s”不是本方案考核范围内的在职干部"), u=username)
    return user


def add_exemption(session: Session, actor, plan: AssessmentPlan, *, username: str, component_key: str, reason: str,
                  audit: Audit | None = None) -> AssessmentExemption:
    begin_write_first(session)
    user = _find_cadre(session, actor, plan, username)
    component = next((c for c in plan.components if c["key"] == component_key), None)
    if component is None:
        raise AssessmentError(N_("请选择免考的考核项目"))
    reason = (reason or "").strip()
    if not reason:
        raise AssessmentError(N_("请填写免考原因"))
    if len(reason) > 500:
        raise AssessmentError(N_("免考原因不能超过 500 字"))
    others = [c for c in plan.components if c["key"] != component_key]
    held = set(session.scalars(select(AssessmentExemption.component_key).where(AssessmentExemption.plan_id == plan.id,
                                                                               AssessmentExemption.user_id == user.id)))
    if component_key in held:
        raise AssessmentError(N_("%(name)s 的“%(c)s”已登记免考"), name=user.name, c=component["name"])
    if all(c["key"] in held for c in others):
        raise AssessmentError(N_("不能免考全部考核项目：%(name)s 至少要保留一项"), name=user.name)
    exemption = AssessmentExemption(plan_id=plan.id, user_id=user.id, component_key=component_key, reason=reason,
                                    created_by=actor.id if actor is not None else None)
    session.add(exemption)
    session.flush()
    _log(audit, "assessment.exempt", target=plan, org_unit_id=user.org_unit_id, summary=f"{user.name} {component['name']}：{reason}"[:500],
         after={"user_id": user.id, "component": component_key, "reason": reason})
    return exemption


def remove_exemption(session: Session, actor, plan: AssessmentPlan, exemption_id: int, *, audit: Audit | None = None) -> None:
    begin_write_first(session)
    exemption = session.get(AssessmentExemption, exemption_id)
    if exemption is None or exemption.plan_id != plan.id or (actor is not None and not can_reach_unit(actor, exemption.user.org_unit)):
        raise AssessmentError(N_("免考登记不存在"))
    _log(audit, "assessment.unexempt", target=plan, org_unit_id=exemption.user.org_unit_id,
         summary=f"{exemption.user.name} {exemption.component_key}", before={"user_id": exemption.user_id,
                                                                            "component": exemption.component_key, "reason": exemption.reason})
    session.delete(exemption)
    session.flush()


def exemptions(session: Session, actor, plan: AssessmentPlan) -> list[AssessmentExemption]:
    stmt = select(AssessmentExemption).join(User, User.id == AssessmentExemption.user_id).where(AssessmentExemption.plan_id == plan.id)
    if actor is not None:
        stmt = scoped(stmt, actor, User.org_unit_id)
    return list(session.scalars(stmt.options(selectinload(AssessmentExemption.user)).order_by(User.org_unit_id, User.username)))


def set_entries(session: Session, actor, plan: AssessmentPlan, key: str, values: Iterable[tuple[int, float, str]], *,
                audit: Audit | None = None) -> int:
    """Store (user id, value, note) for a manual component or 学时 (``key`` = ``"hours"``),
    replacing what the same cadres had; returns the count."""
    begin_write_first(session)
    rows = list(values)
    existing = {e.user_id: e for e in session.scalars(select(AssessmentEntry).where(
        AssessmentEntry.plan_id == plan.id, AssessmentEntry.component_key == key, AssessmentEntry.user_id.in_([r[0] for r in rows])))}
    now = utcnow()
    for user_id, value, note in rows:
        entry = existing.get(user_id)
        if entry is None:
            session.add(AssessmentEntry(plan_id=plan.id, component_key=key, user_id=user_id, value=value, note=note,
                                        entered_by=actor.id if actor is not None else None, entered_at=now))
        else:
            entry.value, entry.note, entry.entered_by, entry.entered_at = value, note, actor.id if actor is not None else None, now
    session.flush()
    _log(audit, "assessment.entries", target=plan, org_unit_id=plan.org_unit_id, summary=f"{plan.title} {key}: {len(rows)}",
         after={"component": key, "rows": len(rows)})
    return len(rows)


MAX_HOURS = 1000.0  # the most 学时 one cadre can be credited by an import or by hand


def entry_limit(plan: AssessmentPlan, key: str) -> float:
    """The largest value HR may enter for ``key``: a manual component's 满分, or MAX_HOURS for 学时."""
    if key == HOURS_KEY:
        return MAX_HOURS
    return next(float(c["max"]) for c in plan.components if c["key"] == key)


def cadre_entries(session: Session, plan: AssessmentPlan, user_id: int) -> dict[str, AssessmentEntry]:
    """{key: entry} of what HR entered or imported for one cadre in the plan."""
    return {e.component_key: e for e in session.scalars(select(AssessmentEntry).where(AssessmentEntry.plan_id == plan.id,
                                                                                      AssessmentEntry.user_id == user_id))}


def find_plan_cadre(session: Session, actor, plan: AssessmentPlan, user_id: int) -> User:
    """A cadre of the plan within the actor's reach; otherwise not found."""
    user = session.scalar(eligible_cadres_stmt(plan, actor).where(User.id == user_id))
    if user is None:
        raise AssessmentError(N_("该干部不在本方案考核范围内或不在您的管理范围内"))
    return user


def set_cadre_entries(session: Session, actor, plan: AssessmentPlan, user: User, values: dict[str, tuple[float | None, str]], *,
                      audit: Audit | None = None) -> int:
    """Enter or change, by hand, one cadre's values for the plan's manual components and extra 学时
    ({key: (value, note)}; value None removes what was entered). Like an import: the records already
    computed keep their figures (a locked one never changes); the next computation reads the new
    values. Returns how many values changed; each change is audit-logged with before and after."""
    begin_write_first(session)
    keys = manual_keys(plan)
    cleaned: dict[str, tuple[float | None, str]] = {}
    for key, (value, note) in values.items():
        if key not in keys:
            raise AssessmentError(N_("请选择要录入的项目"))
        note = (note or "").strip()
        if len(note) > 500:
            raise AssessmentError(N_("说明不能超过 500 字"))
        if value is not None:
            value = rules._number(value, N_("“%(name)s”应为数字"), name=keys[key])
            limit = entry_limit(plan, key)
            if not 0 <= value <= limit:
                raise AssessmentError(N_("“%(name)s”应在 0 到 %(max)s 之间"), name=keys[key], max=f"{limit:g}")
            value = round(value, 2)
        cleaned[key] = (value, note)
    existing = cadre_entries(session, plan, user.id)
    now = utcnow()
    before, after = {}, {}
    for key, (value, note) in cleaned.items():
        entry = existing.get(key)
        old = (entry.value, entry.note) if entry is not None else (None, "")
        if old == (value, note if value is not None else ""):
            continue
        before[key], after[key] = ({"value": old[0], "note": old[1]}, {"value": value, "note": note if value is not None else ""})
        if value is None:
            session.delete(entry)
        elif entry is None:
            session.add(AssessmentEntry(plan_id=plan.id, component_key=key, user_id=user.id, value=value, note=note,
                                        entered_by=actor.id if actor is not None else None, entered_at=now))
        else:
            entry.value, entry.note, entry.entered_by, entry.entered_at = value, note, actor.id if actor is not None else None, now
    session.flush()
    if after:
        summary = "；".join(f"{keys[k]} {before[k]['value'] if before[k]['value'] is not None else '—'} → "
                           f"{after[k]['value'] if after[k]['value'] is not None else '—'}" for k in after)
        _log(audit, "assessment.entry", target=plan, org_unit_id=user.org_unit_id, summary=f"{user.name}：{summary}"[:500],
             before={"user_id": user.id, **before}, after={"user_id": user.id, **after})
    return len(after)


def manual_keys(plan: AssessmentPlan) -> dict[str, str]:
    """What HR can import for this plan: {key: name}: 学时, then each manual component. The 学时 label
    is a message template (``N_``): the web layer shows it with ``gettext``; the keys never change."""
    out = {HOURS_KEY: N_("学时")}
    out.update({c["key"]: c["name"] for c in plan.components if c["kind"] == "manual"})
    return out


# --- reading records ------------------------------------------------------------------------------

SORTS = {
    "rank": (AssessmentRecord.total.desc(), AssessmentRecord.id),
    "name": (User.name, AssessmentRecord.id),
    "unit": (OrgUnit.path, AssessmentRecord.total.desc(), AssessmentRecord.id),
    "hours": (AssessmentRecord.hours.desc(), AssessmentRecord.id),
}


@dataclass
class RecordPage:
    records: list[AssessmentRecord]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def records_stmt(plan: AssessmentPlan, actor, *, revision: int | None = None, q: str = "", unit: OrgUnit | None = None,
                 grade: str = "", sort: str = "rank"):
    stmt = (
        select(AssessmentRecord).join(User, User.id == AssessmentRecord.user_id).join(OrgUnit, OrgUnit.id == AssessmentRecord.org_unit_id)
        .where(AssessmentRecord.plan_id == plan.id, AssessmentRecord.revision == (revision or plan.current_revision))
    )
    if actor is not None:
        stmt = scoped(stmt, actor, AssessmentRecord.org_unit_id)
    if unit is not None:
        stmt = stmt.where(AssessmentRecord.org_unit_id.in_(subtree_ids(unit)))
    if q.strip():
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(User.username.ilike(like), User.name.ilike(like)))
    if grade:
        stmt = stmt.where(AssessmentRecord.grade == grade)
    return stmt.order_by(*SORTS.get(sort, SORTS["rank"]))


def record_page(session: Session, plan: AssessmentPlan, actor, *, page: int = 1, per_page: int = 50, **filters: Any) -> RecordPage:
    stmt = records_stmt(plan, actor, **filters)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page = max(1, page)
    records = list(session.scalars(stmt.options(selectinload(AssessmentRecord.user), selectinload(AssessmentRecord.org_unit))
                                   .offset((page - 1) * per_page).limit(per_page)))
    return RecordPage(records, total, page, per_page)


def grade_counts(session: Session, plan: AssessmentPlan, actor, revision: int | None = None) -> list[tuple[str, int]]:
    """(grade, count) in the band order of the revision (as it was computed), for the actor's reach."""
    stmt = (select(AssessmentRecord.grade, func.count()).where(AssessmentRecord.plan_id == plan.id,
                                                              AssessmentRecord.revision == (revision or plan.current_revision))
            .group_by(AssessmentRecord.grade))
    if actor is not None:
        stmt = scoped(stmt, actor, AssessmentRecord.org_unit_id)
    counts = dict(session.execute(stmt).all())
    return [(name, counts.get(name, 0)) for name, _m in revision_bands(session, plan, revision)]


def revision_settings(session: Session, plan: AssessmentPlan, revision: int | None = None) -> dict[str, Any]:
    """The plan's settings a revision was computed with (its records' snapshot: components, grade
    bands …), which the plan may since have changed; the plan's own for a revision without records."""
    revision = revision or plan.current_revision
    inputs = session.scalar(select(AssessmentRecord.inputs).where(AssessmentRecord.plan_id == plan.id, AssessmentRecord.revision == revision)
                            .order_by(AssessmentRecord.id).limit(1))
    return {**plan_snapshot(plan), **((inputs or {}).get("plan") or {})}


def revision_bands(session: Session, plan: AssessmentPlan, revision: int | None = None) -> list[list[Any]]:
    return revision_settings(session, plan, revision)["grade_bands"]


def adjusted_count(session: Session, plan: AssessmentPlan, actor) -> int:
    """How many records of the current revision (in reach) carry an adjustment."""
    stmt = records_stmt(plan, actor).where(AssessmentRecord.adjusted_total.is_not(None)).order_by(None)
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def revisions(session: Session, plan: AssessmentPlan, actor) -> list[dict[str, Any]]:
    """Every revision of the plan, newest first: revision, records (in reach), computed_at, locked_at."""
    stmt = (select(AssessmentRecord.revision, func.count(), func.max(AssessmentRecord.computed_at), func.max(AssessmentRecord.locked_at),
                   func.avg(AssessmentRecord.total))
            .where(AssessmentRecord.plan_id == plan.id).group_by(AssessmentRecord.revision).order_by(AssessmentRecord.revision.desc()))
    if actor is not None:
        stmt = scoped(stmt, actor, AssessmentRecord.org_unit_id)
    return [{"revision": r, "records": n, "computed_at": c, "locked_at": lk, "average": round(float(avg), 2) if avg is not None else None}
            for r, n, c, lk, avg in session.execute(stmt)]


def my_records(session: Session, user) -> list[AssessmentRecord]:
    """The cadre's own records: for each plan, the newest revision that holds a record of theirs."""
    newest = (select(AssessmentRecord.plan_id, func.max(AssessmentRecord.revision).label("revision"))
              .where(AssessmentRecord.user_id == user.id).group_by(AssessmentRecord.plan_id).subquery())
    stmt = (select(AssessmentRecord).join(newest, and_(newest.c.plan_id == AssessmentRecord.plan_id, newest.c.revision == AssessmentRecord.revision))
            .where(AssessmentRecord.user_id == user.id).options(selectinload(AssessmentRecord.plan))
            .order_by(AssessmentRecord.plan_id.desc()))
    return list(session.scalars(stmt))


def hours_page(session: Session, plan: AssessmentPlan, actor, *, q: str = "", unit: OrgUnit | None = None, page: int = 1,
               per_page: int = 50, tz=None) -> tuple[list[tuple[User, dict[str, Any]]], int]:
    """The cadres in reach with their 学时 now (read live, not from records), and the count."""
    stmt = eligible_cadres_stmt(plan, actor)
    if unit is not None:
        stmt = stmt.where(User.org_unit_id.in_(subtree_ids(unit)))
    if q.strip():
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(User.username.ilike(like), User.name.ilike(like)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    users = list(session.scalars(stmt.options(selectinload(User.org_unit)).order_by(User.org_unit_id, User.username)
                                 .offset((max(1, page) - 1) * per_page).limit(per_page)))
    hours = credit_hours(session, plan, [u.id for u in users], tz=tz)
    return [(u, hours[u.id]) for u in users], total
