"""``quiz import-bank`` and ``quiz export-bank``: the bank's files from the command line.

import-bank parses the file first (outside any transaction), then in one write transaction
finds or creates the bank, plans the import and commits it. Any problem in the file prints
each one with its row or line, writes nothing and exits 1; ``--dry-run`` runs the whole
import and rolls it back, so the counts it prints are exactly what a real run would write.
"""
from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from question_bank.answers import TYPE_LABELS
from question_bank.db import begin_write
from question_bank.drafts import QUESTION_TYPES
from question_bank.messages import BankError

IMPORT_FORMATS = ("auto", "xlsx", "docx", "txt", "gift", "xml", "moodle_xml", "aiken", "csv", "yfexam", "json")
EXPORT_CHOICES = ("xlsx", "gift", "xml")


class CommandFailed(Exception):
    pass


def _fail(message: str) -> None:
    raise CommandFailed(message)


def _counts_text(counts: dict[str, int]) -> str:
    return "，".join(f"{TYPE_LABELS[t]} {counts.get(t, 0)}" for t in QUESTION_TYPES)


def _actor(session: Session, username: str | None):
    from quiz.accounts.services import find_by_username

    if not username:
        return None
    actor = find_by_username(session, username)
    if actor is None or not actor.active:
        _fail(f"找不到启用的账号“{username}”")
    return actor


def _owner_unit(session: Session, actor, unit_path: str | None):
    """--unit, else the --as user's unit, else the root of the unit tree."""
    from quiz.accounts.models import OrgUnit
    from quiz.accounts.units import resolve_unit_path

    if unit_path:
        return resolve_unit_path(session, unit_path)
    if actor is not None:
        return actor.org_unit
    root = session.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id).limit(1))
    if root is None:
        _fail("还没有任何单位：请先运行 quiz create-user --create-unit 或 quiz seed-demo")
    return root


def _find_bank_for_export(session: Session, actor, name: str, unit_path: str | None):
    from quiz.accounts.units import unit_path_names
    from question_bank.models import Bank
    from question_bank.services import find_bank, visible_banks_stmt

    if unit_path:
        unit = _owner_unit(session, actor, unit_path)
        bank = find_bank(session, unit.id, name)
        found = [bank] if bank is not None else []
    else:
        stmt = visible_banks_stmt(actor, include_archived=True, manage_only=actor is not None)
        found = list(session.scalars(stmt.where(Bank.name == name.strip())))
    if not found:
        _fail(f"找不到题库“{name}”")
    if len(found) > 1:
        from quiz.accounts.models import OrgUnit

        units = [unit_path_names(session.get(OrgUnit, b.org_unit_id)) for b in found]
        _fail(f"有 {len(found)} 个名为“{name}”的题库，请用 --unit 指明所属单位：" + "；".join(units))
    return found[0]


def _audit(session: Session, actor):
    from quiz.audit.services import record

    return partial(record, session, actor)


def register(app: Flask) -> None:
    @app.cli.command("import-bank")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--bank", "bank_name", required=True, help="题库名称（不存在则新建）")
    @click.option("--format", "format_name", type=click.Choice(IMPORT_FORMATS), default="auto", show_default=True,
                  help="文件格式；auto 按内容识别（xml 即 Moodle XML）")
    @click.option("--dry-run", is_flag=True, help="只检查并显示结果，不写入")
    @click.option("--duplicates", type=click.Choice(["skip", "new-version"]), default="skip", show_default=True,
                  help="与题库中或文件中已有题干相同的题目：跳过，或作为该题的新版本")
    @click.option("--as", "actor_name", help="以该账号导入（按其权限；新建的题库属于其单位）")
    @click.option("--unit", "unit_path", help="题库所属单位路径，如 河南省委组织部/郑州市委组织部")
    @with_appcontext
    def import_bank_command(path, bank_name, format_name, dry_run, duplicates, actor_name, unit_path):
        """Import a question file into a bank, all questions or none."""
        try:
            code = _import(path, bank_name, format_name, dry_run, duplicates.replace("-", "_"), actor_name, unit_path)
        except CommandFailed as exc:
            click.echo(str(exc), err=True)
            code = 1
        sys.exit(code)

    @app.cli.command("export-bank")
    @click.option("--bank", "bank_name", required=True, help="题库名称")
    @click.option("--format", "format_name", type=click.Choice(EXPORT_CHOICES), required=True, help="xlsx、gift 或 xml（Moodle XML）")
    @click.option("--as", "actor_name", help="以该账号导出（只能导出其管理的题库）")
    @click.option("--unit", "unit_path", help="题库所属单位路径（同名题库不止一个时）")
    @click.option("--include-retired", is_flag=True, help="也导出已停用的题目")
    @click.argument("path", type=click.Path(dir_okay=False))
    @with_appcontext
    def export_bank_command(bank_name, format_name, actor_name, unit_path, include_retired, path):
        """Export a bank's current questions as an Excel template, GIFT or Moodle XML file."""
        try:
            _export(bank_name, format_name, actor_name, unit_path, include_retired, path)
        except CommandFailed as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)


