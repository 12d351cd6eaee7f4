"""Translating library messages and showing times in the configured zone."""
from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime, gettext

from question_bank.messages import Message


def translate(message: Message) -> str:
    """A library Message in the user's language (its template is the msgid)."""
    return gettext(message.template, **message.params) if message.params else gettext(message.template)


def local_time(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """A stored UTC time shown in QUIZ_TIMEZONE (Flask-Babel treats naive datetimes as UTC)."""
    if value is None:
        return ""
    return format_datetime(value, fmt)
