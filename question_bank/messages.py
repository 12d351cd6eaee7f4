"""Messages the library raises or reports, written in Chinese and marked for translation.

The library never imports Flask-Babel. It marks its message templates with ``N_`` so that
``pybabel extract -k N_`` finds them; the web app translates ``template`` with ``params`` at
display time, and ``str(problem)`` gives the Chinese text for the CLI and logs.
"""
from __future__ import annotations

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


class BankError(Exception):
    """An error a user can act on; ``message`` is a translatable Message."""

    def __init__(self, template: str, **params: Any) -> None:
        self.message = Message(template, params)
        super().__init__(self.message.text)
