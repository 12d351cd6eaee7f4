"""A real gunicorn serving ``wsgi:app`` on 127.0.0.1, for crash and concurrency tests.

The server runs in its own process group (``start_new_session``), so a test can kill -9 one
worker, or the master and every worker at once, and ``stop()`` always leaves nothing behind.
Worker pids are read from /proc (the master's children).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from quiz import ROOT

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
SECRET_KEY = "reliability-tests-shared-secret-key"  # one key across restarts: sessions outlive a restart


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _processes() -> list[tuple[int, str, int, int]]:
    """(pid, state, parent pid, process group) of every process, from /proc/<pid>/stat."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state, ppid, pgrp, ...
        found.append((int(entry), fields[0], int(fields[1]), int(fields[2])))
    return found


def children(pid: int) -> list[int]:
    """Live (not zombie) child pids of ``pid``."""
    return sorted(p for p, state, parent, _ in _processes() if parent == pid and state != "Z")


def _group_alive(pgid: int) -> bool:
    """Whether any live (not zombie) process is left in the process group."""
    return any(group == pgid and state != "Z" for _, state, _, group in _processes())


class Gunicorn:
    def __init__(self, database_url: str, *, workers: int = 2, threads: int = 1, log_path: Path | None = None):
        self.database_url = database_url
        self.workers, self.threads = workers, threads
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "QUIZ_ENV")}
        env.update(DATABASE_URL=self.database_url, SECRET_KEY=SECRET_KEY, PYTHONUNBUFFERED="1")
        command = [GUNICORN, "--chdir", str(ROOT), "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
                   "--timeout", "30", "--graceful-timeout", "2", "--log-level", "warning"]
        if self.threads > 1:
            command += ["--threads", str(self.threads)]
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen([*command, "wsgi:app"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True, cwd=str(ROOT))
        if log is not subprocess.DEVNULL:
            log.close()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}: {self.log()}")
            try:
                if requests.get(f"{self.base}/api/v1/openapi.json", timeout=2).status_code == 200 \
                        and len(self.worker_pids()) == self.workers:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path and self.log_path.exists() else ""

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def kill_worker(self) -> int:
        """kill -9 one worker; the master notices and forks a new one."""
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_workers(self, count: int, *, without: int | None = None, timeout: float = 20.0) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) == count and without not in pids:
                return pids
            time.sleep(0.05)
        raise AssertionError(f"gunicorn did not respawn its workers: {self.worker_pids()} {self.log()}")

    def kill_all(self) -> None:
        """kill -9 the master and every worker at once (a power cut for the processes)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _group_alive(self.process.pid):
            time.sleep(0.05)

    def stop(self) -> None:
        """Whatever state it is in, end the whole process group (always called in ``finally``)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # stragglers: workers whose master is gone
        except ProcessLookupError:
            pass
        if self.process.poll() is None:
            self.process.wait(timeout=5)
        self.process = None

