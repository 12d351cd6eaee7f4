"""The load generator: simulated cadres on asyncio over plain HTTP/1.1 to 127.0.0.1.

No HTTP library: gunicorn's sync workers answer every request with ``Connection: close``, so a
request is one short TCP connection, and a hand-written client (``asyncio.open_connection``, one
request line, headers, a Content-Length body) is all that is needed and costs the machine far
less CPU than a general-purpose client would. Each cadre keeps its own cookies (Flask's signed
session) and CSRF token, like a browser.

Every acknowledged save is recorded (attempt, question, seq, answer) in ``Phase.acks`` for the
lost-answer check: after a phase, every acknowledged save must be in the database with a seq at
least as high (``bench.load_contest.check_lost``).

Bounded: every request has a timeout, every phase a deadline, every loop a count; only
127.0.0.1 is ever contacted.
"""
from __future__ import annotations

import asyncio
import json
import math
import random
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

HOST = "127.0.0.1"  # the only address this client talks to
OPTION_KEYS = "ABCDEFGH"


class RequestFailed(Exception):
    """A request that got no usable answer (timeout, refused, reset, malformed reply)."""


@dataclass
class Reply:
    status: int
    body: bytes
    cookies: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def error_code(self) -> str:
        try:
            code = str(self.json()["error"]["code"])
        except Exception:
            code = ""
        return f"{self.status} {code}" if code and code != str(self.status) else f"HTTP {self.status}"


class Client:
    """One server (port). ``request`` opens a connection, sends one request, reads the answer."""

    def __init__(self, port: int, timeout: float):
        self.port = port
        self.timeout = timeout

    async def request(self, method: str, path: str, *, body: Any = None, cookies: dict[str, str] | None = None,
                      headers: dict[str, str] | None = None) -> Reply:
        try:
            return await asyncio.wait_for(self._request(method, path, body, cookies or {}, headers or {}), self.timeout)
        except asyncio.TimeoutError:
            raise RequestFailed("timeout") from None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError) as exc:
            raise RequestFailed(type(exc).__name__) from None

    async def _request(self, method, path, body, cookies, headers) -> Reply:
        payload = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}", "Connection: close", "Accept: application/json",
                 f"Content-Length: {len(payload)}"]
        if body is not None:
            lines.append("Content-Type: application/json")
        if cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
        lines += [f"{k}: {v}" for k, v in headers.items()]
        reader, writer = await asyncio.open_connection(HOST, self.port)
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
            await writer.drain()
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            status_line, *header_lines = head.split("\r\n")
            status = int(status_line.split()[1])
            length, set_cookies = None, {}
            for line in header_lines:
                if ":" not in line:
                    continue
                name, value = line.split(":", 1)
                name, value = name.strip().lower(), value.strip()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding" and "chunked" in value.lower():
                    raise ValueError("chunked replies are not expected from these endpoints")
                elif name == "set-cookie":
                    pair = value.split(";", 1)[0]
                    key, _, val = pair.partition("=")
                    set_cookies[key.strip()] = val.strip()
            data = await reader.readexactly(length) if length is not None else await reader.read()
            return Reply(status, data, set_cookies)
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except OSError:
                pass


@dataclass
class Question:
    id: int
    type: str
    options: int
    blanks: int


@dataclass
class Cadre:
    username: str
    password: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str | None = None
    attempt_id: int | None = None
    questions: list[Question] = field(default_factory=list)
    seq: int = 0  # the client's counter for this attempt, as the page keeps it

    def absorb(self, reply: Reply) -> None:
        for key, value in reply.cookies.items():
            if value:
                self.cookies[key] = value
            else:  # an emptied cookie is a deletion
                self.cookies.pop(key, None)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


def answer_for(question: Question, rng: random.Random) -> Any:
    """A valid answer in the API's shapes, already in the form the server stores (sorted letters,
    strings as typed), so the lost-answer check can compare it with the row."""
    if question.type == "single":
        return OPTION_KEYS[rng.randrange(max(question.options, 1))]
    if question.type == "multiple":
        count = max(question.options, 2)
        return sorted(rng.sample(OPTION_KEYS[:count], rng.randint(1, count)))
    if question.type == "true_false":
        return rng.random() < 0.5
    if question.type == "fill_blank":
        return [rng.choice(["民主集中制", "党管干部", "三", "五年"]) for _ in range(max(question.blanks, 1))]
    return rng.choice(["坚持党管干部原则，德才兼备、以德为先。", "个人服从组织，少数服从多数，下级组织服从上级组织。"])


