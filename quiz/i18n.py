"""Translating library messages and showing times in the configured zone."""
from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime, gettext

from question_bank.messages import Message


def translate(message: Message) -> str:
    """A library Message in the user's language (its template is the msgid). A parameter that is
    itself a Message (a question type's name, a list) is translated first, so "A 单选 question"
    cannot happen."""
    if not message.params:
        return gettext(message.template)
    return gettext(message.template, **{k: translate(v) if isinstance(v, Message) else v for k, v in message.params.items()})


def local_time(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """A stored UTC time shown in QUIZ_TIMEZONE (Flask-Babel treats naive datetimes as UTC)."""
    if value is None:
        return ""
    return format_datetime(value, fmt)
