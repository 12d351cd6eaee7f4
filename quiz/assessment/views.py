"""The assessment pages: HR's plans, records, 学时 and imports at /assessment; the cadre's own
records at /assessment/mine. Views parse, call a service, render."""
from __future__ import annotations

import io
from functools import partial

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from question_bank.messages import BankError, N_
from quiz.accounts.models import OrgUnit
from quiz.accounts.scope import can_reach_unit, units_in_reach
from quiz.assessment import bp, importing, services
from quiz.assessment.forms import (
    COMPONENT_ROWS,
    AdjustForm,
    CadreEntriesForm,
    ConfirmForm,
    DeleteForm,
    EntryUploadForm,
    ExemptionForm,
    PlanForm,
    TokenConfirmForm,
)
from quiz.assessment.models import HOURS_KEY, AssessmentPlan, AssessmentRecord
from quiz.assessment.rules import AssessmentError, BAND_PRESETS
from quiz.audit.services import record as audit_record
from quiz.auth.access import role_required
from quiz.db import get_session, restart_as_writer
from quiz.i18n import translate
from quiz.uploads import models as uploads

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PER_PAGE = 50


def _actor():
    return current_user._get_current_object()


def _audit():
    return partial(audit_record, get_session(), _actor(), ip_address=request.remote_addr or "")


def _tz() -> str:
    return current_app.config.get("QUIZ_TIMEZONE") or "Asia/Shanghai"


@bp.context_processor
def _helpers():
    return {"can_manage_plan": services.can_manage_plan}


def _plan(plan_id: int, *, manage: bool = False) -> AssessmentPlan:
    """The plan (404 outside the actor's view); with ``manage``, 403 for a plan the actor may
    only read (a plan of a unit above them)."""
    try:
        plan = services.get_plan(get_session(), _actor(), plan_id)
    except AssessmentError:
        abort(404)
    if manage and not services.can_manage_plan(_actor(), plan):
        abort(403)
    return plan


def _record(record_id: int) -> AssessmentRecord:
    try:
        return services.get_record(get_session(), _actor(), record_id)
    except AssessmentError:
        abort(404)


def _unit_arg(session) -> OrgUnit | None:
    unit = session.get(OrgUnit, request.args.get("unit", 0, type=int) or 0)
    return unit if unit is not None and can_reach_unit(_actor(), unit) else None


# ---- plans -------------------------------------------------------------------------------------


@bp.route("/")
@role_required("hr")
def plans():
    session = get_session()
    return render_template("assessment/plans.html", plans=list(session.scalars(services.plans_stmt(_actor()))))


def _plan_form(session, plan: AssessmentPlan | None) -> PlanForm:
    form = PlanForm()
    actor = _actor()
    units = units_in_reach(session, actor, include_inactive=False)
    form.org_unit_id.choices = [(u.id, "　" * (u.depth - units[0].depth) + u.name) for u in units]
    contests = services.available_contests(session, actor)
    for row in form.components.entries:
        row.form.contest_id.choices = [(0, _("（请选择）"))] + [(c.id, c.title) for c in contests]
    if request.method == "GET":
        _fill(form, plan, actor)
    return form


def _fill(form: PlanForm, plan: AssessmentPlan | None, actor) -> None:
    """Prefill a new plan with a sensible example, or an existing plan's settings."""
    from question_bank.db import utcnow

    if plan is None:
        form.year.data = utcnow().year
        form.org_unit_id.data = actor.org_unit_id
        components = [{"kind": "contest", "name": "", "weight": None}]
        bands = None
    else:
        form.title.data, form.year.data, form.org_unit_id.data = plan.title, plan.year, plan.org_unit_id
        form.description.data, form.excellent_cap.data, form.hours_required.data = plan.description, plan.excellent_cap, plan.hours_required
        rule = plan.hours_rule or {}
        form.per_passed_contest.data = rule.get("per_passed_contest", 0)
        form.per_passed_mock.data = rule.get("per_passed_mock", 0)
        form.per_practice_hour.data = rule.get("per_practice_hour", 0)
        components, bands = plan.components, plan.grade_bands
    for row, c in zip(form.components.entries, components[:COMPONENT_ROWS]):
        f = row.form
        kind = c.get("kind")
        f.key.data = c.get("key") or ""
        f.kind.data = f"practice_{c.get('measure')}" if kind == "practice" else kind
        f.name.data, f.weight.data = c.get("name"), c.get("weight")
        f.contest_id.data, f.counts.data = c.get("contest_id") or 0, c.get("counts") or ""
        f.target.data, f.max.data = c.get("target"), c.get("max")
    if bands:
        preset = next((name for name, preset in BAND_PRESETS.items() if preset == bands), "custom")
        form.preset.data = preset
        for row, (name, minimum) in zip(form.bands.entries, bands):
            row.form.name.data, row.form.minimum.data = name, minimum
    else:
        for row, (name, minimum) in zip(form.bands.entries, BAND_PRESETS["default"]):
            row.form.name.data, row.form.minimum.data = name, minimum


