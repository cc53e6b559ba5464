"""Redis failing under two processes (PostgreSQL + a Redis of the test's own): acknowledgements
never wait for it, /healthz tells the truth, and when it returns every screen catches up
without anyone pressing anything."""
from __future__ import annotations

import time

import pytest

from ..live import ok, wait_health


def phase(state: dict) -> int:
    return state["phase"]["index"]


@pytest.mark.services
def test_redis_restart_every_screen_catches_up_and_acks_do_not_wait(pg_cluster, own_redis, clients):
    a, b = pg_cluster(KRUG_TIME_SCALE="0.05")
    room = a.create_room("Lea")
    leader = clients(a, room["token"]).connect()
    screen = clients(b, room["screen_token"]).connect()  # the projector sits on the other process
    anna = clients(b, b.join(room["code"], "Anna").json()["token"]).connect()
    ok(leader.emit("start"))
    screen.wait_for(lambda s: s["status"] == "running")

    own_redis.kill()
    body = wait_health(b, 503)
    assert any("message queue" in problem for problem in body["problems"]), body
    # A command while Redis is gone is answered at once and stored; b's screen cannot hear it.
    moved = ok(leader.emit("next_phase", {"expect_phase": 0, "command_id": "next-1"}, timeout=5))
    assert phase(leader.wait_for(lambda s: phase(s) == 1)) == 1

    own_redis.start()  # the same port, empty: nothing of before is replayed
    restarted = time.monotonic()
    # Nobody sends anything: process b resyncs its own connections after the gap.
    screen.wait_for(lambda s: phase(s) == 1 and s["v"] >= moved["v"], timeout=10)
    anna.wait_for(lambda s: phase(s) == 1, timeout=10)
    caught_up = time.monotonic() - restarted
    wait_health(b, 200)
    wait_health(a, 200)
    # And broadcasts flow between the processes again.
    ok(leader.emit("pause", {"command_id": "pause-1"}))
    screen.wait_for(lambda s: s["timer"]["paused_remaining"] is not None, timeout=5)
    heard_again = time.monotonic() - restarted
    print(f"\nredis restart -> screen resynced {caught_up:.2f} s, next broadcast heard {heard_again:.2f} s")


@pytest.mark.services
def test_a_hung_redis_neither_holds_acknowledgements_nor_hides_from_healthz(pg_cluster, own_redis, clients):
    a, b = pg_cluster(KRUG_TIME_SCALE="0.05")
    room = a.create_room("Lea")
    leader = clients(a, room["token"]).connect()
    screen = clients(b, room["screen_token"]).connect()
    clients(a, a.join(room["code"], "Anna").json()["token"]).connect()
    ok(leader.emit("start"))
    screen.wait_for(lambda s: s["status"] == "running")

    own_redis.hang()  # SIGSTOP: connections stay open, nothing answers
    try:
        for i in range(3):  # each would have waited for Redis before (10 s measured)
            ok(leader.emit("extend", {"minutes": 1, "command_id": f"plus-{i}"}, timeout=3))
        started = time.monotonic()
        body = wait_health(a, 503)
        assert time.monotonic() - started < 15
        assert any("message queue" in problem for problem in body["problems"]), body
        wait_health(b, 503)
        state = ok(leader.emit("sync"))["state"]
    finally:
        own_redis.wake()
    screen.wait_for(lambda s: s["v"] >= state["v"] and s["timer"]["ends_at"] == state["timer"]["ends_at"], timeout=15)
    wait_health(a, 200)
    wait_health(b, 200)
