"""The HR reports: contest results, unit roll-up and trends, each within the actor's unit subtree.

Every figure is aggregated in SQL; Python only orders and labels a handful of summary rows
(units, contests), never loops over attempts. The counted attempt (best or last) and the rank
order are the leaderboard's (``quiz.contests.leaderboard``): a report shows the same score and
the same rank as the contest's own leaderboard.

Who is in a report (the leaderboard's rule, ``quiz.contests.leaderboard.counted_attempts``):
everyone with a submitted attempt at the contest, plus the cadres eligible for it (its units and
roles) who have none; each under the unit the cadre belongs to now, shown when that unit lies in
the actor's reach. An attempt does not record the cadre's unit at start, so a cadre who moved
after the contest is reported under the new unit; but a submitted attempt is never dropped: a
cadre who moved out of the contest's units, lost the cadre role or was deactivated after sitting
it still appears, with the same score and rank as on the leaderboard. Status: 已交卷 (a counted
attempt), 进行中 (an attempt in progress and none counted yet), 未参加 (neither).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Select, String, case, exists, func, literal, null, or_, select, text, union_all
from sqlalchemy.orm import Session

from quiz.accounts.models import OrgUnit, User
from quiz.accounts.scope import can_reach_unit, scoped, subtree_ids
from quiz.contests.leaderboard import _eligible_users_stmt as eligible_users_stmt
from quiz.contests.leaderboard import counted_attempts, has_counted_attempt, non_participants_stmt
from quiz.contests.models import Attempt, Contest
from quiz.practice.services import local_day

STATUSES = ("submitted", "in_progress", "absent")  # 已交卷, 进行中, 未参加
SORTS = ("rank", "score_asc", "time", "unit", "name")
PER_PAGE = 50
HISTOGRAM_BINS = 10


class NotInReach(Exception):
    """The contest or unit lies outside the actor's reach (the view answers 404)."""


# --- which contests and units ----------------------------------------------------------------

def _paths(session: Session, unit_ids) -> dict[int, str]:
    ids = set(unit_ids)
    return dict(session.execute(select(OrgUnit.id, OrgUnit.path).where(OrgUnit.id.in_(ids))).all()) if ids else {}


def _concerns(contest: Contest, unit: OrgUnit, paths: dict[int, str]) -> bool:
    """Whether the contest's eligible units overlap ``unit``'s subtree (one contains the other)."""
    for unit_id in contest.eligible_unit_ids or [contest.org_unit_id]:
        path = paths.get(unit_id)
        if path is not None and (path.startswith(unit.path) or unit.path.startswith(path)):
            return True
    return False


def reportable_contests(session: Session, actor: User, *, unit: OrgUnit | None = None) -> list[Contest]:
    """Contests past draft whose eligible cadres include people in the actor's reach (or in
    ``unit``'s subtree), newest first."""
    contests = list(session.scalars(select(Contest).where(Contest.status != "draft")
                                    .order_by(Contest.opens_at.desc(), Contest.id.desc())))
    paths = _paths(session, {u for c in contests for u in (c.eligible_unit_ids or [c.org_unit_id])})
    return [c for c in contests if _concerns(c, unit or actor.org_unit, paths)]


def get_reportable_contest(session: Session, actor: User, contest_id: int) -> Contest:
    contest = session.get(Contest, contest_id)
    if contest is None or contest.status == "draft":
        raise NotInReach()
    if not _concerns(contest, actor.org_unit, _paths(session, contest.eligible_unit_ids or [contest.org_unit_id])):
        raise NotInReach()
    return contest


def get_reachable_unit(session: Session, actor: User, unit_id: int | None) -> OrgUnit:
    """``unit_id``'s unit if the actor reaches it; None means the actor's own unit."""
    if unit_id is None:
        return actor.org_unit
    unit = session.get(OrgUnit, unit_id)
    if not can_reach_unit(actor, unit):
        raise NotInReach()
    return unit


def breadcrumb(session: Session, actor: User, unit: OrgUnit) -> list[OrgUnit]:
    """The units from the actor's own unit down to ``unit``."""
    ids = [int(p) for p in unit.path.strip("/").split("/") if p]
    units = {u.id: u for u in session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}
    return [units[i] for i in ids if i in units and units[i].depth >= actor.org_unit.depth]