@bp.route("/plans/new", methods=["GET", "POST"])
@role_required("hr")
def plan_new():
    session = get_session()
    form = _plan_form(session, None)
    if form.validate_on_submit():
        try:
            session = restart_as_writer()
            plan = services.create_plan(session, _actor(), audit=_audit(), **form.plan_fields())
        except (AssessmentError, ValueError, TypeError) as exc:
            session.rollback()
            flash(translate(exc.message) if isinstance(exc, BankError) else _("请检查填写的数字"), "error")
        else:
            flash(_("考核方案已保存；可以登记免考、导入学时，然后计算考核结果"), "success")
            return redirect(url_for("assessment.plan", plan_id=plan.id))
    return render_template("assessment/plan_form.html", form=form, plan=None)


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@role_required("hr")
def plan_edit(plan_id: int):
    session = get_session()
    plan = _plan(plan_id, manage=True)
    form = _plan_form(session, plan)
    if form.validate_on_submit():
        try:
            session = restart_as_writer()
            plan = _plan(plan_id, manage=True)
            services.update_plan(session, _actor(), plan, audit=_audit(), **form.plan_fields(frozenset(services.component_keys(plan))))
        except (AssessmentError, ValueError, TypeError) as exc:
            session.rollback()
            flash(translate(exc.message) if isinstance(exc, BankError) else _("请检查填写的数字"), "error")
        else:
            flash(_("考核方案已保存；已计算的考核记录保留计算时的设置，重新计算后按新设置生成"), "success")
            return redirect(url_for("assessment.plan", plan_id=plan.id))
    return render_template("assessment/plan_form.html", form=form, plan=plan)


# ---- records -----------------------------------------------------------------------------------


def _record_filters(plan: AssessmentPlan) -> dict:
    session = get_session()
    revision = request.args.get("revision", 0, type=int) or plan.current_revision
    return {"revision": revision, "q": request.args.get("q", ""), "unit": _unit_arg(session),
            "grade": request.args.get("grade", ""), "sort": request.args.get("sort", "rank")}


@bp.route("/plans/<int:plan_id>")
@role_required("hr")
def plan(plan_id: int):
    session = get_session()
    plan = _plan(plan_id)
    filters = _record_filters(plan)
    page = services.record_page(session, plan, _actor(), page=request.args.get("page", 1, type=int), per_page=PER_PAGE, **filters)
    return render_template(
        "assessment/plan.html", plan=plan, page=page, filters=filters, args=request.args,
        tree=units_in_reach(session, _actor()), grades=services.grade_counts(session, plan, _actor(), filters["revision"]),
        confirm=ConfirmForm(), contests={c.id: c.title for c in services.available_contests(session, _actor())},
    )


@bp.route("/plans/<int:plan_id>/compute", methods=["POST"])
@role_required("hr")
def compute(plan_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("页面已过期，请重试"), "error")
        return redirect(url_for("assessment.plan", plan_id=plan_id))
    session = restart_as_writer()
    plan = _plan(plan_id, manage=True)
    try:
        result = services.compute_plan(session, _actor(), plan, tz=_tz(), audit=_audit())
    except AssessmentError as exc:
        session.rollback()
        flash(translate(exc.message), "error")
    else:
        if result.new_revision and result.revision > 1:
            flash(ngettext("已计算 %(num)d 人，生成第 %(r)d 版；已锁定的旧版本保持不变",
                           "已计算 %(num)d 人，生成第 %(r)d 版；已锁定的旧版本保持不变", result.records, r=result.revision), "success")
        else:
            flash(ngettext("已计算 %(num)d 人（第 %(r)d 版，草稿）", "已计算 %(num)d 人（第 %(r)d 版，草稿）", result.records,
                           r=result.revision), "success")
    return redirect(url_for("assessment.plan", plan_id=plan_id))


