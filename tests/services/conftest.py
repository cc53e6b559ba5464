"""Real PostgreSQL and Redis (bench/live.py's POSTGRES_URL and REDIS_URL). Each test gets its own database
and its own Redis channel, so runs never see each other's data."""
from __future__ import annotations

import shutil
import uuid

import pytest

from bench.live import REDIS_URL, LiveServer, OwnRedis, postgres_admin_dsn, postgres_database_url

from ..conftest import require_service


@pytest.fixture
def pg_url():
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    import psycopg

    name = f"krug_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(postgres_admin_dsn(), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        require_service("PostgreSQL", str(exc).strip().splitlines()[0])
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield postgres_database_url(name)
    with psycopg.connect(postgres_admin_dsn(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        require_service("Redis", str(exc))
    return REDIS_URL


def _two_processes(pg_url: str, queue_url: str, tmp_path):
    """``start(**env)`` starts two Krug processes sharing one PostgreSQL database and one Redis
    channel and returns (a, b): the first migrates, the second starts with KRUG_MIGRATE=0 as the
    deploy guide says. ``stop()`` stops every one started, also one that never got ready."""
    started: list[LiveServer] = []

    def start(**extra: str):
        env = {"KRUG_DATABASE_URL": pg_url, "KRUG_MESSAGE_QUEUE": queue_url,
               "KRUG_MESSAGE_QUEUE_CHANNEL": f"krug-test-{uuid.uuid4().hex[:8]}",
               # Both processes open every room: one data key for the deployment.
               "KRUG_DATA_KEY": uuid.uuid4().hex * 2, **extra}
        servers = []
        for name, more in (("a", {}), ("b", {"KRUG_MIGRATE": "0"})):
            (tmp_path / name).mkdir()
            server = LiveServer(tmp_path / name, **more, **env)
            started.append(server)  # before start(): one that never gets ready is stopped too
            servers.append(server.start())
        return tuple(servers)

    def stop():
        for server in started:
            server.stop()

    return start, stop


@pytest.fixture
def cluster(pg_url, redis_url, tmp_path):
    """Two Krug processes on the test's own PostgreSQL database and the machine's Redis."""
    start, stop = _two_processes(pg_url, redis_url, tmp_path)
    yield start
    stop()


@pytest.fixture
def own_redis(tmp_path_factory):
    if shutil.which("redis-server") is None:
        require_service("redis-server", "no redis-server binary")
    server = OwnRedis(tmp_path_factory.mktemp("redis")).start()
    yield server
    if server.proc and server.proc.poll() is None:
        server.wake()
    server.kill()


@pytest.fixture
def pg_cluster(pg_url, own_redis, tmp_path):
    """Two Krug processes on the test's own PostgreSQL database and its own Redis."""
    start, stop = _two_processes(pg_url, own_redis.url, tmp_path)
    yield start
    stop()


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
