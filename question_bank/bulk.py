"""Bulk writing for imports of thousands of rows, where one statement per row is the cost.

``bulk_insert`` streams rows with COPY on PostgreSQL and one executemany on SQLite;
``gc_paused`` keeps Python's cyclic
garbage collector from re-scanning the whole heap again and again while an import builds tens of
thousands of long-lived objects.
"""
from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.orm import Session

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block (reference counting still frees memory).

    Parsing, planning and committing an import build tens of thousands of drafts, lists and
    dicts that all stay alive until the end; each of them counts towards the collector's
    thresholds, so it runs full collections over the whole heap (the app, SQLAlchemy, openpyxl)
    several times per import, and this work makes no cycles for it to find. Nested use and an
    already disabled collector are left alone.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def with_gc_paused(function: F) -> F:
    """``function`` run inside ``gc_paused``."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with gc_paused():
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def bulk_insert(session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
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
        marks = ", ".join(["?"] * len(cols))
        conn.exec_driver_sql(f"INSERT INTO {quote.format_table(table)} ({names}) VALUES ({marks})",
                             [tuple(processed(row)) for row in rows])
    else:
        conn.execute(table.insert(), [dict(zip(columns, row)) for row in rows])
