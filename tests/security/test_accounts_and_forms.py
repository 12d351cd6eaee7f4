"""No default account outside a demo database; forms bind only the fields they declare.

ASVS 5.0 V6 (no default credentials) and mass assignment (a POST with fields the form does not
declare changes nothing beyond the declared ones).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from quiz import ROOT, create_app
from quiz.accounts.models import User
from quiz.audit.models import AuditEntry
from quiz.settings.models import Setting
from tests.factories import PASSWORD, make_province, make_user
from tests.quiz.conftest import Auth
from tests.reliability.conftest import scratch_database

DEMO_PASSWORD = "zugong2026"


@pytest.fixture
def fresh_url(worker_id, tmp_path):
    urls = scratch_database("initdb", worker_id, tmp_path)
    yield next(urls)
    next(urls, None)


def test_init_db_creates_no_account_and_the_demo_password_opens_nothing(fresh_url, tmp_path):
    """Invariant: no default account outside a demo database: init-db makes the schema only."""
    app = create_app({"DATABASE_URL": fresh_url, "INSTANCE_PATH": str(tmp_path / "instance"), "RATELIMIT_STORAGE_URI": "memory://"})
    try:
        result = app.test_cli_runner().invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        from quiz.db import new_session

        with app.app_context(), new_session() as s:
            assert s.scalar(select(func.count()).select_from(User)) == 0
            assert s.scalar(select(func.count()).select_from(Setting).where(Setting.key == "demo_database")) == 0
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        assert DEMO_PASSWORD not in page  # the demo hint shows only on a demo database
        for username in ("admin", "organizer", "hr", "cadre1", "sysadmin", "root"):
            response = client.post("/api/v1/session", json={"username": username, "password": DEMO_PASSWORD})
            assert response.status_code == 401, username

        result = app.test_cli_runner().invoke(args=["seed-demo"])  # the one source of demo accounts...
        assert result.exit_code == 0, result.output
        with app.app_context(), new_session() as s:
            assert s.scalar(select(func.count()).select_from(User)) > 0
            assert s.scalar(select(Setting.value).where(Setting.key == "demo_database")) == "1"  # ...and it marks the database
        assert DEMO_PASSWORD in app.test_client().get("/login").get_data(as_text=True)
        again = app.test_cli_runner().invoke(args=["seed-demo"])
        assert again.exit_code == 1  # never into a database that already has people
    finally:
        app.extensions["db_engine"].dispose()


def test_the_demo_password_appears_only_in_the_demo_seed_and_its_messages():
    """No migration or module other than the demo seed creates accounts with the demo password."""
    allowed = {"quiz/seed.py", "quiz/config.py", "quiz/cli.py", "quiz/templates/auth/login.html"}
    found = set()
    for folder in ("quiz", "migrations", "question_bank"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".html") and DEMO_PASSWORD in path.read_text(encoding="utf-8", errors="ignore"):
                found.add(str(path.relative_to(ROOT)))
    assert found <= allowed, found - allowed
    migrations = "\n".join(p.read_text(encoding="utf-8") for p in Path(ROOT / "migrations").rglob("*.py"))
    assert "insert(users" not in migrations.lower() and "into users" not in migrations.lower()


@pytest.fixture
def people(session):
    units = make_province(session)
    people = {
        "admin": make_user(session, "admin", units["省"], ("admin",)),
        "cadre": make_user(session, "cadre", units["金水"], phone="13912345678"),
        "other": make_user(session, "other", units["金水"]),
    }
    session.commit()
    return people


def _snapshot(session_factory, user_id: int) -> dict:
    s = session_factory()
    try:
        user = s.get(User, user_id)
        return {"username": user.username, "name": user.name, "org_unit_id": user.org_unit_id, "roles": sorted(user.roles),
                "active": user.active, "must_change_password": user.must_change_password, "password_hash": user.password_hash,
                "phone": user.phone, "position": user.position, "locale": user.locale}
    finally:
        s.close()


EXTRA = {"roles": "admin", "username": "hijacked", "active": "0", "must_change_password": "1", "session_token": "chosen",
         "org_unit_id": "1", "id": "1", "password_hash": "x", "is_admin": "1", "phone": "13800000000", "locale": "en"}


def test_change_password_binds_only_its_three_fields(client, people, session_factory):
    before = _snapshot(session_factory, people["cadre"].id)
    auth = Auth(client)
    auth.login("cadre")
    response = auth.post("/password", {"current": PASSWORD, "new": "Zuzhi#Kaoshi2026", "confirm": "Zuzhi#Kaoshi2026", **EXTRA})
    assert response.status_code == 302
    after = _snapshot(session_factory, people["cadre"].id)
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"password_hash"}  # the new password (and every other session of the account ended)


def test_the_admin_user_form_binds_only_its_declared_fields(client, people, session_factory):
    cadre = people["cadre"]
    before = _snapshot(session_factory, cadre.id)
    auth = Auth(client)
    auth.login("admin")
    form = {"name": before["name"], "org_unit_id": str(before["org_unit_id"]), "position": "科员", "phone": before["phone"],
            "roles": "cadre", "username": "hijacked", "password": "Another#Pass2026", "active": "0", "must_change_password": "0",
            "session_token": "chosen", "password_hash": "x", "locale": "en", "id": str(people["other"].id)}
    response = auth.post(f"/admin/users/{cadre.id}", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    after = _snapshot(session_factory, cadre.id)
    assert {k for k in before if before[k] != after[k]} == {"position"}
    assert _snapshot(session_factory, people["other"].id)["position"] == people["other"].position


def test_a_new_account_from_the_admin_form_must_change_its_password_whatever_is_posted(client, people, session_factory):
    auth = Auth(client)
    auth.login("admin")
    form = {"username": "newcomer", "name": "新来的", "org_unit_id": str(people["cadre"].org_unit_id), "roles": "cadre",
            "password": "Chushi#Mima2026", "must_change_password": "0", "active": "0", "session_token": "chosen"}
    response = auth.post("/admin/users/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    s = session_factory()
    try:
        user = s.scalar(select(User).where(User.username == "newcomer"))
        assert user.must_change_password is True and user.active is True
        assert sorted(user.roles) == ["cadre"]
    finally:
        s.close()


def test_the_json_sign_in_ignores_extra_fields(client, people, session_factory):
    before = _snapshot(session_factory, people["cadre"].id)
    response = client.post("/api/v1/session", json={"username": "cadre", "password": PASSWORD, "roles": ["admin"], "active": False})
    assert response.status_code == 200 and response.get_json()["user"]["roles"] == ["cadre"]
    after = _snapshot(session_factory, people["cadre"].id)
    assert {k: v for k, v in after.items()} == before


ISSUED_RE = re.compile(r'class="issued-password"><code>([^<]+)</code>')


def _issued(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Cache-Control"] == "no-store"
    match = ISSUED_RE.search(response.get_data(as_text=True))
    assert match, "no generated password on the page"
    return match.group(1)


def test_an_admin_can_have_the_system_generate_the_initial_password(app, client, people, session_factory):
    """ASVS 6.4.1: a system-generated initial password, shown once (not in a flash message, the
    audit log or the account page), that the person must change at first sign-in."""
    auth = Auth(client)
    auth.login("admin")
    form = {"username": "newcomer", "name": "新来的", "org_unit_id": str(people["cadre"].org_unit_id), "roles": "cadre", "generate": "y"}
    password = _issued(auth.post("/admin/users/new", form))
    assert re.fullmatch(r"[a-zA-Z2-9]{4}-[a-zA-Z2-9]{4}-[a-zA-Z2-9]{4}", password)
    s = session_factory()
    try:
        user = s.scalar(select(User).where(User.username == "newcomer"))
        assert user.must_change_password is True
        audit = " ".join(f"{e.summary} {e.before} {e.after}" for e in s.scalars(select(AuditEntry)))
        assert password not in audit and "user.create" in {e.action for e in s.scalars(select(AuditEntry))}
    finally:
        s.close()
    assert password not in client.get(f"/admin/users/{user.id}").get_data(as_text=True)  # shown once only
    person = app.test_client()
    assert Auth(person).login("newcomer", password).status_code == 302
    assert person.get("/me").headers["Location"] == "/password"  # must choose their own first


def test_a_reset_can_generate_the_password_and_ends_the_persons_sessions(app, client, people):
    cadre = people["cadre"]
    device = app.test_client()
    Auth(device).login("cadre")
    auth = Auth(client)
    auth.login("admin")
    first = _issued(auth.post(f"/admin/users/{cadre.id}/password", {"generate": "y"}, token_from=f"/admin/users/{cadre.id}"))
    second = _issued(auth.post(f"/admin/users/{cadre.id}/password", {"generate": "y"}, token_from=f"/admin/users/{cadre.id}"))
    assert first != second
    assert device.get("/me").status_code == 302
    assert Auth(app.test_client()).login("cadre", first).status_code == 401  # only the latest works
    assert Auth(app.test_client()).login("cadre", second).status_code == 302


def test_a_reset_with_neither_a_password_nor_generate_says_what_to_do(client, people):
    cadre = people["cadre"]
    auth = Auth(client)
    auth.login("admin")
    response = auth.post(f"/admin/users/{cadre.id}/password", {}, token_from=f"/admin/users/{cadre.id}", follow_redirects=True)
    assert "请输入初始密码，或勾选" in response.get_data(as_text=True)