# --- SQL building blocks ---------------------------------------------------------------------

def _in_reach(stmt: Select, actor: User, unit: OrgUnit | None = None, search: str = "") -> Select:
    """``stmt`` (over ``User``) narrowed to the cadres whose current unit lies in the actor's reach,
    in ``unit``'s subtree and matching ``search`` (name or username)."""
    stmt = scoped(stmt, actor, User.org_unit_id)
    if unit is not None and unit.id != actor.org_unit_id:  # the actor's own unit is already the scope
        stmt = stmt.where(User.org_unit_id.in_(subtree_ids(unit)))
    if search:
        stmt = stmt.where(or_(User.name.contains(search, autoescape=True), User.username.contains(search, autoescape=True)))
    return stmt


def _non_participants(session: Session, contest: Contest, actor: User, unit: OrgUnit | None = None):
    """Subquery (id, org_unit_id): the eligible cadres in reach without a counted attempt."""
    return _in_reach(non_participants_stmt(session, contest), actor, unit).subquery("absent")


def _participants(counted, actor: User, unit: OrgUnit | None = None, search: str = "", columns=()) -> Select:
    """The counted attempts (a ``counted_attempts`` subquery) of the cadres in reach, driven from
    the attempts with a primary-key lookup of each cadre (and ``columns`` of the cadre)."""
    stmt = select(counted, User.org_unit_id, *columns).select_from(counted).join(User, User.id == counted.c.user_id)
    return _in_reach(stmt, actor, unit, search)


def _ranked(contest: Contest):
    """The counted attempts with their rank in the whole contest (the leaderboard's order)."""
    counted = counted_attempts(contest)
    rank = func.rank().over(order_by=(counted.c.score.desc(), counted.c.time_used_seconds.asc(), counted.c.submitted_at.asc()))
    return select(counted, rank.label("rank")).subquery("ranked")


@dataclass
class ResultQuery:
    """The filters of the contest results report, as parsed from the page's query string."""

    unit: OrgUnit | None = None
    status: str | None = None
    search: str = ""
    sort: str = "rank"
    page: int = 1
    per_page: int = PER_PAGE


@dataclass
class _Parts:
    """The pieces every results query shares."""

    eligible: Any  # subquery: id, org_unit_id, name, username, unit, path of the eligible cadres in reach, filtered
    counted_exists: Any  # EXISTS a counted attempt of the eligible cadre at the contest
    running_exists: Any  # EXISTS an attempt in progress of the eligible cadre at the contest
    actor: User
    query: ResultQuery

    def person(self) -> tuple:
        e = self.eligible.c
        return (e.id.label("user_id"), e.name, e.username, e.org_unit_id.label("unit_id"), e.unit, e.path)

    def participants(self, counted, *columns) -> Select:
        """The counted attempts of the cadres in reach matching the filters, eligible still or not:
        driven by the attempts, each looking its cadre up by primary key."""
        return _participants(counted, self.actor, self.query.unit, self.query.search, columns)

    def participant_person(self) -> tuple:
        return (User.id.label("user_id"), User.name, User.username, User.org_unit_id.label("unit_id"),
                OrgUnit.name.label("unit"), OrgUnit.path)


def _parts(session: Session, actor: User, contest: Contest, query: ResultQuery) -> _Parts:
    stmt = _in_reach(eligible_users_stmt(session, contest), actor, query.unit, query.search)
    eligible = stmt.add_columns(User.name, User.username, OrgUnit.name.label("unit"), OrgUnit.path).subquery("eligible")
    mine = (Attempt.contest_id == contest.id, Attempt.user_id == eligible.c.id, Attempt.kind == "contest")
    return _Parts(eligible, has_counted_attempt(contest, eligible.c.id), exists().where(*mine, Attempt.status == "in_progress"),
                  actor, query)


