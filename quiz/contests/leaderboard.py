"""Leaderboards and live figures of a contest.

- ``contest_leaderboard``: one row per cadre (the attempt that counts: best, or last), ranked by
  score desc, then time used asc, then submission time asc (national contests end with many
  perfect papers, so time decides); rows equal on all three share a rank.
- ``unit_standings``: per unit, eligible cadres, participants, participation rate, average score.
- ``live_summary``: the organizer's live page: eligible/started/submitted per unit and the
  integrity signals.
- ``can_view_leaderboard``: the contest's ``leaderboard`` setting (hidden / after_close / live), never before
  the ``release`` setting shows results;
  organizers who manage the contest always may.

Reads only; a closed contest's expired attempts are finalised by the caller first
(``attempts.finalise_expired(..., how='close')``) so the figures are correct after close.
Results may be cached for a few seconds through ``Cache`` (``cached``): Redis when REDIS_URL is
set (shared by every worker), else a tiny per-process TTL dict.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, false, func, or_, select
from sqlalchemy.orm import Session

from question_bank.db import utcnow
from quiz.accounts.models import OrgUnit, User, UserRole
from quiz.contests.attempts import iso
from quiz.contests.models import Attempt, Contest
from quiz.contests.services import can_manage, is_eligible

DEFAULT_TTL_SECONDS = 3


def can_view_leaderboard(session: Session, contest: Contest, user, *, now: datetime | None = None) -> bool:
    """Organizers who manage the contest: always. Eligible users: as the ``leaderboard`` setting
    says, and never before the ``release`` setting shows results: every row, rank and unit average
    comes from scores, so a live board would otherwise publish what the release setting withholds."""
    now = now or utcnow()
    if user.has_role("organizer") and can_manage(session, user, contest.org_unit_id):
        return True
    if contest.status == "draft" or not is_eligible(contest, user) or not contest.results_visible(now):
        return False
    if contest.leaderboard == "live":
        return contest.phase(now) in ("running", "closed", "archived")
    if contest.leaderboard == "after_close":
        return contest.phase(now) in ("closed", "archived")
    return False


def is_counted(contest: Contest) -> tuple:
    """The WHERE clauses of a finalised, graded attempt at the contest: the attempts that count."""
    return (Attempt.contest_id == contest.id, Attempt.kind == "contest", Attempt.status != "in_progress",
            Attempt.score.is_not(None))


def has_counted_attempt(contest: Contest, user_id_column):
    """EXISTS a counted attempt of the cadre ``user_id_column`` at the contest."""
    return exists().where(Attempt.user_id == user_id_column, *is_counted(contest))


def counted_attempts(contest: Contest):
    """A subquery: each cadre's counted finalised attempt at the contest (row_number() = 1).

    Who counts (the leaderboard, the unit standings and the HR reports alike): every cadre with a
    submitted (finalised, graded) attempt, whether or not still eligible, under the unit the cadre
    belongs to now (the attempt does not record the unit at start); plus the eligible cadres
    without one, as non-participants. Someone who sat the contest and then moved unit, lost the
    cadre role or left stays in its results."""
    if contest.counts == "last":
        order = (Attempt.number.desc(),)
    else:
        order = (Attempt.score.desc(), Attempt.time_used_seconds.asc(), Attempt.submitted_at.asc(), Attempt.number.asc())
    ranked = (
        select(Attempt.id, Attempt.user_id, Attempt.score, Attempt.max_score, Attempt.passed, Attempt.time_used_seconds,
               Attempt.submitted_at, func.row_number().over(partition_by=Attempt.user_id, order_by=order).label("rn"))
        .where(*is_counted(contest))
        .subquery()
    )
    return select(ranked).where(ranked.c.rn == 1).subquery()


def contest_leaderboard(session: Session, contest: Contest, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Ranked rows: rank, user_id, name, unit_id, unit, score, max_score, passed, time_used_seconds, submitted_at."""
    counted = counted_attempts(contest)
    stmt = (
        select(counted, User.name, User.org_unit_id, OrgUnit.name.label("unit"))
        .join(User, User.id == counted.c.user_id).join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .order_by(counted.c.score.desc(), counted.c.time_used_seconds.asc(), counted.c.submitted_at.asc(), counted.c.user_id.asc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    rows, previous, rank = [], None, 0
    for index, row in enumerate(session.execute(stmt), start=1):
        key = (row.score, row.time_used_seconds, row.submitted_at)
        if key != previous:
            rank, previous = index, key
        rows.append({
            "rank": rank, "user_id": row.user_id, "name": row.name, "unit_id": row.org_unit_id, "unit": row.unit,
            "score": row.score, "max_score": row.max_score, "passed": row.passed,
            "time_used_seconds": row.time_used_seconds, "submitted_at": iso(row.submitted_at),
        })
    return rows


def _eligible_users_stmt(session: Session, contest: Contest, *, unit_paths: dict[int, str] | None = None):
    """SELECT users.id, users.org_unit_id of the active users eligible for the contest.
    ``unit_paths`` (unit id -> path, covering the eligible units) saves the query for the paths
    when a report builds this for many contests at once."""
    unit_ids = contest.eligible_unit_ids or [contest.org_unit_id]
    if unit_paths is not None:
        paths = [unit_paths[u] for u in unit_ids if u in unit_paths]
    else:
        paths = list(session.scalars(select(OrgUnit.path).where(OrgUnit.id.in_(unit_ids))))
    ranges = [and_(OrgUnit.path >= p, OrgUnit.path < p[:-1] + "0") for p in paths]
    roles = contest.eligible_roles or ["cadre"]
    return (
        select(User.id, User.org_unit_id).join(OrgUnit, OrgUnit.id == User.org_unit_id)
        .where(User.active.is_(True), or_(*ranges) if ranges else false(),
               User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(roles))))
    )


