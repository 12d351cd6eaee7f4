"""The declarative base every table of the platform shares, with stable constraint names for Alembic."""
from __future__ import annotations

import json
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


def bulk_insert(session, table, columns, rows) -> None:
    """INSERT ``rows`` (sequences in ``columns`` order) into ``table`` within the session's transaction.

    For imports of thousands of rows, where one statement per row is the cost: PostgreSQL gets
    one ``COPY … FROM STDIN`` stream (no statement per row, no RETURNING), SQLite one DB-API
    ``executemany`` of a single prepared INSERT, any other database a Core executemany. Values go
    through each column type's own bind processing first (JSON, booleans, datetimes), as a Core
    insert would; column defaults are not applied, so pass every column that needs a value.
    COPY bypasses SQLAlchemy's cursor events (statement logging and counting do not see it).
    """
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    cols = [table.c[name] for name in columns]
    processors = [(i, p) for i, c in enumerate(cols) if (p := c.type.dialect_impl(dialect).bind_processor(dialect))]

    def processed(row):
        if not processors:
            return tuple(row)
        values = list(row)
        for i, process in processors:
            values[i] = process(values[i])
        return values

    quote = dialect.identifier_preparer
    names = ", ".join(quote.quote(c.name) for c in cols)
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        with conn.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY {quote.format_table(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(processed(row))
    elif dialect.name == "sqlite":
        marks = ", ".join("?" * len(cols))
        conn.exec_driver_sql(f"INSERT INTO {quote.format_table(table)} ({names}) VALUES ({marks})",
                             [tuple(processed(row)) for row in rows])
    else:
        conn.execute(table.insert(), [dict(zip(columns, row)) for row in rows])



def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_rows_insert(table, columns, rows, param: str) -> tuple[str, dict]:
    """PostgreSQL: ``INSERT INTO table (columns) SELECT columns FROM json_populate_recordset(…)``
    and its one parameter, every row as an object of one JSON array.

    One statement and one parameter for thousands of rows: Python's C JSON encoder writes it and
    the server parses it in C, where an array parameter per column would be escaped element by
    element in Python. Being one statement, it can share a ``WITH`` with another insert (see
    ``importing.insert_questions_and_versions``). JSON-typed columns take their values nested as
    they are; datetimes go as ISO text; column defaults are not applied.
    """
    names = ", ".join(f'"{name}"' for name in columns)
    payload = json.dumps([dict(zip(columns, row)) for row in rows], ensure_ascii=False, separators=(",", ":"),
                         default=_json_default)
    sql = (f"INSERT INTO {table.name} ({names}) SELECT {names} "
           f"FROM json_populate_recordset(NULL::{table.name}, CAST(:{param} AS JSON))")
    return sql, {param: payload}
