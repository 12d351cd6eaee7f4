"""The organizer's question bank: pages (this blueprint, at /bank) and import/export commands.

The rules live in the ``question_bank`` library (``services``, ``importing``); this package
parses input, calls them with the request's or command's session, and logs through
``quiz.audit.services.record``.
"""
from flask import Blueprint

bp = Blueprint("bank", __name__)

from quiz.bank import import_views, views  # noqa: E402,F401
