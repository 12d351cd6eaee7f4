"""The organizer's operations on papers and contests. Functions ``(session, actor, ...)`` that
flush, raise ``ContestError`` with a message the organizer can act on, and never commit.

``actor`` is a ``quiz.accounts.models.User`` (None = the system: CLI, seed data). An organizer
manages papers and contests owned by units in their subtree; eligibility may only name units in
that subtree; rules may only draw from banks the organizer may use (``can_use_bank``).
Changes to contests are audit-logged through the optional ``audit`` callback, which is called as
``audit(action, target=..., org_unit_id=..., summary=..., before=..., after=...)`` (pass
``functools.partial(quiz.audit.services.record, session, actor, ip_address=ip)``).

Lifecycle: draft → published (papers drawn, versions locked) → [running: derived from the
window] → closed (at closes_at, or early by ``close_contest``) → archived. Once published, only
``LIVE_EDITABLE`` settings may change (each change audit-logged); moving ``closes_at`` re-caps the
deadlines of attempts in progress.
"""
from __future__ import annotations

import random
import secrets
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import SAWarning
from sqlalchemy.orm import Session

from question_bank.db import begin_write, utcnow
from question_bank.grading import MultiplePolicy
from question_bank.messages import BankError, N_
from question_bank.models import Bank, KnowledgePoint, Question, QuestionVersion, mark_used, version_knowledge_points
from question_bank.services import can_use_bank
from quiz.accounts.models import ROLES, OrgUnit, User
from quiz.contests import papers as paper_rules
from quiz.contests.errors import ContestError
from quiz.contests.models import (
    COUNTS,
    DEFAULT_POOL_SIZE,
    LEADERBOARDS,
    PAPER_DRAWS,
    PAPER_MODES,
    RELEASES,
    TITLE_MAX,
    Attempt,
    Contest,
    Paper,
    PaperItem,
    PaperRule,
    PaperVariant,
)

Audit = Callable[..., Any]
MAX_POOL_SIZE = 500
MAX_TIME_LIMIT_MINUTES = 24 * 60

# Settings a contest may change once published (everything else would change what cadres
# already started under). Each change is audit-logged with before/after.
LIVE_EDITABLE = frozenset({"title", "notice", "closes_at", "pass_score", "release", "review_after_close", "leaderboard", "one_page"})
CONTEST_SETTINGS = frozenset({
    "notice", "time_limit_minutes", "attempts_allowed", "counts", "eligible_unit_ids", "eligible_roles", "pass_score",
    "release", "review_after_close", "leaderboard", "one_page", "count_tab_switches", "count_pastes",
    "auto_submit_after_switches",
})


@dataclass
class RuleSpec:
    """One draw rule as the editor submits it (see ``models.PaperRule``)."""

    bank_ids: list[int]
    count: int
    points_each: float = 1.0
    subject_id: int | None = None
    knowledge_point_ids: list[int] = field(default_factory=list)
    type: str | None = None
    difficulty_min: int = 1
    difficulty_max: int = 5


def begin_write_first(session: Session) -> None:
    """``begin_write`` (BEGIN IMMEDIATE on SQLite), first thing in every writing service, before
    any read: the decision and the write then share one locked transaction. In a session that
    already holds a transaction it changes nothing (the caller chose how it began)."""
    if session.in_transaction() and session.info.get("write_transaction") is session.get_transaction():
        return  # begun as a writer by quiz.db.begin_writer: skip the warning machinery (a save's hot path)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Connection is already established", SAWarning)
        begin_write(session)


def _log(audit: Audit | None, action: str, **kwargs: Any) -> None:
    if audit is not None:
        audit(action, **kwargs)


def _ancestor_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


def _unit_path(session: Session, unit_id: int) -> str | None:
    return session.scalar(select(OrgUnit.path).where(OrgUnit.id == unit_id))


