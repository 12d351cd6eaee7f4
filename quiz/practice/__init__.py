"""Practice and self-tests (练习与自测): the cadre's pages at /practice.

Modules:
- ``models``: practice sets and their items, every answer, the review book, favourites, the
  sequential cursor, practice papers for mock exams.
- ``services``: what practice may show (保密 and 需复核 exclusions), building sets in each mode,
  answering with feedback, favourites, the review book, mock exams over the contest attempt machinery.
- ``review``: the review book's schedule with FSRS (the ``fsrs`` package) and the rating rule.
- ``stats``: the progress page and ``yearly_practice`` for the annual assessment.
- ``views`` / ``forms``: the pages; ``seed``: demo practice history.
"""
from flask import Blueprint

bp = Blueprint("practice", __name__)

from quiz.practice import views  # noqa: E402,F401
