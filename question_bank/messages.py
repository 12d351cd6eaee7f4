"""Messages the library raises or reports, written in Chinese and marked for translation.

The library never imports Flask-Babel. It marks its message templates with ``N_`` so that
``pybabel extract -k N_`` finds them; the web app translates ``template`` with ``params`` at
display time, and ``str(problem)`` gives the Chinese text for the CLI and logs. A parameter may
itself be a Message (a question type's name, a list): the web app translates it too, so an English
sentence never carries a Chinese word the library chose.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


def N_(template: str) -> str:
    """Mark a message template for extraction without translating it here."""
    return template


@dataclass(frozen=True)
class Message:
    template: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.template % self.params if self.params else self.template

    def __str__(self) -> str:
        return self.text


def listing(items: Sequence[Any]) -> Any:
    """``items`` as one list parameter: 甲、乙、丙 in Chinese, "a, b, c" where the reader's
    language separates with commas (the separator is a message, translated where it is shown)."""
    if len(items) < 2:
        return items[0] if items else ""
    return Message(N_("%(first)s、%(rest)s"), {"first": items[0], "rest": listing(items[1:])})


class BankError(Exception):
    """An error a user can act on; ``message`` is a translatable Message."""

    def __init__(self, template: str, **params: Any) -> None:
        self.message = Message(template, params)
        super().__init__(self.message.text)