@dataclass
class Phase:
    """What one phase measured. Latency is from sending to the answer; ``waits`` is the time a
    request spent waiting for a client slot first (the concurrency limit), so ``latency + wait`` is
    what the simulated cadre experienced."""

    name: str
    ok: int = 0
    errors: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    acks: list[tuple[int, int, int, Any]] = field(default_factory=list)  # (attempt, question, seq, answer)
    started: float = 0.0
    ended: float = 0.0
    client_cpu: float = 0.0  # CPU seconds this process spent in the phase
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return max(self.ended - self.started, 1e-9)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def percentile(self, p: float, values: list[float] | None = None) -> float:
        data = sorted(self.latencies if values is None else values)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, max(0, math.ceil(p / 100 * len(data)) - 1))]  # nearest rank

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name, "ok": self.ok, "errors": self.error_count, "error_kinds": dict(self.errors),
            "seconds": round(self.seconds, 3), "rate": self.rate,
            "p50_ms": self.percentile(50) * 1000, "p99_ms": self.percentile(99) * 1000,
            "max_ms": (max(self.latencies) if self.latencies else float("nan")) * 1000,
            "wait_p99_ms": self.percentile(99, self.waits) * 1000 if self.waits else 0.0,
            "client_cpu": self.client_cpu, **self.extra,
        }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Runner:
    """Runs one phase's operations through a shared concurrency limit and records them."""

    def __init__(self, client: Client, phase: Phase, concurrency: int):
        self.client = client
        self.phase = phase
        self.slots = asyncio.Semaphore(concurrency)

    async def call(self, method: str, path: str, cadre: Cadre | None, body: Any = None, *, csrf: bool = True,
                   expect: tuple[int, ...] = (200,)) -> Reply | None:
        """One request; the reply if its status is expected, else None (and the error is counted)."""
        asked = time.perf_counter()
        async with self.slots:
            sent = time.perf_counter()
            headers = {"X-CSRFToken": cadre.csrf} if (csrf and cadre is not None and cadre.csrf) else {}
            try:
                reply = await self.client.request(method, path, body=body, cookies=cadre.cookies if cadre else None,
                                                  headers=headers)
            except RequestFailed as exc:
                self.phase.errors[str(exc)] += 1
                return None
            done = time.perf_counter()
        if cadre is not None:
            cadre.absorb(reply)
        if reply.status not in expect:
            self.phase.errors[reply.error_code()] += 1
            return None
        self.phase.ok += 1
        self.phase.latencies.append(done - sent)
        self.phase.waits.append(sent - asked)
        return reply


async def _bounded(phase: Phase, tasks: list, deadline_seconds: float) -> None:
    """Run the tasks; past the deadline cancel what is left and count each as an error."""
    phase.started = time.perf_counter()
    cpu = _cpu()
    jobs = [asyncio.ensure_future(t) for t in tasks]
    done, pending = await asyncio.wait(jobs, timeout=deadline_seconds)
    for job in pending:
        job.cancel()
    if pending:
        phase.errors["phase deadline"] += len(pending)
        await asyncio.gather(*pending, return_exceptions=True)
    for job in done:
        if job.exception() is not None:
            phase.errors[f"client {type(job.exception()).__name__}: {job.exception()}"] += 1
    phase.ended = time.perf_counter()
    phase.client_cpu = _cpu() - cpu


# --- the phases ---------------------------------------------------------------------------------

async def login_all(client: Client, cadres: list[Cadre], concurrency: int, deadline: float, tries: int = 5,
                    name: str = "login") -> Phase:
    """Every cadre signs in. A failed sign-in is counted as an error and tried again (a person
    presses 登录 again), up to ``tries`` times, after a short random pause; ``extra['logged_in']``
    says how many got in at last, ``extra['retried']`` how many needed more than one try."""
    phase = Phase(name)
    runner = Runner(client, phase, concurrency)
    phase.extra.update(logged_in=0, retried=0)

    async def one(cadre: Cadre, rng: random.Random):
        for attempt in range(tries):
            reply = await runner.call("POST", "/api/v1/session", cadre,
                                      {"username": cadre.username, "password": cadre.password}, csrf=False)
            if reply is not None:
                cadre.csrf = reply.json()["csrf_token"]
                phase.extra["logged_in"] += 1
                phase.extra["retried"] += attempt > 0
                return
            await asyncio.sleep(rng.uniform(0.5, 2.0))

    rng = random.Random(len(cadres))
    await _bounded(phase, [one(c, random.Random(rng.random())) for c in cadres], deadline)
    return phase


def merge(name: str, phases: list[Phase]) -> Phase:
    """Rounds of one kind as one phase: counts and CPU added, latencies pooled, time summed."""
    out = Phase(name)
    for phase in phases:
        out.ok += phase.ok
        out.errors.update(phase.errors)
        out.latencies += phase.latencies
        out.waits += phase.waits
        out.acks += phase.acks
        out.client_cpu += phase.client_cpu
        for key, value in phase.extra.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out.extra[key] = out.extra.get(key, 0) + value
    out.started, out.ended = 0.0, sum(p.seconds for p in phases)
    return out


