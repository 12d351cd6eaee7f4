"""The organizer's contest pages (this blueprint, at /manage): papers, contests, the live page, results.

The rules live in ``quiz.contests`` (``services``, ``papers``, ``attempts``, ``leaderboard``); this
package parses forms, calls them with the request's session and the organizer as actor, logs
through ``quiz.audit.services.record`` and renders. Reach is the services': an organizer manages
papers and contests owned by their unit's subtree; anything else is 404.
"""
from flask import Blueprint

bp = Blueprint("manage", __name__)

from quiz.manage import views  # noqa: E402,F401
