"""The organizer's contest pages: papers (组卷), contests (竞赛), the live page and results.

Views load (a paper or contest outside the organizer's reach is 404), parse a form, call a service
of ``quiz.contests`` and render; the request boundary commits (and rolls back a 4xx answer). A
view that writes after reading ends the read first (``_write_session``: BEGIN IMMEDIATE on SQLite),
as the attempt API does, so the organizer's write queues behind cadres' saves instead of failing.
A refused write rolls back before redirecting, so nothing of it is committed.

Times: the window is entered and shown in QUIZ_TIMEZONE (Asia/Shanghai) and stored as naive UTC.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from question_bank.answers import TYPE_LABELS
from question_bank.item_analysis import EFFICIENCY_FLOOR, FACILITY_HIGH, FACILITY_LOW, MIN_ATTEMPTS
from question_bank.messages import N_
from question_bank.models import Bank, Question, Subject
from question_bank.services import banks_visible_to, can_use_bank, search_questions
from quiz.accounts.models import OrgUnit
from quiz.accounts.scope import units_in_reach
from quiz.api.common import finalise_after_close, now, start_write
from quiz.audit.services import record
from quiz.auth.access import role_required
from quiz.contests import papers as paper_rules
from quiz.contests.attempts import extend_attempt
from quiz.contests.errors import ContestError
from quiz.contests.item_analysis import contest_item_analysis
from quiz.contests.item_analysis import export_rows as export_item_rows
from quiz.contests.leaderboard import contest_leaderboard, live_summary, unit_standings
from quiz.contests.models import Attempt, Contest, Paper
from quiz.contests.services import (
    LIVE_EDITABLE,
    RuleSpec,
    archive_contest,
    attempt_counts,
    close_contest,
    copy_paper,
    create_contest,
    create_paper,
    find_attempts,
    get_manageable_contest,
    get_manageable_paper,
    knowledge_points_in_banks,
    manageable_contests_stmt,
    manageable_papers_stmt,
    papers_in_use,
    preview_rule_specs,
    publish_contest,
    release_results,
    update_contest,
    update_paper,
)
from quiz.db import get_session
from quiz.i18n import translate
from quiz.manage import bp
from quiz.reports.exporting import xlsx_response
from quiz.manage.forms import (
    COUNT_CHOICES,
    LEADERBOARD_CHOICES,
    RELEASE_CHOICES,
    ROLE_CHOICES,
    AddQuestionForm,
    ConfirmForm,
    ContestForm,
    ExtendForm,
    PaperEditForm,
    PaperNewForm,
)

LEADERBOARD_LIMIT = 500
SIGNAL_LIMIT = 200
DEFAULT_THRESHOLD = 3
LIVE_REFRESH_SECONDS = 15
PHASE_GROUPS = ("draft", "active", "closed", "archived")  # active: upcoming or running


# ---- helpers -----------------------------------------------------------------------------------


def _actor():
    """The signed-in User itself (not the proxy), for services."""
    return current_user._get_current_object()


def _audit():
    return partial(record, get_session(), _actor(), ip_address=request.remote_addr or "")


def _paper(paper_id: int) -> Paper:
    try:
        return get_manageable_paper(get_session(), _actor(), paper_id)
    except ContestError:
        abort(404)


def _contest(contest_id: int) -> Contest:
    try:
        return get_manageable_contest(get_session(), _actor(), contest_id)
    except ContestError:
        abort(404)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("QUIZ_TIMEZONE") or "Asia/Shanghai")


def to_local(value: datetime | None) -> datetime | None:
    """Stored naive UTC -> naive local time (minutes), as a datetime-local input shows it."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).astimezone(_zone()).replace(tzinfo=None, second=0, microsecond=0)


def to_utc(value: datetime | None) -> datetime | None:
    """A naive local time from a datetime-local input -> naive UTC for storage."""
    if value is None:
        return None
    return value.replace(tzinfo=_zone()).astimezone(timezone.utc).replace(tzinfo=None)


def _refused(exc: ContestError, endpoint: str, **values):
    """A refused write: roll it back (the redirect would otherwise commit it), say why, go back."""
    get_session().rollback()
    flash(translate(exc.message), "error")
    return redirect(url_for(endpoint, **values))


