"""Roster import: good files import whole; bad rows are named and nothing is written; GBK and BOM csv."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from quiz.accounts import roster
from quiz.accounts.models import User
from tests.factories import make_province, make_user
from tests.quiz.conftest import Auth

HEADER = ["账号", "姓名", "单位", "职务", "手机", "角色"]
GOOD_ROWS = [
    ["wangwu", "王五", "河南省委组织部/郑州市委组织部/金水区委组织部", "组织员", "13800001111", "干部"],
    ["zhaoliu", "赵六", "河南省委组织部/洛阳市委组织部", "科长", "", "干部、组织者"],
    ["sunqi", "孙七", "河南省委组织部", "", "13900002222", "人事"],
]


def xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8") -> bytes:
    return "\r\n".join(",".join(r) for r in rows).encode(encoding)


@pytest.fixture
def admin(session):
    units = make_province(session)
    user = make_user(session, "admin", units["省"], ("admin",))
    session.commit()
    return user


def count_users(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(lambda: xlsx([HEADER, *GOOD_ROWS]), id="xlsx"),
        pytest.param(lambda: csv_bytes([HEADER, *GOOD_ROWS]), id="csv-utf8"),
        pytest.param(lambda: b"\xef\xbb\xbf" + csv_bytes([HEADER, *GOOD_ROWS]), id="csv-utf8-bom"),
        pytest.param(lambda: csv_bytes([HEADER, *GOOD_ROWS], "gbk"), id="csv-gbk"),
    ],
)
def test_a_good_roster_imports_every_row(session, admin, data):
    result = roster.preview(session, admin, data())
    assert result.ok, [(r.line, [str(m) for m in r.problems]) for r in result.rows]
    outcome = roster.apply(session, admin, result, "Chushi#2026")
    session.commit()
    assert outcome.created == 3
    zhaoliu = session.scalar(select(User).where(User.username == "zhaoliu"))
    assert zhaoliu.name == "赵六" and zhaoliu.org_unit.name == "洛阳市委组织部"
    assert zhaoliu.roles == {"cadre", "organizer"} and zhaoliu.must_change_password


def test_bad_rows_are_each_named_and_nothing_is_imported(session, admin):
    rows = [
        HEADER,
        GOOD_ROWS[0],
        ["", "无账号", "河南省委组织部", "", "", ""],  # row 3
        ["wangwu", "重复", "河南省委组织部", "", "", ""],  # row 4: duplicate of row 2
        ["baddept", "错单位", "河南省委组织部/开封市委组织部", "", "", ""],  # row 5
        ["badphone", "错手机", "河南省委组织部", "", "12345", ""],  # row 6
        ["badrole", "错角色", "河南省委组织部", "", "", "校长"],  # row 7
        GOOD_ROWS[1],
    ]
    before = count_users(session)
    result = roster.preview(session, admin, xlsx(rows))
    assert not result.ok
    problems = {r.line: " ".join(str(m) for m in r.problems) for r in result.problem_rows}
    assert sorted(problems) == [3, 4, 5, 6, 7]
    assert "账号为空" in problems[3]
    assert "第 2 行重复" in problems[4]
    assert "开封市委组织部" in problems[5]
    assert "11 位手机号" in problems[6]
    assert "校长" in problems[7]
    with pytest.raises(Exception, match="未导入任何人员"):
        roster.apply(session, admin, result, "Chushi#2026")
    session.rollback()
    assert count_users(session) == before


def test_missing_required_header_is_reported(session, admin):
    result = roster.preview(session, admin, csv_bytes([["账号", "姓名"], ["a1", "甲"]]))
    assert not result.ok
    assert "缺少列：单位" in str(result.file_problems[0])


def test_existing_accounts_are_updated_not_duplicated(session, admin):
    roster.apply(session, admin, roster.preview(session, admin, xlsx([HEADER, *GOOD_ROWS])), "Chushi#2026")
    session.commit()
    changed = [HEADER, ["wangwu", "王五", "河南省委组织部/郑州市委组织部/二七区委组织部", "副科长", "", ""]]
    result = roster.preview(session, admin, xlsx(changed))
    assert [r.action for r in result.rows] == ["update"]
    outcome = roster.apply(session, admin, result, "Chushi#2026")
    session.commit()
    assert (outcome.created, outcome.updated) == (0, 1)
    assert session.scalar(select(User).where(User.username == "wangwu")).org_unit.name == "二七区委组织部"


def test_zhengzhou_admin_cannot_import_into_luoyang(session):
    units = make_province(session)
    zz_admin = make_user(session, "zzadmin", units["郑州"], ("admin",))
    session.commit()
    result = roster.preview(session, zz_admin, xlsx([HEADER, GOOD_ROWS[1]]))
    assert not result.ok
    assert "管理范围" in str(result.rows[0].problems[0])


def test_the_template_download_imports_cleanly_after_filling(session, admin, client):
    wb = load_workbook(io.BytesIO(roster.template_bytes("河南省委组织部/郑州市委组织部/金水区委组织部")))
    assert [c.value for c in wb.active[1]] == HEADER
    result = roster.preview(session, admin, roster.template_bytes("河南省委组织部/郑州市委组织部/金水区委组织部"))
    assert result.ok


def test_roster_pages_preview_then_confirm(session, admin, client):
    auth = Auth(client)
    auth.login("admin")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/admin/roster").get_data(as_text=True)).group(1)
    preview_page = client.post(
        "/admin/roster",
        data={"csrf_token": token, "file": (io.BytesIO(csv_bytes([HEADER, *GOOD_ROWS], "gbk")), "名单.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "全部检查通过" in preview_page
    upload_token = re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', preview_page).group(1)
    done = client.post("/admin/roster/confirm", data={"csrf_token": token, "token": upload_token, "password_mode": "typed", "initial_password": "Chushi#2026"}, follow_redirects=True)
    assert "新增 3 人" in done.get_data(as_text=True)


def test_import_users_command_refuses_bad_file_and_imports_good_one(session, admin, app, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([HEADER, GOOD_ROWS[0], ["x", "", "河南省委组织部", "", "", ""]]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-users", str(bad), "--as", "admin", "--initial-password", "Chushi#2026"])
    assert result.exit_code == 1
    assert "第 3 行" in result.output and "姓名为空" in result.output
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx([HEADER, *GOOD_ROWS]))
    result = runner.invoke(args=["import-users", str(good), "--as", "admin", "--initial-password", "Chushi#2026"])
    assert result.exit_code == 0, result.output
    assert "新增 3 人" in result.output


def test_import_users_command_generates_passwords_into_a_file_only_its_owner_can_read(session, admin, app, tmp_path):
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx([HEADER, *GOOD_ROWS]))
    runner = app.test_cli_runner()
    neither = runner.invoke(args=["import-users", str(good), "--as", "admin"])
    assert neither.exit_code == 1 and "--passwords-out" in neither.output
    out = tmp_path / "初始密码.xlsx"
    result = runner.invoke(args=["import-users", str(good), "--as", "admin", "--passwords-out", str(out)])
    assert result.exit_code == 0, result.output
    assert "新增 3 人" in result.output and "仅本人可读" in result.output
    assert out.stat().st_mode & 0o777 == 0o600
    rows = list(load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert rows[0][:3] == ("账号", "姓名", "初始密码") and len(rows) == 4
    passwords = {row[0]: row[2] for row in rows[1:]}
    assert len(set(passwords.values())) == 3  # one each, not one for all
    for username, password in passwords.items():
        assert Auth(app.test_client()).login(username, password).status_code == 302
    again = runner.invoke(args=["import-users", str(good), "--as", "admin", "--passwords-out", str(out)])
    assert again.exit_code == 1 and "已存在" in again.output  # never overwrites a list not yet handed out


def test_a_city_admin_imports_into_their_own_subtree_by_full_or_relative_path(session):
    """The units above a city admin are outside their reach, yet a full path from the top (as
    their template writes it) must resolve; so must one starting at their own unit. Anything
    outside their subtree, an ancestor included, is refused like a unit that does not exist."""
    units = make_province(session)
    zz_admin = make_user(session, "zzadmin", units["郑州"], ("admin",))
    session.commit()
    rows = [HEADER,
            ["full", "全路径", "河南省委组织部/郑州市委组织部/金水区委组织部", "", "", ""],
            ["relative", "相对路径", "郑州市委组织部/二七区委组织部", "", "", ""],
            ["own", "本单位", "河南省委组织部/郑州市委组织部", "", "", ""]]
    result = roster.preview(session, zz_admin, xlsx(rows))
    assert result.ok, [(r.line, [str(m) for m in r.problems]) for r in result.rows]
    assert [r.unit.name for r in result.rows] == ["金水区委组织部", "二七区委组织部", "郑州市委组织部"]
    for path in ("河南省委组织部", "河南省委组织部/洛阳市委组织部", "洛阳市委组织部"):
        bad = roster.preview(session, zz_admin, xlsx([HEADER, ["x1", "越界", path, "", "", ""]]))
        assert not bad.ok and "管理范围" in str(bad.rows[0].problems[0]), path
    template = roster.template_bytes("河南省委组织部/郑州市委组织部")
    assert roster.preview(session, zz_admin, template).ok
