"""One SQLAlchemy session per request, opened lazily on ``g`` and closed at teardown.

The request boundary commits once before the response leaves (so a save is acknowledged only
after it is committed) and rolls back on any error or 4xx/5xx answer. Services never commit.
"""
from __future__ import annotations

from flask import Flask, current_app, g
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
    """The request's session (created on first use)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
        g.db_session_pending = g.db_session
    return g.db_session


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
