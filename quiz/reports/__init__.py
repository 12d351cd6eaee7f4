"""HR reports (this blueprint, at /reports): contest results, unit roll-up, trends, charts, exports.

- ``exporting``: streamed xlsx and CSV responses with formula-neutralised cells (also used by
  the assessment records' exports).
"""
from flask import Blueprint

bp = Blueprint("reports", __name__)
