"""Report benchmark: unit roll-up and contest results over 100,000 attempts, and the xlsx export.

Per database, in one run:

1. Set up outside the clock: a province of 10 cities × 10 counties, a 20-question paper, a closed
   contest for the whole province, ``BENCH_REPORT_CADRES`` cadres (default 100,000) of whom the
   first half made two attempts each (``BENCH_REPORT_ATTEMPTS`` = 100,000 attempts, each with 20
   attempt questions and 20 responses: 2 million responses), the rest never started. Bulk core
   inserts (COPY on PostgreSQL).
2. Unit roll-up (provincial HR, the ten cities) and the contest results page (first page of 50,
   the status counts, the average, the histogram) through ``quiz.reports.services``, against
   hand-written SQL giving the same numbers; both are checked equal, then timed ``BENCH_REPEATS``
   times each, interleaved; the ratio is median(ours) / median(bare). Aim ≤ 1.5.
3. The xlsx export of the results (service rows → ``quiz.reports.exporting.write_xlsx``) of 25,000
   and 100,000 rows, each in a fresh process: seconds and growth of peak RSS. Flat memory means
   the 100,000-row peak is about the 25,000-row peak.

``python -m bench.reports`` runs this alone and prints its markdown section. The PostgreSQL
database is ``bench_reports`` on the server of ``BENCH_DATABASE_URL``, created and dropped here.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_DATABASE = "bench_reports"
ATTEMPTS = int(os.environ.get("BENCH_REPORT_ATTEMPTS", "100000"))
CADRES = int(os.environ.get("BENCH_REPORT_CADRES", str(ATTEMPTS)))
QUESTIONS = 20
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
EXPORT_SIZES = (25_000, 100_000)
CITIES, COUNTIES = 10, 10


def _log(message: str) -> None:
    print(f"[reports] {message}", file=sys.stderr, flush=True)


# --- databases ----------------------------------------------------------------------------------

class Database:
    """A fresh database for the run: a temp SQLite file, or ``bench_reports`` on the PostgreSQL server."""

    def __init__(self, label: str, url: str) -> None:
        self.label, self.base = label, url
        self.url = url
        self._folder = None

    def __enter__(self) -> str:
        parsed = make_url(self.base)
        if parsed.get_backend_name() == "sqlite":
            self._folder = tempfile.mkdtemp(prefix="bench-reports-")
            self.url = f"sqlite:///{self._folder}/reports.db"
            return self.url
        self._admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{PG_DATABASE}"')
        self.url = parsed.set(database=PG_DATABASE).render_as_string(hide_password=False)
        return self.url

    def __exit__(self, *exc) -> None:
        if self._folder is not None:
            import shutil

            shutil.rmtree(self._folder, ignore_errors=True)
            return
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        self._admin.dispose()


# --- data ---------------------------------------------------------------------------------------

def _bulk(conn, table, columns: list[str], rows) -> None:
    """Insert tuples fast: COPY on PostgreSQL, executemany in batches on SQLite."""
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f'COPY {table.name} ({", ".join(columns)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    sql = f'INSERT INTO {table.name} ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
    cursor = conn.connection.driver_connection.cursor()
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, 50_000)):
        cursor.executemany(sql, batch)


def prepare(url: str) -> dict[str, Any]:
    import quiz.models  # noqa: F401  (every table)
    from question_bank.db import Base, make_engine, utcnow
    from question_bank.drafts import QuestionDraft
    from question_bank.services import create_bank, create_question
    from quiz.accounts.models import User, UserRole
    from quiz.accounts.units import add_unit
    from quiz.contests.models import Attempt, AttemptQuestion, Response
    from quiz.contests.services import create_contest, create_paper, publish_contest

    started = time.perf_counter()
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    now = utcnow()
    with Session(engine) as s, s.begin():
        province = add_unit(s, None, "河南省委组织部", None)
        counties = []
        for c in range(CITIES):
            city = add_unit(s, None, f"第{c + 1}市委组织部", province)
            counties += [add_unit(s, None, f"第{c + 1}市第{k + 1}县委组织部", city).id for k in range(COUNTIES)]
        bank = create_bank(s, None, name="基准题库", org_unit_id=province.id)
        questions = [create_question(s, None, bank, QuestionDraft("true_false", f"基准判断第{i}题：党支部委员会每届任期三年。", [], True))
                     for i in range(QUESTIONS)]
        paper = create_paper(s, None, title="基准试卷", org_unit_id=province.id, mode="fixed", items=[(q.id, 5.0) for q in questions])
        contest = create_contest(s, None, title="全省组织工作知识竞赛（报表基准）", paper=paper, opens_at=now - timedelta(hours=3),
                                 closes_at=now + timedelta(hours=1), time_limit_minutes=60, pass_score=60)
        publish_contest(s, None, contest, now=now, seed=1)
        hr = User(username="bench_hr", name="省人事", org_unit_id=province.id, password_hash="x", must_change_password=False)
        hr.set_roles({"hr"})
        s.add(hr)
        s.flush()
        ids = {"contest_id": contest.id, "hr_id": hr.id, "province_id": province.id}
        pairs = [(q.id, q.current_version_id) for q in questions]
    rng = random.Random(7)
    first_user = 1_000_000
    with engine.begin() as conn:
        extra = ["session_token"] if "session_token" in User.__table__.c else []  # the column some versions have
        _bulk(conn, User.__table__, ["id", "username", "name", "org_unit_id", "position", "phone", "password_hash",
                                     "must_change_password", "active", "created_at", *extra],
              ((first_user + i, f"c{i:06d}", f"基准干部{i}", counties[i % len(counties)], "", "", "x", False, True, now,
                *(["t"] if extra else [])) for i in range(CADRES)))
        _bulk(conn, UserRole.__table__, ["user_id", "role"], ((first_user + i, "cadre") for i in range(CADRES)))
        attempts = []
        for a in range(ATTEMPTS):
            user, number = first_user + a // 2, 1 + a % 2
            score = float(5 * rng.randint(4, 20))
            used = rng.randint(300, 3600)
            begin = now - timedelta(hours=2, seconds=a % 3600)
            attempts.append((a + 1, "contest", ids["contest_id"], user, number, "submitted", a, 0, begin, begin + timedelta(hours=1),
                             begin + timedelta(seconds=used), "submit", score, 100.0, score >= 60, False, used, 0, 0, 0))
        _bulk(conn, Attempt.__table__, ["id", "kind", "contest_id", "user_id", "number", "status", "seed", "variant_number",
                                        "started_at", "deadline", "submitted_at", "finalised_by", "score", "max_score", "passed",
                                        "needs_marking", "time_used_seconds", "extra_seconds", "tab_switches", "pastes"], attempts)
        _bulk(conn, AttemptQuestion.__table__, ["attempt_id", "position", "question_id", "question_version_id", "points"],
              ((a + 1, p + 1, qid, vid, 5.0) for a in range(ATTEMPTS) for p, (qid, vid) in enumerate(pairs)))
        _bulk(conn, Response.__table__, ["attempt_id", "question_id", "answer", "seq", "saved_at", "points", "correct",
                                         "needs_marking", "override_note"],
              ((a + 1, qid, "true", 1, now, 5.0, True, False, "") for a in range(ATTEMPTS) for qid, _v in pairs))
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('attempts', 'id'), (SELECT max(id) FROM attempts))")
    if engine.dialect.name == "postgresql":  # as autovacuum would; the SQLite deployment never runs ANALYZE
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    ids["setup_seconds"] = time.perf_counter() - started
    return ids


# --- the bare SQL -------------------------------------------------------------------------------

BEST = """
WITH best AS (
  SELECT user_id, score, passed, time_used_seconds, submitted_at,
         row_number() OVER (PARTITION BY user_id ORDER BY score DESC, time_used_seconds, submitted_at, number) AS rn
  FROM attempts WHERE contest_id = :c AND kind = 'contest' AND status <> 'in_progress' AND score IS NOT NULL
)"""
# an eligible cadre: active, holding the cadre role, in a unit of the subtree
ELIGIBLE = "u.active AND ou.path >= :low AND ou.path < :high AND u.id IN (SELECT user_id FROM user_roles WHERE role = 'cadre')"

BARE_ELIGIBLE_BY_CITY = f"""
SELECT ou.parent_id, count(*) FROM users u JOIN org_units ou ON ou.id = u.org_unit_id WHERE {ELIGIBLE} GROUP BY ou.parent_id"""

BARE_COUNTED_BY_CITY = BEST + f"""
SELECT ou.parent_id, count(*), avg(b.score), sum(CASE WHEN b.passed THEN 1 ELSE 0 END)
FROM best b JOIN users u ON u.id = b.user_id JOIN org_units ou ON ou.id = u.org_unit_id
WHERE b.rn = 1 AND {ELIGIBLE} GROUP BY ou.parent_id"""

BARE_ELIGIBLE = f"SELECT count(*) FROM users u JOIN org_units ou ON ou.id = u.org_unit_id WHERE {ELIGIBLE}"

BARE_COUNTED = BEST + f"""
SELECT count(*), avg(b.score), sum(CASE WHEN b.passed THEN 1 ELSE 0 END)
FROM best b JOIN users u ON u.id = b.user_id JOIN org_units ou ON ou.id = u.org_unit_id WHERE b.rn = 1 AND {ELIGIBLE}"""

BARE_PAGE = BEST + f""",
ranked AS (SELECT user_id, score, rank() OVER (ORDER BY score DESC, time_used_seconds, submitted_at) AS rnk FROM best WHERE rn = 1)
SELECT u.name, r.score, r.rnk FROM ranked r JOIN users u ON u.id = r.user_id JOIN org_units ou ON ou.id = u.org_unit_id
WHERE {ELIGIBLE} ORDER BY r.rnk, ou.path, u.id LIMIT 50"""

BARE_HISTOGRAM = BEST + f"""
SELECT CAST(b.score AS INTEGER) / 10 AS band, count(*)
FROM best b JOIN users u ON u.id = b.user_id JOIN org_units ou ON ou.id = u.org_unit_id WHERE b.rn = 1 AND {ELIGIBLE} GROUP BY band"""


def bare_rollup(conn, ids, bounds) -> dict[int, tuple]:
    """Every cadre sits in a county, so a county's parent is the city the roll-up shows."""
    params = {"c": ids["contest_id"], **bounds}
    eligible = dict(conn.execute(text(BARE_ELIGIBLE_BY_CITY), params).all())
    counted = {r[0]: r[1:] for r in conn.execute(text(BARE_COUNTED_BY_CITY), params)}
    return {city: (n, counted[city][0], round(float(counted[city][1]), 2), int(counted[city][2])) for city, n in eligible.items()}