def _branches(parts: _Parts, contest: Contest) -> tuple[Select, Select]:
    """The report's rows in two branches: cadres with a counted attempt, and the others.

    Two branches, so that no large derived table is ever the inner side of a join (SQLite would
    scan it once per cadre): the first is driven from the ranked attempts with a primary-key
    lookup of the cadre; the second finds the others with index probes for their attempts.
    """
    ranked = _ranked(contest)
    submitted = _in_reach(
        select(*parts.participant_person(), ranked.c.score, ranked.c.max_score, ranked.c.passed, ranked.c.rank,
               ranked.c.time_used_seconds, ranked.c.submitted_at, literal("submitted", String).label("status"))
        .select_from(ranked).join(User, User.id == ranked.c.user_id).join(OrgUnit, OrgUnit.id == User.org_unit_id),
        parts.actor, parts.query.unit, parts.query.search)
    others = (
        select(*parts.person(), *(null().label(n) for n in ("score", "max_score", "passed", "rank", "time_used_seconds", "submitted_at")),
               case((parts.running_exists, "in_progress"), else_="absent").label("status"))
        .select_from(parts.eligible).where(~parts.counted_exists)
    )
    return submitted, others


def _report(parts: _Parts, contest: Contest):
    """One row per eligible cadre in reach: the counted attempt's figures and the status."""
    return union_all(*_branches(parts, contest)).subquery("report")


def _ordered(report, sort: str) -> Select:
    c = report.c
    status_order = case((c.status == "submitted", 0), (c.status == "in_progress", 1), else_=2)
    orders = {
        "rank": (status_order, c.rank, c.path, c.user_id),
        "score_asc": (status_order, c.score.asc(), c.path, c.user_id),
        "time": (status_order, c.time_used_seconds.asc(), c.rank, c.user_id),
        "unit": (c.path, status_order, c.rank, c.user_id),
        "name": (c.name, c.user_id),
    }
    stmt = select(report)
    return stmt.order_by(*orders.get(sort, orders["rank"]))


@dataclass
class ResultsPage:
    rows: list[Any]
    total: int  # rows matching every filter (for pagination)
    counts: dict[str, int]  # eligible and per status, under the unit and search filters
    average_score: float | None
    max_score: float | None
    pass_count: int
    histogram: list[dict[str, Any]] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))


def contest_results(session: Session, actor: User, contest: Contest, query: ResultQuery) -> ResultsPage:
    """One page of the results report, its summary and the score histogram: a fixed number of
    queries. The summary and the histogram read the counted attempts only (no ranking)."""
    parts = _parts(session, actor, contest, query)
    counted = counted_attempts(contest)
    others_count = select(func.count()).select_from(parts.eligible).where(~parts.counted_exists).correlate(None).scalar_subquery()
    running_count = (select(func.count()).select_from(parts.eligible).where(parts.running_exists, ~parts.counted_exists)
                     .correlate(None).scalar_subquery())
    participants = parts.participants(counted).subquery("participants")
    p = participants.c
    summary = session.execute(
        select(others_count, running_count, func.count(), func.avg(p.score), func.max(p.max_score),
               func.sum(case((p.passed.is_(True), 1), else_=0))).select_from(participants)
    ).one()
    others, running, submitted, average, max_score, passes = summary
    eligible = others + submitted  # the submitted count whether or not still eligible (module docstring)
    counts = {"eligible": eligible, "submitted": submitted, "in_progress": running, "absent": others - running}
    total = counts[query.status] if query.status in STATUSES else eligible
    offset = (max(1, query.page) - 1) * query.per_page
    rows = _page_rows(session, parts, contest, query, offset, submitted)
    return ResultsPage(rows=rows, total=total, counts=counts, average_score=None if average is None else round(float(average), 2),
                       max_score=max_score, pass_count=int(passes or 0),
                       histogram=_histogram(session, parts, counted, max_score))


def _page_rows(session: Session, parts: _Parts, contest: Contest, query: ResultQuery, offset: int, submitted: int) -> list[Any]:
    """One page. Sorted by rank, score or time, the submitted come first: a page is read from
    the branch (or the two branches) it lies in, so only the rows it needs are ranked and sorted."""
    submitted_rows, other_rows = (b.subquery("report") for b in _branches(parts, contest))

    def fetch(source, start: int, limit: int, status: str | None = None) -> list[Any]:
        stmt = _ordered(source, query.sort)
        if status is not None:
            stmt = stmt.where(source.c.status == status)
        return list(session.execute(stmt.limit(limit).offset(start)))

    if query.status == "submitted":
        return fetch(submitted_rows, offset, query.per_page)
    if query.status in STATUSES:
        return fetch(other_rows, offset, query.per_page, query.status)
    if query.sort not in ("rank", "score_asc", "time"):
        report = union_all(*_branches(parts, contest)).subquery("report")
        return fetch(report, offset, query.per_page)
    rows = fetch(submitted_rows, offset, query.per_page) if offset < submitted else []
    if len(rows) < query.per_page:
        rows += fetch(other_rows, max(0, offset - submitted), query.per_page - len(rows))
    return rows


