"""``quiz backup`` and ``quiz restore`` bring back every attempt, response and record (issue 8).

On SQLite (a file, through the online backup API) and on PostgreSQL (pg_dump -Fc / pg_restore
--clean, in a dedicated database) when TEST_DATABASE_URL is set.
"""
from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from sqlalchemy import delete, update
from sqlalchemy.orm import sessionmaker

from question_bank.db import make_engine, utcnow
from quiz import create_app
from quiz.audit.services import record
from quiz.contests import attempts as svc
from quiz.contests.models import Attempt, Response
from tests.factories import make_bank, make_contest, make_paper, make_province, make_question, make_user
from tests.reliability.conftest import create_schema, row_count, scratch_database, table_contents


@pytest.fixture
def scratch_url(worker_id, tmp_path):
    url_iter = scratch_database("backup", worker_id, tmp_path)
    url = next(url_iter)
    if not url.startswith("sqlite") and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not on PATH")
    create_schema(url)
    yield url
    next(url_iter, None)


def _build(url: str) -> None:
    """People, a bank, a contest; three attempts with responses: one submitted, one in progress,
    one expired; and an audit entry."""
    engine = make_engine(url)
    s = sessionmaker(bind=engine, expire_on_commit=False)()
    try:
        now = utcnow()
        units = make_province(s)
        organizer = make_user(s, "org", units["省"], ("organizer", "cadre"), phone="13800000001")
        cadres = [make_user(s, f"zz{i}", units["金水"], phone=f"1390000000{i}") for i in range(3)]
        bank = make_bank(s, units["省"], actor=organizer)
        types = ("single", "multiple", "true_false", "fill_blank", "short_answer")
        questions = [make_question(s, bank, t) for t in types]
        contest = make_contest(s, make_paper(s, bank, questions=questions), actor=organizer, now=now)
        answers = {"single": "A", "multiple": ["A", "B"], "true_false": True, "fill_blank": ["民主集中制", "党管干部"],
                   "short_answer": "坚持组织体系建设，建设高素质干部队伍"}
        for n, cadre in enumerate(cadres):
            attempt, _ = svc.start_attempt(s, cadre, contest, now=now)
            for i, (q, qtype) in enumerate(list(zip(questions, types))[: 3 + n]):
                svc.save_response(s, cadre, attempt, q.id, answers[qtype], seq=i + 1, now=now)
            if n == 0:
                svc.submit_attempt(s, cadre, attempt, now=now + timedelta(minutes=1))
            elif n == 2:
                svc.finalise_if_expired(s, attempt, now=now + timedelta(hours=5))
        record(s, organizer, "contest.publish", target=contest, org_unit_id=units["省"].id, summary=contest.title,
               before={"status": "draft"}, after={"status": "published"}, ip_address="127.0.0.1")
        s.commit()
    finally:
        s.close()
        engine.dispose()


def _alter(url: str) -> None:
    """What a bad day does: answers lost, a score changed, an attempt gone, a stray account."""
    engine = make_engine(url)
    s = sessionmaker(bind=engine)()
    try:
        s.execute(delete(Response).where(Response.attempt_id == s.query(Attempt.id).order_by(Attempt.id).limit(1).scalar_subquery()))
        s.execute(update(Attempt).values(score=0))
        last = s.query(Attempt).order_by(Attempt.id.desc()).first()
        s.execute(delete(Response).where(Response.attempt_id == last.id))
        s.delete(last)
        make_user(s, "intruder")
        s.commit()
    finally:
        s.close()
        engine.dispose()


def test_a_restore_brings_back_every_attempt_response_and_record(scratch_url, tmp_path):
    """Invariant: backup, damage, restore: every table's rows are as they were at the backup."""
    _build(scratch_url)
    engine = make_engine(scratch_url)
    before = table_contents(engine)
    assert len(before["attempts"]) == 3 and len(before["responses"]) == 12 and before["audit_log"]

    app = create_app({"DATABASE_URL": scratch_url, "INSTANCE_PATH": str(tmp_path / "instance")})
    runner = app.test_cli_runner()
    backup = tmp_path / "backups" / "quiz.backup"
    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert "答卷 3" in result.output and "作答 12" in result.output
    assert backup.is_file() and backup.stat().st_size > 0

    _alter(scratch_url)
    engine.dispose()
    damaged = table_contents(engine)
    assert damaged != before and len(damaged["attempts"]) == 2

    refused = runner.invoke(args=["restore", str(backup)], input="n\n")  # no --yes: asks, and "n" changes nothing
    assert refused.exit_code != 0
    engine.dispose()
    assert table_contents(engine) == damaged

    result = runner.invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    engine.dispose()
    assert table_contents(engine) == before
    assert row_count(engine, "users") == len(before["users"])
    engine.dispose()
    app.extensions["db_engine"].dispose()


def test_backup_refuses_to_overwrite_without_force(scratch_url, tmp_path):
    app = create_app({"DATABASE_URL": scratch_url, "INSTANCE_PATH": str(tmp_path / "instance")})
    runner = app.test_cli_runner()
    target = tmp_path / "quiz.backup"
    target.write_bytes(b"an older backup")
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 1 and "--force" in result.output
    assert target.read_bytes() == b"an older backup"
    result = runner.invoke(args=["backup", str(target), "--force"])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() != b"an older backup"
    app.extensions["db_engine"].dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(scratch_url, tmp_path):
    """A wrong file is refused before anything is replaced."""
    _build(scratch_url)
    engine = make_engine(scratch_url)
    before = table_contents(engine)
    engine.dispose()
    app = create_app({"DATABASE_URL": scratch_url, "INSTANCE_PATH": str(tmp_path / "instance")})
    bogus = tmp_path / "not-a-backup.db"
    bogus.write_bytes(b"PK\x03\x04 this is a spreadsheet, not a backup" * 100)
    result = app.test_cli_runner().invoke(args=["restore", str(bogus), "--yes"])
    assert result.exit_code == 1
    assert table_contents(engine) == before
    engine.dispose()
    app.extensions["db_engine"].dispose()
