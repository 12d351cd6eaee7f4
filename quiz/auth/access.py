"""Access checks as decorators (the CTFd way), and the Flask-Login user loader."""
from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from quiz.accounts.models import User
from quiz.db import get_session

EXEMPT_FROM_PASSWORD_CHANGE = {"auth.change_password", "auth.logout", "auth.set_language", "static"}


def load_user(user_id: str) -> User | None:
    """Sessions carry "id:token"; a rotated token (password change, deactivation) ends them."""
    try:
        raw_id, token = user_id.split(":", 1)
        uid = int(raw_id)
    except ValueError:
        return None
    user = get_session().get(User, uid)
    if user is None or user.session_token != token or not user.active:
        return None
    return user


def role_required(*roles: str):
    """Signed in and holding at least one of ``roles``; otherwise the login page or 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path))
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # read by the authorization matrix test
        return wrapped

    return decorator


def enforce_password_change():
    """Before any other page, a user with an initial password must choose their own."""
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in EXEMPT_FROM_PASSWORD_CHANGE
        and not (request.endpoint or "").startswith("api.")
    ):
        return redirect(url_for("auth.change_password"))
    return None


def home_endpoint(user: User) -> str:
    """The page a user lands on: the most specific of their roles."""
    for role, endpoint in (("admin", "admin.index"), ("organizer", "home.organizer"), ("hr", "home.hr")):
        if user.has_role(role):
            return endpoint
    return "home.cadre"
