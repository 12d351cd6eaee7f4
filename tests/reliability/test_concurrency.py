"""Concurrency over real HTTP: twenty submits of one attempt, and saves racing a submit.

Invariants (DESIGN.md): submission is idempotent, graded once; a save is acknowledged only after
it is committed, and a save racing the submit either lands before it (and is graded) or is
refused with a clear error; never acknowledged and then lost.

gunicorn runs 2 workers with 8 threads each, so up to 16 requests are inside the app at once (sync
workers would serialise them per worker). On SQLite (a file) and, with TEST_DATABASE_URL, on
PostgreSQL in a database of its own (``<name>_race_<worker>``).
"""
from __future__ import annotations

import threading
import time

import pytest
import requests
from sqlalchemy import func, select

from question_bank.db import make_engine
from quiz.contests.models import Attempt, Response
from tests.reliability.conftest import ApiClient, build_contest, create_schema, scratch_database
from tests.reliability.gunicorn_server import Gunicorn

pytestmark = pytest.mark.slow

ANSWER = "坚持组织体系建设，建设高素质干部队伍"


@pytest.fixture
def race_url(worker_id, tmp_path):
    urls = scratch_database("race", worker_id, tmp_path)
    url = next(urls)
    create_schema(url)
    yield url
    next(urls, None)


@pytest.fixture
def server(race_url, tmp_path):
    gunicorn = Gunicorn(race_url, workers=2, threads=8, log_path=tmp_path / "gunicorn.log")
    try:
        gunicorn.start()
        yield gunicorn
    finally:
        gunicorn.stop()


def _twin(client: ApiClient) -> requests.Session:
    """Another connection of the same signed-in browser (requests.Session is not shared across threads)."""
    http = requests.Session()
    http.cookies.update(client.http.cookies)
    return http


def _attempt_row(url: str, attempt_id: int):
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            attempt = conn.execute(select(Attempt).where(Attempt.id == attempt_id)).one()
            responses = conn.execute(select(Response.question_id, Response.seq, Response.answer, Response.points)
                                     .where(Response.attempt_id == attempt_id)).all()
            attempts_of_user = conn.execute(select(func.count()).select_from(Attempt).where(Attempt.user_id == attempt.user_id)).scalar()
        return attempt, responses, attempts_of_user
    finally:
        engine.dispose()


def test_twenty_concurrent_submits_over_http_grade_the_attempt_once(race_url, server):
    """Invariant: submission is idempotent: 20 simultaneous submits, one submission, one score."""
    world = build_contest(race_url, questions=4)
    client = ApiClient(server.base, world["usernames"][0])
    attempt = client.start(world["contest_id"])
    for seq, question in enumerate(world["question_ids"][:3], start=1):
        saved = client.request("PUT", f"/api/v1/attempts/{attempt['id']}/responses/{question}", json={"answer": ANSWER, "seq": seq})
        assert saved.status_code == 200, saved.text

    barrier = threading.Barrier(20)
    results, errors = [], []

    def submit():
        http = _twin(client)
        try:
            barrier.wait(timeout=30)
            response = http.post(f"{server.base}/api/v1/attempts/{attempt['id']}/submit", json={},
                                 headers={"X-CSRFToken": client.token}, timeout=30)
            results.append((response.status_code, response.json()))
        except Exception as exc:  # reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(results) == 20
    assert {status for status, _ in results} == {200}, results
    bodies = {tuple(sorted(body.items())) for _, body in results}
    assert len(bodies) == 1, bodies  # every caller got the one result
    body = results[0][1]
    assert body["status"] == "submitted" and body["score"] is not None

    row, responses, attempts_of_user = _attempt_row(race_url, attempt["id"])
    assert attempts_of_user == 1
    assert row.status == "submitted" and row.finalised_by == "submit"
    assert row.score == body["score"] and row.max_score == body["max_score"]
    assert len(responses) == 3 and all(points is not None for *_, points in responses)
    assert round(sum(points for *_, points in responses), 2) == row.score


def test_saves_racing_a_submit_land_before_it_and_are_graded_or_are_refused(race_url, server):
    """Invariant: a save racing the submit is graded (landed before) or refused with a clear error;
    never acknowledged and then lost or left out of the score."""
    world = build_contest(race_url, questions=6)
    client = ApiClient(server.base, world["usernames"][0])
    attempt = client.start(world["contest_id"])
    questions = world["question_ids"]
    acked: dict[int, int] = {}  # question -> highest acknowledged seq
    sent: dict[tuple[int, int], str] = {}
    refused, unexpected, lock = [], [], threading.Lock()
    ack_total = [0]
    stop_at = time.monotonic() + 30

    def stream(question: int):
        http = _twin(client)
        seq = 0
        while time.monotonic() < stop_at:
            seq += 1
            answer = f"{ANSWER}（第{seq}稿）"
            with lock:
                sent[(question, seq)] = answer
            try:
                response = http.put(f"{server.base}/api/v1/attempts/{attempt['id']}/responses/{question}",
                                    json={"answer": answer, "seq": seq}, headers={"X-CSRFToken": client.token}, timeout=30)
            except requests.RequestException as exc:
                with lock:
                    unexpected.append(repr(exc))
                return
            with lock:
                if response.status_code == 200:
                    acked[question] = max(acked.get(question, 0), seq)
                    ack_total[0] += 1
                elif response.status_code == 409:
                    refused.append(response.json()["error"])
                    return  # the attempt is submitted: this page stops saving
                else:
                    unexpected.append(f"{response.status_code} {response.text[:200]}")
                    return

    savers = [threading.Thread(target=stream, args=(q,)) for q in questions]
    for t in savers:
        t.start()
    deadline = time.monotonic() + 20
    while ack_total[0] < 30 and time.monotonic() < deadline:
        time.sleep(0.01)
    submitted = client.request("POST", f"/api/v1/attempts/{attempt['id']}/submit", json={}, timeout=30)
    for t in savers:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in savers)
    assert submitted.status_code == 200, submitted.text
    assert not unexpected, unexpected[:5]
    assert ack_total[0] >= 30
    assert len(refused) == len(questions), "every saver is eventually refused by the submitted attempt"
    for error in refused:
        assert error["code"] == "attempt_finished" and "已交卷" in error["message"]

    row, responses, _ = _attempt_row(race_url, attempt["id"])
    stored = {q: (seq, answer, points) for q, seq, answer, points in responses}
    for question, seq in acked.items():
        assert question in stored, f"acknowledged save of question {question} lost"
        stored_seq, stored_answer, points = stored[question]
        assert stored_seq >= seq and sent[(question, stored_seq)] == stored_answer
        assert points is not None, f"question {question}: saved after grading"
    assert row.status == "submitted"
    assert round(sum(points for *_, points in stored.values()), 2) == row.score == submitted.json()["score"]
