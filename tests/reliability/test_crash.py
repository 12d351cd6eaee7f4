"""Crash test: kill -9 a gunicorn worker, then the whole server, in the middle of a stream of saves.

Invariant (DESIGN.md): a save is acknowledged only after it is committed, so every save that was
acknowledged (200) survives a worker crash and a crash of the whole server: after a restart the
database holds, for each question, the latest acknowledged seq or a later one that was sent (a
save in flight at the moment of the kill may have committed without its answer arriving), with
the answer sent under that seq.

Runs on SQLite (a file in WAL mode) and, with TEST_DATABASE_URL, on PostgreSQL in a database of
its own (``<name>_crash_<worker>``). gunicorn: 2 sync workers on a free 127.0.0.1 port.
"""
from __future__ import annotations

import threading
import time

import pytest
import requests
from sqlalchemy import select

from question_bank.db import make_engine
from quiz.contests.models import Response
from tests.reliability.conftest import ApiClient, build_contest, create_schema, scratch_database
from tests.reliability.gunicorn_server import Gunicorn

pytestmark = pytest.mark.slow

STREAM_SECONDS_MAX = 40  # a bound on the whole stream, whatever happens


@pytest.fixture
def crash_url(worker_id, tmp_path):
    urls = scratch_database("crash", worker_id, tmp_path)
    url = next(urls)
    create_schema(url)
    yield url
    next(urls, None)


class SaveStream(threading.Thread):
    """Saves answer after answer (seq 1, 2, ...; the question cycles) and records what was sent and
    what was acknowledged. Connection errors and 5xx are not acknowledgements: it carries on."""

    def __init__(self, client: ApiClient, attempt_id: int, question_ids: list[int]):
        super().__init__(daemon=True)
        self.client, self.attempt_id, self.question_ids = client, attempt_id, question_ids
        self.sent: dict[int, tuple[int, str]] = {}  # seq -> (question, answer)
        self.acked: dict[int, int] = {}  # question -> the highest acknowledged seq
        self.ack_count = 0
        self.failures = 0
        self.unexpected: list[str] = []
        self.stop = threading.Event()

    def run(self) -> None:
        seq, started = 0, time.monotonic()
        while not self.stop.is_set() and time.monotonic() - started < STREAM_SECONDS_MAX:
            seq += 1
            question = self.question_ids[seq % len(self.question_ids)]
            answer = f"第{seq}次作答：坚持组织体系建设，建设高素质干部队伍"
            self.sent[seq] = (question, answer)
            try:
                response = self.client.request("PUT", f"/api/v1/attempts/{self.attempt_id}/responses/{question}",
                                               json={"answer": answer, "seq": seq}, timeout=5)
            except requests.RequestException:
                self.failures += 1
                time.sleep(0.02)
                continue
            if response.status_code == 200 and response.json().get("stored") is True:
                self.acked[question] = max(self.acked.get(question, 0), seq)
                self.ack_count += 1
            elif response.status_code >= 500:
                self.failures += 1
            else:
                self.unexpected.append(f"{response.status_code} {response.text[:200]}")

    def wait_for(self, acks: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while self.ack_count < acks and time.monotonic() < deadline and self.is_alive():
            time.sleep(0.01)
        assert self.ack_count >= acks, f"only {self.ack_count} saves acknowledged; {self.failures} failures; {self.unexpected[:3]}"


def _stored(url: str, attempt_id: int) -> dict[int, tuple[int, str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Response.question_id, Response.seq, Response.answer).where(Response.attempt_id == attempt_id)).all()
        return {q: (seq, answer) for q, seq, answer in rows}
    finally:
        engine.dispose()


def test_every_acknowledged_save_survives_kill_9_of_a_worker_and_of_the_whole_server(crash_url, tmp_path):
    """Invariant: a save acknowledged is a save committed: nothing acknowledged is lost to kill -9."""
    world = build_contest(crash_url, questions=6)
    server = Gunicorn(crash_url, workers=2, log_path=tmp_path / "gunicorn.log")
    stream = None
    timings = {}
    try:
        t0 = time.monotonic()
        server.start()
        timings["start"] = time.monotonic() - t0
        client = ApiClient(server.base, world["usernames"][0])
        attempt = client.start(world["contest_id"])
        stream = SaveStream(client, attempt["id"], world["question_ids"])
        stream.start()

        stream.wait_for(40)
        killed = server.kill_worker()
        before_kill = stream.ack_count
        server.wait_workers(2, without=killed)  # gunicorn forks a new worker
        stream.wait_for(before_kill + 40)  # ... and the stream goes on through the survivor and the new one

        at_crash = stream.ack_count
        server.kill_all()  # master and workers, mid-stream
        stream.stop.set()
        stream.join(timeout=10)
        assert not stream.is_alive()
        assert not stream.unexpected, stream.unexpected[:5]
        acked = dict(stream.acked)
        assert sum(1 for _ in acked) == len(world["question_ids"]) and at_crash >= 80

        t1 = time.monotonic()
        server.start()  # the same database, the same SECRET_KEY: the cadre's session still works
        timings["restart"] = time.monotonic() - t1
        stored = _stored(crash_url, attempt["id"])
        for question, seq in acked.items():
            assert question in stored, f"acknowledged save of question {question} (seq {seq}) lost"
            stored_seq, stored_answer = stored[question]
            assert stored_seq >= seq, f"question {question}: acknowledged seq {seq}, stored {stored_seq}"
            assert stream.sent[stored_seq] == (question, stored_answer)

        resumed = client.request("GET", f"/api/v1/attempts/{attempt['id']}")
        assert resumed.status_code == 200, resumed.text
        shown = resumed.json()["responses"]
        for question, (seq, answer) in stored.items():
            assert shown[str(question)]["seq"] == seq and shown[str(question)]["value"] == answer
    finally:
        if stream is not None:
            stream.stop.set()
        server.stop()
    print(f"crash test: {stream.ack_count} saves acknowledged, {stream.failures} failed in flight; "
          f"start {timings.get('start', 0):.1f} s, restart {timings.get('restart', 0):.1f} s")