def _unit_choices(units: list[OrgUnit]) -> list[SelectChoice]:
    if not units:
        return []
    top = min(u.depth for u in units)
    return [SelectChoice(u.id, "　" * (u.depth - top) + u.name) for u in units if u.active]


def _unit_names(session, ids) -> dict[int, str]:
    ids = set(ids)
    return dict(session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(ids))).all()) if ids else {}


# ---- papers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaperRow:
    paper: Paper
    unit: str
    questions: int
    total_points: float
    in_use: bool


def _size(paper: Paper) -> tuple[int, float]:
    if paper.mode == "fixed":
        return len(paper.items), round(sum(i.points for i in paper.items), 2)
    return sum(r.count for r in paper.rules), round(sum(r.count * r.points_each for r in paper.rules), 2)


@bp.route("/papers")
@role_required("organizer")
def papers():
    s = get_session()
    found = list(s.scalars(manageable_papers_stmt(_actor()).options(selectinload(Paper.rules), selectinload(Paper.items))))
    in_use = papers_in_use(s, [p.id for p in found])
    units = _unit_names(s, {p.org_unit_id for p in found})
    rows = [PaperRow(p, units.get(p.org_unit_id, ""), *_size(p), p.id in in_use) for p in found]
    return render_template("manage/papers.html", rows=rows)


@bp.route("/papers/new", methods=["GET", "POST"])
@role_required("organizer")
def paper_new():
    s = get_session()
    actor = _actor()
    form = PaperNewForm()
    form.org_unit_id.choices = _unit_choices(units_in_reach(s, actor))
    if request.method == "GET":
        form.org_unit_id.data = actor.org_unit_id
    if form.validate_on_submit():
        try:
            paper = create_paper(
                s, actor, title=form.title.data, org_unit_id=form.org_unit_id.data, mode=form.mode.data, draw=form.draw.data,
                shuffle_questions=form.shuffle_questions.data, shuffle_options=form.shuffle_options.data,
                multiple_mode=form.multiple_mode.data, multiple_fraction=_fraction(form), pool_size=form.pool_size.data,
                audit=_audit(),
            )
        except ContestError as exc:
            flash(translate(exc.message), "error")
        else:
            flash(_("已新建试卷“%(title)s”，请添加组卷规则或题目", title=paper.title), "success")
            return redirect(url_for("manage.paper_edit", paper_id=paper.id))
    return render_template("manage/paper_new.html", form=form), 422 if request.method == "POST" else 200


def _fraction(form) -> float:
    return 0.5 if form.multiple_fraction.data is None else float(form.multiple_fraction.data)


@dataclass
class RuleChoices:
    banks: list[Bank]
    subjects: list[Subject]
    knowledge_points: list[tuple[int, str]]


def _rule_choices(session, actor) -> RuleChoices:
    banks = banks_visible_to(session, actor)
    subjects = list(session.scalars(select(Subject).order_by(Subject.sort_order, Subject.id)))
    return RuleChoices(banks, subjects, knowledge_points_in_banks(session, [b.id for b in banks]))


def _paper_data(paper: Paper) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(paper, name) for name in (
        "title", "draw", "pool_size", "shuffle_questions", "shuffle_options", "multiple_mode", "multiple_fraction")}
    data["rules"] = [{
        "position": n, "bank_ids": list(r.bank_ids or []), "subject_id": r.subject_id or 0,
        "knowledge_point_ids": list(r.knowledge_point_ids or []), "type": r.type or "", "difficulty_min": r.difficulty_min,
        "difficulty_max": r.difficulty_max, "count": r.count, "points_each": r.points_each,
    } for n, r in enumerate(paper.rules, start=1)] + [{"position": len(paper.rules) + 1}]  # and one blank row to add a rule
    data["items"] = [{"question_id": str(i.question_id), "position": i.position, "points": i.points} for i in paper.items]
    return data


