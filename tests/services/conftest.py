"""Real PostgreSQL and Redis (bench/live.py's POSTGRES_URL and REDIS_URL). Each test gets its own database
and its own Redis channel, so runs never see each other's data."""
from __future__ import annotations

import uuid

import pytest

from bench.live import REDIS_URL, LiveServer, postgres_admin_dsn, postgres_database_url

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


@pytest.fixture
def cluster(pg_url, redis_url, tmp_path):
    """Start two Krug processes sharing one PostgreSQL database and one Redis channel.

    ``cluster(**env)`` returns (a, b); the first migrates, the second starts with KRUG_MIGRATE=0
    as the deploy guide says. Both are stopped after the test.
    """
    started: list[LiveServer] = []

    def start(**extra: str):
        env = {"KRUG_DATABASE_URL": pg_url, "KRUG_MESSAGE_QUEUE": redis_url,
               "KRUG_MESSAGE_QUEUE_CHANNEL": f"krug-test-{uuid.uuid4().hex[:8]}",
               # Both processes open every room: one data key for the deployment.
               "KRUG_DATA_KEY": uuid.uuid4().hex * 2, **extra}
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
        a = LiveServer(tmp_path / "a", **env).start()
        started.append(a)
        b = LiveServer(tmp_path / "b", KRUG_MIGRATE="0", **env).start()
        started.append(b)
        return a, b

    yield start
    for server in started:
        server.stop()
