"""Signing in and finding one's way, on a phone and a desktop, in Chinese and English."""
from __future__ import annotations

import pytest

from quiz.seed import DEMO_PASSWORD
from tests.e2e.a11y import assert_accessible, focus_is_visible
from tests.e2e.browser import DESKTOP, PHONE
from tests.e2e.conftest import new_page, sign_in

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("username", "heading"), [("cadre1", "您好"), ("organizer", "题库与竞赛"), ("hr_zz", "考核与报表"), ("admin", "系统管理")])
def test_each_role_signs_in_on_a_phone_and_lands_on_its_page(browser, live_server, demo, username, heading):
    context, page = new_page(browser, PHONE)
    sign_in(page, live_server, username)
    assert page.get_by_role("heading", level=1).inner_text().startswith(heading)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways on a phone"
    assert_accessible(page)
    context.close()


def test_login_page_works_with_the_keyboard_alone_and_shows_focus(browser, live_server, demo):
    context, page = new_page(browser, PHONE)
    page.goto(f"{live_server}/login")
    assert page.evaluate("document.activeElement.id") == "username"  # the form starts focused
    page.keyboard.type("cadre2")
    assert focus_is_visible(page)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/me")
    assert_accessible(page)
    context.close()


def test_admin_finds_a_cadre_and_the_phone_number_is_masked_in_the_list(browser, live_server, demo):
    context, page = new_page(browser, DESKTOP)
    sign_in(page, live_server, "admin")
    page.get_by_role("link", name="账号", exact=True).first.click()
    page.get_by_label("搜索").fill("cadre7")
    page.get_by_role("button", name="筛选").click()
    row = page.locator("tbody tr").first
    assert "cadre7" in row.inner_text()
    assert "****" in row.inner_text()
    assert_accessible(page)
    context.close()


def test_the_same_journey_in_english(browser, live_server, demo):
    context, page = new_page(browser, PHONE, locale="en-US")
    page.goto(f"{live_server}/login")
    page.get_by_label("Account").fill("hr_ly")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "洛阳市委组织部" in page.content() and "郑州市委组织部" not in page.content()
    assert_accessible(page)
    context.close()