def _setup_rules(form: PaperEditForm, choices: RuleChoices) -> None:
    bank_choices = [SelectChoice(b.id, b.name) for b in choices.banks]
    subject_choices = [SelectChoice(0, _("不限"))] + [SelectChoice(x.id, x.name) for x in choices.subjects]
    kp_choices = [SelectChoice(k, name) for k, name in choices.knowledge_points]
    for entry in form.rules:
        f = entry.form
        f.bank_ids.choices = bank_choices
        f.bank_ids.validate_choice = False  # the service checks the banks (and names the rule)
        f.subject_id.choices = subject_choices
        f.knowledge_point_ids.choices = kp_choices
        f.knowledge_point_ids.validate_choice = False


def _rule_specs(form: PaperEditForm) -> tuple[list[RuleSpec], list[int]]:
    """The rules to keep, in their order, and the form row each came from (blank and removed rows dropped)."""
    kept = []
    for index, entry in enumerate(form.rules):
        f = entry.form
        if f.remove.data or f.is_blank():
            continue
        kept.append((f.position.data if f.position.data is not None else 10**6, index, f))
    kept.sort(key=lambda t: (t[0], t[1]))
    specs = [RuleSpec(
        bank_ids=list(f.bank_ids.data or []), count=f.count.data or 0,
        points_each=1.0 if f.points_each.data is None else float(f.points_each.data),
        subject_id=f.subject_id.data or None, knowledge_point_ids=list(f.knowledge_point_ids.data or []),
        type=f.type.data or None, difficulty_min=f.difficulty_min.data, difficulty_max=f.difficulty_max.data,
    ) for _p, _i, f in kept]
    return specs, [index for _p, index, _f in kept]


def _item_pairs(form: PaperEditForm) -> list[tuple[int, float]]:
    kept = []
    for index, entry in enumerate(form.items):
        f = entry.form
        try:
            question_id = int(f.question_id.data)
        except (TypeError, ValueError):
            continue
        if f.remove.data:
            continue
        if f.points.data is None:
            raise ContestError("invalid", N_("请填写每道题的分值"))
        kept.append((f.position.data if f.position.data is not None else 10**6, index, question_id, float(f.points.data)))
    kept.sort(key=lambda t: (t[0], t[1]))
    return [(q, p) for _pos, _i, q, p in kept]


def _item_details(session, question_ids) -> dict[int, Question]:
    ids = list(question_ids)
    if not ids:
        return {}
    return {q.id: q for q in session.scalars(
        select(Question).where(Question.id.in_(ids)).options(selectinload(Question.current_version), selectinload(Question.bank)))}


def _apply_settings(session, actor, paper: Paper, form: PaperEditForm, **parts) -> None:
    update_paper(
        session, actor, paper, title=form.title.data, draw=form.draw.data, pool_size=form.pool_size.data,
        shuffle_questions=form.shuffle_questions.data, shuffle_options=form.shuffle_options.data,
        multiple_mode=form.multiple_mode.data, multiple_fraction=_fraction(form), audit=_audit(), **parts,
    )


@bp.route("/papers/<int:paper_id>", methods=["GET", "POST"])
@role_required("organizer")
def paper_edit(paper_id: int):
    s = get_session()
    actor = _actor()
    paper = _paper(paper_id)
    in_use = paper.id in papers_in_use(s, [paper.id])
    choices = _rule_choices(s, actor) if paper.mode == "rules" else RuleChoices([], [], [])
    form = PaperEditForm() if request.method == "POST" else PaperEditForm(data=_paper_data(paper))
    _setup_rules(form, choices)
    problems: list[str] = []
    preview = None
    row_checks: dict[int, paper_rules.RuleCheck] = {}  # form row -> how its rule stands
    status = 200
    if request.method == "POST":
        if in_use:
            return _refused(ContestError("conflict", N_("试卷已被已发布的竞赛使用，不能再修改；请复制一份再改")),
                            "manage.paper_edit", paper_id=paper.id)
        action = request.form.get("action", "save")
        if not form.validate_on_submit():
            problems = [_("试卷未保存，请修改下面标出的问题")]
        else:
            try:
                if paper.mode == "rules":
                    specs, rows = _rule_specs(form)
                    preview = preview_rule_specs(s, actor, specs)
                    row_checks = dict(zip(rows, preview.rules))
                    problems = [translate(m) for m in preview.problems]
                    if not problems and action == "save":
                        _apply_settings(s, actor, paper, form, rules=specs)
                elif action == "save":
                    _apply_settings(s, actor, paper, form, items=_item_pairs(form))
            except ContestError as exc:
                problems = [translate(exc.message)]
        if problems:
            status = 422
        elif action == "save":
            flash(_("试卷已保存"), "success")
            return redirect(url_for("manage.paper_edit", paper_id=paper.id))
    else:
        preview = paper_rules.preview(s, paper)
        row_checks = dict(enumerate(preview.rules))
    items = _item_details(s, [int(e.form.question_id.data) for e in form.items if str(e.form.question_id.data or "").isdigit()])
    search = _search(s, actor, paper) if paper.mode == "fixed" and not in_use else None
    return render_template(
        "manage/paper_edit.html", paper=paper, form=form, in_use=in_use, problems=problems, preview=preview,
        row_checks=row_checks, items=items, search=search, choices=choices, add_form=AddQuestionForm(), confirm=ConfirmForm(),
        unit=_unit_names(s, [paper.org_unit_id]).get(paper.org_unit_id, ""),
    ), status