def _import(path: str, bank_name: str, format_name: str, dry_run: bool, policy: str,
            actor_name: str | None, unit_path: str | None) -> int:
    from question_bank.importing import commit_import, plan_import, read_for_import
    from question_bank.services import create_bank, find_bank
    from quiz.db import new_session

    data = Path(path).read_bytes()
    result = read_for_import(data, Path(path).name, format_name)  # parse before taking the write lock
    with new_session() as s, s.begin():
        begin_write(s)
        try:
            actor = _actor(s, actor_name)
            unit = _owner_unit(s, actor, unit_path)
            audit = _audit(s, actor)
            bank = find_bank(s, unit.id, bank_name)
            created = bank is None
            if bank is None:
                bank = create_bank(s, actor, name=bank_name, org_unit_id=unit.id, audit=audit)
            plan = plan_import(s, bank, result)
            if not plan.ok:
                for problem in plan.problems:
                    click.echo(str(problem), err=True)
                s.rollback()
                click.echo(f"文件中有 {len(plan.problems)} 处问题，未导入任何题目。", err=True)
                return 1
            outcome = commit_import(s, actor, bank, plan, policy, audit=audit)
            unresolved = list(plan.unresolved_sources)
        except BankError as exc:
            s.rollback()
            _fail(str(exc))
        if dry_run:
            s.rollback()
    where = "（新建）" if created else ""
    lead = "检查通过，未写入：将导入" if dry_run else "导入完成："
    click.echo(f"{lead}题库“{bank_name}”{where}共 {outcome.total} 题（{_counts_text(outcome.counts)}）。")
    if outcome.new_versions:
        click.echo(f"其中 {outcome.new_versions} 题与已有题干相同，作为新版本加入。")
    if outcome.skipped:
        click.echo(f"跳过 {len(outcome.skipped)} 项：")
        for item in outcome.skipped:
            click.echo(f"  {item}")
    if unresolved:
        click.echo(f"以下 {len(unresolved)} 处出处未能对应到已载入学习资料的条款（题目已照常导入）：")
        for item in unresolved:
            click.echo(f"  {item}")
    return 0


def _export(bank_name: str, format_name: str, actor_name: str | None, unit_path: str | None,
            include_retired: bool, path: str) -> None:
    from question_bank.importing import export_bank
    from question_bank.models import Question
    from question_bank.services import require_manage
    from quiz.db import new_session

    with new_session() as s, s.begin():
        try:
            actor = _actor(s, actor_name)
            bank = _find_bank_for_export(s, actor, bank_name, unit_path)
            require_manage(s, actor, bank)
            data = export_bank(s, bank, format_name, include_retired=include_retired)
        except BankError as exc:
            s.rollback()
            _fail(str(exc))
        stmt = select(func.count()).select_from(Question).where(Question.bank_id == bank.id, Question.current_version_id.is_not(None))
        if not include_retired:
            stmt = stmt.where(Question.status != "retired")
        count = s.scalar(stmt) or 0
        _audit(s, actor)("bank.export", target=bank, org_unit_id=bank.org_unit_id,
                         summary=f"{bank.name}：{count} 题导出为 {format_name}", after={"format": format_name, "count": count})
        Path(path).write_bytes(data)  # before the audit entry commits: a failed write logs nothing
    click.echo(f"已导出题库“{bank.name}”的 {count} 题到 {path}。")