@bp.route("/plans/<int:plan_id>/lock", methods=["GET", "POST"])
@role_required("hr")
def lock(plan_id: int):
    plan = _plan(plan_id, manage=True)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(_("页面已过期，请重试"), "error")
            return redirect(url_for("assessment.lock", plan_id=plan_id))
        session = restart_as_writer()
        plan = _plan(plan_id, manage=True)
        try:
            n = services.lock_plan(session, _actor(), plan, audit=_audit())
        except AssessmentError as exc:
            session.rollback()
            flash(translate(exc.message), "error")
        else:
            flash(ngettext("已锁定第 %(r)d 版的 %(num)d 条考核记录；锁定后不能再修改", "已锁定第 %(r)d 版的 %(num)d 条考核记录；锁定后不能再修改", n,
                           r=plan.locked_revision), "success")
        return redirect(url_for("assessment.plan", plan_id=plan_id))
    session = get_session()
    return render_template("assessment/lock.html", plan=plan, form=form,
                           grades=services.grade_counts(session, plan, _actor()),
                           adjusted=services.adjusted_count(session, plan, _actor()))


@bp.route("/plans/<int:plan_id>/revisions")
@role_required("hr")
def revisions(plan_id: int):
    plan = _plan(plan_id)
    return render_template("assessment/revisions.html", plan=plan, revisions=services.revisions(get_session(), plan, _actor()))


EXPORT_HEADERS = [N_("名次"), N_("账号"), N_("姓名"), N_("单位"), N_("总分"), N_("等次"), N_("计算总分"), N_("调整原因"), N_("学时"),
                  N_("学时要求"), N_("状态")]


@bp.route("/plans/<int:plan_id>/export")
@role_required("hr")
def export(plan_id: int):
    from quiz.reports.exporting import csv_response, xlsx_response

    session = get_session()
    plan = _plan(plan_id)
    filters = _record_filters(plan)
    components = services.revision_settings(session, plan, filters["revision"])["components"]  # as that revision was computed
    fixed = [_(h) for h in EXPORT_HEADERS]
    headers = fixed[:6] + [c["name"] for c in components] + fixed[6:]

    def rows():
        stmt = services.records_stmt(plan, _actor(), **filters)
        for r in session.scalars(stmt.execution_options(yield_per=500)):
            values = {c["key"]: c.get("value") for c in r.components}
            cadre = r.inputs.get("cadre", {})
            yield ([r.rank, cadre.get("username", ""), cadre.get("name", ""), cadre.get("unit", ""), r.total,
                    _("%(grade)s（受优秀比例限制）", grade=r.grade) if r.grade_note == "capped" else r.grade]
                   + [values.get(c["key"]) if values.get(c["key"]) is not None else _("免考") for c in components]
                   + [r.computed_total, r.adjust_reason, r.hours, r.hours_required, _("已锁定") if r.locked else _("草稿")])

    described = [(_("考核方案"), plan.title), (_("年度"), str(plan.year)), (_("版本"), str(filters["revision"])),
                 (_("单位"), filters["unit"].name if filters["unit"] else _("全部")), (_("搜索"), filters["q"]),
                 (_("等次"), filters["grade"] or _("全部"))]
    filename = _("%(year)d年度考核记录-%(title)s", year=plan.year, title=plan.title)
    if request.args.get("format") == "csv":
        return csv_response(filename + ".csv", headers, rows(), filters=described)
    return xlsx_response(filename + ".xlsx", _("考核记录"), headers, rows(), filters=described)


@bp.route("/records/<int:record_id>")
@role_required("hr")
def record(record_id: int):
    r = _record(record_id)
    return render_template("assessment/record.html", record=r, plan=r.plan)


@bp.route("/records/<int:record_id>/adjust", methods=["GET", "POST"])
@role_required("hr")
def record_adjust(record_id: int):
    r = _record(record_id)
    if not services.can_manage_plan(_actor(), r.plan):
        abort(403)
    form = AdjustForm()
    if request.method == "GET":
        form.total.data = r.adjusted_total
        form.reason.data = r.adjust_reason
    if form.validate_on_submit():
        session = restart_as_writer()
        r = _record(record_id)
        try:
            total = float(form.total.data) if form.total.data is not None else None
            services.adjust_record(session, _actor(), r, total=total, reason=form.reason.data, audit=_audit())
        except AssessmentError as exc:
            session.rollback()
            flash(translate(exc.message), "error")
        else:
            flash(_("已调整，调整原因已记入操作日志"), "success")
            return redirect(url_for("assessment.record", record_id=record_id))
    return render_template("assessment/adjust.html", record=r, form=form)


