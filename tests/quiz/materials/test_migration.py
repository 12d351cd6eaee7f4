"""Migration 0004 (materials): down to 0003 and up again, on SQLite or PostgreSQL."""
from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from question_bank.db import make_engine
from tests.quiz.test_migrations import _alembic_config, empty_database_url  # noqa: F401  (fixture)


def test_the_materials_migration_downgrades_and_upgrades_again(empty_database_url):  # noqa: F811
    cfg = _alembic_config(empty_database_url)
    command.upgrade(cfg, "0004")
    command.downgrade(cfg, "0003")
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            assert not {"materials", "material_editions", "material_articles"} & set(inspector.get_table_names())
            assert "source_article_id" not in {c["name"] for c in inspector.get_columns("question_versions")}
    finally:
        engine.dispose()
    command.upgrade(cfg, "0004")
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            assert "source_article_id" in {c["name"] for c in inspect(conn).get_columns("question_versions")}
    finally:
        engine.dispose()
