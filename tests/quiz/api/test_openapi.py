"""The OpenAPI document at /api/v1/openapi.json is in step with the routes."""
from __future__ import annotations

import re

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


def _routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((path, method.lower()))
    return found


def _documented(document) -> set[tuple[str, str]]:
    return {(path, method) for path, item in document["paths"].items() for method in item if method in HTTP_METHODS}


def test_every_api_route_is_documented_and_every_documented_path_exists(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    routes, documented = _routes(app), _documented(document)
    assert routes, "no /api/v1 routes registered"
    assert routes - documented == set(), f"routes missing from the OpenAPI document: {sorted(routes - documented)}"
    assert documented - routes == set(), f"documented paths with no route: {sorted(documented - routes)}"


def test_path_parameters_are_declared(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, item in document["paths"].items():
        declared = {p["name"] for p in item.get("parameters", []) if p.get("in") == "path"}
        assert set(re.findall(r"{(\w+)}", path)) == declared, path


def test_every_reference_resolves(client):
    document = client.get("/api/v1/openapi.json").get_json()
    refs = re.findall(r'"\$ref": "#/([^"]+)"', __import__("json").dumps(document))
    for ref in refs:
        node = document
        for part in ref.split("/"):
            assert part in node, ref
            node = node[part]


# --- the statuses a call really answers are documented ---------------------------------------------

def _contest_with_attempt(session, world, api, **settings):
    from tests.factories import make_contest, make_paper
    from tests.quiz.contests.conftest import T0

    contest = make_contest(session, make_paper(session, world.bank, questions=world.questions), now=T0, **settings)
    session.commit()
    api.login("zz0")
    attempt = api.post(f"/api/v1/contests/{contest.id}/attempts").get_json()
    return contest, attempt


def _documented_statuses(api, path: str, method: str) -> set[str]:
    return set(api.get("/api/v1/openapi.json").get_json()["paths"][path][method]["responses"])


def test_every_write_answers_an_oversized_body_413_as_documented(api, api_app, session, world):
    """A body over MAX_CONTENT_LENGTH is refused with a JSON 413 by every writing call, and the
    document lists it for each (the fuzzing never sends one, so it cannot notice a gap)."""
    contest, attempt = _contest_with_attempt(session, world, api)
    ids = {"contest_id": contest.id, "attempt_id": attempt["id"], "question_id": attempt["questions"][0]["id"]}
    api_app.config["MAX_CONTENT_LENGTH"] = 1000
    body = {"answer": "很长的答案" * 100, "seq": 1, "username": "zz0", "password": "x" * 1000}
    writes = [(path, method) for path, item in api.get("/api/v1/openapi.json").get_json()["paths"].items()
              for method in item if method in ("post", "put", "delete")]
    assert len(writes) == 6, writes  # sign in, sign out, start, save, submit, events
    for path, method in writes:
        response = getattr(api, method)(path.format(**ids), body) if method != "delete" else \
            api.client.delete(path, json=body, headers={"X-CSRFToken": api.token})
        assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large", (path, method)
        assert "请求内容过大" in response.get_json()["error"]["message"], (path, method)
        assert "413" in _documented_statuses(api, path, method), (path, method)


def test_every_call_that_commits_answers_a_failed_commit_503_as_documented(api, session, world, clock, monkeypatch):
    """Start, save, submit, events, and the reads that finalise (an attempt past its deadline, a
    closed contest's leaderboard) commit before answering; a commit the database refuses is a 503
    ("nothing was stored, retry"), never a 200 or a bare 500, and the document says so."""
    from datetime import timedelta

    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from tests.quiz.contests.conftest import T0

    contest, attempt = _contest_with_attempt(session, world, api, closes_at=T0 + timedelta(hours=1))
    real_commit = Session.commit

    def failing(self):  # the database refuses to commit a write (ending a read-only transaction still works)
        if self.info.get("write_transaction") is self.get_transaction():
            raise OperationalError("COMMIT", {}, Exception("disk I/O error"))
        return real_commit(self)

    def answered(path, method, call):
        monkeypatch.setattr(Session, "commit", failing)
        try:
            response = call()
        finally:
            monkeypatch.setattr(Session, "commit", real_commit)
        assert response.status_code == 503 and response.get_json()["error"]["code"] == "unavailable", (path, response.get_json())
        assert "503" in _documented_statuses(api, path, method), (path, method)

    url = f"/api/v1/attempts/{attempt['id']}"
    question = attempt["questions"][0]
    answer = {"single": "A", "multiple": ["A"], "true_false": True, "fill_blank": ["x"] * max(1, question.get("blanks", 1)),
              "short_answer": "x"}[question["type"]]  # the first question is whichever the random shuffle put first
    api.login("zz1")
    answered("/api/v1/contests/{contest_id}/attempts", "post", lambda: api.post(f"/api/v1/contests/{contest.id}/attempts"))
    api.login("zz0")
    answered("/api/v1/attempts/{attempt_id}/responses/{question_id}", "put",
             lambda: api.put(f"{url}/responses/{question['id']}", {"answer": answer, "seq": 1}))
    answered("/api/v1/attempts/{attempt_id}/events", "post", lambda: api.post(f"{url}/events", {"tab_switches": 1}))
    answered("/api/v1/attempts/{attempt_id}/submit", "post", lambda: api.post(f"{url}/submit"))
    clock.now = T0 + timedelta(minutes=40)  # past the 30-minute limit: reading the attempt finalises it
    answered("/api/v1/attempts/{attempt_id}", "get", lambda: api.get(url))
    clock.now = T0 + timedelta(hours=2)  # closed, the attempt still unfinalised: the leaderboard finalises it
    answered("/api/v1/contests/{contest_id}/leaderboard", "get", lambda: api.get(f"/api/v1/contests/{contest.id}/leaderboard"))
    assert api.get(url).get_json()["status"] == "expired"  # with the database back, the next read finalises it