def _histogram(session: Session, parts: _Parts, counted, max_score: float | None) -> list[dict[str, Any]]:
    """Counts of counted scores in ten equal bands of the full marks (the last band includes full marks)."""
    if not max_score:
        return []
    scores = parts.participants(counted).subquery("participants")
    ratio = scores.c.score * 1.0 / case((scores.c.max_score > 0, scores.c.max_score), else_=None)
    band = case(*[(ratio >= i / HISTOGRAM_BINS, i) for i in range(HISTOGRAM_BINS - 1, 0, -1)], else_=0)
    counts = dict(session.execute(select(band, func.count()).select_from(scores).group_by(band)).all())
    step = max_score / HISTOGRAM_BINS
    return [{"low": round(i * step, 2), "high": round((i + 1) * step, 2), "count": int(counts.get(i, 0)),
             "last": i == HISTOGRAM_BINS - 1} for i in range(HISTOGRAM_BINS)]


def result_rows_for_export(session: Session, actor: User, contest: Contest, query: ResultQuery) -> Iterator[Any]:
    """Every row matching the filters, in the page's order, fetched in batches."""
    report = _report(_parts(session, actor, contest, query), contest)
    stmt = _ordered(report, query.sort)
    if query.status in STATUSES:
        stmt = stmt.where(report.c.status == query.status)
    if session.get_bind().dialect.name == "postgresql":
        # a server-side cursor makes PostgreSQL plan for the first 10 % of rows (nested loops over
        # everyone); the export reads them all. SET LOCAL ends with the request's transaction.
        session.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))
    yield from session.execute(stmt.execution_options(yield_per=2000))


# --- unit roll-up -----------------------------------------------------------------------------

@dataclass
class UnitFigures:
    unit: OrgUnit | None  # None: the parent's own direct members (本级)
    eligible: int = 0
    participants: int = 0
    average_score: float | None = None
    pass_count: int = 0
    has_children: bool = False
    rank: int | None = None

    @property
    def participation_rate(self) -> float | None:
        return round(self.participants / self.eligible, 4) if self.eligible else None

    @property
    def pass_rate(self) -> float | None:
        return round(self.pass_count / self.participants, 4) if self.participants else None


@dataclass
class _Sums:
    """Additive figures of a set of cadres (so units can be summed up the tree)."""

    eligible: int = 0
    participants: int = 0
    score_sum: float = 0.0
    passes: int = 0

    def add(self, other: _Sums) -> None:
        self.eligible += other.eligible
        self.participants += other.participants
        self.score_sum += other.score_sum
        self.passes += other.passes

    def figures(self, unit: OrgUnit | None, **extra) -> UnitFigures:
        average = round(self.score_sum / self.participants, 2) if self.participants else None
        return UnitFigures(unit, self.eligible, self.participants, average, self.passes, **extra)


def _unit_sums(session: Session, contest: Contest, actor: User, top: OrgUnit) -> dict[int, _Sums]:
    """Per cadre's current unit in ``top``'s subtree: eligible, participants, score sum, passes.
    Two aggregate queries; the counted attempts drive the second (primary-key lookups of the
    cadres), so no large derived table is probed per row on either database. Participants count
    as eligible whether or not they still are (the module's docstring)."""
    absent = _non_participants(session, contest, actor, top)
    sums: dict[int, _Sums] = {}
    for unit_id, n in session.execute(select(absent.c.org_unit_id, func.count()).group_by(absent.c.org_unit_id)):
        sums[unit_id] = _Sums(eligible=n)
    scores = _participants(counted_attempts(contest), actor, top).subquery("participants")
    for unit_id, n, total, passes in session.execute(
        select(scores.c.org_unit_id, func.count(), func.sum(scores.c.score), func.sum(case((scores.c.passed.is_(True), 1), else_=0)))
        .group_by(scores.c.org_unit_id)
    ):
        row = sums.setdefault(unit_id, _Sums())
        row.eligible += n
        row.participants, row.score_sum, row.passes = n, float(total or 0), int(passes or 0)
    return sums


