"""Over a real transport: held and hidden cards reach only whom they should, and who has not
voted yet reaches leaders only (issue 14: 6, 7, 13)."""
from __future__ import annotations

import json

import requests

from .live import ok

SECRET = "You should have referred her at once"


def recording(client):
    """Every room_state and me this client receives, as JSON text."""
    seen: list[str] = []
    on_state, on_me = client._on_state, client._on_me
    client.sio.on("room_state", lambda data: (seen.append(json.dumps(data, ensure_ascii=False)), on_state(data)))
    client.sio.on("me", lambda data: (seen.append(json.dumps(data, ensure_ascii=False)), on_me(data)))
    return seen


def room_in_hypotheses(server, clients):
    room = server.create_room("Lea")
    leader = clients(server, room["token"]).connect()
    anna = clients(server, server.join(room["code"], "Anna").json()["token"])
    boris = clients(server, server.join(room["code"], "Boris").json()["token"])
    screen = clients(server, room["screen_token"])
    heard = {name: recording(client) for name, client in (("anna", anna), ("boris", boris), ("screen", screen))}
    for client in (anna, boris, screen):
        client.connect()
    nomination = ok(boris.emit("nominate", {"client_id": "n1", "title": "The silent patient"}))["nomination"]
    ok(leader.emit("assign_case", {"case": 1, "nomination_id": nomination}))
    ok(leader.emit("start"))
    ok(leader.emit("jump_to_phase", {"index": 5}))
    ok(leader.emit("set_card_hold", {"on": True}))
    for client in (leader, anna, boris, screen):
        client.wait_for(lambda s: s["settings"]["card_hold"] and s["phase"]["kind"] == "hypotheses")
    return leader, anna, boris, screen, heard


def test_a_held_card_waits_for_the_leader_and_a_hidden_one_is_told_to_its_author(shared_server, clients):
    leader, anna, boris, screen, heard = room_in_hypotheses(shared_server, clients)
    posted = ok(anna.emit("post_card", {"client_id": "h1", "kind": "hypothesis", "text": SECRET}))
    card = posted["card"]
    held = leader.wait_for(lambda s: any(c["id"] == card for c in s["cards"]))
    assert next(c for c in held["cards"] if c["id"] == card)["held"] is True
    mine = anna.wait_me(lambda m: m.get("withheld"))
    assert mine["withheld"] == [{"id": card, "cid": "h1", "kind": "hypothesis", "text": SECRET, "held": True}]
    for client in (anna, boris, screen):
        assert client.wait_for(lambda s: s["v"] >= posted["v"])["cards"] == []
    assert not any(SECRET in text for text in heard["boris"] + heard["screen"])
    export = requests.post(f"{shared_server.url}/api/export", json={},
                           headers={"Authorization": f"Bearer {boris.token}"}, timeout=5)
    assert export.status_code == 200 and SECRET not in export.text  # nor in the presenter's own copy

    # Released: the room sees it, and the author's own view forgets the wait.
    released = ok(leader.emit("release_cards", {"card_ids": [card]}))
    for client in (anna, boris, screen):
        state = client.wait_for(lambda s: s["v"] >= released["v"])
        assert [c["text"] for c in state["cards"]] == [SECRET]
    anna.wait_me(lambda m: m["withheld"] == [])

    # Hidden: gone from the room, told to the author alone.
    ok(leader.emit("hide_card", {"card_id": card}))
    mine = anna.wait_me(lambda m: m["withheld"])
    assert mine["withheld"][0]["hidden"] is True and "held" not in mine["withheld"][0]
    for client in (anna, boris, screen):
        assert client.wait_for(lambda s: s["cards"] == [])["cards"] == []
    assert boris.me["withheld"] == [] and screen.me.get("withheld") is None


def test_release_all_and_refusals_over_the_wire(shared_server, clients):
    leader, anna, _boris, screen, _heard = room_in_hypotheses(shared_server, clients)
    for i in range(3):
        ok(anna.emit("post_card", {"client_id": f"h{i}", "kind": "hypothesis", "text": f"Card {i}"}))
    assert anna.emit("release_cards", {"all": True})["error"]["code"] == "not_leader"
    assert leader.emit("release_cards", {"card_ids": "c1"})["error"]["code"] == "bad_request"
    assert leader.emit("release_cards", {})["error"]["code"] == "bad_request"
    assert leader.emit("release_cards", {"card_ids": ["nope"]})["error"]["code"] == "not_found"
    ok(leader.emit("release_cards", {"all": True}))
    state = screen.wait_for(lambda s: len(s["cards"]) == 3)
    assert [c["text"] for c in state["cards"]] == ["Card 0", "Card 1", "Card 2"]


def test_who_has_not_voted_reaches_leaders_only(shared_server, clients):
    room = shared_server.create_room("Lea")
    leader = clients(shared_server, room["token"]).connect()
    phones = {name: clients(shared_server, shared_server.join(room["code"], name).json()["token"]).connect()
              for name in ("Anna", "Boris", "Vera")}
    screen = clients(shared_server, room["screen_token"]).connect()
    nomination = ok(phones["Anna"].emit("nominate", {"client_id": "n1", "title": "One"}))["nomination"]
    ok(leader.emit("open_vote"))
    ok(phones["Anna"].emit("cast_vote", {"nomination_id": nomination}))
    voted = ok(phones["Boris"].emit("cast_vote", {"nomination_id": nomination}))
    lead = leader.wait_for(lambda s: s["v"] >= voted["v"])["vote"]
    by_name = {p["id"]: p["name"] for p in leader.state["people"]}
    assert (lead["voters"], lead["eligible"]) == (2, 4)
    assert sorted(by_name[pid] for pid in lead["not_voted"]) == ["Lea", "Vera"]
    for client in (screen, phones["Vera"]):
        public = client.wait_for(lambda s: s["v"] >= voted["v"])["vote"]
        assert (public["voters"], public["eligible"]) == (2, 4) and "not_voted" not in public