def can_manage(session: Session, actor, org_unit_id: int) -> bool:
    """May ``actor`` manage papers/contests owned by this unit: the system, or an organizer above it."""
    if actor is None:
        return True
    if not actor.has_role("organizer"):
        return False
    path = _unit_path(session, org_unit_id)
    return path is not None and path.startswith(actor.org_unit.path)


def _require_manage(session: Session, actor, org_unit_id: int) -> None:
    if not can_manage(session, actor, org_unit_id):
        raise ContestError("forbidden", N_("无权管理该单位的试卷或竞赛"))


def manageable_contests_stmt(actor):
    """SELECT Contest owned in the actor's subtree (all contests for the system)."""
    stmt = select(Contest).order_by(Contest.opens_at.desc(), Contest.id.desc())
    if actor is not None:
        low, high = actor.org_unit.subtree_range
        stmt = stmt.where(Contest.org_unit_id.in_(select(OrgUnit.id).where(OrgUnit.path >= low, OrgUnit.path < high)))
    return stmt


def get_manageable_contest(session: Session, actor, contest_id: int) -> Contest:
    contest = session.get(Contest, contest_id)
    if contest is None or not can_manage(session, actor, contest.org_unit_id):
        raise ContestError("not_found", N_("竞赛不存在"))
    return contest


# --- papers -----------------------------------------------------------------------------------

def _paper_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "title" in fields:
        title = (fields["title"] or "").strip()
        if not title:
            raise ContestError("invalid", N_("试卷名称不能为空"))
        if len(title) > TITLE_MAX:
            raise ContestError("invalid", N_("名称不能超过 %(n)d 个字"), n=TITLE_MAX)
        out["title"] = title
    if fields.get("mode") is not None:
        if fields["mode"] not in PAPER_MODES:
            raise ContestError("invalid", N_("组卷方式应为固定题目或按规则抽题"))
        out["mode"] = fields["mode"]
    if fields.get("draw") is not None:
        if fields["draw"] not in PAPER_DRAWS:
            raise ContestError("invalid", N_("发卷方式应为统一试卷或千人千卷"))
        out["draw"] = fields["draw"]
    for name in ("shuffle_questions", "shuffle_options"):
        if fields.get(name) is not None:
            out[name] = bool(fields[name])
    if fields.get("multiple_mode") is not None or fields.get("multiple_fraction") is not None:
        try:
            policy = MultiplePolicy(fields.get("multiple_mode") or "all_or_nothing",
                                    0.5 if fields.get("multiple_fraction") is None else fields["multiple_fraction"])
        except BankError as exc:
            raise ContestError("invalid", exc.message.template, **exc.message.params) from None
        out["multiple_mode"], out["multiple_fraction"] = policy.mode, float(policy.partial_fraction)
    if fields.get("pool_size") is not None:
        size = fields["pool_size"]
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_POOL_SIZE:
            raise ContestError("invalid", N_("千人千卷预先抽取的试卷份数应在 1 到 %(max)d 之间"), max=MAX_POOL_SIZE)
        out["pool_size"] = size
    return out


def _rules(session: Session, actor, specs: Iterable[RuleSpec]) -> list[PaperRule]:
    rules = []
    for position, spec in enumerate(specs, start=1):
        bank_ids = sorted({int(b) for b in spec.bank_ids})
        banks = list(session.scalars(select(Bank).where(Bank.id.in_(bank_ids)))) if bank_ids else []
        if len(banks) != len(bank_ids) or any(not can_use_bank(session, actor, b) for b in banks):
            raise ContestError("invalid", N_("第 %(n)d 条组卷规则选择了不存在或无权使用的题库"), n=position)
        if not isinstance(spec.count, int) or spec.count < 1:
            raise ContestError("invalid", N_("第 %(n)d 条组卷规则的题数应至少为 1"), n=position)
        if spec.points_each is None or spec.points_each < 0:
            raise ContestError("invalid", N_("第 %(n)d 条组卷规则的每题分值不能为负数"), n=position)
        if not (1 <= spec.difficulty_min <= spec.difficulty_max <= 5):
            raise ContestError("invalid", N_("第 %(n)d 条组卷规则的难度范围应在 1 到 5 之间，且下限不大于上限"), n=position)
        rules.append(PaperRule(
            position=position, bank_ids=bank_ids, subject_id=spec.subject_id,
            knowledge_point_ids=sorted({int(k) for k in spec.knowledge_point_ids or []}), type=spec.type or None,
            difficulty_min=spec.difficulty_min, difficulty_max=spec.difficulty_max, count=spec.count,
            points_each=float(spec.points_each),
        ))
    return rules


