"""The demo plan (quiz seed-demo) and ``quiz compute-assessment``."""
from __future__ import annotations

from sqlalchemy import func, select

from quiz.accounts.models import User, UserRole
from quiz.assessment import services as svc
from quiz.assessment.models import AssessmentPlan, AssessmentRecord
from quiz.seed import DEMO_PASSWORD
from tests.quiz.conftest import Auth


def test_the_demo_plan_is_computed_locked_and_recomputed_with_real_figures(app, session):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    plan = session.scalar(select(AssessmentPlan))
    assert (plan.current_revision, plan.locked_revision) == (2, 1)
    cadres = session.scalar(select(func.count()).select_from(User).join(UserRole).where(UserRole.role == "cadre", User.active.is_(True)))
    for revision, status in ((1, "locked"), (2, "draft")):
        records = session.scalars(select(AssessmentRecord).where(AssessmentRecord.plan_id == plan.id, AssessmentRecord.revision == revision)).all()
        assert len(records) == cadres and {r.status for r in records} == {status}
        assert len({r.total for r in records}) > 5 and max(r.total for r in records) > 60  # varied, real figures
        assert sum(r.hours > 0 for r in records) > 20
    exempt = [r for r in records if any(c["status"] == "exempt" for c in r.components)]
    assert len(exempt) == 1 and exempt[0].inputs["exemptions"]
    # a realistic spread from real inputs: some 优秀, and the 15 % cap (⌊15 × 31 / 100⌋ = 4 of 31) drops one
    # who reached the line to 良好, with the reason on the page
    assert plan.excellent_cap == 15 and len(records) == 31
    grades = [r.grade for r in records]
    capped = [r for r in records if r.grade_note == "capped"]
    assert 1 <= grades.count("优秀") <= 4 and capped and all(r.grade == "良好" and r.computed_total >= 90 for r in capped)
    assert {"良好", "合格", "不合格"} <= set(grades)
    excellent = [r for r in records if r.grade == "优秀"]
    assert all(r.components[1]["status"] == "ok" for r in excellent)  # the keen cadres took the open contest
    hr_client = app.test_client()
    assert Auth(hr_client).login("hr", DEMO_PASSWORD).status_code == 302
    assert "受优秀比例限制" in hr_client.get(f"/assessment/plans/{plan.id}?grade=良好").get_data(as_text=True)
    # 郑州's HR opens the provincial plan and sees 郑州's cadres only
    client = app.test_client()
    assert Auth(client).login("hr_zz", DEMO_PASSWORD).status_code == 302
    page = client.get(f"/assessment/plans/{plan.id}?sort=unit").get_data(as_text=True)
    assert "金水区委组织部" in page and "洛阳市委组织部" not in page and "洛龙区委组织部" not in page
    hr_zz = session.scalar(select(User).where(User.username == "hr_zz"))
    assert {r.org_unit.name for r in svc.record_page(session, plan, hr_zz, per_page=500).records} <= {"郑州市委组织部", "金水区委组织部", "二七区委组织部"}


def test_compute_assessment_command(app, session, world):
    plan = svc.create_plan(session, world.hr, title="命令行", year=2026, org_unit_id=world.units["省"].id,
                           components=[{"key": "c1", "kind": "manual", "name": "现场", "weight": 100, "max": 100}])
    session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["compute-assessment", str(plan.id)])
    assert first.exit_code == 0 and "已计算 3 人，第 1 版" in first.output
    svc.lock_plan(session, world.hr, session.get(AssessmentPlan, plan.id))
    session.commit()
    second = runner.invoke(args=["compute-assessment", str(plan.id)])
    assert "第 2 版（新版本，已锁定的旧版本保留）" in second.output
    missing = runner.invoke(args=["compute-assessment", "99999"])
    assert missing.exit_code == 1 and "考核方案不存在" in missing.output
