"""Stable component keys through plan edits, the grade filter of an older revision, and typing one
cadre's manual score or extra 学时 by hand."""
from __future__ import annotations

import re

from sqlalchemy import select

from quiz.assessment import services as svc
from quiz.assessment.models import AssessmentEntry, AssessmentPlan, AssessmentRecord
from quiz.audit.models import AuditEntry
from tests.quiz.assessment.conftest import T0, TZ
from tests.quiz.assessment.test_views import _login

TWO_MANUAL = [{"kind": "manual", "name": "现场竞赛", "weight": 50, "max": 100},
              {"kind": "manual", "name": "笔试", "weight": 50, "max": 50}]


def _edit_form(plan, rows):
    """The plan form as a browser sends it, with ``rows`` (key, kind, name, weight, max) in this order."""
    data = {"title": plan.title, "year": str(plan.year), "org_unit_id": str(plan.org_unit_id), "preset": "default",
            "hours_required": "50", "per_passed_contest": "0.5", "per_passed_mock": "0.5", "per_practice_hour": "1", "excellent_cap": ""}
    for n, (key, kind, name, weight, maximum) in enumerate(rows):
        data.update({f"components-{n}-key": key, f"components-{n}-kind": kind, f"components-{n}-name": name,
                     f"components-{n}-weight": str(weight), f"components-{n}-max": str(maximum)})
    return data


def _save(session, auth, plan, rows):
    data, plan_id = _edit_form(plan, rows), plan.id
    session.rollback()  # end this test's read before the request writes
    assert auth.post(f"/assessment/plans/{plan_id}/edit", data).status_code == 302
    session.rollback()
    session.expire_all()


def _values(session, plan, user):
    record = session.scalar(select(AssessmentRecord).where(AssessmentRecord.plan_id == plan.id, AssessmentRecord.user_id == user.id,
                                                           AssessmentRecord.revision == plan.current_revision))
    return {c["name"]: (c["value"], c["status"]) for c in record.components}


def test_imported_scores_stay_with_their_component_when_rows_are_reordered_or_removed(app, session, world):
    plan = svc.create_plan(session, world.hr, title="键测试", year=2026, org_unit_id=world.units["省"].id, components=TWO_MANUAL)
    assert svc.component_keys(plan) == ["c1", "c2"]
    svc.set_entries(session, world.hr, plan, "c1", [(world.a.id, 90, "")])  # 现场竞赛 90 / 100
    svc.set_entries(session, world.hr, plan, "c2", [(world.a.id, 20, "")])  # 笔试 20 / 50 = 40
    session.commit()
    plan_id = plan.id
    client, auth = _login(app, world.hr)
    edit = client.get(f"/assessment/plans/{plan_id}/edit").get_data(as_text=True)
    assert re.search(r'name="components-0-key" type="hidden" value="c1"', edit)
    # 笔试 moved to the top
    _save(session, auth, plan, [("c2", "manual", "笔试", 50, 50), ("c1", "manual", "现场竞赛", 50, 100)])
    session.rollback()
    plan = session.get(AssessmentPlan, plan_id)
    assert [(c["key"], c["name"]) for c in plan.components] == [("c2", "笔试"), ("c1", "现场竞赛")]
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    session.commit()
    assert _values(session, plan, world.a) == {"笔试": (40.0, "ok"), "现场竞赛": (90.0, "ok")}
    # 现场竞赛 removed and a new manual row added in its place: the new row gets a new key, not c1's scores
    _save(session, auth, plan, [("c2", "manual", "笔试", 50, 50), ("", "manual", "述职评议", 50, 100)])
    session.rollback()
    plan = session.get(AssessmentPlan, plan_id)
    assert [(c["key"], c["name"]) for c in plan.components] == [("c2", "笔试"), ("c3", "述职评议")]
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    session.commit()
    assert _values(session, plan, world.a) == {"笔试": (40.0, "ok"), "述职评议": (0.0, "missing")}
    # a key the plan never had (a hand-made form) is treated as a new row
    _save(session, auth, plan, [("c2", "manual", "笔试", 50, 50), ("c9", "manual", "述职评议二", 50, 100)])
    session.rollback()
    assert svc.component_keys(session.get(AssessmentPlan, plan_id)) == ["c2", "c4"]


