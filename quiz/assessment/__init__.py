"""Annual assessment (年度考核): plans, computed and locked records, 学时, the HR pages at /assessment
and the cadre's own records ("我的年度考核").

Modules:
- ``models``: plans, records (with revisions), exemptions (免考), entered values and imported 学时.
- ``rules``: the arithmetic as pure functions: components, weights, exemptions, grade bands, the 优秀 cap.
- ``services``: HR's operations (create, compute, adjust, lock, exempt) and the record queries, scoped.
- ``importing``: 学时 and manual scores from xlsx/csv, previewed row by row, all or nothing.
- ``views`` / ``forms``: the pages; ``seed``: the demo plan; ``cli``: ``quiz compute-assessment``.
"""
from flask import Blueprint

bp = Blueprint("assessment", __name__)

from quiz.assessment import views  # noqa: E402,F401