def bare_results(conn, ids, bounds) -> tuple:
    params = {"c": ids["contest_id"], **bounds}
    eligible = conn.execute(text(BARE_ELIGIBLE), params).scalar_one()
    submitted, average, passes = conn.execute(text(BARE_COUNTED), params).one()
    page = [(r[0], r[1], r[2]) for r in conn.execute(text(BARE_PAGE), params)]
    histogram: dict[int, int] = {}
    for band, count in conn.execute(text(BARE_HISTOGRAM), params):  # full marks (band 10) join the top band
        histogram[min(int(band), 9)] = histogram.get(min(int(band), 9), 0) + count
    return (eligible, submitted, round(float(average), 2), int(passes)), page, histogram


def ours_rollup(session, actor, contest, province) -> dict[int, tuple]:
    from quiz.reports.services import unit_rollup

    rollup = unit_rollup(session, actor, contest, province)
    return {r.unit.id: (r.eligible, r.participants, r.average_score, r.pass_count) for r in rollup.rows if r.unit is not None}


def ours_results(session, actor, contest) -> tuple:
    from quiz.reports.services import ResultQuery, contest_results

    page = contest_results(session, actor, contest, ResultQuery())
    c = page.counts
    rows = [(r.name, r.score, r.rank) for r in page.rows]
    return (c["eligible"], c["submitted"], page.average_score, page.pass_count), rows, \
        {i: b["count"] for i, b in enumerate(page.histogram) if b["count"]}


