"""Database fixtures: a fresh database per test, on SQLite by default or PostgreSQL with TEST_DATABASE_URL.

Each xdist worker gets its own database (a file, or a PostgreSQL database named after the worker).
Tables are created once per worker; after every test all rows are deleted, so each test starts
from an empty database while still using real commits (our invariants depend on them).
"""
from __future__ import annotations

import importlib
import os

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from question_bank.db import Base, make_engine


def _import_all_models() -> None:
    importlib.import_module("quiz.models")


def _worker_database_url(worker_id: str, tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.getbasetemp() / f'test-{worker_id}.db'}"
    base = make_url(url)
    name = f"{base.database}_{worker_id}"
    admin = make_engine(base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # an unreachable PostgreSQL fails here: in CI that is a failure, not a skip
        exists = conn.execute(text("select 1 from pg_database where datname = :n"), {"n": name}).scalar()
        if not exists:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(worker_id, tmp_path_factory) -> str:
    return _worker_database_url(worker_id, tmp_path_factory)


@pytest.fixture(scope="session")
def db_engine(database_url):
    _import_all_models()
    engine = make_engine(database_url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _empty_all_tables(engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            if names:
                conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for t in tables:
                conn.execute(t.delete())


@pytest.fixture
def db(db_engine):
    """A clean database for one test; yields the engine."""
    yield db_engine
    _empty_all_tables(db_engine)


@pytest.fixture
def session_factory(db):
    return sessionmaker(bind=db, expire_on_commit=False)


@pytest.fixture
def session(session_factory) -> Session:
    s = session_factory()
    yield s
    s.rollback()
    s.close()
