"""Rate limits on the ``limits`` package: every event counts, budgets per token and per address,
keys expire. Through a real server where it matters; the storage's sweep in process."""
from __future__ import annotations

import time

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from config import TestConfig
from facilitation.rate_limit import RateLimits, SweptMemoryStorage

from .raw import RawSocket


def codes(acks: list[dict]) -> list[str]:
    return [a["error"]["code"] for a in acks if not a["ok"]]


def test_every_event_counts_and_connections_on_one_token_share_a_budget(live_server, clients):
    server = live_server(KRUG_EVENTS_PER_10S="30")
    room = server.create_room("Lea")
    token = server.join(room["code"], "Anna").json()["token"]
    first, second = clients(server, token).connect(), clients(server, token).connect()
    acks = [first.emit("time_sync") for _ in range(10)]
    acks += [second.emit("sync") for _ in range(10)]
    acks += [first.emit("no_such_event", {}) for _ in range(10)]
    assert "rate_limited" not in codes(acks)
    # 30 spent across both connections: the next event of either is refused, whatever it is.
    for conn, event in ((first, "time_sync"), (second, "sync"), (second, "no_such_event"), (first, "post_card")):
        ack = conn.emit(event, {})
        assert ack["ok"] is False and ack["error"]["code"] == "rate_limited", event
        assert ack["error"]["details"]["retry_after"] >= 1
    # Another device in the room is not touched.
    leader = clients(server, room["token"]).connect()
    assert leader.emit("time_sync")["ok"]


def test_an_address_has_a_budget_across_its_tokens(live_server, clients):
    server = live_server(KRUG_EVENTS_PER_10S="1000", KRUG_EVENTS_PER_ADDRESS_PER_10S="40")
    room = server.create_room("Lea")
    devices = [clients(server, server.join(room["code"], name).json()["token"]).connect() for name in ("A", "B")]
    acks = [devices[i % 2].emit("time_sync") for i in range(50)]
    assert codes(acks).count("rate_limited") == 10


def test_a_flood_of_raw_events_is_answered_and_another_client_is_served(live_server, clients):
    server = live_server(KRUG_EVENTS_PER_10S="50")
    room = server.create_room("Lea")
    leader = clients(server, room["token"]).connect()
    raw = RawSocket(server)
    assert raw.connect(server.join(room["code"], "Flo").json()["token"])["ok"]
    for i in range(300):
        raw.send(f'42{i}["time_sync"]')
    answers = [raw.ack(i) for i in range(300)]
    assert sum(1 for a in answers if not a["ok"] and a["error"]["code"] == "rate_limited") == 250
    assert leader.emit("time_sync")["ok"]
    assert "Traceback" not in server.log()
    raw.close()


def test_join_attempts_are_limited_per_address_over_http_and_socket(live_server):
    server = live_server(KRUG_JOIN_ATTEMPTS_PER_MINUTE="3")
    room = server.create_room("Lea")  # 1
    assert server.join(room["code"], "Anna").status_code == 201  # 2
    raw = RawSocket(server)
    assert raw.connect("no-such-token")["data"]["code"] == "not_authenticated"  # 3
    assert raw.connect("no-such-token")["data"]["code"] == "rate_limited"
    limited = server.join(room["code"], "Boris")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    raw.close()


def limits_for_test(**config) -> RateLimits:
    return RateLimits({**vars(TestConfig()), **config})


def test_keys_expire_so_memory_stays_bounded():
    limits = limits_for_test()
    limits.local_storage.sweep_seconds = 0.05
    limits.event_per_token = RateLimitItemPerSecond(5, 1)
    limits.event_per_address = RateLimitItemPerSecond(5, 1)
    for i in range(3000):
        assert limits.hit_event(f"room:{i}", f"10.0.{i // 250}.{i % 250}") is None
    assert limits.local_storage.keys() == 3000 + 3000  # a key per token and per address
    deadline = time.monotonic() + 10
    while limits.local_storage.keys() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert limits.local_storage.keys() == 0
    assert limits.local_storage.sweeps >= 1


def test_the_library_still_schedules_its_sweep_through_the_hook_we_slow_down():
    """SweptMemoryStorage overrides a name-mangled method of the library's MemoryStorage; an
    upgrade that renames it would bring back a sweep of every key every 10 ms."""
    assert callable(getattr(MemoryStorage, "_MemoryStorage__schedule_expiry", None))
    assert MemoryStorage().events == {}  # moving windows: key -> entries, newest first
    storage = SweptMemoryStorage(sweep_seconds=30)
    storage.timer.join()  # the library's constructor starts one 10 ms sweep of its own
    MovingWindowRateLimiter(storage).hit(RateLimitItemPerSecond(1, 1), "k")
    assert storage.timer.interval == 30


def test_refused_attempts_say_how_long_to_wait():
    limits = limits_for_test(JOIN_ATTEMPTS_PER_MINUTE=2)
    assert limits.hit_join("10.0.0.1") is None
    assert limits.hit_join("10.0.0.1") is None
    wait = limits.hit_join("10.0.0.1")
    assert wait is not None and 1 <= wait <= 60
    assert limits.hit_join("10.0.0.2") is None