def _timed(fn) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def measure_queries(url: str, ids: dict) -> dict[str, Any]:
    from question_bank.db import make_engine
    from quiz.accounts.models import OrgUnit, User
    from quiz.contests.models import Contest

    engine = make_engine(url)
    out: dict[str, Any] = {}
    with Session(engine) as session, engine.connect() as conn:
        actor = session.get(User, ids["hr_id"])
        contest = session.get(Contest, ids["contest_id"])
        province = session.get(OrgUnit, ids["province_id"])
        low, high = province.subtree_range
        bounds = {"low": low, "high": high}
        # the same numbers first
        ours_r, bare_r = ours_rollup(session, actor, contest, province), bare_rollup(conn, ids, bounds)
        assert ours_r == bare_r, (ours_r, bare_r)
        (o_sum, o_page, o_hist), (b_sum, b_page, b_hist) = ours_results(session, actor, contest), bare_results(conn, ids, bounds)
        assert o_sum == b_sum, (o_sum, b_sum)
        assert o_page == b_page, (o_page[:3], b_page[:3])
        assert o_hist == b_hist, (o_hist, b_hist)
        out["eligible"], out["participants"] = o_sum[0], o_sum[1]
        for name, ours, bare in (
            ("rollup", lambda: ours_rollup(session, actor, contest, province), lambda: bare_rollup(conn, ids, bounds)),
            ("results", lambda: ours_results(session, actor, contest), lambda: bare_results(conn, ids, bounds)),
        ):
            times_o, times_b = [], []
            for _ in range(REPEATS):
                times_b.append(_timed(bare)[0])
                session.rollback()
                times_o.append(_timed(ours)[0])
                session.rollback()
            out[name] = {"ours": statistics.median(times_o), "bare": statistics.median(times_b)}
            out[name]["ratio"] = out[name]["ours"] / out[name]["bare"]
            _log(f"{name}: ours {out[name]['ours']:.3f}s bare {out[name]['bare']:.3f}s")
    engine.dispose()
    return out


