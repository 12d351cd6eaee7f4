"""The assessment pages as HR and cadres use them: making a plan, computing, locking with a
confirmation, adjusting, exports, imports, the record card, and what each HR user may see."""
from __future__ import annotations

import csv
import io
from urllib.parse import unquote

from openpyxl import Workbook, load_workbook
from sqlalchemy import event, select

from quiz.assessment import services as svc
from quiz.assessment.models import AssessmentPlan, AssessmentRecord
from quiz.audit.models import AuditEntry
from tests.factories import PASSWORD, make_user
from tests.quiz.assessment.conftest import T0, TZ
from tests.quiz.conftest import Auth

MANUAL = [{"key": "c1", "kind": "manual", "name": "现场竞赛", "weight": 100, "max": 100}]


def _computed(session, world, *, unit="省", actor=None):
    plan = svc.create_plan(session, actor or world.hr, title="2026年度学习考核", year=2026, org_unit_id=world.units[unit].id, components=MANUAL)
    svc.set_entries(session, world.hr, plan, "c1", [(world.a.id, 92, ""), (world.b.id, 81, ""), (world.c.id, 77, "")])
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    session.commit()
    return plan


def _login(app, user):
    client = app.test_client()
    auth = Auth(client)
    assert auth.login(user.username, PASSWORD).status_code == 302
    return client, auth


def _form(**overrides):
    data = {"title": "2026年度考核", "year": "2026", "org_unit_id": "", "preset": "default", "hours_required": "50",
            "per_passed_contest": "0.5", "per_passed_mock": "0.5", "per_practice_hour": "1", "excellent_cap": "",
            "components-0-kind": "practice_volume", "components-0-name": "练习题量", "components-0-weight": "60", "components-0-target": "100",
            "components-1-kind": "manual", "components-1-name": "现场竞赛", "components-1-weight": "30", "components-1-max": "100"}
    data.update(overrides)
    return data


def test_hr_makes_a_plan_and_weights_not_summing_to_100_are_refused(app, session, world):
    client, auth = _login(app, world.hr_zz)
    form = _form(org_unit_id=str(world.units["郑州"].id))
    page = auth.post("/assessment/plans/new", form)
    assert page.status_code == 200
    assert "各组成部分的权重合计应为 100，现在是 90" in page.get_data(as_text=True)
    assert session.scalar(select(AssessmentPlan)) is None
    form["components-1-weight"] = "40"
    form["preset"] = "civil_service"
    form["excellent_cap"] = "15"
    done = auth.post("/assessment/plans/new", form)
    assert done.status_code == 302
    session.rollback()  # end this test's read: the request committed in its own session
    plan = session.scalar(select(AssessmentPlan))
    assert [(c["kind"], c["weight"]) for c in plan.components] == [("practice", 60.0), ("manual", 40.0)]
    assert [b[0] for b in plan.grade_bands] == ["优秀", "称职", "基本称职", "不称职"]
    assert plan.excellent_cap == 15.0
    # 郑州's HR may not make a plan for 洛阳
    session.rollback()
    refused = auth.post("/assessment/plans/new", _form(org_unit_id=str(world.units["洛阳"].id), **{"components-1-weight": "40"}))
    session.rollback()
    assert refused.status_code == 200 and session.scalar(select(AssessmentPlan).where(AssessmentPlan.org_unit_id == world.units["洛阳"].id)) is None


