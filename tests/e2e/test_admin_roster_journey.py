"""An administrator imports a roster, downloads the new accounts' initial passwords once, and a
new cadre signs in with theirs on a phone and is made to choose their own."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from quiz.seed import DEMO_PASSWORD
from tests.e2e.a11y import assert_accessible
from tests.e2e.browser import DESKTOP, PHONE
from tests.e2e.conftest import new_page, sign_in

pytestmark = pytest.mark.e2e

ROSTER = ("账号,姓名,单位,职务,手机,角色\r\n"
          "xinren1,刘新,河南省委组织部/郑州市委组织部/金水区委组织部,组织员,,干部\r\n"
          "xinren2,陈立,河南省委组织部/洛阳市委组织部,科员,,干部\r\n").encode()


def test_admin_imports_a_roster_and_each_new_cadre_signs_in_with_their_own_password(browser, live_server, demo):
    context, page = new_page(browser, DESKTOP)
    sign_in(page, live_server, "admin", DEMO_PASSWORD)
    page.get_by_role("link", name="导入名单").first.click()
    page.get_by_label("名单文件（xlsx 或 csv）").set_input_files({"name": "名单.csv", "mimeType": "text/csv", "buffer": ROSTER})
    page.get_by_role("button", name="上传并预览").click()
    assert "全部检查通过" in page.content()
    assert page.get_by_label("由系统为每人分别生成（推荐）：导入后下载一次密码名单").is_checked()
    assert_accessible(page)
    page.get_by_role("button", name="确认导入").click()
    assert "只能在这里下载这一次" in page.content()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="下载初始密码名单（xlsx）").click()
    with open(download.value.path(), "rb") as f:
        rows = list(load_workbook(io.BytesIO(f.read())).worksheets[0].iter_rows(values_only=True))
    passwords = {r[0]: r[2] for r in rows[1:]}
    assert set(passwords) == {"xinren1", "xinren2"} and passwords["xinren1"] != passwords["xinren2"]
    context.close()

    context, page = new_page(browser, PHONE)
    sign_in(page, live_server, "xinren1", passwords["xinren1"])
    page.wait_for_url(f"{live_server}/password")
    assert "您正在使用初始密码" in page.content()
    page.get_by_label("当前密码").fill(passwords["xinren1"])
    page.get_by_label("新密码", exact=True).fill("Liuxin#Zugong2026")
    page.get_by_label("再次输入新密码").fill("Liuxin#Zugong2026")
    page.get_by_role("button", name="保存新密码").click()
    page.wait_for_url(f"{live_server}/me")
    assert_accessible(page)
    context.close()