# --- the export, in a child process -------------------------------------------------------------

def _export_child(url: str, hr_id: int, contest_id: int, rows: int) -> None:
    import openpyxl  # noqa: F401  imports are not the work being measured

    from question_bank.db import make_engine
    from quiz.accounts.models import User
    from quiz.contests.models import Contest
    from quiz.reports.exporting import write_xlsx
    from quiz.reports.services import ResultQuery, result_rows_for_export

    engine = make_engine(url)
    with Session(engine) as session:
        actor, contest = session.get(User, hr_id), session.get(Contest, contest_id)
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        source = itertools.islice(result_rows_for_export(session, actor, contest, ResultQuery()), rows)
        cells = ([r.rank, r.name, r.username, r.unit, r.status, r.score, r.max_score, r.passed, r.time_used_seconds,
                  r.submitted_at.isoformat(sep=" ") if r.submitted_at else ""] for r in source)
        with tempfile.TemporaryFile() as out:
            count = write_xlsx(out, "成绩", ["名次", "姓名", "账号", "单位", "状态", "得分", "满分", "及格", "用时", "交卷时间"], cells,
                               filters=[("竞赛", contest.title)])
            size = out.tell()
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": count, "seconds": seconds, "growth_kib": peak - base, "peak_kib": peak, "file_kib": size // 1024}))


