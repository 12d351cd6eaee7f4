"""Sessions: cookie flags, HSTS in production, renewal at login, idle and absolute timeouts, logout.

ASVS 5.0 V7 (session management). The signed cookies carry a random key naming a row of
``user_sessions`` (quiz.accounts.user_sessions): sign-out revokes that row, so a copy of the cookie
taken before is refused (7.4.1) while the user's other devices stay signed in; password change,
reset and deactivation revoke every row of the account; timeouts are checked against the row.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from question_bank.db import utcnow
from quiz import create_app
from quiz.accounts.models import UserSession
from quiz.accounts.user_sessions import hash_key
from quiz.audit.models import AuditEntry
from tests.factories import PASSWORD, make_province, make_user
from tests.quiz.conftest import Auth, csrf_token


@pytest.fixture
def people(session):
    units = make_province(session)
    people = {
        "admin": make_user(session, "admin", units["省"], ("admin",)),
        "cadre": make_user(session, "cadre", units["金水"]),
    }
    session.commit()
    return people


def _cookie_header(response, name: str = "session") -> str:
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert found, f"no {name} cookie set: {response.headers.getlist('Set-Cookie')}"
    return found[-1]


def test_the_session_cookie_is_httponly_and_samesite_lax_and_not_secure_in_development(client, people):
    response = Auth(client).login("cadre")
    header = _cookie_header(response)
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header
    assert "Strict-Transport-Security" not in response.headers


@pytest.fixture
def production_app(monkeypatch, database_url, db, tmp_path):
    monkeypatch.setenv("QUIZ_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-shared-by-every-worker")
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "INSTANCE_PATH": str(tmp_path), "RATELIMIT_STORAGE_URI": "memory://"})
    yield app
    app.extensions["db_engine"].dispose()


def test_in_production_cookies_are_secure_and_responses_carry_hsts(production_app, people):
    client = production_app.test_client()
    base = "https://quiz.example.org"
    token = csrf_token_https(client, base)
    response = client.post("/login", base_url=base, headers={"Referer": f"{base}/login"},
                           data={"username": "cadre", "password": PASSWORD, "csrf_token": token, "remember": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    for name in ("session", "remember_token"):
        header = _cookie_header(response, name)
        assert "Secure" in header and "HttpOnly" in header, header
    assert "SameSite=Lax" in _cookie_header(response, "session")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    api = client.post("/api/v1/session", base_url=base, json={"username": "cadre", "password": PASSWORD})
    assert "Secure" in _cookie_header(api) and "Strict-Transport-Security" in api.headers


def csrf_token_https(client, base: str) -> str:
    from tests.quiz.conftest import CSRF_RE

    page = client.get("/login", base_url=base).get_data(as_text=True)
    return CSRF_RE.search(page).group(1)


def _rows(session_factory, user_id: int) -> list[UserSession]:
    s = session_factory()
    try:
        return list(s.scalars(select(UserSession).where(UserSession.user_id == user_id).order_by(UserSession.id)))
    finally:
        s.close()


def _current_row(client, session_factory) -> UserSession:
    with client.session_transaction() as s:
        key = s["_user_id"]
    db = session_factory()
    try:
        return db.scalar(select(UserSession).where(UserSession.token_hash == hash_key(key)))
    finally:
        db.close()


def _set_row(session_factory, row_id: int, **values) -> None:
    s = session_factory()
    try:
        s.execute(update(UserSession).where(UserSession.id == row_id).values(**values))
        s.commit()
    finally:
        s.close()


def test_login_renews_the_session_and_drops_what_was_planted_before(client, people, session_factory):
    """Session fixation: nothing an attacker put in the pre-login session survives the login."""
    client.get("/login")
    with client.session_transaction() as s:
        s["planted"] = "by-an-attacker"
        s["_user_id"] = "999:forged"
    planted_cookie = client.get_cookie("session").value
    Auth(client).login("cadre")
    with client.session_transaction() as s:
        assert "planted" not in s
        assert s["_user_id"] != "999:forged"
    row = _current_row(client, session_factory)
    assert row is not None and row.user_id == people["cadre"].id and row.revoked_at is None
    assert client.get_cookie("session").value != planted_cookie


def test_the_session_row_records_the_device_and_the_limits(app, client, people, session_factory):
    """7.5.2 needs something to show: browser, address, times; the absolute limit is fixed at sign-in."""
    client.post("/login", data={"username": "cadre", "password": PASSWORD, "csrf_token": csrf_token(client)},
                headers={"User-Agent": "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0"},
                environ_base={"REMOTE_ADDR": "10.1.2.3"})
    [row] = _rows(session_factory, people["cadre"].id)
    assert row.ip_address == "10.1.2.3" and "MicroMessenger" in row.user_agent and row.remember is False
    lifetime = row.expires_at - row.created_at
    assert lifetime == timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])
    assert client.get("/account/sessions").status_code == 200


TIMEOUTS = {
    # field, value just inside the limit, value just past it
    "idle": lambda app: ("last_seen_at", utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"]) + timedelta(seconds=30),
                         utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"], seconds=5)),
    "absolute": lambda app: ("expires_at", utcnow() + timedelta(seconds=30), utcnow() - timedelta(seconds=5)),
}


@pytest.mark.parametrize("limit", sorted(TIMEOUTS))
def test_idle_and_absolute_timeouts_end_the_session(app, client, people, session_factory, limit):
    """An idle session ends after SESSION_IDLE_MINUTES without a request; any session at its
    absolute expiry (SESSION_ABSOLUTE_HOURS after sign-in), however active. Both are read from
    the session row, not from the cookie the browser sends back."""
    Auth(client).login("cadre")
    row = _current_row(client, session_factory)
    field, inside, past = TIMEOUTS[limit](app)
    _set_row(session_factory, row.id, **{field: inside})
    assert client.get("/me").status_code == 200  # just inside the limit
    _set_row(session_factory, row.id, **{field: past})
    response = client.get("/me")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_page = client.get("/login").get_data(as_text=True)
    assert "登录已超时" in login_page
    assert client.get("/me").status_code == 302  # and it stays ended


def test_an_active_session_keeps_going_past_the_idle_limit_but_not_past_the_absolute_one(app, client, people, session_factory):
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    Auth(client).login("cadre")
    row = _current_row(client, session_factory)
    _set_row(session_factory, row.id, last_seen_at=utcnow() - idle + timedelta(seconds=30))
    assert client.get("/me").status_code == 200  # the request moves last_seen_at forward
    assert utcnow() - _current_row(client, session_factory).last_seen_at < timedelta(seconds=5)
    _set_row(session_factory, row.id, expires_at=utcnow() - timedelta(seconds=1))
    assert client.get("/me").status_code == 302


def test_last_seen_is_written_every_few_minutes_not_on_every_request(app, client, people, session_factory):
    """The contest save path must not pay a write per request for the idle clock."""
    Auth(client).login("cadre")
    row = _current_row(client, session_factory)
    touch = timedelta(minutes=app.config["SESSION_TOUCH_MINUTES"])
    statements: list[str] = []

    def _log(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(app.extensions["db_engine"], "before_cursor_execute", _log)
    try:
        _set_row(session_factory, row.id, last_seen_at=utcnow() - touch + timedelta(seconds=20))
        statements.clear()
        assert client.get("/api/v1/session").status_code == 200
        assert not [q for q in statements if q.lstrip().upper().startswith("UPDATE USER_SESSIONS")]
        _set_row(session_factory, row.id, last_seen_at=utcnow() - touch - timedelta(seconds=1))
        statements.clear()
        assert client.get("/api/v1/session").status_code == 200
        assert len([q for q in statements if q.lstrip().upper().startswith("UPDATE USER_SESSIONS")]) == 1
    finally:
        event.remove(app.extensions["db_engine"], "before_cursor_execute", _log)


def test_the_user_and_the_session_row_come_back_in_one_query(app, client, people):
    """No extra round trip per request: the user loader joins users and user_sessions."""
    Auth(client).login("cadre")
    client.get("/me")
    statements: list[str] = []

    def _log(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()).lower())

    event.listen(app.extensions["db_engine"], "before_cursor_execute", _log)
    try:
        assert client.get("/api/v1/session").status_code == 200
    finally:
        event.remove(app.extensions["db_engine"], "before_cursor_execute", _log)
    touching_sessions = [q for q in statements if "user_sessions" in q]
    assert len(touching_sessions) == 1 and "join user_sessions" in touching_sessions[0] and "from users" in touching_sessions[0]
    assert not [q for q in statements if q.startswith("select") and "from users where users.id" in q]


def test_the_api_answers_401_json_after_a_timeout(app, client, people, session_factory):
    login = client.post("/api/v1/session", json={"username": "cadre", "password": PASSWORD})
    assert login.status_code == 200
    assert client.get("/api/v1/contests").status_code == 200
    row = _current_row(client, session_factory)
    _set_row(session_factory, row.id, last_seen_at=utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"], seconds=5))
    response = client.get("/api/v1/contests")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthenticated"


def test_a_forged_or_tampered_session_cookie_signs_nobody_in(app, client, people):
    Auth(client).login("cadre")
    value = client.get_cookie("session").value
    client.set_cookie("session", value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB"))
    assert client.get("/me").status_code == 302
    client.set_cookie("session", "eyJfdXNlcl9pZCI6IjE6eCJ9.forged.signature")
    assert client.get("/me").status_code == 302
    assert client.get("/api/v1/contests").status_code == 401


def test_a_cookie_copied_before_logout_is_refused_after_logout(app, client, people):
    """ASVS 7.4.1: sign-out ends the session on the server, not only in this browser; the same
    person's other device stays signed in (ending those is the sessions page's job)."""
    phone = app.test_client()
    Auth(phone).login("cadre")
    Auth(client).login("cadre")
    stolen = client.get_cookie("session").value
    Auth(client).post("/logout", token_from="/me")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/me").status_code == 302
    assert thief.get("/api/v1/contests").status_code == 401
    assert phone.get("/me").status_code == 200


def test_api_sign_out_revokes_the_session_too(app, client, people):
    assert client.post("/api/v1/session", json={"username": "cadre", "password": PASSWORD}).status_code == 200
    stolen = client.get_cookie("session").value
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    assert client.delete("/api/v1/session", headers={"X-CSRFToken": token}).status_code == 200
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/api/v1/session").status_code == 401


def test_a_password_change_ends_the_other_sessions_of_the_account(app, client, people):
    """Every row of the account is revoked; the device that changed the password gets a new one."""
    other = app.test_client()
    Auth(other).login("cadre")
    Auth(client).login("cadre")
    before = client.get_cookie("session").value
    response = Auth(client).post("/password", {"current": PASSWORD, "new": "Zuzhi#Kaoshi2026", "confirm": "Zuzhi#Kaoshi2026"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert client.get("/me").status_code == 200  # this device was renewed with a new session
    assert other.get("/me").status_code == 302
    copy = app.test_client()
    copy.set_cookie("session", before)
    assert copy.get("/me").status_code == 302  # nor does this device's old cookie work


def test_deactivation_and_an_admin_reset_end_every_session(app, client, people):
    admin = app.test_client()
    Auth(admin).login("admin")
    cadre = people["cadre"]
    Auth(client).login("cadre")
    response = Auth(admin).post(f"/admin/users/{cadre.id}/password", {"password": "Chushi#Mima2026"}, token_from=f"/admin/users/{cadre.id}")
    assert response.status_code == 302 and client.get("/me").status_code == 302
    Auth(client).login("cadre", "Chushi#Mima2026")
    assert client.get("/password").status_code == 200
    Auth(admin).post(f"/admin/users/{cadre.id}/active", {"active": "0"}, token_from=f"/admin/users/{cadre.id}")
    assert client.get("/password").status_code == 302


def test_logout_also_ends_keep_me_signed_in(app, client, people):
    """With 在这台设备上保持登录 ticked, 退出登录 must still sign out: the remember cookie is deleted
    (it used to survive, and the next page signed the user straight back in), and a copy of it
    taken before is refused: it names the same, now revoked, session row."""
    Auth(client).login("cadre", remember="y")
    remembered = client.get_cookie("remember_token").value
    Auth(client).post("/logout", token_from="/me")
    assert client.get_cookie("remember_token") is None
    assert client.get("/me").status_code == 302
    thief = app.test_client()
    thief.set_cookie("remember_token", remembered)
    assert thief.get("/me").status_code == 302


def test_api_sign_out_also_ends_keep_me_signed_in(app, client, people):
    Auth(client).login("cadre", remember="y")
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    assert client.delete("/api/v1/session", headers={"X-CSRFToken": token}).status_code == 200
    assert client.get("/api/v1/session").status_code == 401


def test_keep_me_signed_in_has_no_idle_limit_but_its_own_cap(app, client, people, session_factory):
    """A remembered session outlives the idle limit (that is what the box is for) and ends at
    REMEMBER_COOKIE_DURATION (14 days) after sign-in, cookie and all."""
    Auth(client).login("cadre", remember="y")
    row = _current_row(client, session_factory)
    assert row.remember and row.expires_at - row.created_at == app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)
    _set_row(session_factory, row.id, last_seen_at=utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"]) - timedelta(hours=3))
    assert client.get("/me").status_code == 200
    _set_row(session_factory, row.id, expires_at=utcnow() - timedelta(seconds=1))
    assert client.get("/me").status_code == 302
    assert client.get_cookie("remember_token") is None
    assert client.get("/me").status_code == 302


def test_a_session_restored_from_the_remember_cookie_is_the_same_session(app, client, people, session_factory):
    """The browser dropped the session cookie (it expires after SESSION_ABSOLUTE_HOURS unused) but
    kept the remember cookie: the same row signs the user in, with the same cap, no new row."""
    Auth(client).login("cadre", remember="y")
    row = _current_row(client, session_factory)
    client.delete_cookie("session")
    assert client.get("/me").status_code == 200
    [again] = _rows(session_factory, people["cadre"].id)
    assert again.id == row.id and again.expires_at == row.expires_at


def test_a_user_sees_their_sessions_and_ends_another_one(app, client, people):
    """ASVS 7.5.2: the sessions page lists each device (browser, address, last use) and ends any
    other one; that device is signed out, this one is not."""
    phone = app.test_client()
    phone.post("/login", data={"username": "cadre", "password": PASSWORD, "csrf_token": csrf_token(phone)},
               headers={"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 MicroMessenger/8.0.40"},
               environ_base={"REMOTE_ADDR": "10.9.8.7"})
    client.post("/login", data={"username": "cadre", "password": PASSWORD, "csrf_token": csrf_token(client)},
                headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"})
    page = client.get("/account/sessions").get_data(as_text=True)
    assert "微信 · iPhone" in page and "10.9.8.7" in page and "Chrome · Windows" in page
    assert page.count("结束此登录") == 1  # only the other device has the button; this one says 本设备
    other_id = int(re.search(r'/account/sessions/(\d+)/end', page).group(1))
    response = Auth(client).post(f"/account/sessions/{other_id}/end", token_from="/account/sessions")
    assert response.status_code == 302
    assert "已结束该登录" in client.get("/account/sessions").get_data(as_text=True)
    assert phone.get("/me").status_code == 302
    assert "这次登录已被结束" in phone.get("/login").get_data(as_text=True)
    assert client.get("/me").status_code == 200


def test_the_current_session_and_someone_elses_cannot_be_ended_from_the_sessions_page(app, client, people, session_factory):
    Auth(client).login("cadre")
    mine = _current_row(client, session_factory)
    response = Auth(client).post(f"/account/sessions/{mine.id}/end", token_from="/account/sessions", follow_redirects=True)
    assert "退出登录" in response.get_data(as_text=True) and client.get("/me").status_code == 200
    admin = app.test_client()
    Auth(admin).login("admin")
    admins = _rows(session_factory, people["admin"].id)[0]
    assert Auth(client).post(f"/account/sessions/{admins.id}/end", token_from="/account/sessions").status_code == 404
    assert admin.get("/admin/").status_code == 200


def test_an_admin_ends_all_sessions_of_a_user_with_an_audit_entry(app, client, people, session_factory):
    """ASVS 7.4.5: on the user's admin page, behind a confirmation, audit-logged."""
    cadre = people["cadre"]
    phone = app.test_client()
    Auth(phone).login("cadre", remember="y")
    Auth(client).login("cadre")
    admin = app.test_client()
    Auth(admin).login("admin")
    page = admin.get(f"/admin/users/{cadre.id}").get_data(as_text=True)
    assert "结束全部登录" in page and "确定结束" in page and "data-confirm" in page
    response = Auth(admin).post(f"/admin/users/{cadre.id}/sessions/end", token_from=f"/admin/users/{cadre.id}")
    assert response.status_code == 302
    assert "已结束 cadre 的 2 个登录" in admin.get(f"/admin/users/{cadre.id}").get_data(as_text=True)
    assert client.get("/me").status_code == 302 and phone.get("/me").status_code == 302
    assert admin.get("/admin/").status_code == 200  # the admin's own session is untouched
    s = session_factory()
    try:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "user.end_sessions"))
        assert entry.actor_id == people["admin"].id and entry.target_id == str(cadre.id) and entry.after == {"ended": 2}
    finally:
        s.close()
    Auth(client).login("cadre")  # the account itself still works
    assert client.get("/me").status_code == 200