@dataclass
class Search:
    banks: list[Bank]
    bank: Bank | None
    q: str
    type: str
    questions: list[Question]
    total: int


def _search(session, actor, paper: Paper) -> Search:
    """The fixed-paper editor's question search: a bank the organizer may use, text, type."""
    banks = banks_visible_to(session, actor)
    bank_id = request.args.get("bank", type=int)
    bank = next((b for b in banks if b.id == bank_id), banks[0] if banks else None)
    q = request.args.get("q", "").strip()
    qtype = request.args.get("type", "")
    if bank is None:
        return Search(banks, None, q, qtype, [], 0)
    page = search_questions(session, bank, q=q, type=qtype or None, status="active", per_page=20)
    have = {i.question_id for i in paper.items}
    return Search(banks, bank, q, qtype, [x for x in page.questions if x.id not in have], page.total)


@bp.route("/papers/<int:paper_id>/questions", methods=["POST"])
@role_required("organizer")
def paper_add_question(paper_id: int):
    s = start_write()
    actor = _actor()
    paper = _paper(paper_id)
    form = AddQuestionForm()
    back = {k: v for k, v in request.form.items() if k in ("bank", "q", "type")}
    if not form.validate_on_submit():
        flash(_("请选择要加入的题目"), "error")
        return redirect(url_for("manage.paper_edit", paper_id=paper.id, **back))
    question = s.get(Question, form.question_id.data)
    if question is None or not can_use_bank(s, actor, question.bank):
        flash(_("题目不存在或所在题库无权使用"), "error")
        return redirect(url_for("manage.paper_edit", paper_id=paper.id, **back))
    points = 2.0 if form.points.data is None else float(form.points.data)
    try:
        update_paper(s, actor, paper, items=[(i.question_id, i.points) for i in paper.items] + [(question.id, points)], audit=_audit())
    except ContestError as exc:
        return _refused(exc, "manage.paper_edit", paper_id=paper.id, **back)
    flash(_("已加入第 %(id)d 题", id=question.id), "success")
    return redirect(url_for("manage.paper_edit", paper_id=paper.id, **back))


@bp.route("/papers/<int:paper_id>/copy", methods=["POST"])
@role_required("organizer")
def paper_copy(paper_id: int):
    s = start_write()
    paper = _paper(paper_id)
    try:
        copy = copy_paper(s, _actor(), paper, audit=_audit())
    except ContestError as exc:
        return _refused(exc, "manage.paper_edit", paper_id=paper.id)
    flash(_("已复制为“%(title)s”", title=copy.title), "success")
    return redirect(url_for("manage.paper_edit", paper_id=copy.id))


# ---- contests ----------------------------------------------------------------------------------


def phase_group(phase: str) -> str:
    return "active" if phase in ("upcoming", "running") else phase


@dataclass(frozen=True)
class ContestRow:
    contest: Contest
    phase: str
    started: int
    submitted: int


