"""The declarative base every table of the platform shares, with stable constraint names for Alembic."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Naive UTC: both SQLite and PostgreSQL columns store UTC without a zone (DESIGN: times stored in UTC)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def make_engine(url: str, **kwargs):
    """An engine with the pragmas DESIGN.md asks for on SQLite: WAL, foreign keys, a busy timeout.

    Writes on SQLite should start with ``BEGIN IMMEDIATE`` (see ``begin_write``) because a read
    transaction upgraded to a write ignores busy_timeout and fails at once under contention.
    """
    from sqlalchemy import create_engine, event

    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every sqlite test
            # Let SQLAlchemy emit BEGIN itself so we can choose IMMEDIATE for writers.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - exercised by every sqlite test
            mode = conn.get_execution_options().get("sqlite_begin_mode", "")
            conn.exec_driver_sql(f"BEGIN {mode}".strip())

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def begin_write(session) -> None:
    """Start the session's transaction as a writer: BEGIN IMMEDIATE on SQLite, nothing special on PostgreSQL.

    Call before the first statement of a transaction that reads and then writes, so concurrent
    writers queue on busy_timeout instead of failing with 'database is locked'. A session that
    already holds a connection keeps its transaction as it is.
    """
    session.connection(execution_options={"sqlite_begin_mode": "IMMEDIATE"})

