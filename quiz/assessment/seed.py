"""The demo assessment plan for ``quiz seed-demo``: this year's plan of the provincial HR over the
demo contests and practice, computed through the real services so every page shows real figures.

Everything a record shows comes from real inputs, never from writing records:

- the keen cadres who practise every week (``cadre1`` … ``cadre8``, see ``quiz.practice.seed``)
  also took the open contest today, both attempts it allows (the best counts), through the real
  attempt services (``quiz.contests.seed._take``), as the five who took it yesterday did;
- HR imported the scores of the May on-site contest (现场知识竞赛) and the 学时 of the party
  school's online course for every cadre (``set_entries``, what an xlsx import writes).

So the grades spread over every band: a few keen cadres reach 优秀, and the plan's 15 % cap on 优秀
moves the lowest of them to 良好 with the reason shown (受优秀比例限制).

The plan is computed, locked (revision 1), then a 免考 is recorded for one cadre and it is computed
again, so the demo also shows a locked revision kept beside the current draft.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from question_bank.db import utcnow
from quiz.accounts.models import User
from quiz.assessment.models import HOURS_KEY, AssessmentPlan
from quiz.assessment.services import add_exemption, compute_plan, create_plan, lock_plan, set_entries
from quiz.contests.models import Attempt, Contest

TZ = "Asia/Shanghai"
SEED = 2027
KEEN = 8  # cadre1 … cadre8: the cadres with a practice history
# 现场知识竞赛 (out of 100) of the keen cadres, who prepared for it; the others' follow a spread below
KEEN_ONSITE = (98, 97, 92, 96, 99, 97, 95, 62)


def _onsite(i: int) -> float:
    return float(KEEN_ONSITE[i]) if i < KEEN else float(60 + (i * 7) % 39)


def _school_hours(i: int) -> float:
    """Hours of the party school's online course: the keen cadres finished it (48 学时), the others part."""
    return 48.0 if i < KEEN else float(20 + (i * 5) % 30)


def _keen_take_the_open_contest(session: Session, contest: Contest, cadres: list[User], now: datetime) -> None:
    from quiz.contests.seed import _take

    taken = set(session.scalars(select(Attempt.user_id).where(Attempt.contest_id == contest.id)))
    keen = [u for u in cadres[:KEEN] if u.id not in taken]
    if keen and contest.opens_at <= now - timedelta(hours=6) and contest.closes_at > now:
        rng = random.Random(SEED)
        for start in (now - timedelta(hours=6), now - timedelta(hours=3)):  # both attempts allowed; the best counts
            _take(session, contest, keen, start, rng, unfinished=0)


def seed_demo_assessment(session: Session, *, now: datetime | None = None) -> AssessmentPlan | None:
    now = now or utcnow()
    hr = session.scalar(select(User).where(User.username == "hr"))
    contests = list(session.scalars(select(Contest).where(Contest.status != "draft").order_by(Contest.opens_at)))
    taken = [c for c in contests if c.opens_at <= now]  # the closed one, then the open one
    if hr is None or len(taken) < 2:
        return None
    closed, running = taken[0], taken[-1]
    cadres = list(session.scalars(select(User).where(User.username.like("cadre%")).order_by(User.id)))
    _keen_take_the_open_contest(session, running, cadres, now)
    plan = create_plan(
        session, hr, title=f"{now.year}年度组工干部学习考核", year=now.year, org_unit_id=hr.org_unit_id,
        description="竞赛、日常练习、现场竞赛和学时按权重计入；总分 90 分以上为优秀，优秀比例不超过 15%。",
        components=[
            {"key": "c1", "kind": "contest", "name": closed.title[:50], "weight": 10, "contest_id": closed.id},
            {"key": "c2", "kind": "contest", "name": running.title[:50], "weight": 10, "contest_id": running.id, "counts": "best"},
            {"key": "c3", "kind": "practice", "name": "练习题量", "weight": 20, "measure": "volume", "target": 100},
            {"key": "c4", "kind": "manual", "name": "现场知识竞赛", "weight": 30, "max": 100},
            {"key": HOURS_KEY, "kind": "hours", "name": "学时完成率", "weight": 30},
        ],
        excellent_cap=15, hours_required=50,
        hours_rule={"per_passed_contest": 0.5, "per_passed_mock": 0.5, "per_practice_hour": 1.0},
    )
    # what HR imported: the on-site contest's scores, and 学时 from the provincial party school's online course
    set_entries(session, hr, plan, "c4", [(u.id, _onsite(i), "五月全省现场知识竞赛（笔试）") for i, u in enumerate(cadres)])
    set_entries(session, hr, plan, HOURS_KEY, [(u.id, _school_hours(i), "省委党校网络培训班") for i, u in enumerate(cadres)])
    compute_plan(session, hr, plan, now=now, tz=TZ)
    lock_plan(session, hr, plan, now=now)
    absent = next((u for u in cadres if u.org_unit.name == "洛龙区委组织部"), None)
    if absent is not None:
        add_exemption(session, hr, plan, username=absent.username, component_key="c1", reason="测试当天因公赴省外学习，经部务会批准免考")
    compute_plan(session, hr, plan, now=now, tz=TZ)
    session.flush()
    return plan