def test_the_grade_filter_of_an_older_revision_lists_the_bands_it_was_computed_with(app, session, world):
    plan = svc.create_plan(session, world.hr, title="等次", year=2026, org_unit_id=world.units["省"].id,
                           components=[{"key": "c1", "kind": "manual", "name": "现场竞赛", "weight": 100, "max": 100}])
    svc.set_entries(session, world.hr, plan, "c1", [(world.a.id, 85, ""), (world.b.id, 77, ""), (world.c.id, 50, "")])
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    svc.lock_plan(session, world.hr, plan, now=T0)
    fields = {k: getattr(plan, k) for k in svc.PLAN_FIELDS}
    svc.update_plan(session, world.hr, plan, **{**fields, "grade_bands": [["优秀", 90], ["称职", 75], ["基本称职", 60], ["不称职", 0]]})
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    session.commit()
    client, _auth = _login(app, world.hr)

    def options(page):
        select_html = page.split('name="grade"')[1].split("</select>")[0]
        return re.findall(r'<option value="([^"]*)"', select_html)[1:]

    old = client.get(f"/assessment/plans/{plan.id}?revision=1").get_data(as_text=True)
    assert options(old) == ["优秀", "良好", "合格", "不合格"]
    assert "第 1 版（历史版本）" in old
    current = client.get(f"/assessment/plans/{plan.id}").get_data(as_text=True)
    assert options(current) == ["优秀", "称职", "基本称职", "不称职"]
    # filtering the old revision by its own band finds its record: 金水甲 85 was 良好 then (称职 now)
    filtered = client.get(f"/assessment/plans/{plan.id}?revision=1&grade=良好").get_data(as_text=True)
    assert "金水甲" in filtered and "二七乙" not in filtered


def _entries_url(plan, user):
    return f"/assessment/plans/{plan.id}/cadres/{user.id}/entries"


def test_hr_types_one_cadres_manual_score_and_extra_hours_audited(app, session, world):
    plan = svc.create_plan(session, world.hr, title="录入", year=2026, org_unit_id=world.units["省"].id, hours_required=50,
                           components=[{"key": "c1", "kind": "manual", "name": "现场竞赛", "weight": 60, "max": 50},
                                       {"key": "hours", "kind": "hours", "name": "学时完成率", "weight": 40}])
    session.commit()
    client, auth = _login(app, world.hr)
    url = _entries_url(plan, world.a)
    page = client.get(url).get_data(as_text=True)
    assert "录入成绩和学时：金水甲" in page and "现场竞赛" in page and "0 到 50" in page and "0 到 1000" in page
    # rows: 学时 first, then each manual component (services.manual_keys)
    refused = auth.post(url, {"rows-0-key": "hours", "rows-0-value": "12", "rows-0-note": "党校春季班",
                              "rows-1-key": "c1", "rows-1-value": "55", "rows-1-note": ""})
    assert "“现场竞赛”应在 0 到 50 之间" in refused.get_data(as_text=True)
    session.rollback()
    assert session.scalar(select(AssessmentEntry)) is None  # all or nothing
    done = auth.post(url, {"rows-0-key": "hours", "rows-0-value": "12", "rows-0-note": "党校春季班",
                           "rows-1-key": "c1", "rows-1-value": "42.5", "rows-1-note": "补考"})
    assert done.status_code == 302
    session.rollback()
    assert {(e.component_key, e.value, e.note) for e in session.scalars(select(AssessmentEntry))} == {("hours", 12.0, "党校春季班"), ("c1", 42.5, "补考")}
    log = session.scalar(select(AuditEntry).where(AuditEntry.action == "assessment.entry"))
    assert log.actor_id == world.hr.id and log.after["c1"] == {"value": 42.5, "note": "补考"} and log.before["c1"]["value"] is None
    assert "金水甲" in log.summary
    svc.compute_plan(session, world.hr, session.get(AssessmentPlan, plan.id), now=T0, tz=TZ)
    session.commit()
    # 42.5 / 50 = 85 → 51 points; 12 学时 of 50 = 24 → 9.6 points; total 60.6
    record = session.scalar(select(AssessmentRecord).where(AssessmentRecord.user_id == world.a.id))
    assert record.total == 60.6 and record.hours == 12.0
    # a blank value removes what was entered
    session.rollback()
    assert auth.post(url, {"rows-0-key": "hours", "rows-0-value": "", "rows-0-note": "",
                           "rows-1-key": "c1", "rows-1-value": "42.5", "rows-1-note": "补考"}).status_code == 302
    session.rollback()
    assert {e.component_key for e in session.scalars(select(AssessmentEntry))} == {"c1"}
    assert "录入" in client.get(f"/assessment/plans/{plan.id}/hours").get_data(as_text=True)


