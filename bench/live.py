"""A real Krug server on 127.0.0.1: ``python app.py`` in a subprocess (eventlet, the production
path), started, waited for, logged and stopped the one way the tests and the benchmark share.

It lives in ``bench/`` because the benchmark is a tool that must not import the tests; the tests
import it from here. No pytest, no socket client: only the process and two HTTP calls.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# The services of this machine kind (docs/deploy.md's set-up): PostgreSQL trusting local
# connections, whose database ``test`` serves to create and drop throw-away ones, and Redis.
POSTGRES_URL = os.environ.get("KRUG_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("KRUG_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def postgres_admin_dsn() -> str:
    """``POSTGRES_URL`` as psycopg takes it, for CREATE and DROP DATABASE."""
    return POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")


def postgres_database_url(name: str) -> str:
    """The URL of database ``name`` on the same PostgreSQL, as Krug's KRUG_DATABASE_URL takes it."""
    return f"{POSTGRES_URL.rpartition('/')[0]}/{name}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """One Krug process with its own instance dir and SQLite file under ``workdir``.

    ``env`` overrides any variable; ``restart()`` keeps the database and the port.
    """

    # Every client comes from 127.0.0.1, so the per-address limits are lifted; the limits have
    # their own tests.
    SETTINGS = {
        "KRUG_SECRET_KEY": "test-secret",
        "KRUG_LOG_LEVEL": "INFO",
        "KRUG_JOIN_ATTEMPTS_PER_MINUTE": "100000",
        "KRUG_EVENTS_PER_10S": "100000",
    }

    def __init__(self, workdir: Path, port: int | None = None, **env: str) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.env = {
            **os.environ,
            "KRUG_HOST": "127.0.0.1",
            "KRUG_PORT": str(self.port),
            "KRUG_INSTANCE_DIR": str(workdir / "instance"),
            "KRUG_DATABASE_URL": f"sqlite:///{workdir / 'krug.sqlite3'}",
            **self.SETTINGS,
            **env,
        }
        self.proc: subprocess.Popen | None = None
        self.log_path = workdir / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [PYTHON, "app.py"]

    def start(self, timeout: float = 60.0) -> Self:
        """Start the process and return once ``/healthz`` answers; a process that dies or stays
        unready is stopped and its log raised."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a") as log:
            self.proc = subprocess.Popen(self.command(), cwd=ROOT, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        name = Path(self.command()[-1]).name
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited early:\n{self.log()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{name} did not start in {timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no goodbye to anyone, as when the machine loses power."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> None:
        self.kill()
        self.start()

    # ---- HTTP

    def create_room(self, leader: str = "Leader", format_id: str = "balint-classic", **extra) -> dict:
        response = requests.post(f"{self.url}/api/rooms", json={"leader_name": leader, "format_id": format_id, **extra}, timeout=5)
        assert response.status_code == 201, response.text
        return response.json()

    def join(self, code: str, name: str, observer: bool = False) -> requests.Response:
        return requests.post(f"{self.url}/api/rooms/{code}/join",
                             json={"name": name, "consent": True, "observer": observer}, timeout=5)
