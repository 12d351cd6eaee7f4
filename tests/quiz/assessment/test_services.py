"""Plans over real facts: counted contest attempts, the year's practice, 学时, exemptions, locks and revisions, scope."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from quiz.assessment import services as svc
from quiz.assessment.models import HOURS_KEY, AssessmentRecord, LockedRecordError
from quiz.assessment.rules import AssessmentError
from quiz.audit.models import AuditEntry
from tests.factories import make_bank, make_question
from tests.quiz.assessment.conftest import T0, TZ, take
from tests.quiz.practice.conftest import answer_one


def _plan(session, world, components, *, actor=None, unit="省", **fields):
    return svc.create_plan(session, actor or world.hr, title="年度考核", year=2026, org_unit_id=world.units[unit].id,
                           components=components, **fields)


def _records(session, plan, revision=None):
    rows = session.scalars(select(AssessmentRecord).where(AssessmentRecord.plan_id == plan.id,
                                                          AssessmentRecord.revision == (revision or plan.current_revision)))
    return {r.user_id: r for r in rows}


def _part(record, key):
    return next(c for c in record.components if c["key"] == key)


def test_contest_component_counts_the_best_or_the_last_attempt_as_a_share_of_the_maximum(session, world):
    take(session, world.contest, world.a, 1, 45, 50)  # 90 %
    take(session, world.contest, world.a, 2, 30, 50)  # 60 %, the last
    take(session, world.contest, world.b, 1, 20, 80)  # 25 %
    take(session, world.contest, world.c, 1, 99, 100, status="in_progress")  # not finalised: does not count
    plan = _plan(session, world, [
        {"key": "c1", "kind": "contest", "name": "最高分", "weight": 50, "contest_id": world.contest.id},  # the contest's rule: best
        {"key": "c2", "kind": "contest", "name": "最后一次", "weight": 50, "contest_id": world.contest.id, "counts": "last"},
    ])
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    records = _records(session, plan)
    a, b, c = records[world.a.id], records[world.b.id], records[world.c.id]
    assert (_part(a, "c1")["value"], _part(a, "c2")["value"], a.total) == (90.0, 60.0, 75.0)
    assert _part(a, "c1")["inputs"]["attempt"]["score"] == 45 and _part(a, "c2")["inputs"]["attempt"]["score"] == 30
    assert (_part(b, "c1")["value"], b.total) == (25.0, 25.0)
    assert (_part(c, "c1")["status"], c.total) == ("missed", 0.0)


def test_practice_components_read_the_years_practice(session, world):
    bank = make_bank(session, world.units["省"])
    bank_questions = [make_question(session, bank) for _ in range(4)]
    for i, q in enumerate(bank_questions):  # cadre a: four answers in 2026 (three right), one in 2025
        answer_one(session, world.a, q, i != 0, datetime(2026, 3, 2, 2, i))
    answer_one(session, world.a, bank_questions[0], True, datetime(2025, 12, 31, 15, 0))  # 23:00 in Shanghai, 2025
    plan = _plan(session, world, [
        {"key": "c1", "kind": "practice", "name": "题量", "weight": 60, "measure": "volume", "target": 5},
        {"key": "c2", "kind": "practice", "name": "正确率", "weight": 40, "measure": "accuracy"},
    ])
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    a = _records(session, plan)[world.a.id]
    # 4 of 5 = 80; 3 right of 4 = 75; 80×.6 + 75×.4 = 48 + 30
    assert (_part(a, "c1")["value"], _part(a, "c2")["value"], a.total) == (80.0, 75.0, 78.0)
    assert a.inputs["practice"]["questions_practised"] == 4


def test_credit_hours_by_the_plans_rule_and_imported_hours(session, world):
    take(session, world.contest, world.a, 1, 50, passed=False)
    take(session, world.contest, world.a, 2, 70, passed=True)  # passed: one contest, however many passing attempts
    take(session, world.contest, world.a, 3, 80, passed=True)
    take(session, world.contest, world.a, 4, 80, passed=True, when=datetime(2025, 12, 31, 15, 0))  # 2025 in Shanghai
    take(session, world.contest, world.a, 1, 6, 10, kind="mock")  # mock at 60 %: passed
    take(session, world.contest, world.a, 2, 5.9, 10, kind="mock")  # below 60 %
    q = make_question(session, make_bank(session, world.units["省"]))
    answer_one(session, world.a, q, True, datetime(2026, 3, 2, 2, 0), seconds=1800)  # counts 5 minutes at most
    answer_one(session, world.a, q, True, datetime(2026, 3, 2, 3, 0), seconds=120)
    plan = _plan(session, world, [{"key": HOURS_KEY, "kind": "hours", "name": "学时", "weight": 100}], hours_required=10,
                 hours_rule={"per_passed_contest": 2, "per_passed_mock": 1, "per_practice_hour": 6})
    svc.set_entries(session, world.hr, plan, HOURS_KEY, [(world.a.id, 3.5, "党校培训")])
    figures = svc.credit_hours(session, plan, [world.a.id, world.b.id], tz=TZ)[world.a.id]
    # 1 contest × 2 + 1 mock × 1 + (5 + 2) minutes × 6 / 60 + 3.5 imported = 2 + 1 + 0.7 + 3.5
    assert (figures["passed_contests"], figures["passed_mocks"], figures["practice_minutes"]) == (1, 1, 7.0)
    assert figures["total"] == 7.2
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    records = _records(session, plan)
    assert (records[world.a.id].hours, records[world.a.id].total) == (7.2, 72.0)
    assert (records[world.b.id].hours, records[world.b.id].total) == (0.0, 0.0)


def test_an_exemption_with_its_reason_reweights_the_cadres_other_components(session, world):
    take(session, world.contest, world.b, 1, 80)
    plan = _plan(session, world, [
        {"key": "c1", "kind": "contest", "name": "竞赛", "weight": 50, "contest_id": world.contest.id},
        {"key": "c2", "kind": "manual", "name": "现场竞赛", "weight": 50, "max": 100},
    ])
    svc.set_entries(session, world.hr, plan, "c2", [(world.a.id, 90, ""), (world.b.id, 90, "")])
    svc.add_exemption(session, world.hr, plan, username="cadre_a", component_key="c1", reason="因病住院，经批准免考")
    with pytest.raises(AssessmentError, match="不能免考全部考核项目"):
        svc.add_exemption(session, world.hr, plan, username="cadre_a", component_key="c2", reason="再免一项")
    with pytest.raises(AssessmentError, match="请填写免考原因"):
        svc.add_exemption(session, world.hr, plan, username="cadre_b", component_key="c1", reason="  ")
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    records = _records(session, plan)
    a, b = records[world.a.id], records[world.b.id]
    assert (_part(a, "c1")["status"], _part(a, "c1")["reason"]) == ("exempt", "因病住院，经批准免考")
    assert (_part(a, "c2")["effective_weight"], a.total) == (100.0, 90.0)  # only the on-site contest counts
    assert b.total == 85.0  # 80×.5 + 90×.5: no exemption
    assert a.inputs["exemptions"] == {"c1": "因病住院，经批准免考"}


def test_the_excellent_cap_over_a_computed_plan(session, world):
    extra = [svc.User(username=f"x{i}", name=f"人{i}", org_unit=world.units["郑州"], password_hash="x") for i in range(7)]
    for u in extra:
        u.set_roles({"cadre"})
    session.add_all(extra)
    session.flush()
    plan = _plan(session, world, [{"key": "c1", "kind": "manual", "name": "现场", "weight": 100, "max": 100}], excellent_cap=20)
    people = [world.a, world.b, world.c, *extra]  # 10 cadres: 2 may be 优秀
    scores = [98, 96, 95, 92, 85, 70, 60, 59, 40, 0]
    svc.set_entries(session, world.hr, plan, "c1", [(u.id, s, "") for u, s in zip(people, scores)])
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    records = _records(session, plan)
    assert [(records[u.id].grade, records[u.id].grade_note) for u in people[:5]] == [
        ("优秀", ""), ("优秀", ""), ("良好", "capped"), ("良好", "capped"), ("良好", "")]
    assert [records[u.id].rank for u in people] == list(range(1, 11))


def test_a_locked_record_never_changes_and_a_recompute_makes_a_new_revision(session, world):
    plan = _plan(session, world, [{"key": "c1", "kind": "manual", "name": "现场", "weight": 100, "max": 100}])
    svc.set_entries(session, world.hr, plan, "c1", [(world.a.id, 70, "初评")])
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    assert svc.lock_plan(session, world.hr, plan, now=T0) == 3
    session.commit()
    old = _records(session, plan, 1)[world.a.id]
    snapshot = (old.id, old.total, old.grade, old.components, old.inputs, old.status, old.computed_at)
    assert snapshot[1:3] == (70.0, "合格") and old.locked

    with pytest.raises(AssessmentError, match="已锁定，不能再调整"):
        svc.adjust_record(session, world.hr, old, total=95, reason="复核")
    session.rollback()
    with pytest.raises(AssessmentError, match="已经锁定"):
        svc.lock_plan(session, world.hr, plan)
    session.rollback()

    svc.set_entries(session, world.hr, plan, "c1", [(world.a.id, 95, "复核后更正")])
    result = svc.compute_plan(session, world.hr, plan, now=T0 + timedelta(days=1), tz=TZ)
    session.commit()
    assert (result.revision, result.new_revision, plan.current_revision, plan.locked_revision) == (2, True, 2, 1)
    session.expire_all()
    kept = session.get(AssessmentRecord, snapshot[0])
    assert (kept.id, kept.total, kept.grade, kept.components, kept.inputs, kept.status, kept.computed_at) == snapshot
    new = _records(session, plan, 2)[world.a.id]
    assert (new.total, new.grade, new.status) == (95.0, "优秀", "draft")
    assert [r["revision"] for r in svc.revisions(session, plan, world.hr)] == [2, 1]

    # the last guard: even code that skips the services cannot write a locked row
    kept.total = 100.0
    with pytest.raises(LockedRecordError):
        session.flush()
    session.rollback()
    with pytest.raises(LockedRecordError):
        session.delete(session.get(AssessmentRecord, snapshot[0]))
        session.flush()
    session.rollback()
    assert session.get(AssessmentRecord, snapshot[0]).total == 70.0


def test_recomputing_a_draft_replaces_it_and_keeps_the_adjustment(session, world):
    plan = _plan(session, world, [{"key": "c1", "kind": "manual", "name": "现场", "weight": 100, "max": 100}])
    svc.set_entries(session, world.hr, plan, "c1", [(world.a.id, 70, ""), (world.b.id, 80, "")])
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    session.commit()
    a = _records(session, plan)[world.a.id]
    audit = []
    svc.adjust_record(session, world.hr, a, total=91, reason="获省级表彰加分", audit=lambda action, **kw: audit.append((action, kw)))
    assert (a.total, a.computed_total, a.grade) == (91.0, 70.0, "优秀")
    assert audit[0][0] == "assessment.adjust" and audit[0][1]["after"]["adjust_reason"] == "获省级表彰加分"
    assert audit[0][1]["before"]["total"] == 70.0
    session.commit()
    with pytest.raises(AssessmentError, match="请填写调整原因"):
        svc.adjust_record(session, world.hr, a, total=80, reason="")
    session.rollback()
    svc.set_entries(session, world.hr, plan, "c1", [(world.b.id, 60, "")])
    result = svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    assert (result.revision, result.new_revision) == (1, False)
    records = _records(session, plan)
    assert (records[world.a.id].total, records[world.a.id].adjust_reason, records[world.b.id].total) == (91.0, "获省级表彰加分", 60.0)


def test_adjusting_through_the_audit_log(session, world):
    from functools import partial

    from quiz.audit.services import record

    plan = _plan(session, world, [{"key": "c1", "kind": "manual", "name": "现场", "weight": 100, "max": 100}])
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    a = _records(session, plan)[world.a.id]
    svc.adjust_record(session, world.hr, a, total=65, reason="补录现场竞赛成绩", audit=partial(record, session, world.hr))
    session.commit()
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "assessment.adjust"))
    assert entry.actor_id == world.hr.id and "补录现场竞赛成绩" in entry.summary
    assert (entry.before["total"], entry.after["total"]) == (0.0, 65.0)


def test_hr_of_zhengzhou_sees_no_luoyang_record(session, world):
    plan = _plan(session, world, [{"key": "c1", "kind": "manual", "name": "现场", "weight": 100, "max": 100}])
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    everyone = svc.record_page(session, plan, world.hr).records
    assert {r.user_id for r in everyone} == {world.a.id, world.b.id, world.c.id}
    mine = svc.record_page(session, plan, world.hr_zz).records
    assert {r.user_id for r in mine} == {world.a.id, world.b.id}  # 金水 and 二七; 洛龙 is out of reach
    luoyang = _records(session, plan)[world.c.id]
    with pytest.raises(AssessmentError):
        svc.get_record(session, world.hr_zz, luoyang.id)
    assert [n for _g, n in svc.grade_counts(session, plan, world.hr_zz)] == [0, 0, 0, 2]
    assert [r["records"] for r in svc.revisions(session, plan, world.hr_zz)] == [2]
    # the provincial plan is readable by 郑州's HR, but not theirs to manage
    assert svc.get_plan(session, world.hr_zz, plan.id) is plan
    with pytest.raises(AssessmentError):
        svc.get_plan(session, world.hr_zz, plan.id, manage=True)
    # a plan of 洛阳 is not even visible
    luoyang_plan = _plan(session, world, [{"key": "c1", "kind": "manual", "name": "现场", "weight": 100, "max": 100}], unit="洛阳")
    with pytest.raises(AssessmentError):
        svc.get_plan(session, world.hr_zz, luoyang_plan.id)
    assert luoyang_plan.id not in {p.id for p in session.scalars(svc.plans_stmt(world.hr_zz))}
    # and HR of 郑州 cannot make a plan for 洛阳
    with pytest.raises(AssessmentError, match="考核范围应为您管理范围内的单位"):
        _plan(session, world, [{"key": "c1", "kind": "manual", "name": "现场", "weight": 100}], actor=world.hr_zz, unit="洛阳")


def test_a_plan_covers_active_cadres_of_its_subtree_only(session, world):
    from tests.factories import make_user

    make_user(session, "gone", world.units["金水"], active=False)
    make_user(session, "hr_only", world.units["金水"], ("hr",))
    plan = _plan(session, world, [{"key": "c1", "kind": "manual", "name": "现场", "weight": 100, "max": 100}], unit="郑州", actor=world.hr_zz)
    result = svc.compute_plan(session, world.hr_zz, plan, now=T0, tz=TZ)
    assert result.records == 2
    assert set(_records(session, plan)) == {world.a.id, world.b.id}


def test_the_cadre_sees_their_own_newest_record(session, world):
    plan = _plan(session, world, [{"key": "c1", "kind": "manual", "name": "现场", "weight": 100, "max": 100}])
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    svc.lock_plan(session, world.hr, plan, now=T0)
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    mine = svc.my_records(session, world.a)
    assert [(r.user_id, r.revision) for r in mine] == [(world.a.id, 2)]
