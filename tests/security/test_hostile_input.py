"""Hostile input over HTTP: ids and page numbers no row can have, oversized uploads.

Invariant (DESIGN.md): bad input gets a clear error, never a server error; an oversized upload
gets the 413 page in Chinese (on /api/ or with a JSON body, a JSON error saying the request is too large).
"""
from __future__ import annotations

import io

import pytest

from tests.factories import PASSWORD, make_bank, make_province, make_user

HUGE = 2**63 + 7  # past SQLite's INTEGER too; 2**31 already breaks PostgreSQL's


@pytest.fixture
def people(session):
    units = make_province(session)
    admin = make_user(session, "admin", units["省"], ("admin",))
    organizer = make_user(session, "org", units["省"], ("organizer", "cadre"))
    cadre = make_user(session, "cadre1", units["金水"])
    bank = make_bank(session, units["省"], actor=organizer)
    session.commit()
    return {"units": units, "admin": admin, "organizer": organizer, "cadre": cadre, "bank": bank}


@pytest.mark.parametrize("value", [2**31, 2**31 + 1, HUGE])
def test_an_id_out_of_the_databases_range_is_404_json_on_the_api(client, people, value):
    """Invariant: no 5xx for a URL id no row can have (found by the schemathesis fuzzing on PostgreSQL)."""
    login = client.post("/api/v1/session", json={"username": "cadre1", "password": PASSWORD})
    token = login.get_json()["csrf_token"]
    for method, path in (("get", f"/api/v1/attempts/{value}"), ("get", f"/api/v1/contests/{value}"),
                         ("put", f"/api/v1/attempts/{value}/responses/{value}"), ("post", f"/api/v1/attempts/{value}/submit")):
        response = getattr(client, method)(path, json={"answer": "A"}, headers={"X-CSRFToken": token})
        assert response.status_code == 404, (path, response.status_code)
        assert response.get_json()["error"]["message"]


@pytest.mark.parametrize("value", [2**31, HUGE])
def test_an_id_out_of_range_on_a_page_is_the_404_page(client, auth, people, value):
    auth.login("admin")
    response = client.get(f"/admin/users/{value}")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": ""})


@pytest.mark.parametrize("path", ["/admin/users?page={n}", "/admin/audit?page={n}"])
def test_a_page_number_out_of_range_is_no_server_error(client, auth, people, path):
    auth.login("admin")
    response = client.get(path.format(n=HUGE))
    assert response.status_code < 500


def test_an_oversized_upload_gets_the_413_page_in_chinese(app, client, auth, people):
    """Invariant: an oversized upload is refused with a clear page (413), before any parsing."""
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    auth.login("org")
    bank = people["bank"]
    token_page = client.get(f"/bank/{bank.id}/import").get_data(as_text=True)
    assert "csrf_token" in token_page
    big = io.BytesIO(b"x" * (200 * 1024))
    response = client.post(f"/bank/{bank.id}/import", data={"file": (big, "big.xlsx"), "format": "auto"},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "上传的文件过大" in page and "<html" in page.lower()


def test_an_oversized_body_on_the_api_is_a_413_json_error(app, client, people):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    login = client.post("/api/v1/session", json={"username": "cadre1", "password": PASSWORD})
    token = login.get_json()["csrf_token"]
    response = client.put("/api/v1/attempts/1/responses/1", json={"answer": "x" * (200 * 1024)}, headers={"X-CSRFToken": token})
    assert response.status_code == 413
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == "too_large"
    assert body["error"]["message"] == "请求内容过大（上限 64 KB），请缩短后重试"  # not the upload wording: nothing was uploaded


def test_an_oversized_json_body_outside_the_api_is_a_json_error_too(app, client):
    """A JSON request is answered in JSON whatever its path; a form upload keeps its page (above)."""
    import json

    app.config["MAX_CONTENT_LENGTH"] = 3 * 1024 * 1024
    response = client.post("/login", data=json.dumps({"x": "y" * (4 * 1024 * 1024)}), content_type="application/json")
    assert response.status_code == 413 and response.is_json
    assert response.get_json() == {"error": {"code": "too_large", "message": "请求内容过大（上限 3 MB），请缩短后重试"}}


def test_a_database_error_gets_the_chinese_500_page(app):
    """After a failed statement PostgreSQL refuses the rest of the transaction; the error page
    (which reads the demo setting) must still render, in Chinese, not Flask's bare English 500."""
    from sqlalchemy import text

    from quiz.db import get_session

    def failing_view():
        get_session().execute(text("SELECT * FROM no_such_table_here"))

    app.add_url_rule("/test-only/db-error", "test_db_error", failing_view)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/test-only/db-error")
    assert response.status_code == 500
    assert "服务器出错了" in response.get_data(as_text=True)
