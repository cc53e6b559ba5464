"""Real PostgreSQL and Redis (127.0.0.1 on this machine kind). Each test gets its own database
and its own Redis channel, so runs never see each other's data."""
from __future__ import annotations

import os
import uuid

import pytest

from ..conftest import require_service

PG_URL = os.environ.get("KRUG_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("KRUG_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _admin_dsn() -> str:
    return PG_URL.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    import psycopg

    name = f"krug_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(_admin_dsn(), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        require_service("PostgreSQL", str(exc).strip().splitlines()[0])
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = PG_URL.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        require_service("Redis", str(exc))
    return REDIS_URL


@pytest.fixture
def cluster(pg_url, redis_url, tmp_path):
    """Start two Krug processes sharing one PostgreSQL database and one Redis channel.

    ``cluster(**env)`` returns (a, b); the first migrates, the second starts with KRUG_MIGRATE=0
    as the deploy guide says. Both are stopped after the test.
    """
    from ..live import LiveServer

    started: list[LiveServer] = []

    def start(**extra: str):
        env = {"KRUG_DATABASE_URL": pg_url, "KRUG_MESSAGE_QUEUE": redis_url,
               "KRUG_MESSAGE_QUEUE_CHANNEL": f"krug-test-{uuid.uuid4().hex[:8]}", **extra}
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
        a = LiveServer(tmp_path / "a", **env)
        started.append(a)  # before start(): one that never gets ready is stopped too
        a.start()
        b = LiveServer(tmp_path / "b", KRUG_MIGRATE="0", **env)
        started.append(b)
        b.start()
        return a, b

    yield start
    for server in started:
        server.stop()


class OwnRedis:
    """A redis-server of the test's own on a free port, which it may kill, restart and hang
    (SIGSTOP) without touching the machine's Redis."""

    def __init__(self, workdir) -> None:
        from ..live import free_port

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
            require_service("redis-server", "no redis-server binary")
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


@pytest.fixture
def own_redis(tmp_path_factory):
    server = OwnRedis(tmp_path_factory.mktemp("redis")).start()
    yield server
    if server.proc and server.proc.poll() is None:
        server.wake()
    server.kill()


@pytest.fixture
def pg_cluster(pg_url, own_redis, tmp_path):
    """Two Krug processes on the test's own PostgreSQL database and its own Redis."""
    from ..live import LiveServer

    started = []

    def start(**extra: str):
        env = {"KRUG_DATABASE_URL": pg_url, "KRUG_MESSAGE_QUEUE": own_redis.url, **extra}
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
        a = LiveServer(tmp_path / "a", **env)
        started.append(a)  # before start(): one that never gets ready is stopped too
        a.start()
        b = LiveServer(tmp_path / "b", KRUG_MIGRATE="0", **env)
        started.append(b)
        b.start()
        return a, b

    yield start
    for server in started:
        server.stop()


class SmallDisk:
    """A 2 MiB tmpfs mounted for one test: it fills up, and it can turn read-only."""

    def __init__(self, path) -> None:
        self.path = path

    def fill(self) -> None:
        import os

        fd = os.open(self.path / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"\0" * 65536)
        except OSError:
            pass  # ENOSPC: full
        finally:
            os.close(fd)

    def free(self) -> None:
        (self.path / "filler").unlink(missing_ok=True)

    def read_only(self) -> None:
        import subprocess

        subprocess.run(["mount", "-o", "remount,ro", str(self.path)], check=True)


@pytest.fixture
def small_disk(tmp_path):
    import subprocess

    path = tmp_path / "disk"
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        require_service("mount", f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)
