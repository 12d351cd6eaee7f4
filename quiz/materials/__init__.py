"""Study materials (学习资料): the organizer's pages at /materials, the 出处 picker's JSON, and
``quiz import-material``.

The rules live in ``question_bank.materials`` (``services``, ``following``, ``sources``, ``reading``,
``draft_queue``); this package parses input, calls them with the request's or command's session,
and logs through ``quiz.audit.services.record``.
"""
from flask import Blueprint

bp = Blueprint("materials", __name__)

from quiz.materials import views  # noqa: E402,F401
