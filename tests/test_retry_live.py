"""Over a real socket: a command sent again after a lost acknowledgement is answered as the first
and changes nothing; a second press of Next for the same phase moves the room once."""
from __future__ import annotations

from .live import ok


def test_repeats_are_answered_as_the_first_and_change_nothing(live_server, clients):
    server = live_server(KRUG_TIME_SCALE="0.05")
    room = server.create_room("Lea")
    leader = clients(server, room["token"]).connect()
    anna = clients(server, server.join(room["code"], "Anna").json()["token"]).connect()
    ok(leader.emit("start"))

    first = ok(leader.emit("extend", {"minutes": 5, "command_id": "plus5-a"}))
    ends = leader.wait_for(lambda s: s["v"] == first["v"])["timer"]["ends_at"]
    assert leader.emit("extend", {"minutes": 5, "command_id": "plus5-a"}) == {**first, "duplicate": True}
    card = ok(anna.emit("post_card", {"client_id": "c1", "kind": "checkin", "text": "Hi", "command_id": "post-1"}))
    assert anna.emit("post_card", {"client_id": "c1", "kind": "checkin", "text": "Hi", "command_id": "post-1"}) \
        == {**card, "duplicate": True}
    state = ok(leader.emit("sync"))["state"]
    assert state["timer"]["ends_at"] == ends and len(state["cards"]) == 1

    press = ok(leader.emit("next_phase", {"expect_phase": 0, "command_id": "next-a"}))
    second_press = ok(leader.emit("next_phase", {"expect_phase": 0, "command_id": "next-b"}))
    assert second_press["duplicate"] is True
    assert ok(leader.emit("sync"))["state"]["phase"]["index"] == 1 and second_press["v"] == press["v"]
    ok(leader.emit("jump_to_phase", {"index": 3}))
    refused = leader.emit("next_phase", {"expect_phase": 1, "command_id": "next-c"})
    assert refused["error"]["code"] == "phase_changed" and refused["error"]["details"]["phase"] == 3
    assert leader.emit("pause", {"command_id": ""})["error"]["details"]["field"] == "command_id"