def test_a_typed_score_never_changes_a_locked_record_and_counts_in_the_next_revision(app, session, world):
    plan = svc.create_plan(session, world.hr, title="锁定后录入", year=2026, org_unit_id=world.units["省"].id,
                           components=[{"key": "c1", "kind": "manual", "name": "现场竞赛", "weight": 100, "max": 100}])
    svc.set_entries(session, world.hr, plan, "c1", [(world.a.id, 70, "")])
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    svc.lock_plan(session, world.hr, plan, now=T0)
    session.commit()
    client, auth = _login(app, world.hr)
    url = _entries_url(plan, world.a)
    assert "第 1 版考核记录已锁定" in client.get(url).get_data(as_text=True)
    assert auth.post(url, {"rows-0-key": "hours", "rows-0-value": "", "rows-1-key": "c1", "rows-1-value": "95", "rows-1-note": "复核更正"}).status_code == 302
    session.rollback()
    first = session.scalar(select(AssessmentRecord).where(AssessmentRecord.user_id == world.a.id, AssessmentRecord.revision == 1))
    assert (first.total, first.status) == (70.0, "locked")
    assert auth.post(f"/assessment/plans/{plan.id}/compute", token_from=f"/assessment/plans/{plan.id}").status_code == 302
    session.rollback()
    second = session.scalar(select(AssessmentRecord).where(AssessmentRecord.user_id == world.a.id, AssessmentRecord.revision == 2))
    assert second.total == 95.0 and session.get(AssessmentRecord, first.id).total == 70.0


def test_typing_scores_is_scoped_like_imports(app, session, world):
    province = svc.create_plan(session, world.hr, title="省方案", year=2026, org_unit_id=world.units["省"].id,
                               components=[{"key": "c1", "kind": "manual", "name": "现场竞赛", "weight": 100, "max": 100}])
    zhengzhou = svc.create_plan(session, world.hr_zz, title="郑州方案", year=2026, org_unit_id=world.units["郑州"].id,
                                components=[{"key": "c1", "kind": "manual", "name": "现场竞赛", "weight": 100, "max": 100}])
    session.commit()
    client, auth = _login(app, world.hr_zz)
    assert client.get(_entries_url(zhengzhou, world.a)).status_code == 200
    assert client.get(_entries_url(zhengzhou, world.c)).status_code == 404  # 洛龙's cadre: not in 郑州's plan nor reach
    assert client.get(_entries_url(province, world.a)).status_code == 403  # a plan above 郑州: read-only, as its import is
    assert client.get(f"/assessment/plans/{province.id}/import").status_code == 403
    assert auth.post(_entries_url(zhengzhou, world.c), {"rows-0-key": "c1", "rows-0-value": "99"},
                     token_from=_entries_url(zhengzhou, world.a)).status_code == 404
    session.rollback()
    assert session.scalar(select(AssessmentEntry)) is None
    # the province's HR reaches 洛龙's cadre in the provincial plan
    client, _auth = _login(app, world.hr)
    assert client.get(_entries_url(province, world.c)).status_code == 200