def contest_rows(session, actor, moment: datetime, *, include_archived: bool = True, limit: int | None = None) -> list[ContestRow]:
    """The contests the organizer manages with their phase and counts, in three queries
    (contests, their papers, attempts counted per contest) whatever the number of attempts."""
    stmt = manageable_contests_stmt(actor).options(selectinload(Contest.paper))
    if not include_archived:
        stmt = stmt.where(Contest.status != "archived")
    if limit is not None:
        stmt = stmt.limit(limit)
    found = list(session.scalars(stmt))
    counts = attempt_counts(session, [c.id for c in found])
    return [ContestRow(c, c.phase(moment), counts.get(c.id, {}).get("started", 0), counts.get(c.id, {}).get("submitted", 0))
            for c in found]


@bp.route("/contests")
@role_required("organizer")
def contests():
    rows = contest_rows(get_session(), _actor(), now())
    groups = {g: [r for r in rows if phase_group(r.phase) == g] for g in PHASE_GROUPS}
    return render_template("manage/contests.html", groups=groups)


def _paper_choices(session, actor, keep: Paper | None = None) -> list[SelectChoice]:
    found = list(session.scalars(manageable_papers_stmt(actor)))
    if keep is not None and keep not in found:
        found.insert(0, keep)
    return [SelectChoice(p.id, p.title) for p in found]


def _contest_form(session, actor, contest: Contest | None) -> ContestForm:
    if request.method == "POST":
        form = ContestForm()
    elif contest is not None:
        form = ContestForm(data=_contest_data(contest))
    else:
        form = ContestForm(data=_new_contest_data(session))
    form.paper.choices = _paper_choices(session, actor, contest.paper if contest is not None else None)
    form.eligible_unit_ids.choices = _unit_choices(units_in_reach(session, actor))
    return form


def _contest_data(contest: Contest) -> dict[str, Any]:
    data = {name: getattr(contest, name) for name in (
        "title", "notice", "time_limit_minutes", "attempts_allowed", "counts", "pass_score", "release", "review_after_close",
        "leaderboard", "one_page", "count_tab_switches", "count_pastes", "auto_submit_after_switches")}
    data.update(paper=contest.paper_id, opens_at=to_local(contest.opens_at), closes_at=to_local(contest.closes_at),
                eligible_unit_ids=list(contest.eligible_unit_ids or []), eligible_roles=list(contest.eligible_roles or []))
    return data


def _new_contest_data(session) -> dict[str, Any]:
    tomorrow = (to_local(now()) + timedelta(days=1)).replace(hour=9, minute=0)
    data: dict[str, Any] = {"opens_at": tomorrow, "closes_at": tomorrow.replace(hour=17), "time_limit_minutes": 30}
    paper_id = request.args.get("paper", type=int)
    if paper_id:
        data["paper"] = paper_id
    return data


def locked_fields(contest: Contest, moment: datetime) -> list[str]:
    """Form fields that may no longer change: once published, all but ``LIVE_EDITABLE`` (the
    service's rule); once closed, also the end time; once archived, everything."""
    names = [f for f in ContestForm.__dict__ if not f.startswith("_") and hasattr(ContestForm.__dict__[f], "field_class")]
    if contest.status == "archived":
        return names
    if contest.status == "draft":
        return []
    locked = [n for n in names if n not in LIVE_EDITABLE]
    if contest.phase(moment) == "closed":
        locked.append("closes_at")
    return locked


def _choice_label(choices, value) -> str:
    return next((str(c.label) for c in choices if c.value == value), str(value))


def _shown(session, contest: Contest, name: str) -> str:
    """A contest setting as the read-only list shows it."""
    value = getattr(contest, name) if name != "paper" else contest.paper.title
    if name in ("opens_at", "closes_at"):
        return to_local(value).strftime("%Y-%m-%d %H:%M")
    if name == "counts":
        return _choice_label(COUNT_CHOICES, value)
    if name == "release":
        return _choice_label(RELEASE_CHOICES, value)
    if name == "leaderboard":
        return _choice_label(LEADERBOARD_CHOICES, value)
    if name == "eligible_roles":
        return "、".join(_choice_label(ROLE_CHOICES, r) for r in value) if value else _("干部")
    if name == "eligible_unit_ids":
        names = _unit_names(session, value or [contest.org_unit_id])
        return "、".join(names.get(u, str(u)) for u in (value or [contest.org_unit_id]))
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if value is None or value == "":
        return {"time_limit_minutes": _("不限（整个竞赛时段）"), "auto_submit_after_switches": _("不自动交卷"),
                "pass_score": _("不设及格分")}.get(name, "—")
    return str(value)