@bp.route("/records/<int:record_id>/card")
@role_required("hr")
def record_card(record_id: int):
    r = _record(record_id)
    return render_template("assessment/card.html", record=r, plan=r.plan)


# ---- exemptions, 学时 and imports -------------------------------------------------------------


@bp.route("/plans/<int:plan_id>/exemptions", methods=["GET", "POST"])
@role_required("hr")
def exemptions(plan_id: int):
    plan = _plan(plan_id, manage=True)
    form = ExemptionForm()
    form.component_key.choices = [(c["key"], c["name"]) for c in plan.components]
    if form.validate_on_submit():
        session = restart_as_writer()
        plan = _plan(plan_id, manage=True)
        try:
            services.add_exemption(session, _actor(), plan, username=form.username.data, component_key=form.component_key.data,
                                   reason=form.reason.data, audit=_audit())
        except AssessmentError as exc:
            session.rollback()
            flash(translate(exc.message), "error")
        else:
            flash(_("已登记免考；重新计算后生效"), "success")
            return redirect(url_for("assessment.exemptions", plan_id=plan_id))
    names = {c["key"]: c["name"] for c in plan.components}
    return render_template("assessment/exemptions.html", plan=plan, form=form, names=names, delete=DeleteForm(),
                           exemptions=services.exemptions(get_session(), _actor(), plan))


@bp.route("/plans/<int:plan_id>/exemptions/delete", methods=["POST"])
@role_required("hr")
def exemption_delete(plan_id: int):
    plan = _plan(plan_id, manage=True)
    form = DeleteForm()
    if form.validate_on_submit() and (form.exemption_id.data or "").isdigit():
        session = restart_as_writer()
        plan = _plan(plan_id, manage=True)
        try:
            services.remove_exemption(session, _actor(), plan, int(form.exemption_id.data), audit=_audit())
        except AssessmentError as exc:
            session.rollback()
            flash(translate(exc.message), "error")
        else:
            flash(_("已撤销免考；重新计算后生效"), "success")
    else:
        flash(_("请选择要撤销的免考登记"), "error")
    return redirect(url_for("assessment.exemptions", plan_id=plan.id))


@bp.route("/plans/<int:plan_id>/hours")
@role_required("hr")
def hours(plan_id: int):
    session = get_session()
    plan = _plan(plan_id)
    page_no = request.args.get("page", 1, type=int)
    rows, total = services.hours_page(session, plan, _actor(), q=request.args.get("q", ""), unit=_unit_arg(session),
                                      page=page_no, per_page=PER_PAGE, tz=_tz())
    page = services.RecordPage([], total, max(1, page_no), PER_PAGE)
    return render_template("assessment/hours.html", plan=plan, rows=rows, page=page, args=request.args, tree=units_in_reach(session, _actor()))


@bp.route("/plans/<int:plan_id>/cadres/<int:user_id>/entries", methods=["GET", "POST"])
@role_required("hr")
def cadre_entries(plan_id: int, user_id: int):
    """Type one cadre's manual scores and extra 学时 by hand (the same values an import writes)."""
    session = get_session()
    plan = _plan(plan_id, manage=True)
    try:
        cadre = services.find_plan_cadre(session, _actor(), plan, user_id)
    except AssessmentError:
        abort(404)
    keys = _manual_keys(plan)
    existing = services.cadre_entries(session, plan, cadre.id)
    form = CadreEntriesForm(data={"rows": [{"key": k, "value": existing[k].value if k in existing else None,
                                             "note": existing[k].note if k in existing else ""} for k in keys]})
    if form.validate_on_submit():
        values = {row.form.key.data: (float(row.form.value.data) if row.form.value.data is not None else None, row.form.note.data or "")
                  for row in form.rows.entries}
        try:
            session = restart_as_writer()
            plan = _plan(plan_id, manage=True)
            cadre = services.find_plan_cadre(session, _actor(), plan, user_id)
            n = services.set_cadre_entries(session, _actor(), plan, cadre, values, audit=_audit())
        except AssessmentError as exc:
            session.rollback()
            flash(translate(exc.message), "error")
        else:
            flash(ngettext("已保存 %(name)s 的 %(num)d 项数值，已记入操作日志；重新计算后计入考核",
                           "已保存 %(name)s 的 %(num)d 项数值，已记入操作日志；重新计算后计入考核", n, name=cadre.name) if n
                  else _("没有需要保存的修改"), "success")
            return redirect(url_for("assessment.cadre_entries", plan_id=plan_id, user_id=user_id))
    rows = [(row, keys.get(row.form.key.data, ""), services.entry_limit(plan, row.form.key.data)) for row in form.rows.entries
            if row.form.key.data in keys]
    return render_template("assessment/entries.html", plan=plan, cadre=cadre, form=form, rows=rows, hours_key=HOURS_KEY,
                           entries=existing)


