"""Login, logout, forced password change, deactivation and role checks."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from quiz.accounts.models import User
from tests.factories import PASSWORD, make_unit, make_user
from tests.quiz.conftest import Auth


@pytest.fixture
def people(session):
    root = make_unit(session, "河南省委组织部")
    users = {
        "admin": make_user(session, "admin", root, ("admin",)),
        "org": make_user(session, "org", root, ("organizer", "cadre")),
        "hr": make_user(session, "hr", root, ("hr",)),
        "cadre": make_user(session, "cadre", root, ("cadre",)),
    }
    session.commit()
    return users


@pytest.mark.parametrize(
    ("username", "home"),
    [("admin", "/admin/"), ("org", "/organizer"), ("hr", "/hr"), ("cadre", "/me")],
)
def test_each_role_lands_on_its_home_page(people, client, username, home):
    response = Auth(client).login(username)
    assert response.status_code == 302
    assert response.headers["Location"] == home
    assert client.get(home).status_code == 200


def test_login_page_is_chinese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "登录" in page and "账号" in page and "密码" in page


def test_wrong_password_is_refused_with_a_message_that_does_not_say_which_part_was_wrong(people, client):
    response = Auth(client).login("cadre", "not-the-password")
    assert response.status_code == 401
    assert "账号或密码不正确" in response.get_data(as_text=True)
    unknown = Auth(client).login("nobody", "whatever1")
    assert "账号或密码不正确" in unknown.get_data(as_text=True)
    assert client.get("/me").status_code == 302  # still signed out


def test_remember_me_is_off_by_default(people, client):
    page = client.get("/login").get_data(as_text=True)
    assert 'name="remember"' in page and "checked" not in page.split('name="remember"')[1].split(">")[0]
    Auth(client).login("cadre")
    assert client.get_cookie("remember_token") is None


def test_session_is_renewed_at_login(people, client):
    client.get("/login")
    before = client.get_cookie("session").value
    Auth(client).login("cadre")
    after = client.get_cookie("session").value
    assert before != after


def test_a_deactivated_user_cannot_sign_in_and_loses_open_sessions(people, app, client, session_factory):
    Auth(client).login("cadre")
    assert client.get("/me").status_code == 200
    admin_client = app.test_client()
    admin = Auth(admin_client)
    admin.login("admin")
    cadre_id = people["cadre"].id
    response = admin.post(f"/admin/users/{cadre_id}/active", {"active": "0"}, token_from=f"/admin/users/{cadre_id}")
    assert response.status_code == 302
    # the open session ends at once
    assert client.get("/me").status_code == 302
    # and a new login is refused with a clear message
    again = Auth(app.test_client()).login("cadre")
    assert again.status_code == 401
    assert "该账号已停用" in again.get_data(as_text=True)


def test_initial_password_must_be_changed_before_anything_else(session, client):
    make_user(session, "newbie", roles=("cadre",), must_change_password=True)
    session.commit()
    auth = Auth(client)
    auth.login("newbie")
    assert client.get("/me").headers["Location"] == "/password"
    weak = auth.post("/password", {"current": PASSWORD, "new": "12345678", "confirm": "12345678"})
    assert weak.status_code == 422
    assert "过于常见" in weak.get_data(as_text=True)
    ok = auth.post("/password", {"current": PASSWORD, "new": "Zugong-new-42", "confirm": "Zugong-new-42"})
    assert ok.status_code == 302
    assert client.get("/me").status_code == 200
    with session.begin():
        user = session.scalar(select(User).where(User.username == "newbie"))
        session.refresh(user)
        assert user.must_change_password is False


@pytest.mark.parametrize(
    ("username", "path", "status"),
    [
        ("cadre", "/admin/", 403),
        ("cadre", "/organizer", 403),
        ("cadre", "/hr", 403),
        ("hr", "/admin/users", 403),
        ("org", "/hr", 403),
        ("admin", "/admin/users", 200),
        ("hr", "/hr", 200),
        ("org", "/me", 200),
    ],
)
def test_pages_check_roles(people, client, username, path, status):
    Auth(client).login(username)
    assert client.get(path).status_code == status


def test_signed_out_visitors_are_sent_to_login(client, db):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_logout_requires_post_and_ends_the_session(people, client):
    auth = Auth(client)
    auth.login("cadre")
    assert client.get("/logout").status_code == 405
    auth.post("/logout", token_from="/me")
    assert client.get("/me").status_code == 302


def test_forms_refuse_posts_without_csrf_token(people, client):
    response = client.post("/login", data={"username": "cadre", "password": PASSWORD})
    assert response.status_code in (400, 401)
    assert client.get("/me").status_code == 302


def test_repeated_failed_logins_are_throttled_per_account_with_a_clear_message(people, app, client):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "3 per 15 minutes"
    auth = Auth(client)
    for _ in range(3):
        assert auth.login("cadre", "wrong-password").status_code == 401
    blocked = auth.login("cadre", "wrong-password")
    assert blocked.status_code == 429
    assert "15 分钟后再试" in blocked.get_data(as_text=True)
    # another account from the same address is not locked by it
    assert Auth(app.test_client()).login("hr").status_code == 302


def test_successful_logins_do_not_count_towards_the_limit(people, app):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "2 per 15 minutes"
    for _ in range(4):
        client = app.test_client()
        assert Auth(client).login("cadre").status_code == 302
