"""Servers and databases the load benchmark starts and always takes down again.

- ``Gunicorn``: ``gunicorn -w W -b 127.0.0.1:<free port> <app>`` as README deploys it, in its own
  process group, stopped with SIGTERM (then SIGKILL) when the ``with`` block ends.
- ``fresh_database``: a new SQLite file (WAL) in a temporary folder, or a new PostgreSQL database
  ``bench_load_<pid>_<hex>`` created on the server of the given URL and dropped afterwards
  (``DROP DATABASE ... WITH (FORCE)``).
- ``CpuMeter``: CPU seconds of the gunicorn master and workers, and of the PostgreSQL backends
  serving the bench database, read from /proc (this machine only), so each phase can say how
  much CPU one save, start or login cost on the server side.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
BENCH_SECRET_KEY = "bench-only-" + "0" * 52  # fixed so every worker signs cookies alike; never a real key
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """If the bench process dies without cleaning up (SIGKILL), the kernel sends the server SIGTERM."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cpu_of(pid: int) -> float | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Gunicorn:
    """One gunicorn server on 127.0.0.1 with the app's deployment settings (sync workers)."""

    def __init__(self, app: str, database_url: str, workers: int, log_dir: Path, ready_timeout: float = 90):
        self.app, self.database_url, self.workers = app, database_url, workers
        self.port = free_port()
        self.log = log_dir / f"gunicorn-{app.replace(':', '-')}-{self.port}.log"
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("QUIZ_ENV", "REDIS_URL", "DATABASE_URL")}
        # QUIZ_ENV stays unset: production makes cookies Secure, which a browser (and this client,
        # honestly) would only send over https; the bench speaks plain http on 127.0.0.1. Everything
        # else is as in production: a fixed SECRET_KEY shared by all workers, the given database.
        env.update(DATABASE_URL=self.database_url, SECRET_KEY=BENCH_SECRET_KEY, PYTHONDONTWRITEBYTECODE="1")
        return env

    def __enter__(self) -> "Gunicorn":
        command = [sys.executable, "-m", "gunicorn", "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
                   "--error-logfile", str(self.log), "--log-level", "warning", self.app]
        self.proc = subprocess.Popen(command, cwd=ROOT, env=self.environment(), start_new_session=True,
                                     preexec_fn=_die_with_parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        until = time.monotonic() + self.ready_timeout
        while time.monotonic() < until:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {self.app} exited with {self.proc.returncode}; see {self.log}:\n{self._tail()}")
            if len(_children(self.proc.pid)) >= self.workers and self._probe():
                for _ in range(self.workers * 4):  # let every worker answer once before the clock runs
                    self._probe()
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn {self.app} not ready after {self.ready_timeout}s; see {self.log}:\n{self._tail()}")

    def _probe(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
                sock.sendall(b"GET /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                return sock.recv(64).startswith(b"HTTP/1.1 401")
        except OSError:
            return False

    def _tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return ""

    def pids(self) -> list[int]:
        return [self.proc.pid, *_children(self.proc.pid)] if self.proc else []

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def errors_logged(self) -> dict[str, int]:
        """What the server logged as errors, counted: exception lines, the SQL they were raised
        on, worker timeouts and restarts — reported in the results, never hidden."""
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return {}
        found: dict[str, int] = {}
        for line in lines:
            line = line.strip()
            if line.startswith("[SQL:") or "[CRITICAL]" in line or "[ERROR]" in line or (
                    not line.startswith(("File ", "Traceback", "The above", "During handling", "^", "~"))
                    and ("Error: " in line or "Exception: " in line)):
                key = line.split("] ", 3)[-1] if line.startswith("[20") else line
                found[key[:200]] = found.get(key[:200], 0) + 1
        return found

    def __exit__(self, *exc) -> None:
        self.stop()


class CpuMeter:
    """CPU seconds used by a server's processes (and the PostgreSQL backends of one database)."""

    def __init__(self, server: Gunicorn, engine=None):
        self.server, self.engine = server, engine

    def _db_pids(self) -> list[int]:
        if self.engine is None or self.engine.dialect.name != "postgresql":
            return []
        with self.engine.connect() as conn:
            return list(conn.scalars(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")))

    def snapshot(self) -> dict[str, dict[int, float]]:
        app = {pid: cpu for pid in self.server.pids() if (cpu := _cpu_of(pid)) is not None}
        db = {pid: cpu for pid in self._db_pids() if (cpu := _cpu_of(pid)) is not None}
        return {"app": app, "db": db}

    @staticmethod
    def used(before: dict, after: dict) -> dict[str, float]:
        return {kind: sum(cpu - before[kind].get(pid, 0.0) for pid, cpu in after[kind].items()) for kind in after}


@contextlib.contextmanager
def fresh_database(url: str):
    """Yield the URL of a new, empty database like ``url`` (same server), removed afterwards."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        folder = tempfile.mkdtemp(prefix="bench-load-")
        try:
            yield f"sqlite:///{folder}/bench-load.db"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"bench_load_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            _drop_orphans(conn)
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield parsed.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def _drop_orphans(conn) -> None:
    """Drop bench databases left by a bench process that was killed (its pid no longer runs)."""
    for (name,) in conn.exec_driver_sql("SELECT datname FROM pg_database WHERE starts_with(datname, 'bench_load_')"):
        match = re.fullmatch(r"bench_load_(\d+)_[0-9a-f]+", name)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
