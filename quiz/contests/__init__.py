"""Timed knowledge contests (竞赛): papers, contests, attempts, grading and leaderboards.

Modules:
- ``models``: the tables (papers, rules, contests, variants, attempts, attempt questions, responses).
- ``papers``: paper rules against the banks: validation, coverage preview, drawing.
- ``services``: the organizer's operations on papers and contests (create, publish, close, extend).
- ``attempts``: the cadre's operations (start, save, submit) and finalisation of expired attempts.
- ``leaderboard``: per-contest ranking and per-unit figures, briefly cached.
- ``api``: the JSON attempt API on the shared ``/api/v1`` blueprint (``quiz.api``).
- ``cli``: ``quiz close-expired``.

``bp`` is the blueprint for the contest pages (organizer editor, cadre pages); the pages are
built on top of the services and the API and register their views on it.
"""
from flask import Blueprint

bp = Blueprint("contests", __name__)
