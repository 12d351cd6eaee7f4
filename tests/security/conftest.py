"""Security test fixtures: the app fixtures of ``tests/quiz`` (app, client, auth) and a signed-in JSON world."""
from __future__ import annotations

from tests.quiz.conftest import Auth, app, auth, client, csrf_token  # noqa: F401  (fixtures and helpers)