def non_participants_stmt(session: Session, contest: Contest, *, unit_paths: dict[int, str] | None = None):
    """SELECT users.id, users.org_unit_id of the eligible cadres without a counted attempt: with
    the counted attempts' cadres, everyone a contest's figures count (``counted_attempts``)."""
    return _eligible_users_stmt(session, contest, unit_paths=unit_paths).where(~has_counted_attempt(contest, User.id))


def _units(session: Session, ids) -> dict[int, OrgUnit]:
    return {u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_(list(ids))))} if ids else {}


def unit_standings(session: Session, contest: Contest) -> list[dict[str, Any]]:
    """Per unit (the cadre's own unit; ``path`` lets a page roll units up): eligible, participants,
    participation_rate (participants / eligible), average_score, pass_count, ordered by average
    score desc, then participation rate desc. ``eligible`` counts the participants too, eligible
    still or not (``counted_attempts``), so a rate never passes 100 %."""
    absent = non_participants_stmt(session, contest).subquery()
    absent_counts = dict(session.execute(select(absent.c.org_unit_id, func.count()).group_by(absent.c.org_unit_id)).all())
    counted = counted_attempts(contest)
    figures = {
        unit_id: (n, avg, passes)
        for unit_id, n, avg, passes in session.execute(
            select(User.org_unit_id, func.count(), func.avg(counted.c.score),
                   func.sum(case((counted.c.passed.is_(True), 1), else_=0)))
            .join(User, User.id == counted.c.user_id).group_by(User.org_unit_id)
        )
    }
    units = _units(session, set(absent_counts) | set(figures))
    rows = []
    for unit_id, unit in units.items():
        n, avg, passes = figures.get(unit_id, (0, None, 0))
        total = absent_counts.get(unit_id, 0) + n
        rows.append({
            "unit_id": unit_id, "unit": unit.name, "path": unit.path, "eligible": total, "participants": n,
            "participation_rate": round(n / total, 4) if total else None,
            "average_score": round(float(avg), 2) if avg is not None else None, "pass_count": int(passes or 0),
        })
    rows.sort(key=lambda r: (-(r["average_score"] or 0), -(r["participation_rate"] or 0), r["path"]))
    return rows


