"""An organizer uploads an Excel bank, fixes the bad row the preview pointed to, imports it, builds a
paper by rules over the bank and publishes a contest with it, which a cadre then takes.

The contest keeps the form's default window (tomorrow); the server's clock (``QUIZ_CLOCK``) is then
moved to its opening time, when a cadre on a phone starts it and gets the five questions the rule drew."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from question_bank.drafts import QuestionDraft
from question_bank.formats import xlsx
from question_bank.db import utcnow
from question_bank.models import Question, QuestionVersion
from quiz.contests.models import Contest
from quiz.seed import DEMO_BANK_NAME, DEMO_PASSWORD
from tests.e2e.a11y import assert_accessible
from tests.e2e.browser import DESKTOP, PHONE
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
    "zh": {"upload": "上传并预览", "line": "第 3 行", "again": "修改文件后重新上传", "lang": "zh-CN", "create": "新建",
           "save": "保存", "drawn": "可抽取 {n} 道，需抽取 5 道", "contest": "用这份试卷办竞赛", "draft": "保存为草稿",
           "publish": "发布", "upcoming": "已发布，将于", "start": "开始答题"},
    "en": {"upload": "Upload and preview", "line": "Line 3", "again": "Fix the file and upload it again", "lang": "en",
           "create": "Create", "save": "Save", "drawn": "{n} questions to draw from, 5 wanted",
           "contest": "Run a contest with this paper", "draft": "Save as draft", "publish": "Publish",
           "upcoming": "Published; opens", "start": "Start"},
}


def drawable_singles(engine) -> int:
    """Single-choice questions a rule on the demo bank may draw: active, not waiting for review."""
    with engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(Question).join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .where(Question.bank_id == 1, QuestionVersion.type == "single", Question.status == "active", Question.needs_review.is_(False))
        ).scalar()


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
    singles_before = drawable_singles(engine)
    page.locator("form[action$='/import/confirm'] button[type=submit]").first.click()
    page.wait_for_load_state()
    with engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(Question)).scalar()
    assert after == before + 3

    # A paper by rules: five single-choice questions from the bank, 20 points each.
    page.goto(f"{live_server}/manage/papers/new")
    page.locator("input[name=title]").fill("导入演练试卷")
    page.get_by_role("button", name=text["create"], exact=True).click()
    page.wait_for_url(re.compile(r".*/manage/papers/\d+$"))
    rule = page.locator("fieldset.rule").first
    rule.get_by_label(DEMO_BANK_NAME).check()
    rule.locator("select[name='rules-0-type']").select_option("single")
    rule.locator("input[name='rules-0-count']").fill("5")
    rule.locator("input[name='rules-0-points_each']").fill("20")
    assert_accessible(page)
    page.locator("form.card").get_by_role("button", name=text["save"], exact=True).click()
    singles = drawable_singles(engine)
    assert singles == singles_before + 1  # the file added one single-choice question
    expect(page.locator(".rule-check.ok")).to_contain_text(text["drawn"].format(n=singles))

    # A contest with it: the form's defaults (tomorrow), saved as a draft, then published.
    page.get_by_role("link", name=text["contest"]).click()
    page.locator("input[name=title]").fill("导入演练竞赛")
    assert_accessible(page)
    page.get_by_role("button", name=text["draft"]).click()
    page.wait_for_url(re.compile(r".*/manage/contests/\d+$"))
    contest_id = int(page.url.rsplit("/", 1)[1])
    page.once("dialog", lambda dialog: dialog.accept())  # 发布后……确定发布吗？
    page.get_by_role("button", name=text["publish"], exact=True).click()
    expect(page.locator(".lifecycle")).to_contain_text(text["upcoming"])
    context.close()

    # Tomorrow at the opening time, a cadre starts it on a phone: five questions.
    with engine.connect() as conn:
        opens_at = conn.execute(select(Contest.opens_at).where(Contest.id == contest_id)).scalar()
    demo.config["QUIZ_CLOCK"] = (lambda shift: lambda: utcnow() + shift)(opens_at - utcnow() + timedelta(minutes=1))
    context, page = new_page(browser, PHONE)
    page.goto(f"{live_server}/login")
    page.fill("#username", "cadre1")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server}/me")
    expect(page.get_by_text("导入演练竞赛")).to_be_visible()
    page.goto(f"{live_server}/contests/{contest_id}")
    page.get_by_role("button", name="开始答题").click()
    page.wait_for_url("**/attempts/*")
    expect(page.locator("#navigator .nav-item")).to_have_count(5)
    expect(page.locator("#q-1 .q-points")).to_contain_text("20")
    context.close()