def measure_export(url: str, ids: dict) -> dict[int, dict]:
    results = {}
    for rows in EXPORT_SIZES:
        if rows > CADRES:
            continue
        out = subprocess.run([sys.executable, "-m", "bench.reports", "--export-child", url, str(ids["hr_id"]),
                              str(ids["contest_id"]), str(rows)], check=True, capture_output=True, text=True)
        results[rows] = json.loads(out.stdout.strip().splitlines()[-1])
        assert results[rows]["rows"] == rows, results[rows]
        _log(f"export {rows}: {results[rows]}")
    return results


# --- run and report -----------------------------------------------------------------------------

def _postgres_reachable() -> bool:
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception as exc:
        _log(f"PostgreSQL not reachable at {PG_URL}: {exc}")
        return False


def run(databases: dict[str, str]) -> dict[str, Any]:
    results: dict[str, Any] = {"attempts": ATTEMPTS, "cadres": CADRES, "responses": ATTEMPTS * QUESTIONS, "databases": {}}
    for label, base in databases.items():
        with Database(label, base) as url:
            _log(f"{label}: inserting {ATTEMPTS:,} attempts and {ATTEMPTS * QUESTIONS:,} responses …")
            ids = prepare(url)
            _log(f"{label}: set up in {ids['setup_seconds']:.0f}s")
            figures = measure_queries(url, ids)
            figures["export"] = measure_export(url, ids)
            figures["setup_seconds"] = ids["setup_seconds"]
            results["databases"][label] = figures
    return results


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"## Reports: unit roll-up and contest results over {results['attempts']:,} attempts",
        "",
        f"{results['cadres']:,} cadres in 100 counties under 10 cities; the first half made two attempts each "
        f"({results['attempts']:,} attempts, {results['responses']:,} responses), the rest never started. "
        "*ours* is `quiz.reports.services` as the pages call it for a provincial HR user (roll-up of the ten cities; the "
        "results page: first 50 rows by rank, status counts, average, pass count, histogram); *bare* is hand-written SQL "
        "returning the same numbers (checked equal before timing), knowing what the report cannot: one contest, every "
        "cadre in a county, so a county's parent is its city. "
        f"Median of {REPEATS} runs each, interleaved. Aim: ratio ≤ 1.5.",
        "",
        "| database | report | bare SQL (s) | ours (s) | ratio |",
        "|---|---|---|---|---|",
    ]
    for label, r in results["databases"].items():
        for name, title in (("rollup", "unit roll-up"), ("results", "contest results page")):
            f = r[name]
            lines.append(f"| {label} | {title} | {f['bare']:.3f} | {f['ours']:.3f} | **{f['ratio']:.2f}** |")
    lines += [
        "",
        "### xlsx export of the contest results",
        "",
        "Service rows streamed into openpyxl's write-only workbook (a temporary file), each size in a fresh process; "
        "memory is the process's peak RSS and its growth during the export (0: the export never rose above what the "
        "process held after its imports). Flat memory: the larger export peaks where the smaller one does.",
        "",
        "| database | rows | seconds | rows/s | file (KiB) | peak RSS (MiB) | growth during export (MiB) |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, r in results["databases"].items():
        for rows, e in sorted(r["export"].items()):
            peak = f"{e['peak_kib'] / 1024:.0f}" if "peak_kib" in e else "—"
            lines.append(f"| {label} | {int(rows):,} | {e['seconds']:.1f} | {int(rows) / e['seconds']:,.0f} | {e['file_kib']:,} | "
                         f"{peak} | {e['growth_kib'] / 1024:.1f} |")
    return "\n".join(lines) + "\n"


def section(databases: dict[str, str]) -> str:
    print("report benchmark …", file=sys.stderr)
    return markdown(run(databases))


def main() -> None:
    databases = {"SQLite": "sqlite://"}
    wanted = os.environ.get("BENCH_REPORT_DATABASES", "sqlite,postgresql").split(",")
    if "postgresql" in wanted and _postgres_reachable():
        databases["PostgreSQL"] = PG_URL
    if "sqlite" not in wanted:
        databases.pop("SQLite")
    print(section(databases))


if __name__ == "__main__":
    if len(sys.argv) >= 6 and sys.argv[1] == "--export-child":
        _export_child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
