"""The report pages and their exports. HR and organizers; everything within the actor's subtree.

A contest or unit outside the actor's reach is 404 (we do not confirm it exists).
"""
from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from question_bank.messages import N_
from quiz.api.common import finalise_after_close, now
from quiz.accounts.scope import units_in_reach
from quiz.auth.access import role_required
from quiz.contests.models import Attempt, Contest
from quiz.db import get_session
from quiz.i18n import local_time
from quiz.reports import bp, charts
from quiz.reports.exporting import csv_response, xlsx_response
from quiz.reports.services import (
    PER_PAGE,
    SORTS,
    STATUSES,
    NotInReach,
    ResultQuery,
    breadcrumb,
    contest_results as results_report,
    get_reachable_unit,
    get_reportable_contest,
    reportable_contests,
    result_rows_for_export,
    rollup_rows_for_export,
    unit_rollup as rollup_report,
    unit_trends,
    yearly,
)

REPORT_ROLES = ("hr", "organizer")


def _actor():
    return current_user._get_current_object()


def status_labels() -> dict[str, str]:
    return {"submitted": _("已交卷"), "in_progress": _("进行中"), "absent": _("未参加")}


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _contest(contest_id: int) -> Contest:
    """The contest if it concerns the actor's reach; after close, expired attempts are finalised
    first (as on the organizer's results page) so nobody shows as 进行中 in a finished contest."""
    session = get_session()
    try:
        contest = get_reportable_contest(session, _actor(), contest_id)
    except NotInReach:
        abort(404)
    session, finalised = finalise_after_close(contest, now())
    if finalised:
        contest = session.get(Contest, contest_id)
    return contest


def _unit(unit_id: int | None):
    try:
        return get_reachable_unit(get_session(), _actor(), unit_id)
    except NotInReach:
        abort(404)


def _result_query(*, paged: bool = True) -> ResultQuery:
    status = request.args.get("status") or None
    sort = request.args.get("sort") or "rank"
    return ResultQuery(
        unit=_unit(_int_arg("unit")) if _int_arg("unit") else None,
        status=status if status in STATUSES else None,
        search=request.args.get("q", "").strip()[:64],
        sort=sort if sort in SORTS else "rank",
        page=(_int_arg("page") or 1) if paged else 1,
    )


def _filters_used(contest: Contest, query: ResultQuery) -> list[tuple[str, str]]:
    return [
        (_("竞赛"), contest.title),
        (_("范围"), _("%(unit)s及其下级单位", unit=(query.unit or current_user.org_unit).name)),
        (_("状态"), status_labels().get(query.status, _("全部"))),
        (_("搜索"), query.search or _("无")),
        (_("导出人"), current_user.name),
        (_("导出时间"), local_time(now(), "yyyy-MM-dd HH:mm")),
    ]


@bp.route("/")
@role_required(*REPORT_ROLES)
def index():
    session, actor = get_session(), _actor()
    return render_template("reports/index.html", contests=reportable_contests(session, actor), moment=now())


@bp.route("/contests/<int:contest_id>")
@role_required(*REPORT_ROLES)
def contest_results(contest_id: int):
    contest = _contest(contest_id)
    session, actor = get_session(), _actor()
    query = _result_query()
    report = results_report(session, actor, contest, query)
    units = units_in_reach(session, actor, include_inactive=False)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "reports/results.html", contest=contest, phase=contest.phase(now()), report=report, query=query, units=units,
        statuses=status_labels(), per_page=PER_PAGE, args=args, chart=charts.histogram(report.histogram),
    )


RESULT_HEADERS = [N_("名次"), N_("姓名"), N_("账号"), N_("单位"), N_("状态"), N_("得分"), N_("满分"), N_("及格"), N_("用时（秒）"), N_("交卷时间")]
RESULT_WIDTHS = [8, 12, 14, 28, 10, 8, 8, 8, 12, 20]


@bp.route("/contests/<int:contest_id>/export")
@role_required(*REPORT_ROLES)
def results_export(contest_id: int):
    contest = _contest(contest_id)
    session, actor = get_session(), _actor()
    query = _result_query(paged=False)
    labels = status_labels()
    yes, no = _("是"), _("否")

    def rows():
        for r in result_rows_for_export(session, actor, contest, query):
            yield [r.rank, r.name, r.username, r.unit, labels[r.status], r.score, r.max_score,
                   "" if r.passed is None else (yes if r.passed else no), r.time_used_seconds,
                   local_time(r.submitted_at, "yyyy-MM-dd HH:mm:ss")]

    headers = [_(h) for h in RESULT_HEADERS]
    name = f"{contest.title}-{_('成绩')}"
    if request.args.get("format") == "csv":
        return csv_response(f"{name}.csv", headers, rows(), filters=_filters_used(contest, query))
    return xlsx_response(f"{name}.xlsx", _("成绩"), headers, rows(), filters=_filters_used(contest, query), widths=RESULT_WIDTHS)


