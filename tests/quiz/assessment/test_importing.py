"""Importing 学时 and manual scores: every bad row named by number, all or nothing, a template to start from."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from quiz.assessment import importing
from quiz.assessment import services as svc
from quiz.assessment.models import HOURS_KEY, AssessmentEntry
from quiz.assessment.rules import AssessmentError


def _xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def plan(session, world):
    plan = svc.create_plan(session, world.hr_zz, title="郑州考核", year=2026, org_unit_id=world.units["郑州"].id, components=[
        {"key": "c1", "kind": "manual", "name": "现场竞赛", "weight": 50, "max": 50},
        {"key": HOURS_KEY, "kind": "hours", "name": "学时", "weight": 50}])
    session.commit()
    return plan


def test_a_good_file_imports_every_row(session, world, plan):
    data = _xlsx([["账号", "姓名", "学时", "说明"], ["cadre_a", "金水甲", 12.5, "党校春季班"], ["cadre_b", "", "8", ""]])
    result = importing.preview(session, world.hr_zz, plan, HOURS_KEY, data, "学时.xlsx")
    assert result.ok, [(r.line, [str(p) for p in r.problems]) for r in result.rows]
    assert importing.apply(session, world.hr_zz, plan, result) == 2
    hours = svc.credit_hours(session, plan, [world.a.id, world.b.id])
    assert (hours[world.a.id]["imported"], hours[world.a.id]["import_note"], hours[world.b.id]["imported"]) == (12.5, "党校春季班", 8.0)
    # importing again replaces the same cadre's hours instead of adding them up
    again = importing.preview(session, world.hr_zz, plan, HOURS_KEY, "账号,学时\ncadre_a,20\n".encode("utf-8-sig"), "学时.csv")
    importing.apply(session, world.hr_zz, plan, again)
    assert svc.credit_hours(session, plan, [world.a.id])[world.a.id]["imported"] == 20.0


def test_every_bad_row_is_named_and_nothing_is_imported(session, world, plan):
    data = _xlsx([
        ["账号", "姓名", "分数", "说明"],
        ["cadre_a", "金水甲", 45, ""],  # 2: fine
        ["cadre_c", "洛龙丙", 40, ""],  # 3: 洛龙 is not in this plan (nor in 郑州's reach)
        ["cadre_a", "金水甲", 30, ""],  # 4: the same cadre again
        ["cadre_b", "张三", 51, ""],  # 5: name does not match, over the component's maximum of 50
        ["", "", "", ""],  # blank: skipped
        ["nobody", "", "很多", ""],  # 7: unknown account, not a number
    ])
    result = importing.preview(session, world.hr_zz, plan, "c1", data, "成绩.xlsx")
    assert not result.ok
    problems = {r.line: [str(p) for p in r.problems] for r in result.rows if r.problems}
    assert problems == {
        3: ["账号“cadre_c”不是本方案考核范围内的在职干部"],
        4: ["账号“cadre_a”与第 2 行重复"],
        5: ["姓名“张三”与账号“cadre_b”的姓名“二七乙”不一致", "分数应在 0 到 50 之间"],
        7: ["账号“nobody”不是本方案考核范围内的在职干部", "分数“很多”不是数字"],
    }
    with pytest.raises(AssessmentError, match="文件中有 4 行存在问题，未导入任何数据"):
        importing.apply(session, world.hr_zz, plan, result)
    assert session.scalar(select(func.count()).select_from(AssessmentEntry)) == 0


@pytest.mark.parametrize("data, message", [
    (b"", "文件是空的：第一行应为表头 账号、姓名、学时、说明"),
    ("账号,姓名\ncadre_a,金水甲\n".encode(), "第 1 行表头缺少列：学时"),
    ("姓名,学时\n金水甲,3\n".encode(), "第 1 行表头缺少列：账号"),
    ("账号,学时\n".encode(), "文件中没有数据行"),
])
def test_a_broken_file_gets_a_clear_error(session, world, plan, data, message):
    result = importing.preview(session, world.hr_zz, plan, HOURS_KEY, data, "x.csv")
    assert [str(p) for p in result.file_problems] == [message]


def test_the_template_has_the_columns_the_importer_reads(session, world, plan):
    wb = load_workbook(io.BytesIO(importing.template_bytes(HOURS_KEY, "学时")))
    assert [c.value for c in wb.worksheets[0][1]] == ["账号", "姓名", "学时", "说明"]
    wb = load_workbook(io.BytesIO(importing.template_bytes("c1", "现场竞赛")))
    assert [c.value for c in wb.worksheets[0][1]] == ["账号", "姓名", "分数", "说明"]
