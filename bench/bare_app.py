"""The stack's ceiling: the save endpoint with no application logic.

``gunicorn bench.bare_app:app`` with the same workers and ``DATABASE_URL`` as the real app. It
answers the same ``PUT /api/v1/attempts/<id>/responses/<question_id>`` ``{"answer", "seq"}``
with the same database write our save ends in — one ``INSERT ... ON CONFLICT (attempt_id,
question_id) DO UPDATE ... WHERE excluded.seq >= responses.seq`` into ``responses``, committed
before the answer — on the same engine settings (``make_engine``: WAL, synchronous=NORMAL,
busy_timeout on SQLite). What it leaves out is exactly what the ratio prices: the session
cookie and user load, CSRF, the attempt and question lookups, answer validation and the
display-to-canonical option mapping, the deadline guard, and the security headers.

Plain Flask (the framework is part of the stack, not of our logic) and SQLAlchemy Core.
"""
from __future__ import annotations

import os

from flask import Flask, jsonify, request
from sqlalchemy.dialects import postgresql, sqlite

from question_bank.db import make_engine, utcnow
from quiz.contests.models import Response

app = Flask(__name__)
engine = make_engine(os.environ["DATABASE_URL"])
responses = Response.__table__
_insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert


@app.put("/api/v1/attempts/<int:attempt_id>/responses/<int:question_id>")
def save(attempt_id: int, question_id: int):
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or "answer" not in data:
        return jsonify({"error": {"code": "invalid", "message": "JSON {answer, seq}"}}), 400
    now = utcnow()
    stmt = _insert(responses).values(attempt_id=attempt_id, question_id=question_id, answer=data["answer"],
                                     seq=int(data.get("seq") or 0), saved_at=now, needs_marking=False, override_note="")
    stmt = stmt.on_conflict_do_update(
        index_elements=["attempt_id", "question_id"],
        set_={"answer": stmt.excluded.answer, "seq": stmt.excluded.seq, "saved_at": stmt.excluded.saved_at},
        where=stmt.excluded.seq >= responses.c.seq,
    )
    with engine.begin() as conn:  # commit before answering, as ours does
        conn.execute(stmt)
    return {"saved_at": now.isoformat(timespec="milliseconds") + "Z", "remaining_seconds": 0}


@app.get("/api/v1/session")
def ready():
    """The harness's readiness probe (the real app answers 401 here)."""
    return jsonify({"error": {"code": "unauthenticated", "message": "bare"}}), 401