def _items(session: Session, actor, items: Iterable[tuple[int, float]]) -> list[PaperItem]:
    pairs = [(int(q), float(p)) for q, p in items]
    ids = [q for q, _p in pairs]
    if len(set(ids)) != len(ids):
        raise ContestError("invalid", N_("同一道题不能在试卷中出现两次"))
    questions = {q.id: q for q in session.scalars(select(Question).where(Question.id.in_(ids)))} if ids else {}
    out = []
    for position, (qid, points) in enumerate(pairs, start=1):
        question = questions.get(qid)
        if question is None or not can_use_bank(session, actor, question.bank):
            raise ContestError("invalid", N_("第 %(n)d 题不存在或所在题库无权使用"), n=position)
        if points < 0:
            raise ContestError("invalid", N_("第 %(n)d 题的分值不能为负数"), n=position)
        out.append(PaperItem(position=position, question_id=qid, points=points))
    return out


def create_paper(session: Session, actor, *, title: str, org_unit_id: int, mode: str = "rules", draw: str = "shared",
                 rules: Iterable[RuleSpec] = (), items: Iterable[tuple[int, float]] = (), shuffle_questions: bool = True,
                 shuffle_options: bool = True, multiple_mode: str = "all_or_nothing", multiple_fraction: float = 0.5,
                 pool_size: int | None = None, audit: Audit | None = None) -> Paper:
    """A new paper: ``rules`` (mode 'rules') or ``items`` = [(question_id, points)] (mode 'fixed').

    The rules are stored even if the banks cannot satisfy them yet (the editor shows
    ``papers.check_rules``); publishing a contest refuses an unsatisfiable paper.
    """
    _require_manage(session, actor, org_unit_id)
    values = _paper_fields(dict(title=title, mode=mode, draw=draw, shuffle_questions=shuffle_questions,
                                shuffle_options=shuffle_options, multiple_mode=multiple_mode,
                                multiple_fraction=multiple_fraction, pool_size=pool_size or DEFAULT_POOL_SIZE))
    paper = Paper(org_unit_id=org_unit_id, created_by=actor.id if actor is not None else None, **values)
    paper.rules = _rules(session, actor, rules) if values["mode"] == "rules" else []
    paper.items = _items(session, actor, items) if values["mode"] == "fixed" else []
    session.add(paper)
    session.flush()
    _log(audit, "paper.create", target=paper, org_unit_id=org_unit_id, summary=paper.title)
    return paper


def _paper_in_use(session: Session, paper: Paper) -> bool:
    return session.scalar(select(func.count()).select_from(Contest).where(Contest.paper_id == paper.id, Contest.status != "draft")) > 0


