"""A real Krug server on 127.0.0.1: ``python app.py`` in a subprocess (eventlet, the production
path), started, waited for, logged and stopped the one way the tests and the benchmark share.

It lives in ``bench/`` because the benchmark is a tool that must not import the tests; the tests
import it from here. Beside the server: ``Client``, a python-socketio client that records what a
phone, console or screen receives, and ``OwnRedis``, a redis-server of the run's own that it may
kill and hang without touching the machine's. No pytest.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Self

import requests
import socketio

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
        "KRUG_EVENTS_PER_ADDRESS_PER_10S": "100000",
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


class Client:
    """A phone, console or screen: a python-socketio client that records what it receives."""

    def __init__(self, server: LiveServer, token: str | None, reconnection: bool = True, url: str | None = None) -> None:
        self.server = server
        self.url = url or server.url  # e.g. a proxy standing for nginx
        self.token = token
        self.last_sid: str | None = None
        self.state: dict | None = None
        self.me: dict | None = None
        self.format: dict | None = None  # room_format: the phases' texts, once per connection
        self.notices: list[tuple[str, dict]] = []  # "removed" and "ended", in order
        self.disconnected = threading.Event()
        self.received = threading.Condition()
        self.sio = socketio.Client(reconnection=reconnection, reconnection_delay=0.2,
                                   reconnection_delay_max=1, randomization_factor=0)
        self.sio.on("room_state", self._on_state)
        self.sio.on("me", self._on_me)
        self.sio.on("room_format", self._on_format)
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", lambda *_: self.disconnected.set())
        for notice in ("removed", "ended"):
            self.sio.on(notice, lambda data, name=notice: self._on_notice(name, data))

    def _on_connect(self) -> None:
        self.last_sid = self.sio.get_sid()

    def _auth(self) -> dict:
        # Like the browser client: name the previous connection so a dead one stops counting.
        return {"token": self.token, "previous": self.last_sid}

    def _on_state(self, data: dict) -> None:
        with self.received:
            if self.state is None or data["v"] >= self.state["v"]:
                self.state = data
            self.received.notify_all()

    def _on_notice(self, name: str, data: dict) -> None:
        with self.received:
            self.notices.append((name, data))
            self.received.notify_all()

    def wait_notice(self, name: str, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        with self.received:
            while True:
                for seen, data in self.notices:
                    if seen == name:
                        return data
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {name} notice; got {self.notices}")
                self.received.wait(remaining)

    def _on_format(self, data: dict) -> None:
        self.format = data

    def _on_me(self, data: dict) -> None:
        with self.received:
            self.me = data
            self.received.notify_all()

    def connect(self) -> Client:
        self.sio.connect(self.url, auth=self._auth, transports=["websocket"], wait_timeout=10)
        self.wait_for(lambda s: True)
        return self

    def wait_connected(self, timeout: float = 10) -> None:
        # The server's first room_state can arrive just before the namespace counts as connected.
        deadline = time.monotonic() + timeout
        while "/" not in self.sio.namespaces:
            if time.monotonic() > deadline:
                raise AssertionError("not connected in time")
            time.sleep(0.02)

    def emit(self, event: str, payload: object = None, timeout: float = 10) -> dict:
        self.wait_connected(timeout)
        return self.sio.call(event, payload, timeout=timeout)

    def wait_for(self, predicate, timeout: float = 5.0) -> dict:
        """Wait until the newest room_state satisfies ``predicate``; returns it."""
        deadline = time.monotonic() + timeout
        with self.received:
            while True:
                if self.state is not None and predicate(self.state):
                    return self.state
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting; last state: {self.state and {k: self.state[k] for k in ('v', 'status')} }")
                self.received.wait(remaining)

    def wait_me(self, predicate, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        with self.received:
            while not (self.me is not None and predicate(self.me)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for me; last: {self.me}")
                self.received.wait(remaining)
            return self.me

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


class OwnRedis:
    """A redis-server of the test's own on a free port, which it may kill, restart and hang
    (SIGSTOP) without touching the machine's Redis."""

    def __init__(self, workdir) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> OwnRedis:
        import shutil
        import subprocess
        import time

        import redis

        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("no redis-server binary")
        self.proc = subprocess.Popen([binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.workdir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return self
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def hang(self) -> None:
        import signal

        self.proc.send_signal(signal.SIGSTOP)

    def wake(self) -> None:
        import signal

        self.proc.send_signal(signal.SIGCONT)
