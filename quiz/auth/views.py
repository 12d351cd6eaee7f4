from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from question_bank.messages import BankError
from quiz.accounts.services import authenticate, change_password, record_login
from quiz.auth import bp
from quiz.accounts.user_sessions import active_sessions, describe_device, end_own_session, revoke, start_user_session
from quiz.admin.forms import ConfirmForm
from quiz.auth.access import home_endpoint, keep_only_language, session_limits
from quiz.auth.forms import ChangePasswordForm, LoginForm
from quiz.db import get_session, restart_as_writer
from quiz.extensions import limiter
from quiz.i18n import translate


def _account_key() -> str:
    return "login-account:" + (request.form.get("username") or "").strip().lower()


def _failed(response) -> bool:
    return response.status_code == 401


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def start_session(user, remember: bool = False) -> None:
    """Renew the session at login (no fixation): a new session row, whose random key the session
    cookie (and, with 在这台设备上保持登录, the remember cookie) carries. Writes in the request's
    database session: callers have begun a write transaction or are already writing."""
    keep_only_language()
    if user.locale:
        session["locale"] = user.locale
    start_user_session(get_session(), user, session_limits(), remember=remember,
                       user_agent=request.user_agent.string, ip=request.remote_addr or "")
    login_user(user, remember=remember)
    session.permanent = True


def end_session() -> None:
    """Sign-out (ASVS 7.4.1): revoke this device's session row, so a copy of its cookies is
    refused from now on; the user's other devices stay signed in."""
    if current_user.is_authenticated and current_user.signed_in_session is not None:
        revoke(restart_as_writer(), current_user.signed_in_session.id)
    logout_user()
    keep_only_language()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_account_key, deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm()
    if session.pop("expired", False):
        flash(_("登录已超时，请重新登录"), "info")
    if session.pop("ended", False):
        flash(_("这次登录已被结束（在其他设备上退出、修改了密码或由管理员结束），请重新登录"), "info")
    if form.validate_on_submit():
        result = authenticate(get_session(), form.username.data, form.password.data)
        if result.user is not None:
            record_login(restart_as_writer(), result.user)
            start_session(result.user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or url_for(home_endpoint(result.user)))
        if result.error == "inactive":
            flash(_("该账号已停用，请联系本单位管理员"), "error")
        elif result.error == "expired":
            flash(_("您的初始密码已过期，不能再用于登录。请联系本单位管理员，为您重新设置初始密码。"), "error")
        else:
            flash(_("账号或密码不正确"), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    end_session()
    flash(_("您已退出登录"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"], endpoint="change_password")
@login_required
def change_password_page():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()  # the proxy itself must not be stored as the user
        try:
            change_password(get_session(), user, form.current.data, form.new.data)
        except BankError as exc:
            flash(translate(exc.message), "error")
            return render_template("auth/change_password.html", form=form), 422
        start_session(user)  # every session was revoked: this device goes on with a new one
        flash(_("密码已修改"), "success")
        return redirect(url_for(home_endpoint(user)))
    return render_template("auth/change_password.html", form=form, forced=current_user.must_change_password)


@bp.route("/language", methods=["POST"])
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["locale"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
    return redirect(_safe_next(request.form.get("next")) or url_for("home.index"))


@bp.route("/account/sessions", endpoint="sessions")
@login_required
def sessions_page():
    """Where I am signed in (ASVS 7.5.2): device, address, last use; end any other session."""
    user = current_user._get_current_object()
    rows = active_sessions(get_session(), user, session_limits())
    return render_template("auth/sessions.html", rows=rows, current_id=user.signed_in_session.id, confirm=ConfirmForm(),
                           describe_device=describe_device)


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"], endpoint="end_other_session")
@login_required
def end_other_session(session_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    try:
        end_own_session(restart_as_writer(), user, session_id)
    except LookupError:
        abort(404)  # not one of mine: do not confirm it exists
    except BankError as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for("auth.sessions"))
    flash(_("已结束该登录；那台设备需要重新登录"), "success")
    return redirect(url_for("auth.sessions"))
