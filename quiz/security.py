"""Security headers, the end of sessions that timed out or were ended, and ids kept in range."""
from __future__ import annotations

from flask import Flask, abort, g, session
from flask_login import current_user, logout_user, user_logged_out

from quiz.auth.access import keep_only_language

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

MAX_ID = 2**31 - 1  # the largest id an INTEGER primary key holds on PostgreSQL


def init_app(app: Flask) -> None:
    @app.url_value_preprocessor
    def _ids_in_range(_endpoint, values):
        """A URL id no row can have is 404. Werkzeug's ``int`` converter takes any number of digits,
        and binding 2**31 or more to an INTEGER column fails in the driver (a 500 on PostgreSQL,
        and past 2**63 on SQLite too); found by the schemathesis fuzzing in tests/security."""
        for value in (values or {}).values():
            if isinstance(value, int) and not isinstance(value, bool) and not -MAX_ID - 1 <= value <= MAX_ID:
                abort(404)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @user_logged_out.connect_via(app)
    def _note_logout(_sender, **_extra):
        g.signed_out = True

    @app.after_request
    def _clear_remember_cookie(response):
        """A sign-out (the logout page, DELETE /api/v1/session, a timeout) also deletes the
        "keep me signed in" cookie. Flask-Login's logout_user asks for that through the session,
        but every caller then clears the session (against fixation), which dropped the request:
        the next page signed the user straight back in from the cookie."""
        if g.get("signed_out"):
            response.delete_cookie(app.config.get("REMEMBER_COOKIE_NAME", "remember_token"),
                                   domain=app.config.get("REMEMBER_COOKIE_DOMAIN"), path=app.config.get("REMEMBER_COOKIE_PATH", "/"))
        return response

    @app.before_request
    def _session_state():
        """Load the signed-in user with their session row (quiz.auth.access.load_user checks it is
        not revoked and within its idle and absolute limits). A session that ended is signed out
        here, its cookies dropped, and the login page told why."""
        current_user.is_authenticated  # noqa: B018  (loads the user: one query, user and session row)
        state = g.pop("session_state", None)
        if state is None:
            return None
        logout_user()
        keep_only_language()
        if state in ("expired", "ended"):
            session[state] = True
        return None