def test_compute_then_lock_after_a_confirmation_page(app, session, world):
    plan = svc.create_plan(session, world.hr, title="省考核", year=2026, org_unit_id=world.units["省"].id, components=MANUAL)
    session.commit()
    client, auth = _login(app, world.hr)
    assert auth.post(f"/assessment/plans/{plan.id}/compute", token_from=f"/assessment/plans/{plan.id}").status_code == 302
    page = client.get(f"/assessment/plans/{plan.id}").get_data(as_text=True)
    assert "第 1 版为草稿" in page and "洛龙丙" in page
    confirm = client.get(f"/assessment/plans/{plan.id}/lock").get_data(as_text=True)
    assert "确认锁定" in confirm and "锁定后不能撤销" in confirm
    assert session.scalar(select(AssessmentRecord).where(AssessmentRecord.status == "locked")) is None  # GET changes nothing
    session.rollback()
    assert auth.post(f"/assessment/plans/{plan.id}/lock").status_code == 302
    session.rollback()
    assert {r.status for r in session.scalars(select(AssessmentRecord))} == {"locked"}
    assert "第 1 版已锁定" in client.get(f"/assessment/plans/{plan.id}").get_data(as_text=True)
    # a recompute keeps revision 1 and shows revision 2
    auth.post(f"/assessment/plans/{plan.id}/compute", token_from=f"/assessment/plans/{plan.id}")
    revisions = client.get(f"/assessment/plans/{plan.id}/revisions").get_data(as_text=True)
    assert "第 2 版" in revisions and "第 1 版" in revisions
    session.rollback()
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "assessment.lock")) is not None


def test_adjusting_a_record_needs_a_reason_and_is_audited(app, session, world):
    plan = _computed(session, world)
    record = session.scalar(select(AssessmentRecord).where(AssessmentRecord.user_id == world.b.id))
    session.rollback()
    client, auth = _login(app, world.hr)
    page = auth.post(f"/assessment/records/{record.id}/adjust", {"total": "90", "reason": ""})
    assert "请填写调整原因" in page.get_data(as_text=True)
    assert auth.post(f"/assessment/records/{record.id}/adjust", {"total": "90", "reason": "获评省级优秀组工干部"}).status_code == 302
    session.rollback()
    record = session.get(AssessmentRecord, record.id)
    assert (record.total, record.computed_total, record.grade, record.adjust_reason) == (90.0, 81.0, "优秀", "获评省级优秀组工干部")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "assessment.adjust"))
    assert entry.actor_id == world.hr.id and entry.after["adjust_reason"] == "获评省级优秀组工干部"
    detail = client.get(f"/assessment/records/{record.id}").get_data(as_text=True)
    assert "调整后总分" in detail and "81.00" in detail and "90.00" in detail
    assert plan.id


