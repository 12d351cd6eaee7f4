"""The ``quiz`` console script: a Flask CLI group over create_app (``flask --app wsgi`` works too)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from question_bank.messages import BankError


def _create_app(*_args) -> Flask:
    from quiz import create_app

    return create_app()


def main() -> None:
    cli = FlaskGroup(create_app=_create_app, add_default_commands=True, help="组工知识考试平台 command line.")
    cli.main(prog_name="quiz")


def alembic_config():
    from alembic.config import Config

    root = Path(__file__).resolve().parent.parent
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "migrations"))
    cfg.set_main_option("sqlalchemy.url", current_app.config["DATABASE_URL"].replace("%", "%%"))
    return cfg


def upgrade_database(url: str | None = None) -> None:
    from alembic import command

    cfg = alembic_config()
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` readable and writable by its owner only (it holds passwords), never overwriting."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def register_commands(app: Flask) -> None:
    @app.cli.command("init-db")
    @with_appcontext
    def init_db():
        """Create or upgrade the database schema to the latest migration (any database)."""
        upgrade_database()
        click.echo("数据库已升级到最新版本。")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only seed when the database has no accounts yet.")
    @with_appcontext
    def seed_demo_command(if_empty: bool):
        """Build the demo units, accounts and data (password zugong2026), and mark the database as demo."""
        from quiz.accounts.models import User
        from quiz.db import new_session
        from quiz.seed import seed_demo

        with new_session() as s, s.begin():
            if s.scalar(select(User.id).limit(1)) is not None:
                if if_empty:
                    click.echo("数据库中已有账号，跳过演示数据。")
                    return
                _fail("数据库中已有账号：演示数据只能写入空数据库。")
            accounts = seed_demo(s)
        click.echo("演示数据已生成。演示账号（密码均为 %s）：" % current_app.config["DEMO_PASSWORD"])
        for username, name, unit, roles in accounts:
            click.echo(f"  {username:<10} {name:<6} {unit}  [{', '.join(roles)}]")

    @app.cli.command("create-user")
    @click.option("--username", required=True)
    @click.option("--name", required=True, help="姓名")
    @click.option("--unit", "unit_path", required=True, help="单位路径，如 河南省委组织部/郑州市委组织部")
    @click.option("--role", "roles", multiple=True, type=click.Choice(["cadre", "organizer", "hr", "admin"]), default=["cadre"])
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--create-unit", is_flag=True, help="Create the unit path if it does not exist (first setup).")
    @with_appcontext
    def create_user_command(username, name, unit_path, roles, password, create_unit):
        """Create an account (the first administrator of a new installation, for example)."""
        from quiz.accounts.services import create_user
        from quiz.accounts.units import ensure_unit_path, resolve_unit_path
        from quiz.db import new_session

        try:
            with new_session() as s, s.begin():
                unit = ensure_unit_path(s, unit_path) if create_unit else resolve_unit_path(s, unit_path)
                user = create_user(s, None, username=username, name=name, org_unit=unit, password=password, roles=set(roles), must_change_password=False)
                click.echo(f"已创建账号 {user.username}（{', '.join(sorted(user.roles))}）")
        except BankError as exc:
            _fail(str(exc))

    @app.cli.command("import-users")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--as", "actor_name", required=True, help="The admin account the import is done as (its reach applies).")
    @click.option("--passwords-out", type=click.Path(dir_okay=False),
                  help="Where to write the new accounts' generated initial passwords (xlsx, readable by you only).")
    @click.option("--initial-password", help="One typed initial password for every new account instead (weaker).")
    @click.option("--dry-run", is_flag=True)
    @with_appcontext
    def import_users_command(path, actor_name, passwords_out, initial_password, dry_run):
        """Import a roster (xlsx or csv: 账号, 姓名, 单位, 职务, 手机, 角色); all rows or none.

        Each new account gets a generated initial password, written once to --passwords-out (an xlsx
        created readable by its owner only; nothing else keeps them), or --initial-password for all.
        """
        from quiz.accounts import roster
        from quiz.accounts.services import find_by_username
        from quiz.db import new_session

        if not dry_run and bool(passwords_out) == bool(initial_password):
            _fail("请用 --passwords-out 文件.xlsx 接收为新账号生成的初始密码，或用 --initial-password 为所有新账号设置同一个密码（二选一）")
        if passwords_out and Path(passwords_out).exists():
            _fail(f"{passwords_out} 已存在：初始密码清单不会覆盖已有文件，请换一个文件名")
        data = Path(path).read_bytes()
        with new_session() as s, s.begin():
            actor = find_by_username(s, actor_name)
            if actor is None or not actor.has_role("admin"):
                _fail(f"{actor_name} 不是管理员账号")
            result = roster.preview(s, actor, data, path)
            for message in result.file_problems:
                click.echo(str(message), err=True)
            for row in result.problem_rows:
                for message in row.problems:
                    click.echo(f"第 {row.line} 行：{message}", err=True)
            if not result.ok:
                s.rollback()
                _fail("名单有问题，未导入任何人员。")
            creates = sum(1 for r in result.rows if r.action == "create")
            if dry_run:
                click.echo(f"检查通过：将新增 {creates} 人，更新 {len(result.rows) - creates} 人（未写入）。")
                s.rollback()
                return
            try:
                outcome = roster.apply(s, actor, result, initial_password or None)
            except BankError as exc:
                s.rollback()
                _fail(str(exc))
            if passwords_out:
                _write_private(Path(passwords_out), roster.issued_passwords_xlsx(outcome.issued))
        click.echo(f"导入完成：新增 {outcome.created} 人，更新 {outcome.updated} 人。")
        if passwords_out:
            click.echo(f"{len(outcome.issued)} 个新账号的初始密码已写入 {passwords_out}（仅本人可读）；"
                       "请分发后删除该文件，系统不保留副本。")

    from quiz.bank.cli import register as register_bank_commands  # the bank's import-bank, export-bank

    register_bank_commands(app)
    from quiz.contests.cli import register as register_contest_commands; register_contest_commands(app)  # noqa: E702  (close-expired)
    from quiz.backup import register as register_backup_commands; register_backup_commands(app)  # noqa: E702  (backup, restore)
    from quiz.materials.cli import register as register_material_commands; register_material_commands(app)  # noqa: E702  (import-material)
    from quiz.assessment.cli import register as register_assessment_commands; register_assessment_commands(app)  # noqa: E702  (compute-assessment)
