"""An organizer uploads an Excel bank, fixes the bad row the preview pointed to, and imports it."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from question_bank.drafts import QuestionDraft
from question_bank.formats import xlsx
from question_bank.models import Question
from quiz.seed import DEMO_PASSWORD
from tests.e2e.a11y import assert_accessible
from tests.e2e.browser import DESKTOP
from tests.e2e.conftest import new_page

pytestmark = pytest.mark.e2e


def workbook(bad: bool) -> bytes:
    drafts = [
        QuestionDraft("single", "（导入演练）党的最高领导机关是（ ）", ["全国代表大会和中央委员会", "中央政治局", "中央书记处", "中央军委"], "A", explanation="见党章。"),
        QuestionDraft("true_false", "（导入演练）预备党员的预备期为一年。", [], True),
        QuestionDraft("multiple", "（导入演练）干部选拔任用坚持的原则有（ ）", ["党管干部", "德才兼备", "任人唯贤", "论资排辈"], ["A", "B", "C"]),
    ]
    data = xlsx.write(drafts)
    if not bad:
        return data
    # the same file with row 3's key naming an option that is not printed
    import io

    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[1]]
    ws.cell(row=3, column=header.index("答案") + 1, value="E")
    ws.cell(row=3, column=header.index("题型") + 1, value="单选")
    ws.cell(row=3, column=header.index("选项A") + 1, value="对")
    ws.cell(row=3, column=header.index("选项B") + 1, value="错")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


TEXT = {
    "zh": {"upload": "上传并预览", "line": "第 3 行", "again": "修改文件后重新上传", "lang": "zh-CN"},
    "en": {"upload": "Upload and preview", "line": "Line 3", "again": "Fix the file and upload it again", "lang": "en"},
}


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_organizer_fixes_the_row_the_preview_named_and_imports(browser, live_server, demo, tmp_path, locale):
    text = TEXT[locale]
    bad, good = tmp_path / "题库.xlsx", tmp_path / "题库-改.xlsx"
    bad.write_bytes(workbook(bad=True))
    good.write_bytes(workbook(bad=False))
    context, page = new_page(browser, DESKTOP)
    page.goto(f"{live_server}/login")
    page.fill("#username", "organizer")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server}/organizer")
    if locale == "en":  # the language buttons at the foot of every page
        page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", text["lang"])
    page.goto(f"{live_server}/bank/1/import")
    page.set_input_files("input[type=file]", str(bad))
    page.get_by_role("button", name=text["upload"]).click()
    page.wait_for_selector(".problem-list")
    problems = page.locator(".problem-list").inner_text()
    assert text["line"] in problems and "E" in problems
    assert_accessible(page)
    page.get_by_role("link", name=text["again"]).click()
    page.set_input_files("input[type=file]", str(good))
    page.get_by_role("button", name=text["upload"]).click()
    page.wait_for_url("**/import/**")
    assert page.locator(".problem-list").count() == 0
    engine = demo.extensions["db_engine"]
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(Question)).scalar()
    page.locator("form[action$='/import/confirm'] button[type=submit]").first.click()
    page.wait_for_load_state()
    with engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(Question)).scalar()
    assert after == before + 3
    context.close()
