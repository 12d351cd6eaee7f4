"""One SQLAlchemy session per request, opened lazily on ``g`` and closed at teardown.

The request boundary commits once before the response leaves (so a save is acknowledged only
after it is committed) and rolls back on any error or 4xx/5xx answer. Services never commit.

A view marked ``@writes`` gets a session whose transaction begins as a writer (BEGIN IMMEDIATE on
SQLite) at its first statement, which is the sign-in check's user load: the user load, the
decision and the write share one transaction, instead of a read transaction that is committed
and followed by a write one (two transactions, two pool check-outs, on PostgreSQL two pings).
"""
from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.orm import Session, sessionmaker

from question_bank.db import begin_write, make_engine


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    @app.after_request
    def _commit(response):
        session: Session | None = g.pop("db_session_pending", None)
        if session is not None:
            if response.status_code < 400:
                session.commit()
            else:
                session.rollback()
        return response

    @app.teardown_appcontext
    def _close(exc):
        session: Session | None = g.pop("db_session", None)
        g.pop("db_session_pending", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()


def get_session() -> Session:
    """The request's session (created on first use; begun as a writer in a ``@writes`` view)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
        g.db_session_pending = g.db_session
        if has_request_context() and getattr(current_app.view_functions.get(request.endpoint), "begins_write", False):
            begin_writer(g.db_session)
    return g.db_session


def writes(view):
    """Mark a view whose whole request is one write transaction (see the module's docstring).
    Apply it inside the route decorator: ``functools.wraps`` in outer decorators carries the mark."""
    view.begins_write = True
    return view


def begin_writer(session: Session) -> Session:
    """Begin the session's transaction as a writer (``begin_write``) and remember that it is one."""
    begin_write(session)
    session.info["write_transaction"] = session.get_transaction()
    return session


def in_write_transaction(session: Session) -> bool:
    """Whether the session's current transaction was begun by ``begin_writer`` (not since committed)."""
    return session.in_transaction() and session.info.get("write_transaction") is session.get_transaction()


def new_session() -> Session:
    """A session outside any request (CLI commands, background work): the caller owns its transaction."""
    return current_app.extensions["db_sessionmaker"]()


def restart_as_writer() -> Session:
    """End the request's read-only transaction and begin a write one (BEGIN IMMEDIATE on SQLite).

    For a request that reads, decides at length (a password hash), then writes: upgrading the
    old read transaction would fail on SQLite if another writer committed meanwhile.
    """
    session = get_session()
    if session.in_transaction():
        session.rollback()  # nothing was written; rollback also refreshes what we read
    begin_write(session)
    return session
