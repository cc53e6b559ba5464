"""Losing a process, losing the network: nothing acknowledged is lost, nobody loses their place."""
from __future__ import annotations

import time

import pytest

from ..live import ok
from ..proxy import Proxy


@pytest.mark.services
def test_clients_fail_over_to_the_other_process_and_find_the_room_as_it_was(cluster, clients):
    a, b = cluster(KRUG_TIME_SCALE="0.05")
    nginx = Proxy([a.port, b.port])
    try:
        room = a.create_room("Lea")
        via = {"url": nginx.url}
        leader = clients(a, room["token"], **via).connect()
        screen = clients(a, room["screen_token"], **via).connect()
        phones = [clients(a, a.join(room["code"], name).json()["token"], **via).connect() for name in ("Anna", "Boris", "Vera")]
        ok(leader.emit("start"))
        for i, phone in enumerate(phones):
            ok(phone.emit("post_card", {"client_id": f"k{i}", "kind": "checkin", "text": f"Card {i}"}))
        ok(leader.emit("pause"))
        before = leader.wait_for(lambda s: len(s["cards"]) == 3 and s["timer"]["paused_remaining"] is not None)
        screen.wait_for(lambda s: s["v"] == before["v"])

        a.kill()  # SIGKILL: no disconnect reaches anyone
        for client in [leader, screen, *phones]:
            client.wait_for(lambda s: s["v"] > before["v"] and s["server_now"] > before["server_now"], timeout=20)
        after = leader.wait_for(lambda s: all(p["online"] for p in s["people"]), timeout=10)
        for key in ("status", "phase", "timer", "cases", "nominations"):
            assert after[key] == before[key], key
        assert [c["cid"] for c in after["cards"]] == ["k0", "k1", "k2"]
        ok(phones[0].emit("post_card", {"client_id": "k-after", "kind": "checkin", "text": "After failover"}))
        screen.wait_for(lambda s: len(s["cards"]) == 4)
        phones[1].close()  # presence is exact again: the dead process's connections do not linger
        leader.wait_for(lambda s: [p["online"] for p in s["people"] if p["name"] == "Boris"] == [False])
    finally:
        nginx.close()


OFFLINE_SECONDS = int(__import__("os").environ.get("KRUG_TEST_OFFLINE_SECONDS", "30"))


def test_phone_offline_keeps_identity_and_its_posts_are_stored_once(live_server, clients):
    server = live_server()
    room = server.create_room("Lea")
    leader = clients(server, room["token"]).connect()
    wifi = Proxy([server.port])
    try:
        phone = clients(server, server.join(room["code"], "Anna").json()["token"], url=wifi.url).connect()
        person = phone.me["person"]
        ok(leader.emit("start"))
        sent = ok(phone.emit("post_card", {"client_id": "before", "kind": "checkin", "text": "Before"}))

        wifi.cut()
        state = leader.wait_for(lambda s: not next(p for p in s["people"] if p["id"] == person)["online"], timeout=10)
        anna = next(p for p in state["people"] if p["id"] == person)
        assert anna["off_since"] is not None and anna["name"] == "Anna"  # reconnecting, not gone
        assert state["grace"] >= OFFLINE_SECONDS
        outbox = [{"client_id": "offline-1", "kind": "checkin", "text": "Written in the lift"},
                  {"client_id": "before", "kind": "checkin", "text": "Before"}]  # its ack was lost: retried
        time.sleep(OFFLINE_SECONDS)
        wifi.restore()

        phone.wait_connected(timeout=15)
        assert phone.me["person"] == person
        acks = [phone.emit("post_card", post) for post in outbox]
        assert acks[0]["ok"] and "duplicate" not in acks[0]
        assert acks[1]["ok"] and acks[1]["duplicate"] is True and acks[1]["card"] == sent["card"]
        final = leader.wait_for(lambda s: next(p for p in s["people"] if p["id"] == person)["online"] and len(s["cards"]) == 2)
        assert sorted(c["cid"] for c in final["cards"]) == ["before", "offline-1"]
    finally:
        wifi.close()


@pytest.mark.services
def test_people_on_a_killed_process_who_never_return_go_offline(cluster, clients):
    """The failover test above covers phones that reconnect; this one a phone that does not."""
    a, b = cluster(KRUG_PROCESS_HEARTBEAT_SECONDS="0.5", KRUG_PROCESS_GONE_AFTER_SECONDS="2")
    room = a.create_room("Lea")
    leader = clients(a, room["token"]).connect()
    anna = clients(b, b.join(room["code"], "Anna").json()["token"], reconnection=False).connect()
    leader.wait_for(lambda s: all(p["online"] for p in s["people"]) and len(s["people"]) == 2)
    anna_id = anna.me["person"]

    b.kill()  # SIGKILL: no disconnect is ever sent for Anna
    state = leader.wait_for(lambda s: not next(p for p in s["people"] if p["id"] == anna_id)["online"], timeout=15)
    assert next(p for p in state["people"] if p["id"] == anna_id)["off_since"] is not None
    assert next(p for p in state["people"] if p["name"] == "Lea")["online"]  # a's own connection stays
