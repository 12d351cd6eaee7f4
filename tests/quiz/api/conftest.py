"""JSON API fixtures: the contest world, a frozen clock the app reads, and a JSON client."""
from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from tests.quiz.contests.conftest import T0, Clock, clock, world  # noqa: F401  (fixtures)


class Api:
    """A JSON client: signs in through POST /api/v1/session, sends X-CSRFToken on writes, and
    keeps every JSON body it received (for the key-leak check)."""

    def __init__(self, client):
        self.client = client
        self.token: str | None = None
        self.bodies: list = []

    def _keep(self, response):
        if response.is_json:
            self.bodies.append(response.get_json())
        return response

    def login(self, username: str, password: str = PASSWORD):
        response = self._keep(self.client.post("/api/v1/session", json={"username": username, "password": password}))
        if response.status_code == 200:
            self.token = response.get_json()["csrf_token"]
        return response

    def get(self, path: str, **kwargs):
        return self._keep(self.client.get(path, **kwargs))

    def _write(self, method: str, path: str, json=None, csrf: bool = True, **kwargs):
        headers = kwargs.pop("headers", {})
        if csrf and self.token:
            headers["X-CSRFToken"] = self.token
        return self._keep(getattr(self.client, method)(path, json=json, headers=headers, **kwargs))

    def post(self, path: str, json=None, **kwargs):
        return self._write("post", path, json if json is not None else {}, **kwargs)

    def put(self, path: str, json=None, **kwargs):
        return self._write("put", path, json, **kwargs)

    def delete(self, path: str, **kwargs):
        return self._write("delete", path, None, **kwargs)


@pytest.fixture
def api_app(app, clock):  # noqa: F811
    app.config["QUIZ_CLOCK"] = clock
    app.config["CONTEST_GRACE_SECONDS"] = 5
    return app


@pytest.fixture
def api(api_app):
    return Api(api_app.test_client())


@pytest.fixture
def make_api(api_app):
    return lambda: Api(api_app.test_client())
