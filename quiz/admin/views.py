"""System administration: the unit tree, accounts, roster import, the audit log."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice
from sqlalchemy import func, select

import base64
import io

from question_bank.messages import BankError, N_
from quiz.accounts import roster
from quiz.accounts.models import ROLES, OrgUnit, User
from quiz.accounts.scope import can_reach_unit, can_reach_user, scoped, units_in_reach
from quiz.accounts.passwords import generate_password
from quiz.accounts.services import create_user, initial_password_expired, reset_password, search_users, set_user_active, update_user
from quiz.accounts.units import add_unit, move_unit, rename_unit, set_unit_active, unit_path_names
from quiz.admin import bp
from quiz.admin.forms import (
    ConfirmForm,
    MoveUnitForm,
    RenameUnitForm,
    ResetPasswordForm,
    RosterConfirmForm,
    RosterUploadForm,
    UnitForm,
    UserForm,
)
from quiz.audit.queries import search_audit
from quiz.accounts.user_sessions import active_sessions, describe_device, end_all_sessions, end_sessions_in_reach, sessions_in_reach
from quiz.auth.access import role_required, session_limits
from quiz.db import get_session, restart_as_writer
from quiz.i18n import translate
from quiz.uploads import models as uploads

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _ip() -> str:
    return request.remote_addr or ""


def _initial_password_valid() -> timedelta:
    """How long an initial password signs in (QUIZ_INITIAL_PASSWORD_DAYS, ASVS 6.4.1)."""
    return timedelta(days=current_app.config["INITIAL_PASSWORD_DAYS"])


def _unit_choices(units: list[OrgUnit]) -> list[SelectChoice]:
    """Active units, indented by depth, for a unit picker."""
    return [SelectChoice(u.id, "　" * (u.depth - units[0].depth) + u.name) for u in units if u.active] if units else []


def _load_unit(unit_id: int) -> OrgUnit:
    unit = get_session().get(OrgUnit, unit_id)
    if unit is None or not can_reach_unit(current_user, unit):
        abort(404)
    return unit


def _load_user(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None or not can_reach_user(current_user, user):
        abort(404)
    return user


@bp.route("/")
@role_required("admin")
def index():
    s = get_session()
    people = s.scalar(scoped(select(func.count()).select_from(User), current_user, User.org_unit_id)) or 0
    active = s.scalar(scoped(select(func.count()).select_from(User).where(User.active.is_(True)), current_user, User.org_unit_id)) or 0
    units = len(units_in_reach(s, current_user))
    return render_template("admin/index.html", people=people, active=active, units=units)


# ---- units ------------------------------------------------------------------------------


@bp.route("/units", methods=["GET", "POST"])
@role_required("admin")
def units():
    s = get_session()
    tree = units_in_reach(s, current_user)
    form = UnitForm()
    form.parent_id.choices = _unit_choices(tree)
    if form.validate_on_submit():
        try:
            unit = add_unit(s, current_user, form.name.data, _load_unit(form.parent_id.data), ip=_ip())
        except BankError as exc:
            flash(translate(exc.message), "error")
            return render_template("admin/units.html", tree=tree, form=form), 422
        flash(_("已新增单位“%(name)s”", name=unit.name), "success")
        return redirect(url_for("admin.units"))
    counts = dict(s.execute(scoped(select(User.org_unit_id, func.count()), current_user, User.org_unit_id).where(User.active.is_(True)).group_by(User.org_unit_id)).all())
    return render_template("admin/units.html", tree=tree, form=form, counts=counts)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@role_required("admin")
def unit_edit(unit_id: int):
    s = get_session()
    unit = _load_unit(unit_id)
    rename_form = RenameUnitForm(prefix="rename", name=unit.name)
    move_form = MoveUnitForm(prefix="move", parent_id=unit.parent_id)
    reach = units_in_reach(s, current_user)
    outside = {u.id for u in reach if not unit.contains(u)}
    move_form.parent_id.choices = [c for c in _unit_choices(reach) if c.value in outside]
    action = request.form.get("action")
    try:
        if action == "rename" and rename_form.validate_on_submit():
            rename_unit(s, current_user, unit, rename_form.name.data, ip=_ip())
            flash(_("单位已改名"), "success")
            return redirect(url_for("admin.unit_edit", unit_id=unit.id))
        if action == "move" and move_form.validate_on_submit():
            move_unit(s, current_user, unit, _load_unit(move_form.parent_id.data), ip=_ip())
            flash(_("单位已移动"), "success")
            return redirect(url_for("admin.unit_edit", unit_id=unit.id))
    except BankError as exc:
        flash(translate(exc.message), "error")
        return render_template("admin/unit_edit.html", unit=unit, rename_form=rename_form, move_form=move_form, confirm=ConfirmForm(), path=unit_path_names(unit)), 422
    return render_template("admin/unit_edit.html", unit=unit, rename_form=rename_form, move_form=move_form, confirm=ConfirmForm(), path=unit_path_names(unit))


@bp.route("/units/<int:unit_id>/active", methods=["POST"])
@role_required("admin")
def unit_set_active(unit_id: int):
    unit = _load_unit(unit_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    try:
        set_unit_active(get_session(), current_user, unit, active, ip=_ip())
    except BankError as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for("admin.unit_edit", unit_id=unit.id))
    flash(_("单位已启用") if active else _("单位已停用"), "success")
    return redirect(url_for("admin.unit_edit", unit_id=unit.id))


# ---- users ------------------------------------------------------------------------------


@bp.route("/users")
@role_required("admin")
def users():
    s = get_session()
    tree = units_in_reach(s, current_user)
    unit = None
    if request.args.get("unit", type=int):
        unit = _load_unit(request.args.get("unit", type=int))
    status = request.args.get("status", "")
    page = search_users(
        s,
        current_user,
        q=request.args.get("q", ""),
        unit=unit,
        role=request.args.get("role", ""),
        active={"active": True, "inactive": False}.get(status),
        page=request.args.get("page", 1, type=int),
    )
    return render_template("admin/users.html", page=page, tree=tree, roles=ROLES, args=request.args)


@bp.route("/users/new", methods=["GET", "POST"])
@role_required("admin")
def user_new():
    s = get_session()
    form = UserForm()
    form.org_unit_id.choices = _unit_choices(units_in_reach(s, current_user))
    if form.validate_on_submit():
        try:
            password = _initial_password(form)
            user = create_user(
                s, current_user, username=form.username.data, name=form.name.data, org_unit=_load_unit(form.org_unit_id.data),
                password=password, roles=set(form.roles.data), position=form.position.data, phone=form.phone.data,
                initial_password_valid=_initial_password_valid(), ip=_ip(),
            )
        except BankError as exc:
            flash(translate(exc.message), "error")
            return render_template("admin/user_form.html", form=form, user=None), 422
        if form.generate.data:
            return _show_issued_password(user, password, _("已创建账号 %(u)s", u=user.username))
        flash(ngettext("已创建账号 %(u)s；初始密码 %(num)d 天内有效，首次登录时需修改", "已创建账号 %(u)s；初始密码 %(num)d 天内有效，首次登录时需修改",
                       current_app.config["INITIAL_PASSWORD_DAYS"], u=user.username), "success")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def user_edit(user_id: int):
    s = get_session()
    user = _load_user(user_id)
    form = UserForm(obj=user, data={"roles": sorted(user.roles), "org_unit_id": user.org_unit_id} if request.method == "GET" else None)
    form.org_unit_id.choices = _unit_choices(units_in_reach(s, current_user))
    del form.username, form.password  # not editable here: the account name is permanent; passwords have their own action
    if form.validate_on_submit():
        try:
            update_user(s, current_user, user, name=form.name.data, org_unit=_load_unit(form.org_unit_id.data), position=form.position.data, phone=form.phone.data, roles=set(form.roles.data), ip=_ip())
        except BankError as exc:
            flash(translate(exc.message), "error")
            return render_template("admin/user_form.html", form=form, user=user, reset=ResetPasswordForm(), confirm=ConfirmForm(),
                                   sessions=active_sessions(s, user, session_limits()), describe_device=describe_device,
                           initial_expired=initial_password_expired(user)), 422
        flash(_("已保存"), "success")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=user, reset=ResetPasswordForm(), confirm=ConfirmForm(),
                           sessions=active_sessions(s, user, session_limits()), describe_device=describe_device,
                           initial_expired=initial_password_expired(user))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@role_required("admin")
def user_reset_password(user_id: int):
    user = _load_user(user_id)
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        password = _initial_password(form)
        reset_password(get_session(), current_user, user, password, initial_password_valid=_initial_password_valid(), ip=_ip())
    except BankError as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    if form.generate.data:
        return _show_issued_password(user, password, _("已重置 %(u)s 的密码；其已登录的设备均已退出", u=user.username))
    flash(ngettext("已重置密码；%(u)s 需在 %(num)d 天内登录并修改密码", "已重置密码；%(u)s 需在 %(num)d 天内登录并修改密码",
                   current_app.config["INITIAL_PASSWORD_DAYS"], u=user.username), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


def _initial_password(form) -> str:
    """The password the admin typed, or one the system generates (ASVS 6.4.1)."""
    if form.generate.data:
        return generate_password()
    if not form.password.data:
        raise BankError(N_("请输入初始密码，或勾选“由系统生成初始密码”"))
    return form.password.data


def _show_issued_password(user: User, password: str, title: str):
    """The generated password, shown on this one answer and never stored in clear or kept in the
    session (a flash message would sit in the signed, but readable, cookie); not cached."""
    response = make_response(render_template("admin/password_issued.html", user=user, password=password, title=title,
                                             days=current_app.config["INITIAL_PASSWORD_DAYS"]))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@role_required("admin")
def user_set_active(user_id: int):
    user = _load_user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    try:
        set_user_active(get_session(), current_user, user, active, ip=_ip())
    except BankError as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    flash(_("账号已启用") if active else _("账号已停用，其所有登录已失效"), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/sessions/end", methods=["POST"])
@role_required("admin")
def user_end_sessions(user_id: int):
    """End every session of the user at once (ASVS 7.4.5): a lost phone, a departure."""
    user = _load_user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ended = end_all_sessions(restart_as_writer(), current_user, user, ip=_ip())
    except BankError as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    flash(ngettext("已结束 %(u)s 的 %(num)d 个登录；对方需要重新登录", "已结束 %(u)s 的 %(num)d 个登录；对方需要重新登录", ended,
                   u=user.username), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/sessions")
@role_required("admin")
def sessions():
    """The confirmation step of ending everyone's sessions: what will happen, to how many, first."""
    reach = sessions_in_reach(get_session(), current_user, session_limits(), keep_row_id=current_user.signed_in_session.id)
    return render_template("admin/end_sessions.html", reach=reach, confirm=ConfirmForm(), unit=current_user.org_unit)