def live_summary(session: Session, contest: Contest, *, now: datetime | None = None) -> dict[str, Any]:
    """The organizer's live page: totals and per unit (eligible, started, in_progress, submitted),
    and the attempts with integrity signals (tab switches, pastes), most switches first. As in
    ``unit_standings``, everyone who started counts as eligible, still eligible or not (a cadre
    who moved unit since is under the new one), so no unit shows more started than eligible."""
    now = now or utcnow()
    eligible = (_eligible_users_stmt(session, contest)
                .where(~exists().where(Attempt.user_id == User.id, Attempt.contest_id == contest.id, Attempt.kind == "contest"))
                .subquery())
    not_started = dict(session.execute(select(eligible.c.org_unit_id, func.count()).group_by(eligible.c.org_unit_id)).all())
    per_user = session.execute(
        select(Attempt.user_id, User.org_unit_id, func.count(),
               func.sum(case((Attempt.status == "in_progress", 1), else_=0)))
        .join(User, User.id == Attempt.user_id)
        .where(Attempt.contest_id == contest.id, Attempt.kind == "contest").group_by(Attempt.user_id, User.org_unit_id)
    ).all()
    by_unit: dict[int, dict[str, int]] = {}
    for _user_id, unit_id, attempts, running in per_user:
        figures = by_unit.setdefault(unit_id, {"started": 0, "in_progress": 0, "submitted": 0})
        figures["started"] += 1
        figures["in_progress"] += 1 if running else 0
        figures["submitted"] += 1 if attempts - (running or 0) > 0 else 0
    units = _units(session, set(not_started) | set(by_unit))
    rows = []
    for unit_id, unit in sorted(units.items(), key=lambda kv: kv[1].path):
        figures = by_unit.get(unit_id, {"started": 0, "in_progress": 0, "submitted": 0})
        rows.append({"unit_id": unit_id, "unit": unit.name, "path": unit.path,
                     "eligible": not_started.get(unit_id, 0) + figures["started"], **figures})
    signals = [
        {"attempt_id": a.id, "user_id": a.user_id, "name": name, "unit": unit, "status": a.status,
         "tab_switches": a.tab_switches, "pastes": a.pastes}
        for a, name, unit in session.execute(
            select(Attempt, User.name, OrgUnit.name).join(User, User.id == Attempt.user_id)
            .join(OrgUnit, OrgUnit.id == User.org_unit_id)
            .where(Attempt.contest_id == contest.id, or_(Attempt.tab_switches > 0, Attempt.pastes > 0))
            .order_by(Attempt.tab_switches.desc(), Attempt.pastes.desc(), Attempt.id)
        )
    ]
    totals = {k: sum(r[k] for r in rows) for k in ("eligible", "started", "in_progress", "submitted")}
    return {"phase": contest.phase(now), "totals": totals, "units": rows, "integrity": signals}


# --- cache ------------------------------------------------------------------------------------

class TTLCache:
    """A tiny per-process cache: entries live ``ttl`` seconds; at most ``size`` entries."""

    def __init__(self, size: int = 256) -> None:
        self._data: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self.size = size

    def get(self, key: str) -> str | None:
        with self._lock:
            hit = self._data.get(key)
            if hit is None or hit[0] < time.monotonic():
                self._data.pop(key, None)
                return None
            return hit[1]

    def set(self, key: str, value: str, ttl: float) -> None:
        with self._lock:
            if len(self._data) >= self.size:
                self._data.clear()
            self._data[key] = (time.monotonic() + ttl, value)


class RedisCache:
    """The same interface over Redis (SETEX), shared by every worker and host."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5)

    def get(self, key: str) -> str | None:
        try:
            value = self._redis.get(key)
        except Exception:  # a cache outage must not take the leaderboard down
            return None
        return value.decode() if value is not None else None

    def set(self, key: str, value: str, ttl: float) -> None:
        try:
            self._redis.setex(key, max(1, int(ttl)), value)
        except Exception:
            pass


def cached(cache, key: str, ttl: float, compute: Callable[[], Any], *, refresh: bool = False) -> Any:
    """``compute()`` through the cache (JSON); ``cache`` None or ``ttl`` <= 0 means no caching;
    ``refresh`` recomputes and replaces the entry (after finalising attempts at close)."""
    if cache is None or ttl <= 0:
        return compute()
    hit = None if refresh else cache.get(key)
    if hit is not None:
        return json.loads(hit)
    value = compute()
    cache.set(key, json.dumps(value, ensure_ascii=False), ttl)
    return value