def _settings(form: ContestForm) -> dict[str, Any]:
    """The service's keywords from the form's present fields (the window converted to UTC)."""
    out: dict[str, Any] = {}
    for name in ("title", "notice", "time_limit_minutes", "attempts_allowed", "counts", "eligible_unit_ids", "eligible_roles",
                 "pass_score", "release", "review_after_close", "leaderboard", "one_page", "count_tab_switches",
                 "count_pastes", "auto_submit_after_switches", "opens_at", "closes_at"):
        field = getattr(form, name, None)
        if field is None:
            continue
        value = field.data
        if name in ("opens_at", "closes_at"):
            value = to_utc(value)
        elif name == "attempts_allowed":
            value = value or 1
        out[name] = value
    return out


@bp.route("/contests/new", methods=["GET", "POST"])
@role_required("organizer")
def contest_new():
    s = get_session()
    actor = _actor()
    form = _contest_form(s, actor, None)
    if form.validate_on_submit():
        try:
            paper = get_manageable_paper(s, actor, form.paper.data)
            values = _settings(form)
            contest = create_contest(s, actor, paper=paper, org_unit_id=actor.org_unit_id, audit=_audit(), **values)
        except ContestError as exc:
            flash(translate(exc.message), "error")
        else:
            flash(_("已保存竞赛草稿；检查设置后点“发布”"), "success")
            return redirect(url_for("manage.contest_edit", contest_id=contest.id))
    return render_template("manage/contest_form.html", form=form, contest=None, locked=[], phase="draft"), \
        422 if request.method == "POST" else 200


@bp.route("/contests/<int:contest_id>", methods=["GET", "POST"])
@role_required("organizer")
def contest_edit(contest_id: int):
    s = get_session()
    actor = _actor()
    contest = _contest(contest_id)
    moment = now()
    form = _contest_form(s, actor, contest)
    locked = locked_fields(contest, moment)
    labels = {name: str(getattr(form, name).label.text) for name in locked}
    for name in locked:
        delattr(form, name)
    status = 200
    if request.method == "POST":
        if contest.status == "archived":
            return _refused(ContestError("conflict", N_("竞赛已归档，不能修改")), "manage.contest_edit", contest_id=contest.id)
        if form.validate_on_submit():
            s = start_write()
            s.refresh(contest)
            changes = _settings(form)
            for name in ("opens_at", "closes_at"):  # the form has minutes: an untouched time is not a change
                if name in changes and to_local(getattr(contest, name)) == to_local(changes[name]):
                    del changes[name]
            if getattr(form, "paper", None) is not None and form.paper.data != contest.paper_id:
                try:
                    changes["paper"] = get_manageable_paper(s, actor, form.paper.data)
                except ContestError as exc:
                    return _refused(exc, "manage.contest_edit", contest_id=contest.id)
            try:
                update_contest(s, actor, contest, now=moment, audit=_audit(), **changes)
            except ContestError as exc:
                s.rollback()
                flash(translate(exc.message), "error")
                status = 422
            else:
                flash(_("竞赛设置已保存"), "success")
                return redirect(url_for("manage.contest_edit", contest_id=contest.id))
        else:
            status = 422
    shown = [(labels[name], _shown(s, contest, name)) for name in locked]
    counts = attempt_counts(s, [contest.id]).get(contest.id, {"started": 0, "submitted": 0})
    return render_template("manage/contest_form.html", form=form, contest=contest, locked=shown, phase=contest.phase(moment),
                           counts=counts, confirm=ConfirmForm()), status