@bp.route("/sessions/end", methods=["POST"])
@role_required("admin")
def end_all_sessions_in_reach():
    """End every signed-in session in the admin's unit subtree but this one (after a suspected
    leak or a SECRET_KEY rotation); audit-logged."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ended = end_sessions_in_reach(restart_as_writer(), current_user, session_limits(),
                                  keep_row_id=current_user.signed_in_session.id, ip=_ip())
    flash(ngettext("已结束 %(num)d 个登录，涉及 %(people)s；他们需要重新登录。您本人在这台设备上的登录保留。",
                   "已结束 %(num)d 个登录，涉及 %(people)s；他们需要重新登录。您本人在这台设备上的登录保留。",
                   ended.sessions, people=ngettext("%(num)d 人", "%(num)d 人", ended.users)), "success")
    return redirect(url_for("admin.sessions"))


# ---- roster import ----------------------------------------------------------------------


@bp.route("/roster", methods=["GET", "POST"])
@role_required("admin")
def roster_upload():
    form = RosterUploadForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        s = get_session()
        result = roster.preview(s, current_user, data, form.file.data.filename or "")
        token = uploads.store(s, current_user.id, "roster", form.file.data.filename or "", data).token if result.ok else ""
        return render_template("admin/roster_preview.html", result=result, confirm=RosterConfirmForm(token=token), filename=form.file.data.filename)
    return render_template("admin/roster_upload.html", form=form)


@bp.route("/roster/confirm", methods=["POST"])
@role_required("admin")
def roster_confirm():
    form = RosterConfirmForm()
    s = get_session()
    if not form.validate_on_submit():
        flash(_("确认导入的表单已失效，请重新上传"), "error")
        return redirect(url_for("admin.roster_upload"))
    typed = form.password_mode.data == "typed"
    if typed and not form.initial_password.data:
        flash(_("请设置初始密码，或选择由系统为每人生成"), "error")
        return redirect(url_for("admin.roster_upload"))
    try:
        upload = uploads.fetch(s, current_user.id, "roster", form.token.data)
        result = roster.preview(s, current_user, upload.data, upload.filename)
        outcome = roster.apply(s, current_user, result, form.initial_password.data if typed else None,
                               initial_password_valid=_initial_password_valid(), ip=_ip())
    except BankError as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for("admin.roster_upload"))
    s.delete(upload)
    if outcome.issued:
        return _hand_over_roster_passwords(outcome)
    flash(_("导入完成：新增 %(c)d 人，更新 %(u)d 人；新账号首次登录需修改初始密码", c=outcome.created, u=outcome.updated), "success")
    return redirect(url_for("admin.users"))


def _hand_over_roster_passwords(outcome: roster.RosterResult):
    """The generated initial passwords, once: the xlsx rides in this answer as a data: link (not
    cached, ``no-store``), so no copy is kept anywhere on the server, not even for a few minutes,
    and no second request can fetch it. The import commits before this answer leaves (quiz.db);
    if the commit fails, the error page replaces it and nobody sees passwords that do not work."""
    days = current_app.config["INITIAL_PASSWORD_DAYS"]
    note = ngettext("每人首次登录时必须修改初始密码；初始密码 %(num)d 天内有效。系统不保存初始密码明文，本名单无法再次下载，请妥善保管、逐人告知，用完销毁。",
                    "每人首次登录时必须修改初始密码；初始密码 %(num)d 天内有效。系统不保存初始密码明文，本名单无法再次下载，请妥善保管、逐人告知，用完销毁。", days)
    data = base64.b64encode(roster.issued_passwords_xlsx(outcome.issued, note)).decode()
    response = make_response(render_template("admin/roster_done.html", outcome=outcome, days=days, href=f"data:{XLSX};base64,{data}"))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/roster/template.xlsx")
@role_required("admin")
def roster_template():
    path = unit_path_names(current_user.org_unit)
    return send_file(io.BytesIO(roster.template_bytes(path)), mimetype=XLSX, as_attachment=True, download_name=_("人员名单导入模板.xlsx"))


# ---- audit log --------------------------------------------------------------------------


@bp.route("/audit")
@role_required("admin", "hr", "organizer")
def audit():
    page = search_audit(get_session(), current_user, q=request.args.get("q", ""), action=request.args.get("action", ""), page=request.args.get("page", 1, type=int))
    return render_template("admin/audit.html", page=page, args=request.args)
