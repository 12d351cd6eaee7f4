"""The load benchmark's section of docs/benchmarks.md: method, tables, capacity plan.

Everything in the section is computed from the results of ``bench.load_contest.run``; the
capacity plan turns the measured server CPU per operation (read from /proc, so less sensitive
to the machine's other load than throughput is) into workers, hosts and a PostgreSQL size.
"""
from __future__ import annotations

import math
from typing import Any

# The provincial contest of issue 4.
PROVINCE = 100_000
EARLY_SHARE = 5  # a fifth …
EARLY_SECONDS = 5 * 60  # … arrives in the first five minutes
SAVES_PER_ATTEMPT = 20
CONTEST_SECONDS = 3600
TARGET_UTILISATION = 0.5  # plan to run the measured paths at half of each core
HOST_CORES = 8
PG_MAX_CONNECTIONS = 100  # PostgreSQL's default
PG_RESERVED = 10  # superuser, migrations, cron, monitoring


def _ms(value: float) -> str:
    return "–" if value != value else f"{value:,.0f}"  # NaN → dash


def _per(cpu_seconds: float, count: int) -> float:
    return cpu_seconds * 1000 / count if count else float("nan")


def _errors(phase: dict) -> str:
    if not phase["errors"]:
        return "0"
    kinds = ", ".join(f"{k} ×{v}" for k, v in sorted(phase["error_kinds"].items(), key=lambda kv: -kv[1]))
    return f"**{phase['errors']}** ({kinds})"


def _lost(phase: dict) -> str:
    lost, mismatched = phase.get("lost", 0), phase.get("mismatched", 0)
    text = f"**{lost}**" if lost else "0"
    return text + (f" (+{mismatched} other answer stored)" if mismatched else "")


def costs(db: dict) -> dict[str, float]:
    """Server CPU milliseconds per operation, app workers and database backends apart."""
    login, storm, sat, submit = db["login"], db["storm"], db["ours_saturation"], db["submit"]
    tries = login["ok"] + login["errors"]
    return {
        "login_app": _per(login["app_cpu"], tries), "login_db": _per(login["db_cpu"], tries),
        "start_app": _per(storm["app_cpu"], storm["ok"]), "start_db": _per(storm["db_cpu"], storm["ok"]),
        "save_app": _per(sat["app_cpu"], sat["ok"]), "save_db": _per(sat["db_cpu"], sat["ok"]),
        "submit_app": _per(submit["app_cpu"], submit["ok"]), "submit_db": _per(submit["db_cpu"], submit["ok"]),
        "bare_save_app": _per(db["bare_saturation"]["app_cpu"], db["bare_saturation"]["ok"]),
        "bare_save_db": _per(db["bare_saturation"]["db_cpu"], db["bare_saturation"]["ok"]),
    }


