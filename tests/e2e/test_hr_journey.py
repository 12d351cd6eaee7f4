"""HR (郑州's 刘芳, hr_zz) opens a closed contest's results and the unit roll-up on a desktop and
downloads both as xlsx, which the test opens with openpyxl.

The demo's closed contest (发展党员与组织生活知识测试) was open to every cadre of the province; the
demo seeding skipped every fifth cadre (cadre3, cadre8, …, cadre28). In 郑州's subtree the cadres are
cadre2/9/16/23/30 (郑州 itself), cadre3/10/17/24 (金水) and cadre4/11/18/25 (二七): 13 eligible, of
whom cadre23 (孔德福, 郑州), cadre3 (孙丽娜, 金水) and cadre18 (许宏伟, 二七) did not take part.
Nobody outside the subtree (洛阳, the province's own cadres) may appear anywhere.
"""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from quiz.seed import DEMO_PASSWORD
from tests.e2e.a11y import assert_accessible
from tests.e2e.browser import DESKTOP
from tests.e2e.conftest import new_page

pytestmark = pytest.mark.e2e

CLOSED = "发展党员与组织生活知识测试"
ABSENT = {"孔德福", "孙丽娜", "许宏伟"}
ZHENGZHOU = {"郑州市委组织部", "金水区委组织部", "二七区委组织部"}
# (eligible, took part) per unit, each unit counting its sub-units
ROLLUP = {"郑州市委组织部": (13, 10), "金水区委组织部": (4, 3), "二七区委组织部": (4, 3)}

# Only texts the English catalog already has: the report pages are reached by their addresses.
TEXT = {
    "zh": {"eligible": "应参赛", "absent": "未参加", "place": "名次", "lang": "zh-CN"},
    "en": {"eligible": "Eligible", "absent": "Did not take part", "place": "Place", "lang": "en"},
}


def download(page, link) -> list[tuple]:
    """Click an export link and read the first sheet of the xlsx it downloads."""
    with page.expect_download() as info:
        link.click()
    data = open(info.value.path(), "rb").read()
    assert data[:2] == b"PK", "not an xlsx file"
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_hr_reads_a_contests_results_and_unit_rollup_and_downloads_them(browser, live_server, demo, locale):
    text = TEXT[locale]
    context, page = new_page(browser, DESKTOP)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login")
    page.fill("#username", "hr_zz")
    page.fill("#password", DEMO_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{live_server}/hr")
    if locale == "en":  # the language buttons at the foot of every page
        page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", text["lang"])

    # HR home → the reports → the closed contest's results.
    page.locator("main a[href$='/reports/']").first.click()
    page.get_by_role("link", name=CLOSED).first.click()
    page.wait_for_url("**/reports/contests/*")
    stats = page.locator(".stats")
    eligible = stats.locator(".stat", has_text=text["eligible"]).locator(".stat-value")
    expect(eligible).to_have_text("13")
    table = page.locator("table.stack tbody")
    expect(table.locator("tr.status-absent")).to_have_count(3)
    assert set(table.locator("tr.status-absent td:nth-child(2)").all_inner_texts()) == ABSENT
    assert "洛阳" not in page.locator("main").inner_text()
    assert_accessible(page)

    # The results as xlsx: a header row, then all 13 (the 3 absent ones too), 郑州's units only.
    rows = download(page, page.get_by_role("link", name="Excel (xlsx)"))
    header, body = rows[0], [r for r in rows[1:] if any(v not in (None, "") for v in r)]
    assert header[0] == text["place"]
    assert len(body) == 13
    assert {r[3] for r in body} <= ZHENGZHOU
    assert {r[1] for r in body if r[4] == text["absent"]} == ABSENT
    scores = [r[5] for r in body if r[4] != text["absent"]]
    assert len(scores) == 10 and all(isinstance(s, (int, float)) and 0 <= s <= 100 for s in scores)

    # The unit roll-up: 郑州's own cadres, 金水 and 二七; then the same as xlsx, sub-units included.
    page.locator(".subnav a[href*='/units']").click()
    page.wait_for_url("**/units*")
    expect(page.locator(".stats .stat").first.locator(".stat-value")).to_have_text("13")
    for unit in ("金水区委组织部", "二七区委组织部"):
        row = page.locator("table.stack tbody tr", has_text=unit)
        expect(row.locator("td").nth(2)).to_have_text(str(ROLLUP[unit][0]))
        expect(row.locator("td").nth(3)).to_have_text(str(ROLLUP[unit][1]))
    assert_accessible(page)
    rows = download(page, page.get_by_role("link", name="Excel (xlsx)"))
    body = {r[0]: r for r in rows[1:] if r and r[0]}
    assert set(body) == set(ROLLUP)
    for unit, (eligible_count, took_part) in ROLLUP.items():
        assert (body[unit][3], body[unit][4]) == (eligible_count, took_part)
        assert body[unit][5] == pytest.approx(took_part / eligible_count, abs=1e-4)  # the participation rate, a 0.0% cell
    assert not errors, errors
    context.close()
