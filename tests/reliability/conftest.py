"""Reliability fixtures: a scratch database of its own (a SQLite file, or a dedicated PostgreSQL
database when TEST_DATABASE_URL is set), for tests that restore, crash or restart servers over it.

The per-worker test database of ``tests/conftest.py`` is shared by every test of the worker and
emptied between tests; these tests need one they can drop tables in and point real servers at.
"""
from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.engine import make_url

from question_bank.db import Base, make_engine


def scratch_database(kind: str, worker_id: str, tmp_path) -> Iterator[str]:
    """Yield the URL of a fresh, empty database named for ``kind`` and the xdist worker; drop it after."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / f'{kind}.db'}"
        return
    base = make_url(url)
    name = f"{base.database}_{kind}_{worker_id}"
    admin = make_engine(base.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def create_schema(url: str) -> None:
    """The schema through the migrations, as ``quiz init-db`` builds it for a real installation."""
    from alembic import command
    from alembic.config import Config

    from quiz import ROOT

    importlib.import_module("quiz.models")
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")


def table_contents(engine) -> dict[str, list[tuple]]:
    """Every row of every table of the models, in primary-key order, as comparable tuples."""
    importlib.import_module("quiz.models")
    out: dict[str, list[tuple]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(table.select().order_by(*order)).all()
            out[table.name] = [tuple(_plain(v) for v in row) for row in rows]
    return out


def _plain(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


def row_count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()


def build_contest(url: str, *, cadres: int = 1, questions: int = 6) -> dict:
    """Units, an organizer, ``cadres`` cadres (cadre0, cadre1, ...) and a contest open now (real
    clock: the server's) on a paper of ``questions`` short-answer questions, committed. Returns
    the ids a client needs."""
    from datetime import timedelta

    from sqlalchemy.orm import sessionmaker

    from question_bank.db import utcnow
    from tests.factories import make_bank, make_contest, make_paper, make_province, make_question, make_user

    engine = make_engine(url)
    s = sessionmaker(bind=engine, expire_on_commit=False)()
    try:
        units = make_province(s)
        organizer = make_user(s, "org", units["省"], ("organizer", "cadre"))
        people = [make_user(s, f"cadre{i}", units["金水"]) for i in range(cadres)]
        bank = make_bank(s, units["省"], actor=organizer)
        qs = [make_question(s, bank, "short_answer") for _ in range(questions)]
        now = utcnow()
        contest = make_contest(s, make_paper(s, bank, questions=qs), actor=organizer, now=now,
                               opens_at=now - timedelta(hours=1), closes_at=now + timedelta(hours=3),
                               time_limit_minutes=120, release="immediately")
        s.commit()
        return {"contest_id": contest.id, "question_ids": [q.id for q in qs], "usernames": [p.username for p in people]}
    finally:
        s.close()
        engine.dispose()


class ApiClient:
    """A cadre's JSON client over real HTTP (requests): signs in, starts the attempt, saves, submits."""

    def __init__(self, base: str, username: str):
        import requests

        from tests.factories import PASSWORD

        self.base, self.http = base, requests.Session()
        response = self.http.post(f"{base}/api/v1/session", json={"username": username, "password": PASSWORD}, timeout=10)
        assert response.status_code == 200, response.text
        self.token = response.json()["csrf_token"]

    def request(self, method: str, path: str, json=None, timeout: float = 10.0):
        return self.http.request(method, f"{self.base}{path}", json=json, headers={"X-CSRFToken": self.token}, timeout=timeout)

    def start(self, contest_id: int) -> dict:
        response = self.request("POST", f"/api/v1/contests/{contest_id}/attempts", json={})
        assert response.status_code in (200, 201), response.text
        return response.json()
