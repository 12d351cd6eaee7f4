"""Initial passwords expire (ASVS 6.4.1): an initial password set by an admin, a reset or a roster
import signs in for QUIZ_INITIAL_PASSWORD_DAYS days (default 14); later, signing in with it is
refused with a message that sends the cadre to their unit's administrator. A password the person
chose never expires this way, and the refusal says nothing to someone without the password."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from question_bank.db import utcnow
from quiz.accounts import roster
from quiz.accounts.models import User
from tests.factories import make_province, make_user
from tests.quiz.conftest import Auth

EXPIRED = "您的初始密码已过期，不能再用于登录。请联系本单位管理员，为您重新设置初始密码。"
INITIAL = "Chushi#Mima2026"


@pytest.fixture
def people(session):
    units = make_province(session)
    people = {"admin": make_user(session, "admin", units["郑州"], ("admin",)), "unit": units["金水"],
              "province_admin": make_user(session, "province_admin", units["省"], ("admin",))}
    session.commit()
    return people


@pytest.fixture
def days_later(monkeypatch):
    """Move the sign-in check's clock forward (the rest of the app keeps the real time)."""
    def move(days: float):
        later = utcnow() + timedelta(days=days)
        monkeypatch.setattr("quiz.accounts.services.utcnow", lambda: later)
    return move


def _create(app, people, username: str, password: str = INITIAL):
    admin = app.test_client()
    Auth(admin).login("admin")
    form = {"username": username, "name": "新同志", "org_unit_id": str(people["unit"].id), "roles": "cadre", "password": password}
    assert Auth(admin).post("/admin/users/new", form).status_code == 302
    return admin


def _sign_in(app, username: str, password: str = INITIAL):
    client = app.test_client()
    response = Auth(client).login(username, password)
    if response.status_code == 302:  # signed in: with an initial password, sent on to change it
        assert client.get("/me").headers.get("Location") == "/password"
    return response, response.get_data(as_text=True)


def test_an_initial_password_signs_in_for_14_days_then_is_refused_with_a_clear_message(app, people, days_later):
    _create(app, people, "newcomer")
    days_later(13.9)
    response, _page = _sign_in(app, "newcomer")
    assert response.status_code == 302
    days_later(14.01)
    response, page = _sign_in(app, "newcomer")
    assert response.status_code == 401 and EXPIRED in page
    api = app.test_client().post("/api/v1/session", json={"username": "newcomer", "password": INITIAL})
    assert api.status_code == 401  # nor through the JSON sign-in, which says why as well
    assert api.get_json()["error"] == {"code": "initial_password_expired", "message": EXPIRED}
    wrong = app.test_client().post("/api/v1/session", json={"username": "newcomer", "password": "Wrong#Mima2026"})
    assert wrong.get_json()["error"]["code"] == "invalid_credentials"


def test_the_number_of_days_is_configured(app, people, days_later):
    app.config["INITIAL_PASSWORD_DAYS"] = 3
    admin = _create(app, people, "shortlived")
    assert "3 天内有效" in admin.get("/admin/users").get_data(as_text=True)  # the admin is told
    days_later(3.01)
    response, page = _sign_in(app, "shortlived")
    assert response.status_code == 401 and EXPIRED in page


def test_a_wrong_password_on_an_expired_account_gets_the_ordinary_answer(app, people, days_later):
    _create(app, people, "newcomer")
    days_later(20)
    response, page = _sign_in(app, "newcomer", "Wrong#Mima2026")
    assert response.status_code == 401 and "账号或密码不正确" in page and "过期" not in page


def test_a_roster_imported_initial_password_expires_too(app, session, people, days_later):
    result = roster.preview(session, people["province_admin"], "账号,姓名,单位\nwangwu,王五,河南省委组织部/郑州市委组织部/金水区委组织部\n".encode())
    roster.apply(session, people["province_admin"], result, INITIAL)
    session.commit()
    days_later(1)
    assert _sign_in(app, "wangwu")[0].status_code == 302
    days_later(15)
    response, page = _sign_in(app, "wangwu")
    assert response.status_code == 401 and EXPIRED in page


def test_the_admin_sees_it_expired_and_a_reset_gives_a_fresh_one(app, people, days_later, session_factory):
    admin = _create(app, people, "newcomer")
    s = session_factory()
    user_id = s.scalar(select(User.id).where(User.username == "newcomer"))
    s.close()
    days_later(15)
    page = admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert "初始密码已过期" in page
    days_later(0)
    assert "初始密码有效至" in admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    days_later(15)
    # the reset happens "now" (the clock above is 15 days on): its new password is good from then
    assert Auth(admin).post(f"/admin/users/{user_id}/password", {"password": "Xin#Chushi2026"}, token_from=f"/admin/users/{user_id}").status_code == 302
    days_later(15 + 13)
    assert _sign_in(app, "newcomer", "Xin#Chushi2026")[0].status_code == 302
    assert _sign_in(app, "newcomer")[0].status_code == 401  # the old one is gone anyway


def test_a_password_the_person_chose_does_not_expire(app, people, days_later):
    _create(app, people, "newcomer")
    client = app.test_client()
    Auth(client).login("newcomer", INITIAL)
    response = Auth(client).post("/password", {"current": INITIAL, "new": "Ziji#Mima2026x", "confirm": "Ziji#Mima2026x"})
    assert response.status_code == 302
    days_later(400)
    other = app.test_client()
    assert Auth(other).login("newcomer", "Ziji#Mima2026x").status_code == 302
    assert other.get("/me").status_code == 200