def update_paper(session: Session, actor, paper: Paper, *, rules: Iterable[RuleSpec] | None = None,
                 items: Iterable[tuple[int, float]] | None = None, audit: Audit | None = None, **fields: Any) -> Paper:
    """Change a paper (same keywords as ``create_paper``; None leaves a part as it is).

    Refused once a published contest uses it: its variants were drawn from it, and attempts
    grade by its policy. Copy the paper instead (``copy_paper``).
    """
    _require_manage(session, actor, paper.org_unit_id)
    if _paper_in_use(session, paper):
        raise ContestError("conflict", N_("试卷已被已发布的竞赛使用，不能再修改；请复制一份再改"))
    values = _paper_fields(fields)
    for name, value in values.items():
        setattr(paper, name, value)
    if rules is not None:
        paper.rules = _rules(session, actor, rules)
        session.flush()
    if items is not None:
        paper.items = []
        session.flush()  # positions are the primary key: drop the old rows before adding the new
        paper.items = _items(session, actor, items)
    session.flush()
    _log(audit, "paper.update", target=paper, org_unit_id=paper.org_unit_id, summary=paper.title)
    return paper


def copy_paper(session: Session, actor, paper: Paper, *, title: str | None = None, audit: Audit | None = None) -> Paper:
    """A draft copy of a paper (to change a paper a published contest uses)."""
    return create_paper(
        session, actor, title=title or f"{paper.title}（副本）", org_unit_id=paper.org_unit_id, mode=paper.mode, draw=paper.draw,
        rules=[RuleSpec(r.bank_ids, r.count, r.points_each, r.subject_id, list(r.knowledge_point_ids or []), r.type,
                        r.difficulty_min, r.difficulty_max) for r in paper.rules],
        items=[(i.question_id, i.points) for i in paper.items], shuffle_questions=paper.shuffle_questions,
        shuffle_options=paper.shuffle_options, multiple_mode=paper.multiple_mode, multiple_fraction=paper.multiple_fraction,
        pool_size=paper.pool_size, audit=audit,
    )


# --- contests ---------------------------------------------------------------------------------

