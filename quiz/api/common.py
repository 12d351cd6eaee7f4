"""Shared pieces of the JSON API: errors, the login check, the clock, commits that acknowledge.

Error bodies are ``{"error": {"code": "...", "message": "..."}}`` with the message in the user's
language. A write is answered 200 only after ``commit_or_error`` committed it; a failed commit
becomes a 503 error body, never a success.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import current_app, jsonify
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError

from question_bank.db import utcnow
from quiz.api import bp
from quiz.contests.errors import ContestError
from quiz.db import begin_writer, get_session, in_write_transaction
from quiz.i18n import translate

log = logging.getLogger(__name__)


class CommitFailed(Exception):
    pass


def error(code: str, message: str, status: int):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


@bp.errorhandler(ContestError)
def _contest_error(exc: ContestError):
    return error(exc.code, translate(exc.message), exc.status)


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError):
    return error("csrf_failed", _("安全校验失败：请求缺少有效的 X-CSRFToken，请刷新页面后重试"), 400)


@bp.errorhandler(CommitFailed)
def _commit_failed(exc: CommitFailed):
    return error("unavailable", _("服务器暂时无法保存，请稍后重试；未确认的答案会自动重新提交"), 503)


def login_required_json(view: Callable) -> Callable:
    """Signed in, else 401 with a JSON error (never a redirect to the login page)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return error("unauthenticated", _("请先登录"), 401)
        return view(*args, **kwargs)

    return wrapped


def now() -> datetime:
    """The server's clock (naive UTC); tests set ``QUIZ_CLOCK`` to a callable to freeze it."""
    clock = current_app.config.get("QUIZ_CLOCK")
    return clock() if clock is not None else utcnow()


def grace_seconds() -> float:
    """The network grace after a deadline: ``CONTEST_GRACE_SECONDS`` (config), else the
    environment's ``QUIZ_SAVE_GRACE_SECONDS``, else 5."""
    value = current_app.config.get("CONTEST_GRACE_SECONDS")
    if value is None:
        value = os.environ.get("QUIZ_SAVE_GRACE_SECONDS", "5")
    return float(value)


def user():
    """The signed-in User itself (not the proxy), for services."""
    return current_user._get_current_object()


def start_write():
    """The request's write transaction (BEGIN IMMEDIATE on SQLite): the one a ``@writes`` view began
    with, else end the read transaction (if any) and start one; a read transaction upgraded to a
    write would ignore busy_timeout on SQLite. Returns the session."""
    session = get_session()
    if in_write_transaction(session):
        return session
    if session.in_transaction():
        session.commit()
    return begin_writer(session)


def commit_or_error() -> None:
    """Commit now, so the answer that follows acknowledges a durable write; raise ``CommitFailed``
    (→ 503 JSON) if the database refuses."""
    session = get_session()
    try:
        session.commit()
    except SQLAlchemyError:
        log.exception("commit failed")
        session.rollback()
        raise CommitFailed() from None


def finalise_after_close(contest, moment: datetime, *, commit: Callable[[], None] | None = None) -> tuple[Any, int]:
    """(the request's session, how many attempts were finalised): once ``contest`` has closed, the
    first page or API call that shows its figures finalises, in a write transaction of its own,
    the attempts whose deadline ended them unsubmitted (graded with what was saved in time), so
    results, leaderboards, reports and item analysis never count someone as still 进行中.
    ``commit`` replaces ``session.commit`` (the JSON API passes ``commit_or_error``)."""
    from sqlalchemy import exists, select

    from quiz.contests.attempts import finalise_expired
    from quiz.contests.models import Attempt

    session = get_session()
    if contest.phase(moment) not in ("closed", "archived") or not session.scalar(
            select(exists().where(Attempt.contest_id == contest.id, Attempt.status == "in_progress"))):
        return session, 0
    session = start_write()
    finalised = finalise_expired(session, now=moment, grace_seconds=grace_seconds(), contest_id=contest.id, how="close")
    (commit or session.commit)()
    return session, finalised