def _lifecycle(contest_id: int, operation):
    """POST handlers of the lifecycle buttons: CSRF-checked, one write, a message, back to the contest.
    ``operation(session, contest)`` calls the service and returns the message to show."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    s = start_write()
    contest = _contest(contest_id)
    try:
        message = operation(s, contest)
    except ContestError as exc:
        return _refused(exc, "manage.contest_edit", contest_id=contest.id)
    flash(message, "success")
    return redirect(url_for("manage.contest_edit", contest_id=contest.id))


@bp.route("/contests/<int:contest_id>/publish", methods=["POST"])
@role_required("organizer")
def contest_publish(contest_id: int):
    def publish(s, contest):
        publish_contest(s, _actor(), contest, now=now(), audit=_audit())
        return ngettext("竞赛已发布：已抽好 %(num)d 份试卷，开始时间一到干部即可作答",
                        "竞赛已发布：已抽好 %(num)d 份试卷，开始时间一到干部即可作答", contest.variant_count)

    return _lifecycle(contest_id, publish)


@bp.route("/contests/<int:contest_id>/close", methods=["POST"])
@role_required("organizer")
def contest_close(contest_id: int):
    def close(s, contest):
        cut = close_contest(s, _actor(), contest, now=now(), audit=_audit())
        return ngettext("竞赛已提前结束；%(num)d 份正在作答的答卷已截止，将按已保存的答案自动交卷",
                        "竞赛已提前结束；%(num)d 份正在作答的答卷已截止，将按已保存的答案自动交卷", cut)

    return _lifecycle(contest_id, close)


@bp.route("/contests/<int:contest_id>/archive", methods=["POST"])
@role_required("organizer")
def contest_archive(contest_id: int):
    def archive(s, contest):
        archive_contest(s, _actor(), contest, now=now(), audit=_audit())
        return _("竞赛已归档：干部的竞赛列表中不再显示，成绩保留")

    return _lifecycle(contest_id, archive)


@bp.route("/contests/<int:contest_id>/release", methods=["POST"])
@role_required("organizer")
def contest_release(contest_id: int):
    def release(s, contest):
        release_results(s, _actor(), contest, audit=_audit())
        return _("成绩已公布，干部现在可以看到自己的成绩")

    return _lifecycle(contest_id, release)


# ---- the live page -----------------------------------------------------------------------------


@bp.route("/contests/<int:contest_id>/live")
@role_required("organizer")
def contest_live(contest_id: int):
    s = get_session()
    contest = _contest(contest_id)
    moment = now()
    summary = live_summary(s, contest, now=moment)
    threshold = min(max(request.args.get("threshold", DEFAULT_THRESHOLD, type=int) or DEFAULT_THRESHOLD, 1), 1000)
    signals = [r for r in summary["integrity"] if r["tab_switches"] >= threshold or r["pastes"] >= threshold]
    q = request.args.get("q", "").strip()
    found = find_attempts(s, contest, q) if q else []
    return render_template(
        "manage/live.html", contest=contest, summary=summary, signals=signals[:SIGNAL_LIMIT], signal_total=len(signals),
        threshold=threshold, q=q, found=found, moment=moment, extend_form=ExtendForm(), confirm=ConfirmForm(),
        refresh_seconds=LIVE_REFRESH_SECONDS,
    )


@bp.route("/contests/<int:contest_id>/extend", methods=["POST"])
@role_required("organizer")
def contest_extend(contest_id: int):
    form = ExtendForm()
    back = {"q": request.form.get("q", "")} if request.form.get("q") else {}
    if not form.validate_on_submit():
        contest = _contest(contest_id)
        flash("；".join(e for errors in form.errors.values() for e in errors) or _("请选择答卷"), "error")
        return redirect(url_for("manage.contest_live", contest_id=contest.id, **back))
    s = start_write()
    contest = _contest(contest_id)
    attempt = s.get(Attempt, form.attempt_id.data)
    if attempt is None or attempt.contest_id != contest.id:
        flash(_("答卷不存在"), "error")
        return redirect(url_for("manage.contest_live", contest_id=contest.id, **back))
    try:
        extend_attempt(s, _actor(), attempt, minutes=form.minutes.data, now=now(), audit=_audit())
    except ContestError as exc:
        return _refused(exc, "manage.contest_live", contest_id=contest.id, **back)
    flash(ngettext("已延长 %(num)d 分钟；新的截止时间 %(deadline)s", "已延长 %(num)d 分钟；新的截止时间 %(deadline)s", form.minutes.data,
                   deadline=to_local(attempt.deadline).strftime("%H:%M")), "success")
    return redirect(url_for("manage.contest_live", contest_id=contest.id, **back))


# ---- results -----------------------------------------------------------------------------------


def _totals(units: list[dict[str, Any]]) -> dict[str, Any]:
    eligible = sum(u["eligible"] for u in units)
    participants = sum(u["participants"] for u in units)
    scored = [(u["average_score"], u["participants"]) for u in units if u["average_score"] is not None]
    weight = sum(n for _a, n in scored)
    return {
        "eligible": eligible, "participants": participants,
        "participation_rate": round(participants / eligible, 4) if eligible else None,
        "average_score": round(sum(a * n for a, n in scored) / weight, 2) if weight else None,
        "pass_count": sum(u["pass_count"] for u in units),
    }


@bp.route("/contests/<int:contest_id>/results")
@role_required("organizer")
def contest_results(contest_id: int):
    contest = _contest(contest_id)
    moment = now()
    phase = contest.phase(moment)
    s, _finalised = finalise_after_close(contest, moment)
    rows = [dict(r, submitted=datetime.fromisoformat(r["submitted_at"].rstrip("Z")) if r["submitted_at"] else None)
            for r in contest_leaderboard(s, contest, limit=LEADERBOARD_LIMIT)]
    units = unit_standings(s, contest)
    return render_template("manage/results.html", contest=contest, phase=phase, rows=rows, units=units, totals=_totals(units),
                           limit=LEADERBOARD_LIMIT, confirm=ConfirmForm())


# ---- item analysis -----------------------------------------------------------------------------


def _finalised_after_close(contest: Contest):
    """The request's session, after finalising the attempts whose time ran out once the contest has
    closed: else an attempt that expired unsubmitted would be missing from the statistics until
    someone opened the results."""
    return finalise_after_close(contest, now())[0]


@bp.route("/contests/<int:contest_id>/items")
@role_required("organizer")
def contest_items(contest_id: int):
    """试题分析: facility, discrimination, efficiency, option shares per question, α of the paper
    (after close, of the attempts the deadline ended too: ``_finalised_after_close``)."""
    contest = _contest(contest_id)
    s = _finalised_after_close(contest)
    result = contest_item_analysis(s, contest)
    return render_template("manage/items.html", contest=contest, phase=contest.phase(now()), result=result,
                           analysis=result.analysis, questions=result.questions, min_attempts=MIN_ATTEMPTS,
                           floor=EFFICIENCY_FLOOR, high=FACILITY_HIGH, low=FACILITY_LOW)


ITEM_WIDTHS = [6, 8, 6, 48, 8, 9, 9, 9, 9, 28, 40, 30]


@bp.route("/contests/<int:contest_id>/items.xlsx")
@role_required("organizer")
def contest_items_export(contest_id: int):
    """The item-analysis table as xlsx (quiz.reports.exporting: neutralised cells, a sheet of the settings)."""
    contest = _contest(contest_id)
    s = _finalised_after_close(contest)
    result = contest_item_analysis(s, contest)
    rows = export_item_rows(result, translate)
    for row in rows:
        row[2] = _(TYPE_LABELS.get(row[2], row[2]))  # 单选, 多选…: msgids the templates already use
    headers = [_("题号"), _("题目编号"), _("题型"), _("题干"), _("作答人数"), _("难度系数"), _("区分度"), _("区分效率"),
               _("高低分组 D"), _("选项分布"), _("提示"), _("未能计算的原因")]
    analysis = result.analysis
    shown = lambda v: "%.4f" % v.value if v.value is not None else translate(v.reason)  # noqa: E731
    filters = [(_("竞赛"), contest.title), (_("每人计入"), _("最高分") if contest.counts == "best" else _("最后一次")),
               (_("计入统计的答卷"), str(analysis.attempts)), (_("整卷信度 α"), shown(analysis.alpha)), ("KR-20", shown(analysis.kr20))]
    return xlsx_response(_("试题分析-%(title)s.xlsx", title=contest.title), _("试题分析"), headers, rows, filters=filters,
                         widths=ITEM_WIDTHS)


# ---- the organizer's home page -----------------------------------------------------------------


def home_contests(session, actor, limit: int = 6) -> list[ContestRow]:
    """我的竞赛 on the organizer's home page: the latest contests not archived."""
    return contest_rows(session, actor, now(), include_archived=False, limit=limit)
