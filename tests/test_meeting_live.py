"""Whole meetings through the socket API of a real server, one with a SIGKILL restart mid-phase."""
from __future__ import annotations

import pytest

from bench.live import LiveServer

from .live import ok

MARKER = "OKAPI-4411"  # in every piece of content; must never reach the server log


def run_meeting(server: LiveServer, clients, format_id: str, restart_at: str | None = None) -> None:
    room = server.create_room(f"Lea {MARKER}", format_id)
    leader = clients(server, room["token"]).connect()
    screen = clients(server, room["screen_token"]).connect()
    phones = []
    for name in ["Anna", "Boris", "Vera", "Gleb"]:
        phones.append(clients(server, server.join(room["code"], f"{name} {MARKER}").json()["token"]).connect())
    anna, boris, vera, gleb = phones
    everyone = [leader, screen, *phones]
    for client in everyone:
        client.wait_for(lambda s: len(s["people"]) == 5 and all(p["online"] for p in s["people"]))

    ok(leader.emit("start"))
    restarted = False
    posted: list[str] = []
    while True:
        state = leader.wait_for(lambda s: s["status"] == "running")
        phase = state["phase"]
        kind = phase["kind"]
        presenter = next((c["presenter"] for c in state["cases"] if c["number"] == phase["case"]), None)
        presenter_client = next((p for p in phones if p.me["person"] == presenter), None)
        if kind == "vote" and state["vote"] is None and not any(c["presenter"] for c in state["cases"]):
            ok(anna.emit("nominate", {"client_id": "n-anna", "title": f"A patient who stopped coming {MARKER}"}))
            ok(boris.emit("nominate", {"client_id": "n-boris", "title": "The angry father", "pitch": f"He shouts. I freeze. {MARKER}"}))
            ok(leader.emit("open_vote"))
            state = vera.wait_for(lambda s: s["vote"] and s["vote"]["open"])
            first, second = [n["id"] for n in state["nominations"]]
            ok(vera.emit("cast_vote", {"nomination_id": second}))
            ok(gleb.emit("cast_vote", {"nomination_id": second}))
            assert ok(anna.emit("cast_vote", {"nomination_id": first}))["votes"] == [first]
            assert "tallies" not in screen.wait_for(lambda s: s["vote"]["ballots"] == 3)["vote"]
            ok(leader.emit("close_vote"))
            ok(leader.emit("reveal_vote"))
            shown = screen.wait_for(lambda s: s["vote"]["revealed"])
            assert shown["vote"]["tallies"] == {first: 1, second: 2}
            assert shown["cases"][0]["presenter"] == boris.me["person"]
        if kind == "request":
            ok(presenter_client.emit("set_request", {"text": f"Help me see why I freeze. {MARKER}"}))
        for card_kind, audience in phase["posts"].items():
            author = presenter_client if audience == "presenter" else next(
                p for p in phones if p is not presenter_client)
            client_id = f"{phase['key']}-{card_kind}"
            ok(author.emit("post_card", {"client_id": client_id, "kind": card_kind, "text": f"A {card_kind} in {phase['key']} {MARKER}"}))
            posted.append(client_id)
            if phase["silent"] and presenter_client is not None:
                refused = presenter_client.emit("post_card", {"client_id": "x", "kind": card_kind, "text": "Let me explain"})
                assert refused["error"]["code"] == "presenter_is_silent"
                assert screen.wait_for(lambda s: s["presenter_outside"])["presenter_outside"] is True
        if phase["key"] == restart_at and not restarted:
            ok(leader.emit("extend", {"minutes": 5}))
            before = screen.wait_for(lambda s: len([c for c in s["cards"] if c["cid"] in posted]) >= 1)
            before_v = leader.wait_for(lambda s: s["timer"]["ends_at"] > s["timer"]["started_at"] + s["timer"]["duration"])
            server.restart()
            for client in everyone:  # every client reconnects by itself and gets the same room
                client.wait_for(lambda s, before=before, before_v=before_v: s["server_now"] > before["server_now"] and s["v"] > before_v["v"], timeout=15)
            after = screen.state
            assert after["phase"] == before["phase"]
            assert after["timer"]["ends_at"] == before_v["timer"]["ends_at"]
            assert [c["cid"] for c in after["cards"]] == [c["cid"] for c in before["cards"]]
            assert len(after["people"]) == 5
            restarted = True
        if leader.emit("next_phase")["ok"] is False:
            break
    assert restart_at is None or restarted
    final = leader.wait_for(lambda s: s["phase"]["kind"] == "closing")
    ok(leader.emit("end_session"))
    ended = screen.wait_for(lambda s: s["status"] == "ended")
    assert ended["cards"] == [] and ended["nominations"] == [] and all(p["name"] == "" for p in ended["people"])
    assert len(final["plan"]["phases"]) == len(leader.format["phases"]) and leader.format["phases"][-1]["kind"] == "closing"
    assert "prompt" in leader.format["phases"][0] and "prompt" not in screen.format["phases"][0]  # cue cards: leaders only
    log = server.log()
    assert "event=post_card" in log and "event=nominate" in log and "event=set_request" in log
    assert MARKER not in log and "Anna" not in log and "angry father" not in log


def test_classic_meeting_with_a_server_restart(live_server, clients):
    server = live_server(KRUG_TIME_SCALE="0.01")
    run_meeting(server, clients, "balint-classic", restart_at="case1_questions")


@pytest.mark.parametrize("format_id", ["intervision", "troika"])
def test_other_formats_through_the_socket_api(live_server, clients, format_id):
    server = live_server(KRUG_TIME_SCALE="0.01")
    run_meeting(server, clients, format_id)