def test_hr_of_zhengzhou_sees_no_luoyang_row_on_the_page_or_in_exports(app, session, world):
    plan = _computed(session, world)
    luoyang = session.scalar(select(AssessmentRecord).where(AssessmentRecord.user_id == world.c.id))
    session.rollback()
    client, _auth = _login(app, world.hr_zz)
    page = client.get(f"/assessment/plans/{plan.id}").get_data(as_text=True)
    assert "金水甲" in page and "二七乙" in page and "洛龙丙" not in page
    text = client.get(f"/assessment/plans/{plan.id}/export?format=csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:6] == ["名次", "账号", "姓名", "单位", "总分", "等次"]
    names = [r[2] for r in rows[1:] if len(r) > 2]
    assert "金水甲" in names and "洛龙丙" not in names
    wb = load_workbook(io.BytesIO(client.get(f"/assessment/plans/{plan.id}/export").data), read_only=True)
    cells = [c for row in wb.worksheets[0].iter_rows(values_only=True) for c in row]
    assert "金水甲" in cells and "洛龙丙" not in cells
    assert client.get(f"/assessment/records/{luoyang.id}").status_code == 404
    assert client.get(f"/assessment/records/{luoyang.id}/card").status_code == 404
    hours = client.get(f"/assessment/plans/{plan.id}/hours").get_data(as_text=True)
    assert "金水甲" in hours and "洛龙丙" not in hours
    # the provincial plan is not 郑州's to change
    assert client.get(f"/assessment/plans/{plan.id}/edit").status_code == 403
    assert client.get(f"/assessment/plans/{plan.id}/lock").status_code == 403
    # 洛阳's HR sees the mirror image
    session.rollback()
    hr_ly = make_user(session, "hr_ly", world.units["洛阳"], ("hr",))
    session.commit()
    client, _auth = _login(app, hr_ly)
    page = client.get(f"/assessment/plans/{plan.id}").get_data(as_text=True)
    assert "洛龙丙" in page and "金水甲" not in page


def test_the_cadre_sees_their_own_record_and_its_printable_card(app, session, world):
    plan = _computed(session, world)
    mine = session.scalar(select(AssessmentRecord).where(AssessmentRecord.user_id == world.a.id))
    theirs = session.scalar(select(AssessmentRecord).where(AssessmentRecord.user_id == world.b.id))
    session.rollback()
    client, _auth = _login(app, world.a)
    page = client.get("/assessment/mine").get_data(as_text=True)
    assert plan.title in page and "92.00" in page and "草稿" in page and "81.00" not in page
    card = client.get(f"/assessment/mine/{mine.id}").get_data(as_text=True)
    assert "2026 年度学习考核登记表" in card and "css/assessment.css" in card and "金水甲" in card
    assert client.get(f"/assessment/mine/{theirs.id}").status_code == 404
    assert client.get(f"/assessment/plans/{plan.id}").status_code == 403  # HR pages are not for cadres


def test_importing_hours_through_the_pages(app, session, world):
    plan = _computed(session, world)
    client, auth = _login(app, world.hr)
    wb = Workbook()
    for row in (["账号", "姓名", "学时", "说明"], ["cadre_a", "金水甲", 12, "党校春季班"], ["cadre_b", "二七乙", "x", ""]):
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    bad = auth.post(f"/assessment/plans/{plan.id}/import", {"key": "hours", "file": (io.BytesIO(out.getvalue()), "学时.xlsx")},
                    content_type="multipart/form-data").get_data(as_text=True)
    assert "其中 1 行有问题" in bad and "学时“x”不是数字" in bad and "确认导入" not in bad
    good = auth.post(f"/assessment/plans/{plan.id}/import", {"key": "hours", "file": (io.BytesIO("账号,学时,说明\ncadre_a,12,党校春季班\n".encode()), "学时.csv")},
                     content_type="multipart/form-data").get_data(as_text=True)
    assert "全部检查通过" in good
    token = good.split('name="token" type="hidden" value="')[1].split('"')[0]
    done = auth.post(f"/assessment/plans/{plan.id}/import/confirm", {"token": token, "key": "hours"}, token_from=f"/assessment/plans/{plan.id}/import")
    assert done.status_code == 302
    assert "12 / 50" in client.get(f"/assessment/plans/{plan.id}/hours").get_data(as_text=True)
    assert client.get(f"/assessment/plans/{plan.id}/import/template.xlsx").status_code == 200


def _queries(app, client, path):
    engine = app.extensions["db_engine"]
    seen = []

    def listener(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return len(seen)


def test_the_records_page_costs_the_same_whatever_the_number_of_records(app, session, world):
    plan = _computed(session, world)
    client, _auth = _login(app, world.hr)
    few = _queries(app, client, f"/assessment/plans/{plan.id}")
    session.rollback()
    for i in range(20):
        make_user(session, f"more{i}", world.units["金水"])
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    session.commit()
    assert _queries(app, client, f"/assessment/plans/{plan.id}") == few


def test_export_cells_that_a_spreadsheet_would_run_are_neutralised(app, session, world):
    world.a.name = "=HYPERLINK(\"http://x\")"
    session.commit()
    plan = _computed(session, world)
    client, _auth = _login(app, world.hr)
    text = client.get(f"/assessment/plans/{plan.id}/export?format=csv").get_data().decode("utf-8-sig")
    names = [r[2] for r in csv.reader(io.StringIO(text)) if len(r) > 2]
    assert "'=HYPERLINK(\"http://x\")" in names
    wb = load_workbook(io.BytesIO(client.get(f"/assessment/plans/{plan.id}/export").data), read_only=True)
    cells = [c for row in wb.worksheets[0].iter_rows(values_only=True) for c in row]
    assert "'=HYPERLINK(\"http://x\")" in cells and 92.0 in cells  # numbers stay numbers


def _in_english(client) -> None:
    from tests.quiz.conftest import csrf_token

    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/assessment/")})


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" or ch in "（）：，；" for ch in str(text or ""))


def test_the_english_export_is_english_around_the_names_hr_wrote(app, session, world):
    plan = svc.create_plan(session, world.hr, title="2026年度学习考核", year=2026, org_unit_id=world.units["省"].id, components=MANUAL,
                           excellent_cap=10)  # 3 cadres: nobody may keep 优秀, so 金水甲's 92 is capped
    svc.set_entries(session, world.hr, plan, "c1", [(world.a.id, 92, ""), (world.b.id, 81, ""), (world.c.id, 77, "")])
    svc.compute_plan(session, world.hr, plan, now=T0, tz=TZ)
    session.commit()
    client, _auth = _login(app, world.hr)
    chinese = client.get(f"/assessment/plans/{plan.id}/export?format=csv")
    assert "2026%E5%B9%B4%E5%BA%A6%E8%80%83%E6%A0%B8%E8%AE%B0%E5%BD%95" in chinese.headers["Content-Disposition"]  # 2026年度考核记录
    rows = list(csv.reader(io.StringIO(chinese.get_data().decode("utf-8-sig"))))
    assert [r[5] for r in rows[1:4]] == ["良好（受优秀比例限制）", "良好", "合格"]
    _in_english(client)
    response = client.get(f"/assessment/plans/{plan.id}/export?format=csv")
    disposition = unquote(response.headers["Content-Disposition"])
    assert "2026 assessment records - 2026年度学习考核.csv" in disposition and "考核记录" not in disposition.replace("学习考核", "")
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][:6] == ["Place", "Account", "Name", "Unit", "Total points", "Grade"] and rows[0][6] == "现场竞赛"
    assert not any(_has_chinese(h) for h in rows[0][:6] + rows[0][7:])
    assert [r[5] for r in rows[1:4]] == ["良好 (limited by the cap on Excellent)", "良好", "合格"]  # band names are HR's own


def test_the_english_import_template_explains_in_english_and_still_imports(app, session, world):
    plan = _computed(session, world)
    client, auth = _login(app, world.hr)
    _in_english(client)
    response = client.get(f"/assessment/plans/{plan.id}/import/template.xlsx?key=hours")
    assert "Credit hours import template.xlsx" in unquote(response.headers["Content-Disposition"])
    wb = load_workbook(io.BytesIO(response.data))
    assert [c.value for c in wb.worksheets[0][1]] == ["账号", "姓名", "学时", "说明"]  # the file format, in every language
    assert wb.worksheets[0].title == "Credit hours" and wb.worksheets[1].title == "How to fill in"
    notes = [[c.value for c in row] for row in wb.worksheets[1].iter_rows()]
    assert [n[0] for n in notes[:4]] == ["账号", "姓名", "学时", "说明"]
    assert notes[0][1] == "Required: the cadre's sign-in username" and not any(_has_chinese(n[1]) for n in notes)
    assert not _has_chinese(wb.worksheets[0]["D2"].value)
    # the English template, filled in, imports: its headers are the ones the importer reads
    ws = wb.worksheets[0]
    ws["A2"], ws["B2"], ws["C2"] = "cadre_a", "金水甲", 12
    out = io.BytesIO()
    wb.save(out)
    page = auth.post(f"/assessment/plans/{plan.id}/import", {"key": "hours", "file": (io.BytesIO(out.getvalue()), "hours.xlsx")},
                     content_type="multipart/form-data").get_data(as_text=True)
    assert "All rows passed the checks (1 in total)." in page
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    done = auth.post(f"/assessment/plans/{plan.id}/import/confirm", {"token": token, "key": "hours"},
                     token_from=f"/assessment/plans/{plan.id}/import", follow_redirects=True).get_data(as_text=True)
    assert "Import complete: Credit hours saved for 1 person;" in done
    upload = client.get(f"/assessment/plans/{plan.id}/import").get_data(as_text=True)
    assert ">Credit hours</option>" in upload and ">学时</option>" not in upload


def test_an_english_count_of_one_is_singular(app, session, world):
    plan = svc.create_plan(session, world.hr_zz, title="金水考核", year=2026, org_unit_id=world.units["金水"].id, components=MANUAL)
    session.commit()
    client, auth = _login(app, world.hr_zz)
    _in_english(client)
    done = auth.post(f"/assessment/plans/{plan.id}/compute", token_from=f"/assessment/plans/{plan.id}", follow_redirects=True)
    assert "Calculated 1 person (version 1, draft)" in done.get_data(as_text=True)