@bp.route("/contests/<int:contest_id>/units")
@role_required(*REPORT_ROLES)
def unit_rollup(contest_id: int):
    contest = _contest(contest_id)
    session, actor = get_session(), _actor()
    parent = _unit(_int_arg("unit"))
    rollup = rollup_report(session, actor, contest, parent)
    own = _("%(unit)s本级", unit=parent.name)
    comparison = charts.horizontal_bars([(r.unit.name if r.unit else own, r.average_score) for r in rollup.rows if r.eligible],
                                        maximum=_max_score(contest))
    participation = charts.horizontal_bars([(r.unit.name if r.unit else own, r.participation_rate) for r in rollup.rows if r.eligible],
                                           maximum=1, percent=True)
    return render_template("reports/units.html", contest=contest, phase=contest.phase(now()), rollup=rollup,
                           trail=breadcrumb(session, actor, parent), own=own, comparison=comparison, participation=participation)


def _max_score(contest: Contest) -> float | None:
    """The paper's full marks, as the comparison's axis (averages compare against it)."""
    session = get_session()
    return session.scalar(select(Attempt.max_score).where(Attempt.contest_id == contest.id, Attempt.kind == "contest").limit(1))


UNIT_HEADERS = [N_("单位"), N_("上级单位"), N_("层级"), N_("应参赛"), N_("参赛人数"), N_("参与率"), N_("平均分"), N_("及格人数"), N_("及格率"), N_("同级排名")]
UNIT_WIDTHS = [28, 24, 6, 10, 10, 10, 10, 10, 10, 10]
UNIT_FORMATS = [None, None, None, None, None, "0.0%", "0.00", None, "0.0%", None]


@bp.route("/contests/<int:contest_id>/units/export")
@role_required(*REPORT_ROLES)
def units_export(contest_id: int):
    contest = _contest(contest_id)
    session, actor = get_session(), _actor()
    top = _unit(_int_arg("unit"))
    rows = ([row.unit.name, parent, row.unit.depth - top.depth + 1, row.eligible, row.participants, row.participation_rate,
             row.average_score, row.pass_count, row.pass_rate, row.rank]
            for row, parent in rollup_rows_for_export(session, actor, contest, top))
    headers = [_(h) for h in UNIT_HEADERS]
    filters = [(_("竞赛"), contest.title), (_("范围"), _("%(unit)s及其下级单位", unit=top.name)), (_("导出人"), current_user.name),
               (_("导出时间"), local_time(now(), "yyyy-MM-dd HH:mm")),
               (_("说明"), _("每个单位的数字包含其全部下级单位"))]
    name = f"{contest.title}-{_('单位汇总')}"
    if request.args.get("format") == "csv":
        return csv_response(f"{name}.csv", headers, rows, filters=filters)
    return xlsx_response(f"{name}.xlsx", _("单位汇总"), headers, rows, filters=filters, widths=UNIT_WIDTHS, formats=UNIT_FORMATS)


@bp.route("/trends")
@role_required(*REPORT_ROLES)
def my_trends():
    return trends(current_user.org_unit_id)


@bp.route("/units/<int:unit_id>/trends")
@role_required(*REPORT_ROLES)
def trends(unit_id: int):
    session, actor = get_session(), _actor()
    unit = _unit(unit_id)
    year = _int_arg("year")
    all_points = unit_trends(session, actor, unit)
    years = yearly(all_points)
    points = [p for p in all_points if year is None or p.year == year]  # the local year (services.contest_year)
    chart = charts.line_chart([local_time(p.contest.opens_at, "yyyy-MM-dd") for p in points],
                              [(_("参与率"), [p.participation_rate for p in points]),
                               (_("平均得分率"), [p.score_rate for p in points])])
    year_chart = charts.line_chart([str(y.year) for y in years],
                                   [(_("参与率"), [y.participation_rate for y in years]),
                                    (_("平均得分率"), [y.score_rate for y in years])])
    children = [u for u in units_in_reach(session, actor, include_inactive=False) if u.parent_id == unit.id]
    return render_template("reports/trends.html", unit=unit, points=points, years=years, year=year, chart=chart,
                           year_chart=year_chart, trail=breadcrumb(session, actor, unit), children=children)
