"""Contest fixtures: a frozen clock and a small province with a bank, an organizer and cadres."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from tests.factories import make_bank, make_province, make_question, make_user

T0 = datetime(2026, 6, 1, 2, 0, 0)  # 10:00 in Shanghai: a contest morning


@dataclass
class Clock:
    """A clock the test moves by hand (services take ``now``; the app reads ``QUIZ_CLOCK``)."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@dataclass
class World:
    units: dict
    organizer: object
    bank: object
    questions: list
    zz: list = field(default_factory=list)  # 郑州 cadres (金水)
    ly: list = field(default_factory=list)  # 洛阳 cadres (西工)


@pytest.fixture
def world(session) -> World:
    units = make_province(session)
    organizer = make_user(session, "org", units["省"], ("organizer", "cadre"))
    bank = make_bank(session, units["省"], actor=organizer)
    questions = [make_question(session, bank, t) for t in ("single", "multiple", "true_false", "fill_blank", "short_answer")]
    w = World(units, organizer, bank, questions)
    w.zz = [make_user(session, f"zz{i}", units["金水"]) for i in range(3)]
    w.ly = [make_user(session, f"ly{i}", units["西工"]) for i in range(2)]
    session.commit()
    return w
