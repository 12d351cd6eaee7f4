"""Migrations: an empty database upgraded to head has exactly the tables the models describe.

The suite's ``db`` fixture builds its tables with ``metadata.create_all``, so nothing else would
notice a model change that has no migration. This test upgrades a database of its own (a
throwaway SQLite file, or ``<test database>_migrations_<worker>`` on PostgreSQL, dropped and
created afresh) and asks Alembic to compare it with ``Base.metadata``: any difference fails, with
the operations ``alembic revision --autogenerate`` would write.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from question_bank.db import Base, make_engine

ROOT = Path(__file__).resolve().parents[2]


def _alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@pytest.fixture
def empty_database_url(worker_id, tmp_path):
    """A database nobody else uses, empty; dropped afterwards on PostgreSQL."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    base = make_url(url)
    name = f"{base.database}_migrations_{worker_id}"
    admin = make_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_the_migrations_have_one_head():
    heads = ScriptDirectory.from_config(_alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"several migration heads, merge them: {heads}"


def test_upgrading_an_empty_database_to_head_matches_the_models(empty_database_url):
    import quiz.models  # noqa: F401  (every table in Base.metadata)

    command.upgrade(_alembic_config(empty_database_url), "head")
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            differences = compare_metadata(context, Base.metadata)
            tables = set(inspect(conn).get_table_names())
            subjects = list(conn.execute(text("SELECT name FROM subjects ORDER BY sort_order")).scalars())
    finally:
        engine.dispose()
    assert not differences, (
        "the models differ from the migrations; run `alembic revision --autogenerate` and review it:\n"
        + "\n".join(f"  {d}" for d in differences)
    )
    assert set(Base.metadata.tables) <= tables
    assert subjects == ["理论", "政策", "法律", "科技", "业务"]


def test_the_bank_migration_downgrades_and_upgrades_again(empty_database_url):
    cfg = _alembic_config(empty_database_url)
    command.upgrade(cfg, "0002")
    command.downgrade(cfg, "0001")
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            assert "questions" not in inspect(conn).get_table_names()
    finally:
        engine.dispose()
    command.upgrade(cfg, "0002")


def _deferrable_current_version_key(conn) -> bool | None:
    [key] = [fk for fk in inspect(conn).get_foreign_keys("questions") if fk["constrained_columns"] == ["current_version_id"]]
    return key["options"].get("deferrable")


def test_the_deferrable_current_version_key_keeps_the_questions_both_ways(empty_database_url):
    """0009 edits SQLite's stored table definition in place (a rebuild would cascade into the
    versions): a bank's questions and versions are all still there, and still checked, after
    upgrading and after downgrading."""
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm import Session

    from tests.factories import make_question

    cfg = _alembic_config(empty_database_url)
    command.upgrade(cfg, "0008")
    engine = make_engine(empty_database_url)
    try:
        with Session(engine) as session:
            question = make_question(session)
            session.commit()
            expected = (question.id, question.current_version_id)
        for step, deferrable in ((lambda: command.upgrade(cfg, "0009"), True), (lambda: command.downgrade(cfg, "0008"), None)):
            step()
            engine.dispose()
            with engine.connect() as conn:
                assert bool(_deferrable_current_version_key(conn)) is bool(deferrable)
                assert conn.execute(text("SELECT id, current_version_id FROM questions")).all() == [expected]
                assert conn.execute(text("SELECT count(*) FROM question_versions")).scalar() == 1
                if conn.dialect.name == "sqlite":
                    assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                with pytest.raises(IntegrityError):
                    conn.execute(text("UPDATE questions SET current_version_id = 999999"))
                conn.rollback()
    finally:
        engine.dispose()
