"""The app as a visitor meets it: language, assets, headers, error pages, demo data."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from quiz.accounts.models import User
from quiz.seed import DEMO_PASSWORD
from tests.quiz.conftest import Auth


def test_english_is_chosen_from_the_browser_language(client, db):
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Sign in" in page


def test_the_user_can_switch_language(client, db):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/language", data={"lang": "en", "csrf_token": token})
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_every_asset_is_served_locally(client, db):
    page = client.get("/login").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(a.startswith("/") or a.startswith("#") for a in assets), assets
    for asset in assets:
        if asset.startswith("/static/"):
            assert client.get(asset).status_code == 200


def test_security_headers(client, db):
    headers = client.get("/login").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_no_inline_scripts_in_pages(client, db):
    page = client.get("/login").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)


def test_unknown_page_gets_a_chinese_404(client, db):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_seed_demo_builds_accounts_that_sign_in(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "cadre30" in result.output and DEMO_PASSWORD in result.output
    names = set(session.scalars(select(User.username)))
    assert {"admin", "organizer", "hr", "hr_zz", "hr_ly"} <= names
    assert {f"cadre{i}" for i in range(1, 31)} <= names
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "跳过" in again.output
    client = app.test_client()
    page = Auth(client).login("hr_zz", DEMO_PASSWORD)
    assert page.headers["Location"] == "/hr"
    assert "演示数据库" in client.get("/hr").get_data(as_text=True)


@pytest.mark.parametrize("username", ["admin", "organizer", "hr", "hr_zz", "hr_ly", "cadre1", "cadre30"])
def test_every_demo_account_reaches_its_home(app, username):
    app.test_cli_runner().invoke(args=["seed-demo"])
    client = app.test_client()
    response = Auth(client).login(username, DEMO_PASSWORD)
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    from quiz.config import ConfigError, load_config

    monkeypatch.setenv("QUIZ_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        load_config(tmp_path)


def test_local_secret_key_is_generated_once_and_kept(monkeypatch, tmp_path):
    from quiz.config import load_config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("QUIZ_ENV", raising=False)
    first = load_config(tmp_path)["SECRET_KEY"]
    assert len(first) >= 32 and first == load_config(tmp_path)["SECRET_KEY"]


def test_seed_demo_loads_the_demo_bank_through_the_importer(app, session):
    from question_bank.models import Bank, Question, QuestionVersion

    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    bank = session.scalar(select(Bank))
    assert bank.name == "组织工作基础知识题库"
    types = set(session.scalars(select(QuestionVersion.type)))
    assert types == {"single", "multiple", "true_false", "fill_blank", "short_answer"}
    assert len(session.scalars(select(Question.id).where(Question.bank_id == bank.id)).all()) >= 150
