"""Practice fixtures: a frozen clock, a province with a shared bank, cadres, and answer helpers."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from quiz.practice import services as svc
from tests.factories import make_bank, make_province, make_question, make_user

T0 = datetime(2026, 3, 2, 2, 0, 0)  # Monday 10:00 in Shanghai
TZ = "Asia/Shanghai"


@dataclass
class Clock:
    """A clock the test moves by hand (services take ``now``; the app reads ``QUIZ_CLOCK``)."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return moment


@pytest.fixture
def clock() -> Clock:
    return Clock()


@dataclass
class World:
    units: dict
    organizer: Any
    bank: Any
    questions: list
    cadre: Any
    other: Any
    outsider: Any
    extra: dict = field(default_factory=dict)


@pytest.fixture
def world(session) -> World:
    """A province bank (shared with every unit below) of ten single-choice questions, an organizer,
    a cadre and a second cadre in 金水, and a cadre in 洛龙."""
    units = make_province(session)
    organizer = make_user(session, "org", units["省"], ("organizer", "cadre"))
    bank = make_bank(session, units["省"], "省题库", actor=organizer)
    questions = [make_question(session, bank, "single") for _ in range(10)]
    w = World(units, organizer, bank, questions, make_user(session, "cadre_a", units["金水"]),
              make_user(session, "cadre_b", units["金水"]), make_user(session, "cadre_c", units["洛龙"]))
    session.commit()
    return w


def right(version) -> Any:
    """The key in the attempt API's shapes (canonical keys: practice shows options unshuffled)."""
    key = version.answer
    if version.type == "fill_blank":
        return [alts[0] for alts in key]
    if version.type == "short_answer":
        return "；".join(group[0] for group in key["keywords"]) or "我的回答"
    return key


def wrong(version) -> Any:
    if version.type == "single":
        return "B" if version.answer != "B" else "A"
    if version.type == "multiple":
        return ["D"]
    if version.type == "true_false":
        return not version.answer
    if version.type == "fill_blank":
        return ["不对" for _ in version.answer]
    return "不知道"


def answer_one(session, user, question, correct: bool, when: datetime, *, seconds: float = 20, mode_set=None, tz=TZ):
    """Practise one question: a one-question set shown at ``when - seconds``, answered at ``when``.
    Returns (set, AnswerResult)."""
    from question_bank.models import Question

    question = session.get(Question, question.id) if not hasattr(question, "current_version") else question
    shown = when - timedelta(seconds=seconds)
    practice_set = mode_set or svc._new_set(session, user, "random", [(question.id, question.current_version_id)], now=shown)
    item = svc.current_item(session, user, practice_set, now=shown)
    assert item is not None and item.question_id == question.id
    version = question.current_version
    result = svc.answer_item(session, user, practice_set, item.position, right(version) if correct else wrong(version), now=when, tz=tz)
    return practice_set, result
