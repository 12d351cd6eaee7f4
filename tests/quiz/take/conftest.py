"""Cadre page fixtures: the contest world, the app on a clock the test moves, a signed-in client."""
from __future__ import annotations

import pytest

from tests.quiz.conftest import Auth
from tests.quiz.contests.conftest import T0, Clock, clock, world  # noqa: F401  (fixtures)


@pytest.fixture
def take_app(app, clock):  # noqa: F811
    app.config["QUIZ_CLOCK"] = clock
    app.config["CONTEST_GRACE_SECONDS"] = 5
    return app


@pytest.fixture
def sign_in(take_app):
    """sign_in("zz0") -> a test client signed in as that user."""

    def _sign_in(username: str):
        client = take_app.test_client()
        response = Auth(client).login(username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return _sign_in
