"""PostgreSQL failing under a running Krug: every event gets an answer (``unavailable``, which
clients retry), a phone connecting meanwhile is refused clearly and gets in once the database
is back, nobody stays "online" for good, and /healthz answers in bounded time and tells why."""
from __future__ import annotations

import time

import psycopg
import pytest

from bench.live import postgres_admin_dsn as _admin_dsn

from ..live import health, ok, person, try_connect, wait_health
from ..proxy import Proxy


def _database(url: str) -> str:
    return url.rpartition("/")[2]


def refuse_connections(url: str) -> None:
    """PostgreSQL stops taking connections to this database and drops the open ones."""
    name = _database(url)
    with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))


def allow_connections(url: str) -> None:
    with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{_database(url)}" WITH ALLOW_CONNECTIONS true')






@pytest.mark.services
def test_postgres_refusing_every_event_is_answered_and_everyone_comes_back(pg_url, live_server, clients):
    server = live_server(KRUG_DATABASE_URL=pg_url, KRUG_TIME_SCALE="0.05")
    room = server.create_room("Lea")
    leader = clients(server, room["token"]).connect()
    anna = clients(server, server.join(room["code"], "Anna").json()["token"], reconnection=False).connect()
    boris_token = server.join(room["code"], "Boris").json()["token"]
    ok(leader.emit("start"))
    leader.wait_for(lambda s: person(s, "Anna")["online"])

    refuse_connections(pg_url)
    try:
        ack = anna.emit("post_card", {"client_id": "lift", "kind": "checkin", "text": "Written in the lift"})
        assert ack["ok"] is False and ack["error"]["code"] == "unavailable", ack
        ack = leader.emit("next_phase", {"expect_phase": 0, "command_id": "next-1"})
        assert ack["error"]["code"] == "unavailable", ack
        # Refused with a clear code, not accepted half-way as before.
        assert try_connect(server, boris_token)["code"] == "unavailable"
        body = wait_health(server, 503)
        assert "the database is unreachable" in body["problems"] and body["database"] is False
        anna.close()  # her disconnect cannot be stored now
        time.sleep(1)
    finally:
        allow_connections(pg_url)

    deadline = time.monotonic() + 15
    while try_connect(server, boris_token) is not None:  # the browser retries with backoff
        assert time.monotonic() < deadline, "Boris never got in"
        time.sleep(0.5)
    boris = clients(server, boris_token).connect()
    state = leader.wait_for(lambda s: not person(s, "Anna")["online"], timeout=15)  # presence healed
    assert person(state, "Anna")["off_since"] is not None
    # The leader's retry of the same press moves the room once.
    first = ok(leader.emit("next_phase", {"expect_phase": 0, "command_id": "next-1"}))
    again = ok(leader.emit("next_phase", {"expect_phase": 0, "command_id": "next-1"}))
    assert again == {**first, "duplicate": True}
    assert boris.wait_for(lambda s: s["phase"]["index"] == 1)["phase"]["index"] == 1
    wait_health(server, 200)


@pytest.mark.services
def test_healthz_answers_in_bounded_time_while_postgres_stalls(pg_url, live_server, clients):
    host = pg_url.split("@", 1)[1].split("/", 1)[0]
    port = int(host.rsplit(":", 1)[1]) if ":" in host else 5432
    network = Proxy([port])
    try:
        server = live_server(KRUG_DATABASE_URL=pg_url.replace(host, f"127.0.0.1:{network.port}"))
        room = server.create_room("Lea")
        clients(server, room["token"]).connect()
        assert health(server)[0] == 200
        network.stall()  # connections stay open; PostgreSQL's answers never arrive
        for _ in range(3):  # and again: a check still hanging is not started twice
            code, body = health(server)
            assert code == 503, body
            assert any("stalled" in problem for problem in body["problems"]), body
        network.flow()
        wait_health(server, 200)
    finally:
        network.close()


@pytest.mark.services
def test_postgres_read_only_writes_are_unavailable_and_healthz_says_so(pg_url, live_server, clients):
    """As a standby after a failover: reads work, every write is refused."""
    server = live_server(KRUG_DATABASE_URL=pg_url)
    room = server.create_room("Lea")
    leader = clients(server, room["token"]).connect()
    name = _database(pg_url)
    with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    try:
        ack = leader.emit("set_locked", {"locked": True, "command_id": "lock-1"})
        assert ack["error"]["code"] == "unavailable", ack
        assert ok(leader.emit("sync"))["state"]["code"] == room["code"]  # reading still works
        body = wait_health(server, 503)
        assert body["database"] is True and body["writes"] is False, body
        assert "the database refuses writes" in body["problems"]
    finally:
        with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    first = ok(leader.emit("set_locked", {"locked": True, "command_id": "lock-1"}))
    assert "duplicate" not in first
    wait_health(server, 200)