def _ancestor_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


def _subtree_sums(units: list[OrgUnit], sums: dict[int, _Sums], unit_paths: dict[int, str]) -> dict[int, _Sums]:
    """For each of ``units``: the sums over its whole subtree (each unit's own figures added to its
    ancestors; a loop over units, never over cadres or attempts)."""
    wanted = {u.id for u in units}
    out = {u.id: _Sums() for u in units}
    for unit_id, own in sums.items():
        for ancestor in _ancestor_ids(unit_paths.get(unit_id, "")):
            if ancestor in wanted:
                out[ancestor].add(own)
    return out


def rank_units(rows: list[UnitFigures]) -> None:
    """Rank units with participants by average score, then participation rate; equal on both share a rank."""
    ranked = sorted((r for r in rows if r.participants), key=lambda r: (-(r.average_score or 0), -(r.participation_rate or 0)))
    previous, rank = None, 0
    for index, row in enumerate(ranked, start=1):
        key = (row.average_score, row.participation_rate)
        if key != previous:
            rank, previous = index, key
        row.rank = rank


@dataclass
class Rollup:
    parent: OrgUnit
    total: UnitFigures
    rows: list[UnitFigures]  # the children (each over its whole subtree), then 本级 if it has eligible cadres


def unit_rollup(session: Session, actor: User, contest: Contest, parent: OrgUnit) -> Rollup:
    """Per child unit of ``parent`` (each over its subtree) and the parent's own members: a constant
    number of queries however many cadres and attempts."""
    low, high = parent.subtree_range
    units = list(session.scalars(select(OrgUnit).where(OrgUnit.path >= low, OrgUnit.path < high)
                                 .order_by(OrgUnit.depth, OrgUnit.sort_order, OrgUnit.id)))
    children = [u for u in units if u.parent_id == parent.id]
    with_children = {u.parent_id for u in units}
    sums = _unit_sums(session, contest, actor, parent)
    subtree = _subtree_sums(children, sums, {u.id: u.path for u in units})
    rows = [subtree[child.id].figures(child, has_children=child.id in with_children) for child in children]
    own = sums.get(parent.id)
    if own and own.eligible:
        rows.append(own.figures(None))
    rank_units(rows)
    return Rollup(parent=parent, total=_total(parent, rows), rows=rows)


def _total(unit: OrgUnit | None, rows: list[UnitFigures]) -> UnitFigures:
    participants = sum(r.participants for r in rows)
    weighted = sum((r.average_score or 0) * r.participants for r in rows)
    return UnitFigures(unit, eligible=sum(r.eligible for r in rows), participants=participants,
                       average_score=round(weighted / participants, 2) if participants else None,
                       pass_count=sum(r.pass_count for r in rows))


def rollup_rows_for_export(session: Session, actor: User, contest: Contest, top: OrgUnit) -> list[tuple[UnitFigures, str]]:
    """Every unit of ``top``'s subtree (within reach), each over its own subtree, in tree order,
    with its parent's name; ranks are among siblings. One row per unit (not per cadre)."""
    low, high = top.subtree_range
    units = list(session.scalars(select(OrgUnit).where(OrgUnit.path >= low, OrgUnit.path < high).order_by(OrgUnit.path)))
    subtree = _subtree_sums(units, _unit_sums(session, contest, actor, top), {u.id: u.path for u in units})
    names = {u.id: u.name for u in units}
    if top.parent is not None:
        names[top.parent.id] = top.parent.name
    rows = [subtree[u.id].figures(u) for u in units]
    siblings: dict[int | None, list[UnitFigures]] = {}
    for row in rows:
        siblings.setdefault(row.unit.parent_id, []).append(row)
    for group in siblings.values():
        rank_units(group)
    return [(row, names.get(row.unit.parent_id, "")) for row in rows]


