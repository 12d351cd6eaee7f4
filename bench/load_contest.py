"""Load benchmark: a provincial contest on gunicorn, against the bare stack, on each database.

Per database, in one run (see docs/benchmarks.md for the method and the numbers):

1. Set up outside the clock: a fresh database with the schema, a unit, a bank of 100 questions, a
   20-question paper by rules (千人千卷: 50 variants drawn at publish), a published contest open
   now, and ``BENCH_CADRES`` cadres bulk-inserted in the eligible unit (one password hash reused).
2. Two gunicorn servers on the same database, same settings: our app (``wsgi:app``; per save the
   session cookie, CSRF, the sign-in check, one SELECT of the attempt's state and the question,
   the validation and option mapping, and the upsert, in one write transaction committed once:
   docs/api.md "Cost of a save") and the bare endpoint (``bench.bare_app:app``: the same save as
   one upsert, no app logic).
3. On ours: login (every cadre ``POST /api/v1/session``, keeping cookie and CSRF token; a failed
   sign-in is counted and tried again, up to ``BENCH_LOGIN_TRIES``); the start storm (all cadres
   wait at one barrier, then all ``POST /api/v1/contests/<id>/attempts`` at once: every start
   must be answered).
4. Saturation, the ceiling comparison: no think time, ``BENCH_CONCURRENCY`` requests in flight,
   random saves; ours and bare alternate in ``BENCH_SATURATION_ROUNDS`` rounds that share
   ``BENCH_SATURATION_SECONDS`` per side, so a change in the machine's other load hits both alike.
5. Cadres on ours (responses cleared first): each cadre saves every one of its 20 answers in a
   random order with ``BENCH_THINK_MIN``–``BENCH_THINK_MAX`` s of think time before each; then the
   submit storm (everyone's time runs out together). ``BENCH_BARE_CADRES=1`` runs the cadre
   phase on the bare endpoint as well.
After every saving phase the lost-answer check: every acknowledged save must be in
``responses`` with a seq at least as high (and, at the same seq, the same answer).

``python -m bench.load_contest`` runs this alone and prints its section;
``BENCH_LOAD_DATABASES=sqlite`` (or ``postgresql``) picks one database. ``make bench`` includes it.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from bench import loadgen
from bench.servers import CpuMeter, Gunicorn, fresh_database


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


CORES = os.cpu_count() or 1
CADRES = _env_int("BENCH_CADRES", 1000)
WORKERS = _env_int("BENCH_WORKERS", 2 * CORES + 1)
CONCURRENCY = _env_int("BENCH_CONCURRENCY", 2 * WORKERS)  # requests in flight from the client at most
STORM_CONCURRENCY = _env_int("BENCH_STORM_CONCURRENCY", 0)  # 0: every cadre at once
THINK = (_env_float("BENCH_THINK_MIN", 0.5), _env_float("BENCH_THINK_MAX", 2.0))
SATURATION_SECONDS = _env_float("BENCH_SATURATION_SECONDS", 15)
SATURATION_MAX = _env_int("BENCH_SATURATION_MAX_REQUESTS", 200_000)
ROUNDS = max(1, _env_int("BENCH_SATURATION_ROUNDS", 3))  # ours and bare alternate, this many rounds each
BARE_CADRES = os.environ.get("BENCH_BARE_CADRES", "0") == "1"  # also run the cadre phase on the bare endpoint
LOGIN_TRIES = _env_int("BENCH_LOGIN_TRIES", 3)  # a person presses 登录 again after an error
# Cadres whose password hash is the app's own (scrypt, slow on purpose): their sign-ins give the
# login cost for the capacity plan. The others get a cheap PBKDF2 hash (1,000 rounds) that the
# same login code verifies in about a millisecond, so 1,000 sign-ins do not take minutes.
LOGIN_SAMPLE = _env_int("BENCH_LOGIN_SAMPLE", 100)
CHEAP_HASH_METHOD = "pbkdf2:sha256:1000"
PHASE_TIMEOUT = _env_float("BENCH_PHASE_TIMEOUT", 600)  # a phase still running then is cut, the rest counted as errors
REQUEST_TIMEOUT = _env_float("BENCH_REQUEST_TIMEOUT", 60)
SEED = _env_int("BENCH_SEED", 2026)
PASSWORD = "Kaoshi#2026"
QUESTIONS = 20
RULES = (("single", 8, 5.0), ("multiple", 4, 5.0), ("true_false", 4, 5.0), ("fill_blank", 2, 5.0), ("short_answer", 2, 5.0))
POOL_SIZE = 50


# --- setup (outside the measurement) ------------------------------------------------------------

def _drafts():
    from question_bank.drafts import QuestionDraft

    for i in range(40):
        yield QuestionDraft("single", f"基准单选第{i}题：党的组织工作必须坚持的原则是（ ）",
                            ["民主集中制", "个人决定", "少数服从个人", "一言堂"], "A", difficulty=1 + i % 5)
    for i in range(20):
        yield QuestionDraft("multiple", f"基准多选第{i}题：干部选拔任用坚持的原则有（ ）",
                            ["党管干部", "德才兼备、以德为先", "五湖四海、任人唯贤", "论资排辈"], ["A", "B", "C"], difficulty=1 + i % 5)
    for i in range(20):
        yield QuestionDraft("true_false", f"基准判断第{i}题：党支部委员会每届任期三年。", [], True, difficulty=1 + i % 5)
    for i in range(10):
        yield QuestionDraft("fill_blank", f"基准填空第{i}题：党的根本组织原则是（ ），党管干部原则是（ ）。", [],
                            [["民主集中制"], ["党管干部"]], difficulty=1 + i % 5)
    for i in range(10):
        yield QuestionDraft("short_answer", f"基准简答第{i}题：简述民主集中制的基本原则。", [],
                            {"reference": "个人服从组织，少数服从多数……", "keywords": [["个人服从组织"], ["少数服从多数"]]},
                            difficulty=1 + i % 5)


def prepare(engine, cadres: int) -> dict[str, Any]:
    """Schema, units, bank, paper by rules, published 千人千卷 contest and the cadres."""
    import quiz.models  # noqa: F401  (every table)
    from question_bank.db import Base, utcnow
    from question_bank.services import create_bank, create_question
    from quiz.accounts.models import User, UserRole
    from quiz.accounts.passwords import hash_password
    from quiz.accounts.units import add_unit
    from quiz.contests.services import RuleSpec, create_contest, create_paper, publish_contest

    started = time.perf_counter()
    Base.metadata.create_all(engine)
    now = utcnow()
    with Session(engine) as s, s.begin():
        province = add_unit(s, None, "河南省委组织部", None)
        county = add_unit(s, None, "基准县委组织部", province)
        bank = create_bank(s, None, name="基准题库", org_unit_id=province.id)
        for draft in _drafts():
            create_question(s, None, bank, draft)
        paper = create_paper(s, None, title="基准试卷（按规则抽题，千人千卷）", org_unit_id=province.id, mode="rules",
                             draw="per_attempt", pool_size=POOL_SIZE,
                             rules=[RuleSpec(bank_ids=[bank.id], count=n, points_each=p, type=t) for t, n, p in RULES])
        contest = create_contest(s, None, title="全省组织工作知识竞赛（基准）", paper=paper, opens_at=now - timedelta(hours=1),
                                 closes_at=now + timedelta(hours=3), time_limit_minutes=120, eligible_unit_ids=[county.id],
                                 release="immediately")
        publish_contest(s, None, contest, now=now, seed=SEED)
        contest_id, county_id = contest.id, county.id
    from werkzeug.security import generate_password_hash

    real_hash = hash_password(PASSWORD)  # one hash reused: hashing is slow on purpose
    cheap_hash = generate_password_hash(PASSWORD, CHEAP_HASH_METHOD)
    usernames = [f"bench{i:06d}" for i in range(cadres)]
    with engine.begin() as conn:
        conn.execute(insert(User.__table__), [
            {"username": u, "name": f"基准干部{i}", "org_unit_id": county_id, "position": "", "phone": "",
             "password_hash": real_hash if i < LOGIN_SAMPLE else cheap_hash, "must_change_password": False, "active": True,
             "created_at": now} for i, u in enumerate(usernames)])
        ids = conn.scalars(select(User.id).where(User.username.like("bench%"))).all()
        conn.execute(insert(UserRole.__table__), [{"user_id": i, "role": "cadre"} for i in ids])
    return {"contest_id": contest_id, "usernames": usernames, "setup_seconds": time.perf_counter() - started}


# --- checks -------------------------------------------------------------------------------------

def check_lost(engine, acks: list, contest_id: int, *, display: bool) -> dict[str, int]:
    """Acknowledged saves missing from ``responses`` afterwards.

    For each (attempt, question), the highest acknowledged seq must be stored (or a higher one);
    ``mismatched`` counts rows at that very seq holding another answer. ``display``: the row holds
    canonical option letters (our app) that are mapped back to what the cadre saw before comparing.
    """
    from question_bank.models import QuestionVersion
    from quiz.contests.attempts import _to_display
    from quiz.contests.models import Attempt, AttemptQuestion, Response

    latest: dict[tuple[int, int], tuple[int, Any]] = {}
    for attempt_id, question_id, seq, answer in acks:
        if seq > latest.get((attempt_id, question_id), (-1, None))[0]:
            latest[(attempt_id, question_id)] = (seq, answer)
    stmt = (select(Response.attempt_id, Response.question_id, Response.seq, Response.answer, AttemptQuestion.option_order,
                   QuestionVersion.type)
            .join(AttemptQuestion, (AttemptQuestion.attempt_id == Response.attempt_id) & (AttemptQuestion.question_id == Response.question_id))
            .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
            .join(Attempt, Attempt.id == Response.attempt_id)
            .where(Attempt.contest_id == contest_id))
    with engine.connect() as conn:
        stored = {(a, q): (seq, answer, order, qtype) for a, q, seq, answer, order, qtype in conn.execute(stmt)}
    lost = mismatched = 0
    for key, (seq, answer) in latest.items():
        row = stored.get(key)
        if row is None or row[0] < seq:
            lost += 1
        elif row[0] == seq:
            shown = _to_display(row[3], row[1], row[2]) if display else row[1]
            mismatched += shown != answer
    return {"acknowledged": len(acks), "answers_checked": len(latest), "lost": lost, "mismatched": mismatched}


def clear_responses(engine, contest_id: int) -> None:
    """Between phases (outside the clock): the next phase starts from an empty responses table."""
    from quiz.contests.models import Attempt, Response

    with engine.begin() as conn:
        conn.execute(delete(Response).where(Response.attempt_id.in_(select(Attempt.id).where(Attempt.contest_id == contest_id))))


def attempt_counts(engine, contest_id: int) -> dict[str, int]:
    from quiz.contests.models import Attempt

    with engine.connect() as conn:
        rows = conn.execute(select(Attempt.status, func.count(), func.count(Attempt.score), func.count(func.distinct(Attempt.user_id)))
                            .where(Attempt.contest_id == contest_id).group_by(Attempt.status)).all()
    out = {"attempts": sum(r[1] for r in rows), "cadres_with_attempt": sum(r[3] for r in rows)}
    for status, total, scored, _users in rows:
        out[status] = total
        out[f"{status}_scored"] = scored
    return out


# --- one database -------------------------------------------------------------------------------

def _measure(meter: CpuMeter, coroutine) -> Any:
    before = meter.snapshot()
    phase = asyncio.run(coroutine)
    used = CpuMeter.used(before, meter.snapshot())
    phase.extra.update(app_cpu=used["app"], db_cpu=used["db"])
    return phase


def _log(message: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", flush=True)


def run_database(label: str, url: str, log_dir: Path) -> dict[str, Any]:
    from question_bank.db import make_engine

    out: dict[str, Any] = {"label": label, "loadavg_before": os.getloadavg()}
    with fresh_database(url) as db_url:
        engine = make_engine(db_url)
        try:
            info = prepare(engine, CADRES)
            contest_id = info["contest_id"]
            out["setup_seconds"] = info["setup_seconds"]
            _log(f"{label}: {CADRES} cadres and the contest set up in {info['setup_seconds']:.1f}s")
            cadres = [loadgen.Cadre(u, PASSWORD) for u in info["usernames"]]

            with Gunicorn("wsgi:app", db_url, WORKERS, log_dir) as server, \
                    Gunicorn("bench.bare_app:app", db_url, WORKERS, log_dir) as bare:
                ours_meter, bare_meter = CpuMeter(server, engine), CpuMeter(bare, engine)
                client = loadgen.Client(server.port, REQUEST_TIMEOUT)
                bare_client = loadgen.Client(bare.port, REQUEST_TIMEOUT)

                sample, rest = cadres[:LOGIN_SAMPLE], cadres[LOGIN_SAMPLE:]
                login = _measure(ours_meter, loadgen.login_all(client, sample, CONCURRENCY, PHASE_TIMEOUT, tries=LOGIN_TRIES))
                _log(f"{label}: {login.extra['logged_in']} of {len(sample)} logged in (app's hash), "
                     f"{login.error_count} failed tries, {login.rate:.1f} logins/s")
                cheap = None
                if rest:
                    cheap = _measure(ours_meter, loadgen.login_all(client, rest, CONCURRENCY, PHASE_TIMEOUT, tries=LOGIN_TRIES,
                                                                   name="login, cheap hash"))
                    _log(f"{label}: {cheap.extra['logged_in']} of {len(rest)} logged in (cheap hash), "
                         f"{cheap.error_count} failed tries, {cheap.rate:.0f} logins/s")
                left = [c for c in cadres if not c.csrf]
                out["login_left"], out["login_catch_up"] = len(left), 0
                if left:  # outside the measurement: one at a time, so the rest of the run has every cadre
                    catch_up = asyncio.run(loadgen.login_all(client, left, 1, PHASE_TIMEOUT, tries=3))
                    out["login_catch_up"] = catch_up.extra["logged_in"]
                    _log(f"{label}: {catch_up.extra['logged_in']} of {len(left)} more signed in one at a time")
                storm = _measure(ours_meter, loadgen.start_storm(client, cadres, contest_id, STORM_CONCURRENCY or len(cadres),
                                                                 PHASE_TIMEOUT))
                storm.extra.update(attempt_counts(engine, contest_id))
                _log(f"{label}: start storm {storm.ok} answered, {storm.error_count} errors, "
                     f"p99 {storm.percentile(99) * 1000:.0f} ms")

                # The ceiling: both servers saturated in alternating rounds, so a change in the
                # machine's other load falls on both sides alike.
                ours_rounds, bare_rounds = [], []
                for number in range(ROUNDS):
                    for rounds, meter, target, display in ((ours_rounds, ours_meter, client, True),
                                                           (bare_rounds, bare_meter, bare_client, False)):
                        phase = _measure(meter, loadgen.saturate(target, cadres, concurrency=CONCURRENCY,
                                                                 seconds=SATURATION_SECONDS / ROUNDS,
                                                                 max_requests=SATURATION_MAX // ROUNDS, seed=SEED + number))
                        phase.extra.update(check_lost(engine, phase.acks, contest_id, display=display))
                        rounds.append(phase)
                sat, bare_sat = loadgen.merge("saturation", ours_rounds), loadgen.merge("saturation", bare_rounds)
                _log(f"{label}: saturation ours {sat.rate:.0f} saves/s, bare {bare_sat.rate:.0f} saves/s; "
                     f"errors {sat.error_count}/{bare_sat.error_count}, lost {sat.extra['lost']}/{bare_sat.extra['lost']}")

                clear_responses(engine, contest_id)
                saves = _measure(ours_meter, loadgen.cadres_answer(
                    client, cadres, concurrency=CONCURRENCY, think=THINK, deadline=PHASE_TIMEOUT, seed=SEED))
                saves.extra.update(check_lost(engine, saves.acks, contest_id, display=True))
                _log(f"{label}: ours cadres {saves.rate:.0f} saves/s, {saves.error_count} errors, {saves.extra['lost']} lost")
                submits = _measure(ours_meter, loadgen.submit_storm(client, cadres, STORM_CONCURRENCY or len(cadres),
                                                                    PHASE_TIMEOUT))
                submits.extra.update(attempt_counts(engine, contest_id))
                _log(f"{label}: submit storm {submits.ok} answered, {submits.error_count} errors, "
                     f"{submits.extra.get('submitted_scored', 0)} graded")

                bare_saves = None
                if BARE_CADRES:
                    clear_responses(engine, contest_id)
                    bare_saves = _measure(bare_meter, loadgen.cadres_answer(
                        bare_client, cadres, concurrency=CONCURRENCY, think=THINK, deadline=PHASE_TIMEOUT, seed=SEED))
                    bare_saves.extra.update(check_lost(engine, bare_saves.acks, contest_id, display=False))
                    _log(f"{label}: bare cadres {bare_saves.rate:.0f} saves/s, {bare_saves.error_count} errors, "
                         f"{bare_saves.extra['lost']} lost")
            ours_log, bare_log = server.errors_logged(), bare.errors_logged()
        finally:
            engine.dispose()
    out.update({
        "login": login.summary(), "login_cheap": cheap.summary() if cheap else None, "login_sample": len(sample),
        "storm": storm.summary(), "submit": submits.summary(), "contest_id": contest_id,
        "ours_saturation": sat.summary(), "ours_cadres": saves.summary(),
        "bare_saturation": bare_sat.summary(), "bare_cadres": bare_saves.summary() if bare_saves else None,
        "server_errors_logged": {"ours": ours_log, "bare": bare_log},
        "loadavg_after": os.getloadavg(),
    })
    return out


def run(databases: dict[str, str]) -> dict[str, Any]:
    """Run every database given (label → URL; for PostgreSQL a fresh database is made on that server)."""
    wanted = {w.strip().lower() for w in os.environ.get("BENCH_LOAD_DATABASES", "").split(",") if w.strip()}
    results = {"cadres": CADRES, "workers": WORKERS, "concurrency": CONCURRENCY, "think": THINK,
               "saturation_seconds": SATURATION_SECONDS, "rounds": ROUNDS, "cores": CORES,
               "login_sample": min(LOGIN_SAMPLE, CADRES), "databases": {}}

    def _stop(signum, _frame):  # a Ctrl-C or kill still takes the servers and databases down
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-load-logs-") as logs:
            logs = os.environ.get("BENCH_KEEP_LOGS") or logs  # a folder to keep the servers' logs in
            for label, url in databases.items():
                if wanted and label.lower() not in wanted:
                    continue
                started = time.perf_counter()
                results["databases"][label] = run_database(label, url, Path(logs))
                results["databases"][label]["wall_seconds"] = time.perf_counter() - started
    finally:
        signal.signal(signal.SIGTERM, previous)
    return results


def section(databases: dict[str, str]) -> str:
    """What ``make bench`` calls: run, then the markdown section (method, tables, capacity plan)."""
    from bench.load_report import markdown

    print(f"load benchmark: {CADRES} cadres, {WORKERS} workers, client limit {CONCURRENCY} …", flush=True)
    results = run(databases)
    Path(tempfile.gettempdir(), "bench-load-results.json").write_text(json.dumps(results, indent=1, default=str))
    return markdown(results)


def main() -> None:
    from bench.__main__ import PG_URL, _postgres_reachable

    databases = {"SQLite": "sqlite://"}
    if _postgres_reachable():
        databases["PostgreSQL"] = PG_URL
    print(section(databases))


if __name__ == "__main__":
    main()
    sys.exit(0)
