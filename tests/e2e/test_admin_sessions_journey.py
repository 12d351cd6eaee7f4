"""An administrator ends everyone's sessions after a suspected leak: the page says what will
happen, the browser asks once more, a cadre's phone is signed out, the admin is not."""
from __future__ import annotations

import pytest

from tests.e2e.a11y import assert_accessible
from tests.e2e.browser import DESKTOP, PHONE
from tests.e2e.conftest import new_page, sign_in

pytestmark = pytest.mark.e2e


def test_admin_ends_everyones_sessions_and_stays_signed_in(browser, live_server, demo):
    phone_context, phone = new_page(browser, PHONE)
    sign_in(phone, live_server, "cadre3")
    phone.wait_for_url(f"{live_server}/me")

    context, page = new_page(browser, DESKTOP)
    sign_in(page, live_server, "admin")
    page.get_by_role("link", name="结束管理范围内所有人员的登录").click()
    assert "目前有 1 个登录，属于 1 人" in page.content() and "您在这台设备上的登录保留" in page.content()
    assert_accessible(page)
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="结束全部登录").click()
    page.wait_for_url(f"{live_server}/admin/sessions")
    assert dialogs and "确定结束 1 个登录吗" in dialogs[0]
    assert "已结束 1 个登录，涉及 1 人" in page.content()
    assert_accessible(page)

    phone.goto(f"{live_server}/me")
    assert phone.url.startswith(f"{live_server}/login")
    page.goto(f"{live_server}/admin/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("系统管理")
    context.close()
    phone_context.close()