def markdown(results: dict[str, Any]) -> str:
    dbs = results["databases"]
    think = results["think"]
    n = results["cadres"]
    out = [
        f"## Load: a contest day with {n:,} simulated cadres",
        "",
        "`bench/load_contest.py` (`python -m bench.load_contest` runs it alone). Per database, in one run:",
        "",
        f"- **Servers**: `gunicorn -w {results['workers']} -b 127.0.0.1:<free port> wsgi:app` as README deploys it "
        f"(sync workers, {results['cores']} cores × 2 + 1), with `DATABASE_URL`, a fixed `SECRET_KEY` shared by all workers, "
        "and `QUIZ_ENV` unset: production marks cookies Secure, which are only sent over https, and the bench speaks plain "
        "http to 127.0.0.1; nothing else differs. Beside it, with the same settings on the same database, "
        "`gunicorn … bench.bare_app:app`: the **bare endpoint**, which answers the same "
        "`PUT /api/v1/attempts/<id>/responses/<question_id>` with the same single "
        "`INSERT … ON CONFLICT DO UPDATE … WHERE seq >= stored seq` and commits before answering, with no app logic "
        "(no session, user load, CSRF, attempt/question lookup, validation, option mapping or deadline guard); ours does "
        "all of that in one write transaction of four statements (the session row and user, the roles, the attempt with "
        "the question, the same upsert guarded by the attempt's state), committed once (docs/api.md \"Cost of a save\"). "
        "SQLite is a fresh WAL file; PostgreSQL a fresh database on the local server, dropped afterwards.",
        "- **Set-up, outside the clock**: a bank of 100 questions, a 20-question paper by rules "
        "(8 单选, 4 多选, 4 判断, 2 填空, 2 简答), 千人千卷 with 50 variants drawn at publish, a published contest open now, "
        f"and {n:,} cadres bulk-inserted in the eligible unit. The first {results.get('login_sample', 100):,} share one hash made by "
        "the app (scrypt, slow on purpose): their sign-ins price a login for the capacity plan; the rest share a cheap "
        "PBKDF2 hash (1,000 rounds) that the same login code checks in about a millisecond, so a thousand sign-ins do not "
        "take minutes of the run.",
        f"- **Client**: `bench/loadgen.py`, asyncio with a minimal HTTP/1.1 client (gunicorn's sync workers close every "
        f"connection, so one request is one connection), one cookie jar and CSRF token per cadre, at most "
        f"**{results['concurrency']} requests in flight** (the storms excepted), so the server, not the client's own queue, "
        "is measured. Every acknowledged save is recorded.",
        "- **Phases**, in this order: *login* (each cadre `POST /api/v1/session`; a failed sign-in is counted and tried again, "
        "as a person would, up to 3 times); *start storm* (every cadre waits at one barrier, then all press 开始 at once: "
        "no client limit); *saturation* (no think time: random saves as fast as the server answers; ours and bare "
        f"alternate in {results.get('rounds', 3)} rounds sharing {results['saturation_seconds']:.0f} s per side, so a change "
        "in the machine's other load hits both alike — **the ratio is taken here**); *cadres* (responses cleared, then "
        f"each cadre saves its 20 answers in a random order with {think[0]:g}–{think[1]:g} s of think time before each); "
        "*submit storm* (everyone's time runs out together: all submit at once).",
        "- **Lost answers**: after every saving phase, each acknowledged save must be in `responses` with its seq or a higher "
        "one (and, at the same seq, the same answer, mapped back through the attempt's option shuffle). "
        "Latency is from sending a request to its answer; *wait* is the time a cadre's request first queued for a "
        "client slot.",
        "- **Knobs** (environment; defaults in brackets): `BENCH_CADRES` [1000], `BENCH_WORKERS` [2 × cores + 1], "
        "`BENCH_CONCURRENCY` [2 × workers], `BENCH_THINK_MIN`/`BENCH_THINK_MAX` [0.5/2.0 s], `BENCH_SATURATION_SECONDS` [15 per side], "
        "`BENCH_SATURATION_ROUNDS` [3], `BENCH_LOGIN_SAMPLE` [100], `BENCH_LOGIN_TRIES` [3], `BENCH_BARE_CADRES=1` (the cadre phase "
        "on the bare endpoint too), `BENCH_PHASE_TIMEOUT` [600 s], `BENCH_REQUEST_TIMEOUT` [60 s], `BENCH_LOAD_DATABASES` "
        "[`sqlite,postgresql`], `BENCH_DATABASE_URL` (the PostgreSQL server; a `bench_load_*` database is created there and "
        "dropped). `python -m bench.load_contest` runs this section alone and prints it; "
        "the raw results go to `$TMPDIR/bench-load-results.json`.",
        "",
    ]
    load = {label: (db["loadavg_before"][0], db["loadavg_after"][0]) for label, db in dbs.items()}
    out.append("The machine was shared with other work while this ran (1-minute load average "
               + ", ".join(f"{label}: {a:.1f} before, {b:.1f} after" for label, (a, b) in load.items())
               + f", on {results['cores']} cores). Throughput and latency suffer from that; the CPU milliseconds per "
               "operation (read from /proc for the gunicorn processes and the PostgreSQL backends of the bench database) "
               "much less, which is why the capacity plan below is built on them.")
    out.append("")

    out += ["### Saves: ours against the bare endpoint", "",
            "| database | phase | server | saves | saves/s | p50 ms | p99 ms | wait p99 ms | errors | lost | server CPU ms/save |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, db in dbs.items():
        rows = [("saturation", "ours", db["ours_saturation"]), ("saturation", "bare", db["bare_saturation"]),
                (f"cadres, {n:,}", "ours", db["ours_cadres"])]
        if db.get("bare_cadres"):
            rows.append((f"cadres, {n:,}", "bare", db["bare_cadres"]))
        for phase_name, server, p in rows:
            cpu = _per(p["app_cpu"] + p["db_cpu"], p["ok"])
            out.append(f"| {label} | {phase_name} | {server} | {p['ok']:,} | {p['rate']:,.0f} | {_ms(p['p50_ms'])} | "
                       f"{_ms(p['p99_ms'])} | {_ms(p['wait_p99_ms'])} | {_errors(p)} | {_lost(p)} | {cpu:.1f} |")
    out += ["", "| database | ours saves/s | bare saves/s | **ratio** (aim ≥ 0.5) | CPU ratio (bare ms / ours ms per save) |",
            "|---|---|---|---|---|"]
    for label, db in dbs.items():
        ours, bare = db["ours_saturation"], db["bare_saturation"]
        ratio = ours["rate"] / bare["rate"] if bare["rate"] else float("nan")
        cpu_ours = _per(ours["app_cpu"] + ours["db_cpu"], ours["ok"])
        cpu_bare = _per(bare["app_cpu"] + bare["db_cpu"], bare["ok"])
        out.append(f"| {label} | {ours['rate']:,.0f} | {bare['rate']:,.0f} | **{ratio:.2f}** | {cpu_bare / cpu_ours:.2f} |")
    mean_think = (think[0] + think[1]) / 2
    served = max(db["ours_cadres"]["rate"] for db in dbs.values())
    out += ["", f"The cadre phase offers about {n:,} cadres ÷ {mean_think:g} s mean think time = {n / mean_think:,.0f} saves/s, "
            f"more than the server answered ({served:,.0f}/s at best), so it too runs at the server's capacity and the cadres "
            "queue for a client slot (the *wait* column); at that pace 1,000 simulated cadres send what about "
            f"{n * 40 / mean_think:,.0f} real cadres would at one answer every 40 s.", ""]

    out += ["### Sign-in, start storm, submit storm", "",
            "| database | phase | cadres | answered | errors | per second | p50 ms | p99 ms | max ms | app CPU ms each | DB CPU ms each |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for label, db in dbs.items():
        c = costs(db)
        rows = [("login, app's scrypt hash", db.get("login_sample", n), db["login"], c["login_app"], c["login_db"])]
        if db.get("login_cheap"):
            p = db["login_cheap"]
            tries = p["ok"] + p["errors"]
            rows.append(("login, cheap hash", n - db.get("login_sample", n), p, _per(p["app_cpu"], tries), _per(p["db_cpu"], tries)))
        rows += [("start storm", n, db["storm"], c["start_app"], c["start_db"]),
                 ("submit storm", n, db["submit"], c["submit_app"], c["submit_db"])]
        for name, count, p, app, dbc in rows:
            out.append(f"| {label} | {name} | {count:,} | {p['ok']:,} | {_errors(p)} | {p['rate']:,.1f} | {_ms(p['p50_ms'])} | "
                       f"{_ms(p['p99_ms'])} | {_ms(p['max_ms'])} | {app:.1f} | {dbc:.1f} |")
    out.append("")
    for label, db in dbs.items():
        storm, submit = db["storm"], db["submit"]
        every = "every start answered" if storm["ok"] == n and not storm["errors"] else f"**{n - storm['ok']:,} starts not answered**"
        if db.get("login_left"):
            out.append(f"- {label}: **{db['login_left']:,} cadres could not sign in** after {3} tries; "
                       f"{db['login_catch_up']:,} of them were then signed in one at a time, outside the measurement, so the "
                       "phases after it ran with every cadre.")
        out.append(f"- {label}: {every}; {storm.get('attempts', 0):,} attempts in the database for "
                   f"{storm.get('cadres_with_attempt', 0):,} cadres after the storm; after the submit storm "
                   f"{submit.get('submitted_scored', 0):,} attempts submitted and graded.")
        logged = db["server_errors_logged"]["ours"]
        if logged:
            top = sorted(logged.items(), key=lambda kv: -kv[1])[:3]
            out.append("  The app's log: " + "; ".join(f"`{k}` ×{v}" for k, v in top) + ".")
            if any("UPDATE users SET last_login_at" in k for k in logged):
                out.append("  Sign-in reads the user, checks the password, then writes `last_login_at` in the same transaction: "
                           "on SQLite a read transaction upgraded to a write fails at once (busy_timeout does not apply) when "
                           "another sign-in committed in between — the DESIGN.md lesson about `BEGIN IMMEDIATE`. "
                           "PostgreSQL is not affected.")
    out.append("")

    out += ["### The client's cost", "",
            "| database | phase | requests | client CPU s | client CPU ms/request | share of the machine |", "|---|---|---|---|---|---|"]
    for label, db in dbs.items():
        for name in ("ours_saturation", "bare_saturation", "ours_cadres"):
            p = db[name]
            requests = p["ok"] + p["errors"]
            share = p["client_cpu"] / (p["seconds"] * results["cores"]) if p["seconds"] else float("nan")
            out.append(f"| {label} | {name.replace('_', ' ')} | {requests:,} | {p['client_cpu']:.1f} | "
                       f"{_per(p['client_cpu'], requests):.2f} | {share:.0%} |")
    out.append("")
    out += capacity_plan(results)
    return "\n".join(out) + "\n"


def capacity_plan(results: dict[str, Any]) -> list[str]:
    dbs = results["databases"]
    label = "PostgreSQL" if "PostgreSQL" in dbs else next(iter(dbs))
    db = dbs[label]
    c = costs(db)
    early = PROVINCE // EARLY_SHARE
    starts = early / EARLY_SECONDS
    saves = SAVES_PER_ATTEMPT * starts
    average_saves = PROVINCE * SAVES_PER_ATTEMPT / CONTEST_SECONDS
    load = [("sign-in", starts, c["login_app"], c["login_db"]), ("start", starts, c["start_app"], c["start_db"]),
            ("save", saves, c["save_app"], c["save_db"]), ("submit", starts, c["submit_app"], c["submit_db"])]
    app_cores = sum(rate * app for _n, rate, app, _d in load) / 1000
    db_cores = sum(rate * dbc for _n, rate, _a, dbc in load) / 1000
    app_plan = app_cores / TARGET_UTILISATION
    db_plan = db_cores / TARGET_UTILISATION
    hosts = math.ceil(app_plan / HOST_CORES) + 1
    workers_per_host = 2 * HOST_CORES + 1
    connections = hosts * workers_per_host
    pg_cores = max(4, 2 ** math.ceil(math.log2(max(db_plan, 1))))
    out = [
        "### Capacity plan: a 100,000-cadre provincial contest", "",
        "Rates at the peak (the arithmetic of issue 4):",
        "",
        f"- starts: {PROVINCE:,} cadres ÷ {EARLY_SHARE} = {early:,} in the first {EARLY_SECONDS // 60} minutes → "
        f"{early:,} ÷ {EARLY_SECONDS} s = **{starts:.1f} starts/s**; each cadre signs in just before, so as many **sign-ins/s**.",
        f"- saves: while cadres keep arriving at λ = {starts:.1f}/s and each attempt makes {SAVES_PER_ATTEMPT} saves, the save "
        f"rate settles at {SAVES_PER_ATTEMPT} × λ (Little's law: how fast each cadre answers only changes how long it takes "
        f"to get there) = {SAVES_PER_ATTEMPT} × {starts:.1f} = **{saves:,.0f} saves/s** at the peak. Over the whole hour the "
        f"average is only {PROVINCE:,} × {SAVES_PER_ATTEMPT} ÷ {CONTEST_SECONDS:,} s = {average_saves:,.0f} saves/s.",
        f"- submits: the early fifth started together, so their time limits end together: **{starts:.1f} submits/s** "
        "(each graded), counted on top of the rest as if it overlapped the peak.",
        "",
        f"Measured server CPU per operation ({label}, from the run above), times the rate:",
        "",
        "| operation | rate /s | app CPU ms each | app cores | DB CPU ms each | DB cores |",
        "|---|---|---|---|---|---|",
    ]
    for name, rate, app, dbc in load:
        out.append(f"| {name} | {rate:,.1f} | {app:.1f} | {rate * app / 1000:.2f} | {dbc:.2f} | {rate * dbc / 1000:.2f} |")
    out.append(f"| **total** | | | **{app_cores:.1f}** | | **{db_cores:.1f}** |")
    per_core_saves = 1000 / c["save_app"] if c["save_app"] else float("nan")
    out += [
        "",
        f"Per app core that is about {per_core_saves:,.0f} saves/s, {1000 / c['start_app']:,.0f} starts/s or "
        f"{1000 / c['login_app']:,.1f} sign-ins/s. The sign-in's scrypt password check ({c['login_app']:.0f} ms, slow on "
        f"purpose) takes {starts * c['login_app'] / 1000:.1f} of the {app_cores:.1f} app cores at the peak; "
        f"the saves {saves * c['save_app'] / 1000:.1f}.",
        "",
        f"- **App servers**: {app_cores:.1f} cores of measured work ÷ {TARGET_UTILISATION:.0%} target utilisation "
        f"(room for what this bench does not drive: page loads and resumes, the offline queue's retries, uneven balancing) "
        f"= **{app_plan:.1f} cores** → **{hosts} hosts of {HOST_CORES} cores** (⌈{app_plan:.1f} ÷ {HOST_CORES}⌉ + 1 spare), each "
        f"`gunicorn -w {workers_per_host}` (2 × {HOST_CORES} + 1 sync workers), behind the load balancer, one `SECRET_KEY`, "
        "`REDIS_URL` set so login throttling is shared, static files from nginx.",
        f"- **PostgreSQL**: {db_cores:.1f} cores of measured backend work ÷ {TARGET_UTILISATION:.0%} = {db_plan:.1f} → "
        f"**{pg_cores} cores**, 32 GB RAM (the contest's rows — {PROVINCE:,} attempts, "
        f"{PROVINCE * SAVES_PER_ATTEMPT:,} attempt questions and as many responses — are a few GB with indexes and stay in "
        "memory; `shared_buffers` ≈ 8 GB), SSD/NVMe for the WAL: every acknowledged save is a commit, "
        f"{saves:,.0f} commits/s at the peak, which group commit absorbs on a local SSD (keep `synchronous_commit = on`: an "
        "acknowledged answer must survive a crash).",
        f"- **Connections**: a sync worker handles one request at a time and so holds at most one pooled connection "
        f"(SQLAlchemy's pool per worker process opens connections lazily), so {hosts} hosts × {workers_per_host} workers = "
        f"**{connections} connections** at most. "
        + (f"That fits PostgreSQL's default `max_connections = {PG_MAX_CONNECTIONS}` with {PG_RESERVED} kept for "
           "administration, cron (`quiz close-expired`) and monitoring."
           if connections <= PG_MAX_CONNECTIONS - PG_RESERVED else
           f"That is more than PostgreSQL's default `max_connections = {PG_MAX_CONNECTIONS}` less {PG_RESERVED} for "
           f"administration, cron and monitoring: put **PgBouncer** (transaction pooling, `default_pool_size` ≈ 2–3 × "
           f"{pg_cores} cores) between the workers and PostgreSQL, or raise `max_connections` to ≥ {connections + PG_RESERVED} "
           "(each connection costs a backend process and memory, so pooling is the better choice). With PgBouncer in "
           "transaction mode keep psycopg's prepared statements compatible (PgBouncer ≥ 1.21 with `max_prepared_statements`, "
           "or `prepare_threshold=None`)."),
        f"- **SQLite** is one machine's database: one writer at a time. On this shared 2-core machine our saves peaked at "
        f"{dbs['SQLite']['ours_saturation']['rate']:,.0f}/s; with the contest's shape (λ starts/s make 20 λ saves/s, and "
        f"λ = cadres ÷ {EARLY_SHARE} ÷ {EARLY_SECONDS} s) that carries a contest of about "
        f"{dbs['SQLite']['ours_saturation']['rate']:,.0f} ÷ {SAVES_PER_ATTEMPT} × {EARLY_SHARE} × {EARLY_SECONDS} × "
        f"{TARGET_UTILISATION:.0%} ≈ **{dbs['SQLite']['ours_saturation']['rate'] / SAVES_PER_ATTEMPT * EARLY_SHARE * EARLY_SECONDS * TARGET_UTILISATION:,.0f} cadres** "
        "at half load — a county or a city, not a province."
        if "SQLite" in dbs else "",
        "",
    ]
    return out
