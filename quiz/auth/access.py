"""Access checks as decorators (the CTFd way), and the Flask-Login user loader."""
from __future__ import annotations

import logging
from datetime import timedelta
from functools import wraps

from flask import abort, current_app, g, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from question_bank.db import begin_write
from quiz.accounts.models import User
from quiz.accounts.user_sessions import Limits, find_user_session, needs_touch, touch
from quiz.db import get_session

log = logging.getLogger(__name__)

EXEMPT_FROM_PASSWORD_CHANGE = {"auth.change_password", "auth.logout", "auth.set_language", "static"}


def session_limits() -> Limits:
    config = current_app.config
    return Limits(idle=timedelta(minutes=config["SESSION_IDLE_MINUTES"]), absolute=timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]),
                  remember=config["REMEMBER_COOKIE_DURATION"], touch=timedelta(minutes=config["SESSION_TOUCH_MINUTES"]))


def load_user(session_key: str) -> User | None:
    """The cookie's key names a session row; user and row come back in one query. A revoked,
    idle or expired row signs nobody in; ``g.session_state`` tells quiz.security why."""
    db = get_session()
    limits = session_limits()
    found = find_user_session(db, session_key, limits)
    if found.state != "active":
        g.session_state = found.state
        return None
    if needs_touch(found.row, limits) and not (db.new or db.dirty or db.deleted):
        _touch(db, found.row)
    return found.user


def keep_only_language() -> None:
    """Empty the session cookie but for the chosen language (sign-in, sign-out, a session ended)."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def _touch(db, row) -> None:
    """Refresh last_seen_at, at most every SESSION_TOUCH_MINUTES per session (never on every
    save). Its own short write transaction, first thing in the request: on SQLite a read
    transaction must not be upgraded to a write, and nothing else of the request is pending."""
    try:
        if db.in_transaction():
            db.commit()  # only the loader's read
        begin_write(db)
        touch(db, row)
        db.commit()
    except SQLAlchemyError:  # a busy database must not fail the request: the next one tries again
        log.warning("could not refresh session %s last_seen_at", row.id, exc_info=True)
        db.rollback()


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
