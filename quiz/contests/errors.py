"""The one error type of the contest services: a Chinese message a person can act on, and a code.

``code`` is the machine-readable part of the API's ``{"error": {"code", "message"}}``; the HTTP
status for each code is in ``STATUS``. Messages are templates marked with ``N_`` (translated at
display time by ``quiz.i18n.translate``), like the bank library's ``BankError``.
"""
from __future__ import annotations

from typing import Any

from question_bank.messages import BankError

STATUS = {
    "invalid": 422,             # bad input (a rule the bank cannot satisfy, an answer of the wrong shape)
    "not_found": 404,           # no such contest/attempt, or not yours (never 403: do not reveal it exists)
    "forbidden": 403,           # an organizer acting outside their reach
    "not_eligible": 403,        # the contest is not open to this cadre
    "not_open": 409,            # outside the contest window / not published
    "attempts_used_up": 409,
    "deadline_passed": 409,     # a save after deadline + grace
    "attempt_finished": 409,    # a save into a submitted or expired attempt
    "conflict": 409,            # a change not allowed in the contest's current phase
}


class ContestError(BankError):
    def __init__(self, code: str, template: str, **params: Any) -> None:
        assert code in STATUS, code
        self.code = code
        super().__init__(template, **params)

    @property
    def status(self) -> int:
        return STATUS[self.code]
