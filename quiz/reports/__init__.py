"""HR reports (this blueprint, at /reports): contest results, unit roll-up, trends, charts, exports.

- ``services``: the figures, aggregated in SQL within the actor's unit subtree.
- ``charts``: geometry for the inline SVG charts.
- ``views``: parse the query string, call the services, render or export.

- ``exporting``: streamed xlsx and CSV responses with formula-neutralised cells (also used by
  the assessment records' exports).
"""
from flask import Blueprint

bp = Blueprint("reports", __name__)

from quiz.reports import views  # noqa: E402,F401
