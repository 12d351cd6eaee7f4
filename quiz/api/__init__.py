"""The JSON API at /api/v1 (DESIGN.md "The attempt API").

One blueprint named ``api``: its endpoints are ``api.*`` (exempt from the forced password change
redirect, see ``quiz.auth.access``). Errors are ``{"error": {"code", "message"}}`` with the message
in the user's language. Writes need the ``X-CSRFToken`` header (CSRFProtect), except the login
itself, which accepts JSON only.
"""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def init_app(app) -> None:
    """Attach the feature modules' routes and register the blueprint."""
    from quiz.api import session as _session  # noqa: F401
    from quiz.contests import api as _contests  # noqa: F401
    from quiz.contests import openapi as _openapi  # noqa: F401

    app.register_blueprint(bp)