async def storm(client: Client, cadres: list[Cadre], name: str, path_of, concurrency: int, deadline: float,
                on_reply=None) -> Phase:
    """Everyone at once: every request is created behind one barrier and all are released
    together (``concurrency`` = the number of cadres: no client-side queue). ``path_of(cadre)`` is
    the POST's path; ``on_reply(cadre, reply)`` takes each answer."""
    phase = Phase(name)
    runner = Runner(client, phase, concurrency)
    barrier = asyncio.Event()

    async def one(cadre: Cadre):
        await barrier.wait()
        reply = await runner.call("POST", path_of(cadre), cadre, expect=(200, 201))
        if reply is not None:
            phase.extra["created"] = phase.extra.get("created", 0) + (reply.status == 201)
            if on_reply is not None:
                on_reply(cadre, reply)

    async def release():
        await asyncio.sleep(0.2)  # every task is parked at the barrier by now
        phase.started = time.perf_counter()  # the clock starts when the barrier opens
        barrier.set()

    ready = [c for c in cadres if c.csrf]
    if len(ready) < len(cadres):
        phase.errors["not logged in"] += len(cadres) - len(ready)
    await _bounded(phase, [release(), *[one(c) for c in ready]], deadline)
    return phase


async def start_storm(client: Client, cadres: list[Cadre], contest_id: int, concurrency: int, deadline: float) -> Phase:
    """Everyone presses 开始 in the same moment."""
    def took(cadre: Cadre, reply: Reply):
        data = reply.json()
        cadre.attempt_id = data["id"]
        cadre.questions = [Question(q["id"], q["type"], len(q["options"]), q["blanks"]) for q in data["questions"]]

    return await storm(client, cadres, "start storm", lambda c: f"/api/v1/contests/{contest_id}/attempts", concurrency,
                       deadline, took)


async def submit_storm(client: Client, cadres: list[Cadre], concurrency: int, deadline: float) -> Phase:
    """Everyone's time runs out in the same moment (they started together): every page submits."""
    ready = [c for c in cadres if c.attempt_id]
    phase = await storm(client, ready, "submit storm", lambda c: f"/api/v1/attempts/{c.attempt_id}/submit", concurrency,
                        deadline)
    if len(ready) < len(cadres):
        phase.errors["no attempt"] += len(cadres) - len(ready)
    return phase


async def cadres_answer(client: Client, cadres: list[Cadre], *, concurrency: int, think: tuple[float, float],
                        deadline: float, seed: int) -> Phase:
    """Each cadre answers every question of its paper in a random order, thinking ``think``
    seconds (uniform) before each save."""
    phase = Phase("cadres")
    runner = Runner(client, phase, concurrency)

    async def one(cadre: Cadre, rng: random.Random):
        order = list(cadre.questions)
        rng.shuffle(order)
        for question in order:
            await asyncio.sleep(rng.uniform(*think))
            await save(runner, cadre, question, rng)

    master = random.Random(seed)
    ready = [c for c in cadres if c.attempt_id]
    if len(ready) < len(cadres):
        phase.errors["no attempt"] += len(cadres) - len(ready)
    await _bounded(phase, [one(c, random.Random(master.random())) for c in ready], deadline)
    return phase


async def save(runner: Runner, cadre: Cadre, question: Question, rng: random.Random) -> None:
    answer = answer_for(question, rng)
    seq = cadre.next_seq()
    reply = await runner.call("PUT", f"/api/v1/attempts/{cadre.attempt_id}/responses/{question.id}", cadre,
                              {"answer": answer, "seq": seq})
    if reply is not None:
        runner.phase.acks.append((cadre.attempt_id, question.id, seq, answer))


async def saturate(client: Client, cadres: list[Cadre], *, concurrency: int, seconds: float, max_requests: int,
                   seed: int) -> Phase:
    """No think time: ``concurrency`` loops each save a random answer of a random cadre's random
    question as fast as the server answers, for ``seconds`` (or ``max_requests`` in all). Two
    loops may hit the same question with crossing seqs: the server's seq rule keeps the higher."""
    phase = Phase("saturation")
    runner = Runner(client, phase, concurrency)
    ready = [c for c in cadres if c.attempt_id and c.questions]
    budget = [max_requests]

    async def loop(rng: random.Random, until: float):
        while budget[0] > 0 and time.perf_counter() < until:
            budget[0] -= 1
            cadre = rng.choice(ready)
            await save(runner, cadre, rng.choice(cadre.questions), rng)

    if not ready:
        phase.errors["no attempt"] += 1
        return phase
    master = random.Random(seed)
    until = time.perf_counter() + seconds
    await _bounded(phase, [loop(random.Random(master.random()), until) for _ in range(concurrency)], seconds + client.timeout + 5)
    return phase
