"""App-level fixtures: an app bound to the per-test database, a client, and a login helper."""
from __future__ import annotations

import re

import pytest

from quiz import create_app
from tests.factories import PASSWORD

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def app(db, database_url, tmp_path):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "INSTANCE_PATH": str(tmp_path), "RATELIMIT_STORAGE_URI": "memory://"})
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, path: str = "/login") -> str:
    page = client.get(path)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD, **extra):
        return self.client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token(self.client), **extra})

    def post(self, path: str, data: dict | None = None, *, token_from: str | None = None, **kwargs):
        """POST a form with a valid CSRF token taken from ``token_from`` (default: the same page)."""
        token = csrf_token(self.client, token_from or path)
        return self.client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


@pytest.fixture
def auth(client):
    return Auth(client)
