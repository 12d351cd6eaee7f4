"""Signing in for the JSON API: ``POST /api/v1/session`` answers the user and a CSRF token.

The login POST is exempt from CSRF (there is no token before a session) but accepts JSON only,
which a cross-site HTML form cannot send; it is rate-limited like the login page.
"""
from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from quiz.accounts.services import authenticate, record_login
from quiz.api import bp
from quiz.api.common import error, login_required_json
from quiz.auth.views import end_session, start_session
from quiz.db import get_session, restart_as_writer
from quiz.extensions import csrf, limiter


def _account_key() -> str:
    data = request.get_json(silent=True) or {}
    username = data.get("username") if isinstance(data, dict) else ""
    return "login-account:" + (username if isinstance(username, str) else "").strip().lower()


def _failed(response) -> bool:
    return response.status_code == 401


def user_json(user) -> dict:
    return {"id": user.id, "username": user.username, "name": user.name, "unit_id": user.org_unit_id,
            "unit": user.org_unit.name, "roles": sorted(user.roles), "must_change_password": user.must_change_password}


@bp.post("/session")
@csrf.exempt
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_account_key, deduct_when=_failed)
def create_session():
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict) or not isinstance(data.get("username"), str) or not isinstance(data.get("password"), str):
        return error("invalid", _("请以 JSON 提交 username 和 password"), 400)
    result = authenticate(get_session(), data["username"], data["password"])
    if result.user is None:
        if result.error == "inactive":
            return error("inactive", _("该账号已停用，请联系本单位管理员"), 401)
        if result.error == "expired":
            return error("initial_password_expired",
                         _("您的初始密码已过期，不能再用于登录。请联系本单位管理员，为您重新设置初始密码。"), 401)
        return error("invalid_credentials", _("账号或密码不正确"), 401)
    record_login(restart_as_writer(), result.user)
    start_session(result.user)
    return {"user": user_json(result.user), "csrf_token": generate_csrf()}


@bp.get("/session")
@login_required_json
def read_session():
    return {"user": user_json(current_user), "csrf_token": generate_csrf()}


@bp.delete("/session")
@login_required_json
def delete_session():
    end_session()
    return {"status": "signed_out"}
