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
