"""Property-based fuzzing through a real server: 10 000 random events from every kind of
holder. Every one is answered; none crashes a handler; the room keeps working; and the stored
state changes only by the commands the server accepted (one version step each)."""
from __future__ import annotations

import contextlib
import json
import random
import string

import pytest
import socketio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config import Config
from facilitation.engine import CLIENT_COMMANDS

EVENTS = sorted(CLIENT_COMMANDS) + ["time_sync", "sync", "message", "room_state", "me", "",
                                    "x" * 300, "__proto__", "post_card ", "Start"]
FIELDS = sorted({f for cls in CLIENT_COMMANDS.values() for f in cls.__dataclass_fields__}) + ["author", "role", "v", ""]

SAMPLES = ["n1", "n2", "c3", "p1", "p2", "p9", "question", "hypothesis", "checkin", "<script>alert(1)</script>",
           "\u202eevil", "\u200b", "0", "-1", "1e309", "", " "]


def random_value(rnd, depth: int = 0):
    kind = rnd.randrange(12 if depth < 2 else 9)
    if kind == 0:
        return None
    if kind == 1:
        return rnd.random() < 0.5
    if kind == 2:
        return rnd.randint(-2**63, 2**63)
    if kind == 3:
        return rnd.choice([0.5, -1.0, 1e308, float("inf"), float("nan")])
    if kind == 4:
        return "".join(rnd.choice(string.printable) for _ in range(rnd.randrange(40)))
    if kind == 5:
        return "y" * rnd.randrange(400, 30000)
    if kind in (6, 7, 8):
        return rnd.choice(SAMPLES)
    if kind == 9:
        return [random_value(rnd, depth + 1) for _ in range(rnd.randrange(4))]
    return {rnd.choice(FIELDS): random_value(rnd, depth + 1) for _ in range(rnd.randrange(5))}


def random_event(rnd):
    event = rnd.choice(EVENTS)
    roll = rnd.random()
    if roll < 0.5 and event in CLIENT_COMMANDS:  # shaped like the real thing, with random values
        fields = list(CLIENT_COMMANDS[event].__dataclass_fields__)
        payload = {f: random_value(rnd) if rnd.random() < 0.3 else rnd.choice(SAMPLES + [1, 2, True, None])
                   for f in fields if rnd.random() < 0.9}
    else:
        payload = random_value(rnd)
    if len(json.dumps(payload)) > TRANSPORT_LIMIT - 4096:
        # Above the transport limit the answer is a disconnect, not an ack: that has its own test.
        payload = {"text": "y" * 1000}
    return rnd.randrange(6), event, payload


BATCH = 2500  # four examples: 10 000 events
TRANSPORT_LIMIT = Config().MAX_MESSAGE_BYTES


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    from bench.live import LiveServer

    server = LiveServer(tmp_path_factory.mktemp("fuzz"), KRUG_TIME_SCALE="0.01").start()
    yield server
    server.stop()


@pytest.mark.filterwarnings("ignore")
@settings(max_examples=4, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.large_base_example])
@given(seed=st.integers(0, 2**32))
def test_ten_thousand_random_events(fuzz_server, seed):
    from .live import Client

    rnd = random.Random(seed)  # Hypothesis picks and reports the seed; the batch is too big to shrink
    batch = [random_event(rnd) for _ in range(BATCH)]
    room = fuzz_server.create_room("Lea")
    tokens = [room["token"], room["screen_token"]] + [
        fuzz_server.join(room["code"], name, observer=name == "Otto").json()["token"] for name in ("Anna", "Boris", "Otto")
    ] + [fuzz_server.create_room("Elsewhere")["token"]]
    conns = [Client(fuzz_server, token, reconnection=False).connect() for token in tokens]
    leader, screen = conns[0], conns[1]  # the screen is never removed: it watches the versions
    try:
        assert leader.emit("start")["ok"]
        start_v = screen.emit("sync")["state"]["v"]
        accepted = 0
        for who, event, payload in batch:
            if conns[who].notices:
                continue  # left, or removed by someone: told so, and the server closes it
            ack = conns[who].emit(event, payload, timeout=20)
            assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (event, ack)
            if not ack["ok"]:
                assert ack["error"]["code"] != "server_error", (event, payload)
                assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]
            elif "v" in ack and not ack.get("duplicate") and who != 5:
                accepted += 1
        present = [c for c in conns if not c.notices]
        assert all(c.sio.connected for c in present), "a connection was dropped"
        end_v = screen.emit("sync")["state"]["v"]
        assert end_v - start_v == accepted, "the room changed other than by accepted commands"
        # The room still works for everyone still in it.
        if screen.emit("sync")["state"]["status"] == "running":
            in_room = [c for c in present if c is not conns[5]]
            roles = {id(c): c.emit("sync")["me"]["role"] for c in in_room}
            leading = next(c for c in in_room if roles[id(c)] == "leader")
            poster = next(c for c in in_room if roles[id(c)] in ("leader", "coleader", "participant"))
            assert leading.emit("jump_to_phase", {"index": 0})["ok"]
            assert poster.emit("post_card", {"client_id": "after-fuzz", "kind": "checkin", "text": "Still here"})["ok"]
            assert screen.wait_for(lambda s: any(c["cid"] == "after-fuzz" for c in s["cards"]))
    finally:
        for conn in conns:
            conn.close()
    assert "Traceback" not in fuzz_server.log()


def test_oversized_message_is_cut_off_and_the_room_goes_on(fuzz_server, clients):
    room = fuzz_server.create_room("Lea")
    anna = clients(fuzz_server, fuzz_server.join(room["code"], "Anna").json()["token"], reconnection=False).connect()
    leader = clients(fuzz_server, room["token"]).connect()
    dropped = []
    anna.sio.on("disconnect", lambda *a: dropped.append(a))
    with contextlib.suppress(socketio.exceptions.SocketIOError):
        anna.sio.emit("post_card", {"client_id": "big", "kind": "checkin", "text": "x" * 200_000})
    leader.wait_for(lambda s: not next(p for p in s["people"] if p["name"] == "Anna")["online"], timeout=10)
    assert leader.emit("start")["ok"]


def test_a_flood_from_one_connection_is_refused_and_the_room_goes_on(live_server, clients):
    server = live_server(KRUG_EVENTS_PER_10S="50")
    room = server.create_room("Lea")
    leader = clients(server, room["token"]).connect()
    flooder = clients(server, server.join(room["code"], "Flo").json()["token"]).connect()
    acks = [flooder.emit("nominate", {"client_id": f"f{i}", "title": "Flood"}) for i in range(80)]
    codes = [a["error"]["code"] for a in acks if not a["ok"]]
    assert codes.count("rate_limited") == 80 - 50
    assert "details" in next(a for a in acks if not a["ok"] and a["error"]["code"] == "rate_limited")["error"]
    assert leader.emit("start")["ok"]  # everyone else is unaffected
