from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from question_bank.messages import BankError
from quiz.accounts.services import authenticate, change_password, record_login
from quiz.auth import bp
from quiz.auth.access import home_endpoint
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
    """Renew the session at login (no fixation) and start the timeout clocks."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    if user.locale:
        session["locale"] = user.locale
    login_user(user, remember=remember)
    now = int(time.time())
    session["auth_started"] = now
    session["last_seen"] = now
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_account_key, deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user)))
    form = LoginForm()
    if session.pop("expired", False):
        flash(_("登录已超时，请重新登录"), "info")
    if form.validate_on_submit():
        result = authenticate(get_session(), form.username.data, form.password.data)
        if result.user is not None:
            record_login(restart_as_writer(), result.user)
            start_session(result.user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or url_for(home_endpoint(result.user)))
        if result.error == "inactive":
            flash(_("该账号已停用，请联系本单位管理员"), "error")
        else:
            flash(_("账号或密码不正确"), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
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
        start_session(user)  # the token rotated: keep this device signed in with the new one
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