# --- trends -----------------------------------------------------------------------------------

@dataclass
class TrendPoint:
    contest: Contest
    eligible: int
    participants: int
    average_score: float | None
    max_score: float | None
    pass_count: int
    year: int = 0  # the year of the contest's opening in local time (``contest_year``)

    @property
    def participation_rate(self) -> float | None:
        return round(self.participants / self.eligible, 4) if self.eligible else None

    @property
    def score_rate(self) -> float | None:
        """Average score as a share of full marks (contests with different full marks compare)."""
        if self.average_score is None or not self.max_score:
            return None
        return round(self.average_score / self.max_score, 4)

    @property
    def pass_rate(self) -> float | None:
        return round(self.pass_count / self.participants, 4) if self.participants else None


@dataclass
class YearFigures:
    year: int
    contests: int
    eligible: int
    participants: int
    score_rate: float | None

    @property
    def participation_rate(self) -> float | None:
        return round(self.participants / self.eligible, 4) if self.eligible else None


def unit_trends(session: Session, actor: User, unit: OrgUnit, *, year: int | None = None,
                tz: str | None = None) -> list[TrendPoint]:
    """Per contest concerning ``unit`` (oldest first): eligible, participants, average score within
    the unit's subtree. Two queries for the contests and paths, one aggregate for all of them.
    ``year`` and each point's year are the local year of the opening (``contest_year``)."""
    contests = [c for c in reportable_contests(session, actor, unit=unit) if year is None or contest_year(c.opens_at, tz) == year]
    contests.sort(key=lambda c: (c.opens_at, c.id))
    if not contests:
        return []
    paths = _paths(session, {u for c in contests for u in (c.eligible_unit_ids or [c.org_unit_id])})
    low, high = unit.subtree_range

    def absent_ids(c: Contest) -> Select:
        return (scoped(non_participants_stmt(session, c, unit_paths=paths), actor, User.org_unit_id)
                .where(OrgUnit.path >= low, OrgUnit.path < high).with_only_columns(User.id))

    absent_counts = dict(session.execute(union_all(*[
        select(literal(c.id).label("contest_id"), func.count()).select_from(absent_ids(c).subquery()) for c in contests
    ])).all())
    counted_rows = union_all(*[
        select(literal(c.id).label("contest_id"), func.count(), func.avg(sub.c.score), func.max(sub.c.max_score),
               func.sum(case((sub.c.passed.is_(True), 1), else_=0))).select_from(sub)
        for c in contests for sub in (_participants(counted_attempts(c), actor, unit).subquery(),)
    ])
    figures = {contest_id: (p, avg, top, passes) for contest_id, p, avg, top, passes in session.execute(counted_rows)}
    points = []
    for c in contests:
        p, avg, top, passes = figures.get(c.id, (0, None, None, 0))
        points.append(TrendPoint(c, absent_counts.get(c.id, 0) + p, p, None if avg is None else round(float(avg), 2), top,
                                 int(passes or 0), contest_year(c.opens_at, tz)))
    return points


def contest_year(moment: datetime, tz: str | None = None) -> int:
    """The calendar year of a stored (naive UTC) time in ``tz``, by default the app's QUIZ_TIMEZONE,
    the zone every page shows times in: a contest opening 2026-01-01 00:30 in Beijing (2025-12-31
    16:30 UTC) belongs to 2026, as the organizer who set it up and the HR officer reading it expect."""
    if tz is None and has_app_context():
        tz = current_app.config.get("QUIZ_TIMEZONE")
    return local_day(moment, tz).year


def yearly(points: list[TrendPoint]) -> list[YearFigures]:
    """Sum the contests of each year (the points' local year): participation over all of them,
    mean score rate weighted by participants."""
    years: dict[int, list[TrendPoint]] = {}
    for point in points:
        years.setdefault(point.year, []).append(point)
    out = []
    for year, group in sorted(years.items()):
        scored = [(p.score_rate, p.participants) for p in group if p.score_rate is not None]
        weight = sum(n for _r, n in scored)
        out.append(YearFigures(year, len(group), sum(p.eligible for p in group), sum(p.participants for p in group),
                               round(sum(r * n for r, n in scored) / weight, 4) if weight else None))
    return out
