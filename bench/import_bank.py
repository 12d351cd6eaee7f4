"""Import benchmark: 10,000 questions from the Excel template.

Compares, in one run, our whole import (parse with the xlsx reader, plan with duplicate checks,
commit into a fresh database) against openpyxl's read-only load of the same file alone (the
parser's floor). Peak memory is measured in a separate child process for each side, so neither
run's allocations colour the other's.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_QUESTIONS = int(os.environ.get("BENCH_IMPORT_QUESTIONS", "10000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))


def build_file(path: Path, n: int = N_QUESTIONS) -> None:
    from question_bank.drafts import QuestionDraft
    from question_bank.formats import xlsx

    subjects = ["理论", "政策", "法律", "科技", "业务"]
    drafts = []
    for i in range(n):
        kind = i % 5
        common = dict(explanation=f"第{i}题的解析：依据有关规定。", difficulty=1 + i % 5, subject=subjects[i % 5], knowledge_points=[f"知识点{i % 20}"], source="《中国共产党章程》")
        if kind == 0:
            drafts.append(QuestionDraft("single", f"第{i}题：党的基层组织应当按期进行换届选举，下列说法正确的是（ ）", ["甲选项", "乙选项", "丙选项", "丁选项"], "B", **common))
        elif kind == 1:
            drafts.append(QuestionDraft("multiple", f"第{i}题：下列属于组织工作基本要求的有（ ）", ["甲", "乙", "丙", "丁"], ["A", "C", "D"], **common))
        elif kind == 2:
            drafts.append(QuestionDraft("true_false", f"第{i}题：预备党员的预备期为一年。", [], True, **common))
        elif kind == 3:
            drafts.append(QuestionDraft("fill_blank", f"第{i}题：党支部委员会每届任期（ ）年。", [], [["3", "三"]], **common))
        else:
            drafts.append(QuestionDraft("short_answer", f"第{i}题：简述民主集中制的基本原则。", [], {"reference": "个人服从组织……", "keywords": [["个人服从组织"], ["少数服从多数"]]}, **common))
    path.write_bytes(xlsx.write(drafts))


def openpyxl_only(path: Path) -> int:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    rows = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return rows


def prepare_database(database_url: str):
    """An empty schema with one unit and one bank; not part of the measured work."""
    from sqlalchemy.orm import Session

    import quiz.models  # noqa: F401  (all tables)
    from question_bank import services
    from question_bank.db import Base, make_engine
    from quiz.accounts.units import add_unit

    engine = make_engine(database_url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as s, s.begin():
        unit = add_unit(s, None, "基准测试单位", None)
        bank_id = services.create_bank(s, None, name="基准题库", org_unit_id=unit.id).id
    with engine.connect() as conn:  # open the pool's connection before the clock starts
        conn.exec_driver_sql("select 1")
    return engine, bank_id


def our_import(path: Path, engine, bank_id: int) -> int:
    from sqlalchemy.orm import Session

    from question_bank import formats
    from question_bank.importing import commit_import, plan_import
    from question_bank.models import Bank

    with Session(engine) as s, s.begin():
        bank = s.get(Bank, bank_id)
        result = formats.read(path.read_bytes(), path.name)
        plan = plan_import(s, bank, result)
        outcome = commit_import(s, None, bank, plan)
    return outcome.total


def _child(mode: str, path: str, database_url: str) -> None:
    """Run one side in a fresh process and print its peak RSS growth (KiB) and seconds."""
    import openpyxl  # noqa: F401  imports are not the work being measured

    from question_bank.formats import xlsx  # noqa: F401

    engine = bank_id = None
    if mode == "import":
        engine, bank_id = prepare_database(database_url)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    count = openpyxl_only(Path(path)) if mode == "openpyxl" else our_import(Path(path), engine, bank_id)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"count": count, "seconds": seconds, "peak_kib": peak, "growth_kib": peak - base}))


def _run_child(mode: str, path: Path, database_url: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.import_bank", "--child", mode, str(path), database_url],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(database_urls: dict[str, str]) -> dict:
    """Measure both sides REPEATS times each, interleaved, on every database given."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bank-10000.xlsx"
        build_file(path)
        results = {"questions": N_QUESTIONS, "file_kib": path.stat().st_size // 1024, "databases": {}}
        for label, url in database_urls.items():
            bare, ours = [], []
            for _ in range(REPEATS):
                bare.append(_run_child("openpyxl", path, url))
                ours.append(_run_child("import", path, url))
            assert all(r["count"] == N_QUESTIONS for r in ours), ours
            bare_s = statistics.median(r["seconds"] for r in bare)
            ours_s = statistics.median(r["seconds"] for r in ours)
            results["databases"][label] = {
                "openpyxl_seconds": bare_s,
                "import_seconds": ours_s,
                "ratio": ours_s / bare_s,
                "openpyxl_peak_mib": max(r["growth_kib"] for r in bare) / 1024,
                "import_peak_mib": max(r["growth_kib"] for r in ours) / 1024,
            }
        return results


def markdown(results: dict) -> str:
    lines = [
        "## Import: 10,000 questions from the Excel template",
        "",
        f"A generated template file of {results['questions']:,} questions (all five types, {results['file_kib']:,} KiB). "
        "*openpyxl* is `load_workbook(read_only=True)` iterating every row — the floor for any xlsx import. "
        "*ours* is the whole import: parse into drafts, plan (validation, duplicate checks), commit into an empty bank. "
        f"Median of {REPEATS} runs each, interleaved, each in a fresh process; memory is the growth of peak RSS in that process. Aim: ratio ≤ 2.",
        "",
        "| database | openpyxl alone (s) | our import (s) | ratio | openpyxl peak (MiB) | import peak (MiB) |",
        "|---|---|---|---|---|---|",
    ]
    for label, r in results["databases"].items():
        lines.append(
            f"| {label} | {r['openpyxl_seconds']:.2f} | {r['import_seconds']:.2f} | **{r['ratio']:.2f}** | {r['openpyxl_peak_mib']:.0f} | {r['import_peak_mib']:.0f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], sys.argv[4])