def _manual_keys(plan: AssessmentPlan) -> dict[str, str]:
    """What HR can import or type for this plan, as shown: 学时 in the user's language, component names as HR wrote them."""
    return {key: _(label) if key == HOURS_KEY else label for key, label in services.manual_keys(plan).items()}


def _upload_form(plan: AssessmentPlan) -> EntryUploadForm:
    form = EntryUploadForm()
    form.key.choices = list(_manual_keys(plan).items())
    return form


@bp.route("/plans/<int:plan_id>/import", methods=["GET", "POST"])
@role_required("hr")
def import_upload(plan_id: int):
    plan = _plan(plan_id, manage=True)
    form = _upload_form(plan)
    if request.method == "GET" and request.args.get("key") in services.manual_keys(plan):
        form.key.data = request.args["key"]
    if form.validate_on_submit():
        session = get_session()
        data = form.file.data.read()
        result = importing.preview(session, _actor(), plan, form.key.data, data, form.file.data.filename or "")
        token = uploads.store(session, current_user.id, "assessment", form.file.data.filename or "", data).token if result.ok else ""
        return render_template("assessment/import_preview.html", plan=plan, result=result, filename=form.file.data.filename,
                               label=_manual_keys(plan)[form.key.data], column=importing.headers(form.key.data)[2],
                               confirm=TokenConfirmForm(token=token, key=form.key.data))
    return render_template("assessment/import_upload.html", plan=plan, form=form)


@bp.route("/plans/<int:plan_id>/import/confirm", methods=["POST"])
@role_required("hr")
def import_confirm(plan_id: int):
    plan = _plan(plan_id, manage=True)
    form = TokenConfirmForm()
    if not form.validate_on_submit() or form.key.data not in services.manual_keys(plan):
        flash(_("请重新上传文件"), "error")
        return redirect(url_for("assessment.import_upload", plan_id=plan_id))
    session = restart_as_writer()
    plan = _plan(plan_id, manage=True)
    try:
        upload = uploads.fetch(session, current_user.id, "assessment", form.token.data)
        result = importing.preview(session, _actor(), plan, form.key.data, upload.data, upload.filename)
        n = importing.apply(session, _actor(), plan, result, audit=_audit())
    except BankError as exc:
        session.rollback()
        flash(translate(exc.message), "error")
        return redirect(url_for("assessment.import_upload", plan_id=plan_id))
    session.delete(upload)
    flash(ngettext("导入完成：%(num)d 人的%(label)s已保存；重新计算后计入考核", "导入完成：%(num)d 人的%(label)s已保存；重新计算后计入考核", n,
                   label=_manual_keys(plan)[form.key.data]), "success")
    return redirect(url_for("assessment.hours" if form.key.data == HOURS_KEY else "assessment.plan", plan_id=plan_id))


@bp.route("/plans/<int:plan_id>/import/template.xlsx")
@role_required("hr")
def import_template(plan_id: int):
    plan = _plan(plan_id, manage=True)
    keys = _manual_keys(plan)
    key = request.args.get("key") if request.args.get("key") in keys else HOURS_KEY
    data = importing.template_bytes(key, keys[key], translate=_)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=_("%(label)s导入模板.xlsx", label=keys[key]))


# ---- the cadre's own records -------------------------------------------------------------------


@bp.route("/mine")
@role_required()
def mine():
    return render_template("assessment/mine.html", records=services.my_records(get_session(), _actor()))


@bp.route("/mine/<int:record_id>")
@role_required()
def my_record(record_id: int):
    r = get_session().get(AssessmentRecord, record_id)
    if r is None or r.user_id != current_user.id:
        abort(404)
    return render_template("assessment/card.html", record=r, plan=r.plan, mine=True)
