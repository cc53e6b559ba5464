"""Two Krug processes, one PostgreSQL database, one Redis queue: one room across both."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.services


def test_a_card_posted_on_one_process_reaches_clients_on_the_other(cluster, clients):
    a, b = cluster(KRUG_TIME_SCALE="0.01")
    room = a.create_room("Lea")
    leader = clients(a, room["token"]).connect()
    anna = clients(a, a.join(room["code"], "Anna").json()["token"]).connect()
    boris = clients(b, b.join(room["code"], "Boris").json()["token"]).connect()
    screen = clients(b, room["screen_token"]).connect()
    leader.wait_for(lambda s: len(s["people"]) == 3)
    assert leader.emit("start")["ok"]
    screen.wait_for(lambda s: s["status"] == "running")  # leader on A, screen on B follows
    assert anna.emit("post_card", {"client_id": "x1", "kind": "checkin", "text": "From A"})["ok"]
    assert screen.wait_for(lambda s: [c["text"] for c in s["cards"]] == ["From A"])
    assert boris.emit("post_card", {"client_id": "x2", "kind": "checkin", "text": "From B"})["ok"]
    leader.wait_for(lambda s: [c["text"] for c in s["cards"]] == ["From A", "From B"])
    assert leader.emit("next_phase")["ok"]
    for client in (anna, boris, screen):
        client.wait_for(lambda s: s["phase"]["kind"] == "vote")
