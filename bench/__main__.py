"""`make bench`: run every benchmark on SQLite and (when reachable) PostgreSQL; write docs/benchmarks.md."""
from __future__ import annotations

import os
import platform
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import import_bank, load_contest
from bench import reports as reports_bench

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
OUT = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def _postgres_reachable() -> bool:
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception as exc:  # report, don't hide: the document says PostgreSQL was skipped and why
        print(f"PostgreSQL not reachable at {PG_URL}: {exc}")
        return False


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="bench-")
    databases = {"SQLite": f"sqlite:///{tmp}/bench.db"}
    if _postgres_reachable():
        databases["PostgreSQL"] = PG_URL
    sections = []
    print("import benchmark …")
    sections.append(import_bank.markdown(import_bank.run(databases)))
    sections.append(load_contest.section(databases))
    sections.append(reports_bench.section(databases))
    header = (
        "# Benchmarks\n\n"
        f"Written by `make bench` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        "Each benchmark compares our code with the bare stack doing the same work in the same run, as a ratio, "
        "so the numbers mean something on any machine.\n\n"
    )
    OUT.write_text(header + "\n".join(sections), encoding="utf-8")
    print(OUT.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
