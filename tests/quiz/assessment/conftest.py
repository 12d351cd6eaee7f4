"""Assessment fixtures: a province with HR at two levels, cadres in 郑州 and 洛阳, a contest and
helpers that write finalised attempts directly (the facts a plan reads)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from quiz.contests.models import Attempt
from tests.factories import make_bank, make_contest, make_paper, make_province, make_user

T0 = datetime(2026, 6, 1, 2, 0)  # 10:00 in Shanghai, mid-year
TZ = "Asia/Shanghai"


@dataclass
class World:
    units: dict
    hr: Any  # 河南省委组织部
    hr_zz: Any  # 郑州市委组织部
    a: Any  # cadre in 金水 (郑州)
    b: Any  # cadre in 二七 (郑州)
    c: Any  # cadre in 洛龙 (洛阳)
    contest: Any
    extra: dict = field(default_factory=dict)

    @property
    def cadres(self):
        return [self.a, self.b, self.c]


@pytest.fixture
def world(session) -> World:
    units = make_province(session)
    hr = make_user(session, "hr_prov", units["省"], ("hr",), name="省人事")
    hr_zz = make_user(session, "hr_zz", units["郑州"], ("hr",), name="郑州人事")
    a = make_user(session, "cadre_a", units["金水"], name="金水甲")
    b = make_user(session, "cadre_b", units["二七"], name="二七乙")
    c = make_user(session, "cadre_c", units["洛龙"], name="洛龙丙")
    contest = make_contest(session, make_paper(session, make_bank(session, units["省"])), now=T0 - timedelta(days=10), attempts_allowed=3, counts="best", pass_score=60)
    session.commit()
    return World(units, hr, hr_zz, a, b, c, contest)


def take(session, contest, user, number: int, score: float, max_score: float = 100.0, *, when: datetime = T0,
         passed: bool | None = None, kind: str = "contest", status: str = "submitted") -> Attempt:
    """A finalised attempt as grading leaves it."""
    attempt = Attempt(kind=kind, contest_id=contest.id if kind == "contest" else None, paper_id=contest.paper_id, user_id=user.id,
                      number=number, status=status, seed=number, started_at=when - timedelta(minutes=20), deadline=when + timedelta(minutes=10),
                      submitted_at=when, score=score, max_score=max_score, passed=passed, time_used_seconds=1200 - number)
    session.add(attempt)
    session.flush()
    return attempt


def practice_plan(world, **fields):
    """A one-component plan (practice volume) of 郑州, unless told otherwise."""
    from quiz.assessment.services import create_plan

    values = {"title": "测试方案", "year": 2026, "org_unit_id": world.units["省"].id,
              "components": [{"key": "c1", "kind": "practice", "name": "练习题量", "weight": 100, "measure": "volume", "target": 10}]}
    values.update(fields)
    return values, create_plan
