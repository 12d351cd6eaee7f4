"""Roster import hands each new account its own generated initial password (ASVS 6.4.1, 6.4.6):
by default, every new person gets a different password; the admin receives them once, as an xlsx
(账号, 姓名, 初始密码) in the answer that confirms the import; each password signs its person in
(who must then change it); nothing keeps the plaintext: not the database, not the audit log, not
a second request. One typed password for everyone stays available when the admin chooses it."""
from __future__ import annotations

import base64
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from question_bank.db import Base
from quiz.accounts.models import User
from tests.factories import make_province, make_user
from tests.quiz.conftest import Auth

HEADER = "账号,姓名,单位,职务,手机,角色"
ROWS = [
    "wangwu,王五,河南省委组织部/郑州市委组织部/金水区委组织部,组织员,13800001111,干部",
    "zhaoliu,赵六,河南省委组织部/洛阳市委组织部,科长,,干部、组织者",
    "sunqi,孙七,河南省委组织部,,13900002222,人事",
    "existing,老同志,河南省委组织部/郑州市委组织部,科员,,干部",
]
DATA_HREF = re.compile(r'href="data:application/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet;base64,([A-Za-z0-9+/=]+)"')


@pytest.fixture
def admin(session):
    units = make_province(session)
    make_user(session, "admin", units["省"], ("admin",))
    make_user(session, "existing", units["郑州"], name="老同志")
    session.commit()


def _upload(auth: Auth, rows=ROWS) -> str:
    page = auth.post("/admin/roster", {"file": (io.BytesIO("\r\n".join([HEADER, *rows]).encode()), "名单.csv")},
                     content_type="multipart/form-data").get_data(as_text=True)
    assert "全部检查通过" in page, page[:2000]
    assert re.search(r'<input[^>]*checked[^>]*value="generate"', page)  # generated is what the page offers first
    return re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', page).group(1)


def _confirm(auth: Auth, token: str, **fields):
    return auth.post("/admin/roster/confirm", {"token": token, **fields}, token_from="/admin/roster")


def _xlsx_rows(response) -> list[tuple]:
    match = DATA_HREF.search(response.get_data(as_text=True))
    assert match, "no download of the passwords on the page"
    wb = load_workbook(io.BytesIO(base64.b64decode(match.group(1))))
    return [tuple(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


def _everything_stored(session_factory) -> str:
    """Every row of every table, as text: where a stored plaintext password would show."""
    s = session_factory()
    try:
        return "\n".join(repr(row) for table in Base.metadata.sorted_tables for row in s.execute(table.select()).all())
    finally:
        s.close()


def test_each_new_account_gets_its_own_password_handed_over_once_as_xlsx(app, client, admin, session_factory):
    auth = Auth(client)
    auth.login("admin")
    response = _confirm(auth, _upload(auth))  # nothing chosen: generated is the default
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "新增 3 人，更新 1 人" in page
    assert "只能在这里下载这一次" in page and "无法再次下载" in page and "14 天内有效" in page

    rows = _xlsx_rows(response)
    assert rows[0][:3] == ("账号", "姓名", "初始密码")
    issued = {r[0]: r for r in rows[1:]}
    assert set(issued) == {"wangwu", "zhaoliu", "sunqi"}  # new accounts only: 老同志 keeps their password
    assert issued["zhaoliu"][1] == "赵六"
    passwords = {r[2] for r in issued.values()}
    assert len(passwords) == 3 and all(re.fullmatch(r"[a-zA-Z2-9]{4}-[a-zA-Z2-9]{4}-[a-zA-Z2-9]{4}", p) for p in passwords)

    for username, (_u, _n, password, *_rest) in issued.items():  # each password signs its own person in
        person = app.test_client()
        assert Auth(person).login(username, password).status_code == 302, username
        assert person.get("/me").headers["Location"] == "/password"  # and they must choose their own
    other = app.test_client()
    assert Auth(other).login("wangwu", issued["sunqi"][2]).status_code == 401

    stored = _everything_stored(session_factory)
    assert not any(p in stored for p in passwords)  # not in users, the audit log, pending uploads, anywhere
    s = session_factory()
    try:
        assert s.scalar(text("SELECT count(*) FROM pending_uploads")) == 0
    finally:
        s.close()


def test_the_same_upload_cannot_be_confirmed_twice_for_a_second_list(app, client, admin):
    auth = Auth(client)
    auth.login("admin")
    token = _upload(auth)
    assert _confirm(auth, token).status_code == 200
    second = _confirm(auth, token)
    assert second.status_code == 302
    follow = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "已过期或不存在" in follow and "data:application" not in follow


def test_a_typed_password_for_everyone_is_still_possible(app, client, admin, session_factory):
    auth = Auth(client)
    auth.login("admin")
    response = _confirm(auth, _upload(auth), password_mode="typed", initial_password="Tongyi#Mima2026")
    assert response.status_code == 302
    assert "新增 3 人" in client.get(response.headers["Location"]).get_data(as_text=True)
    for username in ("wangwu", "zhaoliu", "sunqi"):
        assert Auth(app.test_client()).login(username, "Tongyi#Mima2026").status_code == 302
    assert "Tongyi#Mima2026" not in _everything_stored(session_factory)


def test_typed_without_a_password_says_what_to_do_and_imports_nobody(app, client, admin, session_factory):
    auth = Auth(client)
    auth.login("admin")
    response = _confirm(auth, _upload(auth), password_mode="typed", initial_password="")
    assert response.status_code == 302
    assert "请设置初始密码，或选择由系统为每人生成" in client.get(response.headers["Location"]).get_data(as_text=True)
    s = session_factory()
    try:
        assert s.scalar(select(User).where(User.username == "wangwu")) is None
    finally:
        s.close()
