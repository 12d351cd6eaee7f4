"""A small province with one contest whose figures are worked out by hand in the tests.

Full marks 100, pass 60, best attempt counts. Every cadre is eligible (the contest belongs to 省).

| cadre | unit | attempts | counted | rank in contest |
|---|---|---|---|---|
| ly_a 洛阳甲 | 西工 | 95 (400 s) | 95 | 1 |
| zz_a 张三 | 金水 | 70 (100 s), then 90 (300 s) | 90 | 2 |
| ly_b 洛阳乙 | 洛龙 | 80 (100 s) | 80 | 3 |
| zz_b =1+2王五 | 金水 | 80 (200 s) | 80 | 4 |
| eq_a 李四 | 二七 | 50 (100 s) | 50 | 5 |
| zz_c 赵六 | 金水 | one in progress | — | — |
| zz_self 孙七 | 郑州 itself | none | — | — |
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from question_bank.db import utcnow
from quiz.contests.models import Attempt
from tests.factories import make_bank, make_contest, make_paper, make_province, make_user


def add_attempt(session, contest, user, score: float | None, seconds: int = 100, *, number: int = 1,
                status: str = "submitted", max_score: float = 100.0, at: datetime | None = None) -> Attempt:
    """A finalised (or in-progress) attempt written directly: reports only read these columns."""
    started = at or utcnow() - timedelta(minutes=30)
    attempt = Attempt(kind="contest", contest_id=contest.id, user_id=user.id, number=number, status=status, seed=number,
                      started_at=started, deadline=started + timedelta(minutes=30),
                      submitted_at=None if status == "in_progress" else started + timedelta(seconds=seconds),
                      finalised_by=None if status == "in_progress" else "submit",
                      score=score, max_score=max_score, passed=None if score is None else score >= 60,
                      time_used_seconds=None if status == "in_progress" else seconds)
    session.add(attempt)
    session.flush()
    return attempt


@dataclass
class ReportWorld:
    units: dict
    contest: object
    people: dict = field(default_factory=dict)


@pytest.fixture
def report_world(session) -> ReportWorld:
    units = make_province(session)
    bank = make_bank(session, units["省"])
    contest = make_contest(session, make_paper(session, bank), title="全省组工知识竞赛", pass_score=60)
    w = ReportWorld(units, contest)
    p = w.people
    p["hr_zz"] = make_user(session, "hr_zz", units["郑州"], ("hr",), name="郑州人事")
    p["hr_prov"] = make_user(session, "hr_prov", units["省"], ("hr",), name="省人事")
    p["org_zz"] = make_user(session, "org_zz", units["郑州"], ("organizer",), name="郑州组织者")
    for key, unit, name in (("zz_a", "金水", "张三"), ("zz_b", "金水", "=1+2王五"), ("zz_c", "金水", "赵六"),
                            ("eq_a", "二七", "李四"), ("zz_self", "郑州", "孙七"),
                            ("ly_a", "西工", "洛阳甲"), ("ly_b", "洛龙", "洛阳乙")):
        p[key] = make_user(session, key, units[unit], name=name)
    add_attempt(session, contest, p["ly_a"], 95, 400)
    add_attempt(session, contest, p["zz_a"], 70, 100, number=1)
    add_attempt(session, contest, p["zz_a"], 90, 300, number=2)
    add_attempt(session, contest, p["ly_b"], 80, 100)
    add_attempt(session, contest, p["zz_b"], 80, 200)
    add_attempt(session, contest, p["eq_a"], 50, 100)
    add_attempt(session, contest, p["zz_c"], None, status="in_progress")
    session.commit()
    return w
