"""The demo assessment plan for ``quiz seed-demo``: this year's plan of the provincial HR over the
demo contests and practice, computed through the real services so every page shows real figures.

It is computed, locked (revision 1), then a 免考 is recorded for one cadre and it is computed
again, so the demo also shows a locked revision kept beside the current draft.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from question_bank.db import utcnow
from quiz.accounts.models import OrgUnit, User
from quiz.assessment.models import HOURS_KEY, AssessmentPlan
from quiz.assessment.services import add_exemption, compute_plan, create_plan, lock_plan, set_entries
from quiz.contests.models import Contest

TZ = "Asia/Shanghai"


def seed_demo_assessment(session: Session, *, now: datetime | None = None) -> AssessmentPlan | None:
    now = now or utcnow()
    hr = session.scalar(select(User).where(User.username == "hr"))
    contests = list(session.scalars(select(Contest).where(Contest.status != "draft").order_by(Contest.opens_at)))
    taken = [c for c in contests if c.opens_at <= now]  # the closed one, then the open one
    if hr is None or len(taken) < 2:
        return None
    closed, running = taken[0], taken[-1]
    plan = create_plan(
        session, hr, title=f"{now.year}年度组工干部学习考核", year=now.year, org_unit_id=hr.org_unit_id,
        description="竞赛、日常练习、现场竞赛和学时按权重计入；总分 90 分以上为优秀，优秀比例不超过 20%。",
        components=[
            {"key": "c1", "kind": "contest", "name": closed.title[:50], "weight": 40, "contest_id": closed.id},
            {"key": "c2", "kind": "contest", "name": running.title[:50], "weight": 10, "contest_id": running.id, "counts": "best"},
            {"key": "c3", "kind": "practice", "name": "练习题量", "weight": 10, "measure": "volume", "target": 100},
            {"key": "c4", "kind": "manual", "name": "现场知识竞赛", "weight": 20, "max": 100},
            {"key": HOURS_KEY, "kind": "hours", "name": "学时完成率", "weight": 20},
        ],
        excellent_cap=20, hours_required=50,
        hours_rule={"per_passed_contest": 0.5, "per_passed_mock": 0.5, "per_practice_hour": 1.0},
    )
    cadres = list(session.scalars(select(User).where(User.username.like("cadre%")).order_by(User.id)))
    # what HR enters: the on-site contest's scores, and 学时 from the provincial party school's online course
    set_entries(session, hr, plan, "c4", [(u.id, float(60 + (i * 7) % 39), "五月全省现场知识竞赛（笔试）") for i, u in enumerate(cadres)])
    set_entries(session, hr, plan, HOURS_KEY, [(u.id, float(20 + (i * 5) % 30), "省委党校网络培训班") for i, u in enumerate(cadres)])
    compute_plan(session, hr, plan, now=now, tz=TZ)
    lock_plan(session, hr, plan, now=now)
    absent = next((u for u in cadres if u.org_unit.name == "洛龙区委组织部"), None)
    if absent is not None:
        add_exemption(session, hr, plan, username=absent.username, component_key="c1", reason="测试当天因公赴省外学习，经部务会批准免考")
    compute_plan(session, hr, plan, now=now, tz=TZ)
    session.flush()
    return plan
