"""``quiz backup PATH`` and ``quiz restore PATH``: a consistent copy of the whole database, and back.

SQLite: SQLite's online backup API (``sqlite3.Connection.backup``), which copies a consistent
snapshot page by page while the application keeps running (readers and writers are not stopped;
a write during the copy makes it restart from a consistent point). The copy is written next to
PATH and renamed into place only once complete and checked (``PRAGMA integrity_check``), so a
crash never leaves a half-written backup under the final name. Restore copies the backup back
into the configured database file with the same API (the live file is overwritten in place, WAL
included), after ``--yes`` or a confirmation at the prompt.

PostgreSQL: ``pg_dump -Fc`` (custom format, compressed, restorable table by table) and
``pg_restore --clean --if-exists --no-owner --single-transaction``: the restore replaces every
table of the dump in one transaction, so a failed restore leaves the database as it was. The
client tools must be on PATH and not older than the server (Debian: ``postgresql-client``).
The password is passed in ``PGPASSWORD``, never on the command line.

Both commands print the number of people, attempts and responses, so an operator can compare.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

COUNTED = (("users", "人员"), ("attempts", "答卷"), ("responses", "作答"))


class BackupError(RuntimeError):
    pass


# --- SQLite -----------------------------------------------------------------------------------

def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("内存数据库无法备份：请配置 DATABASE_URL 为一个 SQLite 文件或 PostgreSQL 数据库。")
    return Path(database)


def _check_sqlite_file(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} 不是可用的 SQLite 数据库：{exc}") from None
    if not result or result[0] != "ok":
        raise BackupError(f"{path} 完整性检查未通过：{result[0] if result else '无结果'}")


def backup_sqlite(url: str, target: Path) -> None:
    """A consistent copy of the live database at ``target`` (written aside, checked, renamed)."""
    source_path = sqlite_path(url)
    if not source_path.exists():
        raise BackupError(f"数据库文件 {source_path} 不存在")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(str(source_path), timeout=30)
    try:
        dest = sqlite3.connect(str(partial))
        try:
            source.backup(dest, pages=1024)  # in steps: writers are held up for one step at a time, not the whole copy
            dest.execute("PRAGMA journal_mode=DELETE")  # the backup is one self-contained file
        finally:
            dest.close()
    finally:
        source.close()
    _check_sqlite_file(partial)
    os.replace(partial, target)


def restore_sqlite(url: str, backup: Path) -> None:
    """Copy ``backup`` over the configured database, through the backup API (WAL-safe)."""
    _check_sqlite_file(backup)
    target_path = sqlite_path(url)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(str(target_path), timeout=30)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()


# --- PostgreSQL -------------------------------------------------------------------------------

def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    """libpq connection arguments and environment for pg_dump/pg_restore (password in PGPASSWORD)."""
    parsed = make_url(url)
    args = ["--dbname", parsed.database or "postgres"]
    if parsed.host:
        args += ["--host", parsed.host]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    sslmode = parsed.query.get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = sslmode if isinstance(sslmode, str) else sslmode[0]
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（Debian: apt-get install postgresql-client），版本不低于服务器。")
    return path


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} 失败（退出码 {result.returncode}）：{result.stderr.strip()}")


def backup_postgresql(url: str, target: Path) -> None:
    args, env = _pg_args(url)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(partial), *args], env)
    os.replace(partial, target)


def restore_postgresql(url: str, backup: Path) -> None:
    args, env = _pg_args(url)
    _run([_tool("pg_restore"), "--list", str(backup)], env)  # a readable dump before anything is dropped
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", *args, str(backup)], env)


# --- the two operations -----------------------------------------------------------------------

def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def backup_database(url: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    (backup_sqlite if is_sqlite(url) else backup_postgresql)(url, target)


def restore_database(url: str, backup: Path) -> None:
    if not backup.is_file():
        raise BackupError(f"备份文件 {backup} 不存在")
    (restore_sqlite if is_sqlite(url) else restore_postgresql)(url, backup)


def counts(engine) -> dict[str, int | None]:
    """Rows in the tables an operator checks after a restore (None: the table is not there)."""
    from sqlalchemy import inspect, text

    present = set(inspect(engine).get_table_names())
    out: dict[str, int | None] = {}
    with engine.connect() as conn:
        for table, _label in COUNTED:
            out[table] = conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar() if table in present else None
    return out


def _describe(engine) -> str:
    found = counts(engine)
    return "，".join(f"{label} {found[table]}" for table, label in COUNTED if found[table] is not None)


def register(app: Flask) -> None:
    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
    @with_appcontext
    def backup_command(path: Path, force: bool):
        """Back up the whole database to PATH (SQLite: online backup API; PostgreSQL: pg_dump -Fc)."""
        if path.exists() and not force:
            click.echo(f"{path} 已存在；如要覆盖请加 --force。", err=True)
            sys.exit(1)
        url = current_app.config["DATABASE_URL"]
        try:
            backup_database(url, path)
        except BackupError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        click.echo(f"已备份到 {path}（{path.stat().st_size} 字节）：{_describe(current_app.extensions['db_engine'])}。")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Do not ask: replace the current database with the backup.")
    @with_appcontext
    def restore_command(path: Path, yes: bool):
        """Replace the whole database with the backup at PATH (stop the application first)."""
        url = current_app.config["DATABASE_URL"]
        shown = make_url(url).render_as_string(hide_password=True)
        if not yes:
            click.confirm(f"用 {path} 覆盖数据库 {shown} 中的全部数据？此操作不可撤销", abort=True)
        engine = current_app.extensions["db_engine"]
        engine.dispose()  # no pooled connection of ours holds the old file or the tables being replaced
        try:
            restore_database(url, path)
        except BackupError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        engine.dispose()
        click.echo(f"已从 {path} 恢复：{_describe(engine)}。")