def _int_or_none(value: Any, name: str, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ContestError("invalid", N_("%(name)s应为 %(low)d 到 %(high)d 之间的整数"), name=name, low=low, high=high)
    return value


def _contest_settings(session: Session, actor, settings: dict[str, Any]) -> dict[str, Any]:
    """Validated Contest column values from the editor's settings."""
    unknown = set(settings) - CONTEST_SETTINGS - {"title", "opens_at", "closes_at"}
    if unknown:
        raise TypeError(f"unknown contest settings: {sorted(unknown)}")
    out: dict[str, Any] = {}
    for name, value in settings.items():
        if name == "title":
            title = (value or "").strip()
            if not title:
                raise ContestError("invalid", N_("竞赛名称不能为空"))
            if len(title) > TITLE_MAX:
                raise ContestError("invalid", N_("名称不能超过 %(n)d 个字"), n=TITLE_MAX)
            out[name] = title
        elif name == "notice":
            out[name] = (value or "").strip()
        elif name in ("opens_at", "closes_at"):
            if not isinstance(value, datetime):
                raise ContestError("invalid", N_("请填写竞赛的开始和结束时间"))
            out[name] = value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(tz=None).replace(tzinfo=None)
        elif name == "time_limit_minutes":
            out[name] = _int_or_none(value, "答题时长（分钟）", 1, MAX_TIME_LIMIT_MINUTES)
        elif name == "attempts_allowed":
            out[name] = _int_or_none(value, "允许作答次数", 1, 100) or 1
        elif name == "auto_submit_after_switches":
            out[name] = _int_or_none(value, "切屏自动交卷次数", 1, 1000)
        elif name == "counts":
            if value not in COUNTS:
                raise ContestError("invalid", N_("多次作答时应取最高分或最后一次"))
            out[name] = value
        elif name == "release":
            if value not in RELEASES:
                raise ContestError("invalid", N_("成绩公布方式应为交卷后、竞赛结束后或手动公布"))
            out[name] = value
        elif name == "leaderboard":
            if value not in LEADERBOARDS:
                raise ContestError("invalid", N_("排行榜应为不公开、结束后公开或实时公开"))
            out[name] = value
        elif name == "pass_score":
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                raise ContestError("invalid", N_("及格分不能为负数"))
            out[name] = None if value is None else float(value)
        elif name == "eligible_roles":
            roles = sorted(set(value or []))
            if set(roles) - set(ROLES):
                raise ContestError("invalid", N_("参赛角色无法识别"))
            out[name] = roles
        elif name == "eligible_unit_ids":
            ids = sorted({int(u) for u in value or []})
            for unit_id in ids:
                path = _unit_path(session, unit_id)
                if path is None or (actor is not None and not path.startswith(actor.org_unit.path)):
                    raise ContestError("invalid", N_("参赛范围只能选择本单位及下级单位"))
            out[name] = ids
        else:
            out[name] = bool(value)
    return out


def _check_window(opens_at: datetime, closes_at: datetime) -> None:
    if opens_at >= closes_at:
        raise ContestError("invalid", N_("竞赛的结束时间应晚于开始时间"))


def create_contest(session: Session, actor, *, title: str, paper: Paper, opens_at: datetime, closes_at: datetime,
                   org_unit_id: int | None = None, audit: Audit | None = None, **settings: Any) -> Contest:
    """A draft contest owned by ``org_unit_id`` (default: the paper's unit).

    ``settings`` are Contest columns: notice, time_limit_minutes (None = the whole window),
    attempts_allowed, counts, eligible_unit_ids (default: the owner's subtree), eligible_roles
    (default: cadres), pass_score, release, review_after_close, leaderboard, one_page,
    count_tab_switches, count_pastes, auto_submit_after_switches.
    """
    org_unit_id = org_unit_id if org_unit_id is not None else paper.org_unit_id
    _require_manage(session, actor, org_unit_id)
    _require_manage(session, actor, paper.org_unit_id)
    values = _contest_settings(session, actor, {"title": title, "opens_at": opens_at, "closes_at": closes_at, **settings})
    _check_window(values["opens_at"], values["closes_at"])
    contest = Contest(org_unit_id=org_unit_id, paper=paper, status="draft",
                      created_by=actor.id if actor is not None else None, **values)
    session.add(contest)
    session.flush()
    _log(audit, "contest.create", target=contest, org_unit_id=org_unit_id, summary=contest.title)
    return contest


def _state(contest: Contest, names: Iterable[str]) -> dict[str, Any]:
    out = {}
    for name in names:
        value = getattr(contest, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def update_contest(session: Session, actor, contest: Contest, *, now: datetime | None = None,
                   audit: Audit | None = None, **changes: Any) -> Contest:
    """Change settings (and ``paper``, while a draft). Once published only ``LIVE_EDITABLE`` may
    change; a new ``closes_at`` must lie in the future and re-caps in-progress deadlines.
    Every change is audit-logged with before and after values."""
    now = now or utcnow()
    begin_write_first(session)
    _require_manage(session, actor, contest.org_unit_id)
    if contest.status == "archived":
        raise ContestError("conflict", N_("竞赛已归档，不能修改"))
    paper = changes.pop("paper", None)
    values = _contest_settings(session, actor, changes)
    values = {k: v for k, v in values.items() if getattr(contest, k) != v}
    if contest.status != "draft":
        locked = sorted(set(values) - LIVE_EDITABLE)
        if locked or paper is not None:
            raise ContestError("conflict", N_("竞赛已发布，试卷、时长、次数、参赛范围等设置不能再修改"))
        if "closes_at" in values and (contest.phase(now) == "closed" or values["closes_at"] <= now):
            raise ContestError("conflict", N_("只能把未结束竞赛的结束时间改到将来"))
    if not values and paper is None:
        return contest
    _check_window(values.get("opens_at", contest.opens_at), values.get("closes_at", contest.closes_at))
    before = _state(contest, values)
    for name, value in values.items():
        setattr(contest, name, value)
    if paper is not None:
        _require_manage(session, actor, paper.org_unit_id)
        contest.paper = paper
    session.flush()
    if contest.status != "draft" and "closes_at" in values:
        _recap_deadlines(session, contest)
    _log(audit, "contest.update", target=contest, org_unit_id=contest.org_unit_id, summary=contest.title,
         before=before, after=_state(contest, values))
    return contest


def _recap_deadlines(session: Session, contest: Contest) -> None:
    """After closes_at moved: deadline = min(started_at + limit + extra, closes_at) for attempts in progress."""
    attempts = session.scalars(
        select(Attempt).where(Attempt.contest_id == contest.id, Attempt.status == "in_progress").with_for_update()
    )
    for attempt in attempts:
        attempt.deadline = contest.deadline_for(attempt.started_at, attempt.extra_seconds)
    session.flush()


def publish_contest(session: Session, actor, contest: Contest, *, now: datetime | None = None,
                    seed: int | None = None, audit: Audit | None = None) -> Contest:
    """Validate the paper, draw its variants and lock their versions, then publish.

    One paper for everyone (or a fixed paper): one variant. 千人千卷: ``paper.pool_size``
    variants, so a start copies one of them instead of searching the bank (a start costs a
    handful of queries whatever the bank or contest size). Every version shown is ``mark_used``
    here, in the same transaction, so no edit slips in between drawing and showing.
    """
    now = now or utcnow()
    begin_write_first(session)
    _require_manage(session, actor, contest.org_unit_id)
    if contest.status != "draft":
        raise ContestError("conflict", N_("竞赛已发布"))
    if contest.closes_at <= now:
        raise ContestError("invalid", N_("竞赛的结束时间已过，请先修改时间再发布"))
    paper = contest.paper
    count = paper.pool_size if (paper.mode == "rules" and paper.draw == "per_attempt") else 1
    rng = random.Random(seed if seed is not None else secrets.randbits(64))
    variants = paper_rules.draw_variants(session, paper, count, rng)
    version_ids = {vid for items in variants for _q, vid, _p in items}
    option_counts = {  # stored with each item so a start can shuffle options without reading versions
        vid: len(options or []) if qtype in ("single", "multiple") else 0
        for vid, qtype, options in session.execute(
            select(QuestionVersion.id, QuestionVersion.type, QuestionVersion.options).where(QuestionVersion.id.in_(version_ids))
        )
    }
    session.add_all(PaperVariant(contest_id=contest.id, number=n, items=[[q, v, p, option_counts[v]] for q, v, p in items])
                    for n, items in enumerate(variants))
    mark_used(session, version_ids)
    contest.variant_count = count
    contest.status = "published"
    contest.published_at = now
    session.flush()
    _log(audit, "contest.publish", target=contest, org_unit_id=contest.org_unit_id, summary=contest.title,
         after={"variants": count, "questions": len(variants[0]) if variants else 0})
    return contest


def close_contest(session: Session, actor, contest: Contest, *, now: datetime | None = None,
                  audit: Audit | None = None) -> int:
    """Close early (audited): closes_at = now and every attempt in progress gets deadline = now
    (one UPDATE). Those attempts are finalised with what was saved once the network grace has
    passed (on access, by the leaderboard, or ``quiz close-expired``). Returns how many attempts
    were cut short."""
    now = now or utcnow()
    begin_write_first(session)
    _require_manage(session, actor, contest.org_unit_id)
    if contest.status != "published" or contest.phase(now) == "closed":
        raise ContestError("conflict", N_("只有未结束的已发布竞赛才能提前结束"))
    before = _state(contest, ("status", "closes_at"))
    cut = session.execute(
        update(Attempt).where(Attempt.contest_id == contest.id, Attempt.status == "in_progress", Attempt.deadline > now)
        .values(deadline=now)
    ).rowcount or 0
    contest.status = "closed"
    contest.closed_at = now
    if contest.opens_at < now < contest.closes_at:  # (closed before it opened: the window stays valid)
        contest.closes_at = now
    session.flush()
    _log(audit, "contest.close", target=contest, org_unit_id=contest.org_unit_id, summary=contest.title,
         before=before, after={**_state(contest, ("status", "closes_at")), "attempts_cut": cut})
    return cut


def archive_contest(session: Session, actor, contest: Contest, *, now: datetime | None = None,
                    audit: Audit | None = None) -> Contest:
    """Archive a closed (or never published) contest: hidden from cadres' lists, results kept."""
    now = now or utcnow()
    _require_manage(session, actor, contest.org_unit_id)
    if contest.status == "published" and contest.phase(now) != "closed":
        raise ContestError("conflict", N_("竞赛尚未结束，不能归档"))
    before = _state(contest, ("status",))
    contest.status = "archived"
    session.flush()
    _log(audit, "contest.archive", target=contest, org_unit_id=contest.org_unit_id, summary=contest.title,
         before=before, after={"status": "archived"})
    return contest


def release_results(session: Session, actor, contest: Contest, *, audit: Audit | None = None) -> Contest:
    """For release='manual': let cadres see their results (audited)."""
    _require_manage(session, actor, contest.org_unit_id)
    if not contest.results_released:
        contest.results_released = True
        session.flush()
        _log(audit, "contest.release_results", target=contest, org_unit_id=contest.org_unit_id, summary=contest.title,
             before={"results_released": False}, after={"results_released": True})
    return contest


# --- the cadre's view -------------------------------------------------------------------------

def is_eligible(contest: Contest, user) -> bool:
    """Whether ``user`` may take the contest, without a query: the user's unit lies in one of the
    eligible units' subtrees (default: the owner unit's), and they hold an eligible role
    (default: cadre)."""
    roles = contest.eligible_roles or ["cadre"]
    if not user.has_role(*roles):
        return False
    ancestors = set(_ancestor_ids(user.org_unit.path))
    units = contest.eligible_unit_ids or [contest.org_unit_id]
    return any(u in ancestors for u in units)


def contests_for(session: Session, user, *, now: datetime | None = None) -> list[tuple[Contest, dict]]:
    """Published (or closed) contests ``user`` is eligible for, soonest first, each with a dict of
    my status: ``phase`` (upcoming/running/closed), ``attempts_used``, ``in_progress_attempt_id``,
    ``best_score``/``last_score`` (None unless results are visible), ``can_start``."""
    now = now or utcnow()
    contests = [c for c in session.scalars(
        select(Contest).where(Contest.status.in_(("published", "closed"))).order_by(Contest.opens_at, Contest.id)
    ) if is_eligible(c, user)]
    if not contests:
        return []
    rows = session.execute(
        select(Attempt.contest_id, Attempt.id, Attempt.status, Attempt.score, Attempt.number, Attempt.deadline)
        .where(Attempt.user_id == user.id, Attempt.kind == "contest", Attempt.contest_id.in_([c.id for c in contests]))
        .order_by(Attempt.number)
    ).all()
    out = []
    for contest in contests:
        mine = [r for r in rows if r.contest_id == contest.id]
        phase = contest.phase(now)
        in_progress = next((r for r in mine if r.status == "in_progress"), None)
        finished = [r for r in mine if r.status != "in_progress" and r.score is not None]
        visible = contest.results_visible(now)
        out.append((contest, {
            "phase": phase,
            "attempts_used": len(mine),
            "in_progress_attempt_id": in_progress.id if in_progress is not None else None,
            "best_score": max((r.score for r in finished), default=None) if visible else None,
            "last_score": finished[-1].score if (visible and finished) else None,
            "can_start": phase == "running" and (in_progress is not None or len(mine) < contest.attempts_allowed),
        }))
    return out


# --- for the organizer's pages (quiz/manage) --------------------------------------------------

def manageable_papers_stmt(actor):
    """SELECT Paper owned in the actor's subtree (all papers for the system), newest first."""
    stmt = select(Paper).order_by(Paper.id.desc())
    if actor is not None:
        low, high = actor.org_unit.subtree_range
        stmt = stmt.where(Paper.org_unit_id.in_(select(OrgUnit.id).where(OrgUnit.path >= low, OrgUnit.path < high)))
    return stmt


def get_manageable_paper(session: Session, actor, paper_id: int) -> Paper:
    """The paper if ``actor`` may manage it, else ``ContestError('not_found')`` (never confirm it exists)."""
    paper = session.get(Paper, paper_id)
    if paper is None or not can_manage(session, actor, paper.org_unit_id):
        raise ContestError("not_found", N_("试卷不存在"))
    return paper


def papers_in_use(session: Session, paper_ids: Iterable[int]) -> set[int]:
    """Which of these papers a published (or later) contest uses: they can no longer change."""
    ids = list(paper_ids)
    if not ids:
        return set()
    return set(session.scalars(select(Contest.paper_id).where(Contest.paper_id.in_(ids), Contest.status != "draft").distinct()))


def preview_rule_specs(session: Session, actor, specs: Iterable[RuleSpec], *, seed: int = 0) -> paper_rules.PaperPreview:
    """``papers.preview`` of rules not saved yet (the editor checks before it saves): per rule, how
    many questions it can draw from and the problem if the banks cannot satisfy it, and the coverage
    of a sample draw when they can. Raises ``ContestError`` for a rule of the wrong shape or a bank
    the actor may not use. Writes nothing: the draft paper never enters the session."""
    draft = Paper(mode="rules", draw="shared")
    draft.rules = _rules(session, actor, specs)
    return paper_rules.preview(session, draft, seed=seed)


def attempt_counts(session: Session, contest_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Per contest: cadres who ``started`` and who ``submitted`` (a finalised attempt), in one query."""
    ids = list(contest_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Attempt.contest_id, func.count(Attempt.user_id.distinct()),
               func.count(Attempt.user_id.distinct()).filter(Attempt.status != "in_progress"))
        .where(Attempt.contest_id.in_(ids), Attempt.kind == "contest").group_by(Attempt.contest_id)
    ).all()
    return {contest_id: {"started": started, "submitted": submitted} for contest_id, started, submitted in rows}


def find_attempts(session: Session, contest: Contest, text: str, *, in_progress_only: bool = True,
                  limit: int = 20) -> list[tuple[Attempt, User, str]]:
    """(attempt, user, unit name) of cadres at this contest whose name or account contains ``text``
    (the live page's search before extending one cadre's time), newest attempt first."""
    text = (text or "").strip()
    if not text:
        return []
    stmt = (
        select(Attempt, User, OrgUnit.name).join(User, User.id == Attempt.user_id).join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(Attempt.contest_id == contest.id, Attempt.kind == "contest",
               User.name.icontains(text, autoescape=True) | User.username.icontains(text, autoescape=True))
        .order_by(Attempt.id.desc()).limit(limit)
    )
    if in_progress_only:
        stmt = stmt.where(Attempt.status == "in_progress")
    return [(attempt, user, unit) for attempt, user, unit in session.execute(stmt)]


def knowledge_points_in_banks(session: Session, bank_ids: Iterable[int]) -> list[tuple[int, str]]:
    """(id, name) of the knowledge points the current versions of these banks' questions carry,
    by name: what a draw rule of the editor may filter on. One query."""
    kp = version_knowledge_points
    ids = list(bank_ids)
    if not ids:
        return []
    return [(kid, name) for kid, name in session.execute(
        select(KnowledgePoint.id, KnowledgePoint.name).join(kp, kp.c.knowledge_point_id == KnowledgePoint.id)
        .join(Question, Question.current_version_id == kp.c.version_id)
        .where(Question.bank_id.in_(ids)).distinct().order_by(KnowledgePoint.name)
    )]
