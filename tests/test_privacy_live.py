"""Confidentiality at the edges, through a real server (issue 12). The clients here never ask
for a resync: what they hold is exactly what the server chose to send them."""
from __future__ import annotations

import pytest
import requests
import socketio

from .live import ok

HIDDEN = "Hidden from the group"


def room_with(server, clients, people: list[str], **create):
    room = server.create_room("Lea", **create)
    leader = clients(server, room["token"]).connect()
    phones = {}
    for name in people:
        joined = server.join(room["code"], name)
        assert joined.status_code == 201, joined.text
        phones[name] = clients(server, joined.json()["token"]).connect()
    return room, leader, phones


def at_least(client, version: int) -> dict:
    """The snapshot this client holds once the change of ``version`` reached it."""
    return client.wait_for(lambda s: s["v"] >= version)


def export(server, token):
    return requests.post(f"{server.url}/api/export", json={}, headers={"Authorization": f"Bearer {token}"}, timeout=5)


def started_on_case_one(leader, phones, presenter="Anna"):
    nomination = ok(phones[presenter].emit("nominate", {"client_id": "n", "title": "The case"}))["nomination"]
    ok(leader.emit("assign_case", {"case": 1, "nomination_id": nomination}))
    ok(leader.emit("start"))


def test_anonymity_is_fixed_per_card_when_posted(shared_server, clients):
    """12.1: turning anonymity off reveals no author of a card posted while it was on, and
    turning it on again hides no author of a card posted while it was off."""
    room, leader, phones = room_with(shared_server, clients, ["Anna", "Boris"])
    anna, boris = phones["Anna"], phones["Boris"]
    started_on_case_one(leader, phones)
    ok(leader.emit("jump_to_phase", {"index": 5}))  # case 1 hypotheses: anonymous by default
    hidden_author = ok(boris.emit("post_card", {"client_id": "h1", "kind": "hypothesis", "text": "First"}))["card"]
    ok(leader.emit("set_anonymity", {"kind": "hypothesis", "anonymous": False}))
    named = ok(boris.emit("post_card", {"client_id": "h2", "kind": "hypothesis", "text": "Second"}))["card"]
    v = ok(leader.emit("set_anonymity", {"kind": "hypothesis", "anonymous": True}))["v"]
    for client in (anna, leader):
        cards = {card["id"]: card for card in at_least(client, v)["cards"]}
        assert "by" not in cards[hidden_author]
        assert cards[named]["by"] == boris.me["person"]


def test_a_begun_case_keeps_its_presenter_and_its_export(shared_server, clients):
    """12.2: the co-leader of the issue cannot take a case that ran and download it; the main
    leader may correct a presenter only before anything of the case was said."""
    room, leader, phones = room_with(shared_server, clients, ["Anna", "Boris", "Cole"])
    anna, boris, cole = phones["Anna"], phones["Boris"], phones["Cole"]
    ok(leader.emit("make_coleader", {"person_id": cole.me["person"]}))
    started_on_case_one(leader, phones)
    ok(leader.emit("jump_to_phase", {"index": 2}))  # case 1 begins with Anna presenting
    refused = cole.emit("assign_presenter", {"case": 1, "person_id": cole.me["person"]})
    assert refused["error"]["code"] == "case_begun"
    # The main leader corrects it before anything was said: Boris presents after all.
    ok(leader.emit("assign_presenter", {"case": 1, "person_id": boris.me["person"]}))
    ok(leader.emit("next_phase"))
    ok(boris.emit("set_request", {"text": "Why do I freeze?"}))
    assert leader.emit("assign_presenter", {"case": 1, "person_id": anna.me["person"]})["error"]["code"] == "case_begun"
    ok(leader.emit("jump_to_phase", {"index": 8}))  # the case ran
    for who in (cole, leader):
        assert who.emit("assign_presenter", {"case": 1, "person_id": who.me["person"]})["error"]["code"] == "case_begun"
    nomination = ok(cole.emit("nominate", {"client_id": "c", "title": "Mine"}))["nomination"]
    assert cole.emit("assign_case", {"case": 1, "nomination_id": nomination})["error"]["code"] == "case_begun"
    assert export(shared_server, cole.token).status_code == 403
    assert export(shared_server, anna.token).status_code == 403
    mine = export(shared_server, boris.token)
    assert mine.status_code == 200 and "Why do I freeze?" in mine.text


def test_a_demoted_coleader_stops_seeing_the_leaders_view_at_once(shared_server, clients):
    """12.3: the very snapshot that carries the demotion is already the group's view."""
    room, leader, phones = room_with(shared_server, clients, ["Anna", "Cole"])
    anna, cole = phones["Anna"], phones["Cole"]
    ok(leader.emit("make_coleader", {"person_id": cole.me["person"]}))
    ok(leader.emit("start"))
    card = ok(anna.emit("post_card", {"client_id": "k", "kind": "checkin", "text": HIDDEN}))["card"]
    v = ok(leader.emit("hide_card", {"card_id": card}))["v"]
    assert any(c["id"] == card for c in at_least(cole, v)["cards"])  # a co-leader sees hidden cards
    v = ok(leader.emit("make_coleader", {"person_id": cole.me["person"], "on": False}))["v"]
    state = at_least(cole, v)
    assert state["v"] == v and all(c["id"] != card for c in state["cards"])
    cole.wait_me(lambda me: me["role"] == "participant")
    v = ok(leader.emit("extend", {"minutes": 1}))["v"]  # and every later one
    assert all(c["id"] != card for c in at_least(cole, v)["cards"])


def test_handing_over_moves_both_leaders_at_once(shared_server, clients):
    room, leader, phones = room_with(shared_server, clients, ["Anna", "Boris"])
    anna, boris = phones["Anna"], phones["Boris"]
    ok(leader.emit("start"))
    card = ok(boris.emit("post_card", {"client_id": "k", "kind": "checkin", "text": HIDDEN}))["card"]
    ok(leader.emit("hide_card", {"card_id": card}))
    v = ok(leader.emit("hand_leadership", {"person_id": anna.me["person"]}))["v"]
    assert all(c["id"] != card for c in at_least(leader, v)["cards"])
    assert any(c["id"] == card for c in at_least(anna, v)["cards"])
    assert anna.format and all("prompt" in phase for phase in anna.format["phases"])  # the cue cards came too


def test_a_person_who_leaves_receives_nothing_more(shared_server, clients):
    room, leader, phones = room_with(shared_server, clients, ["Anna", "Boris"])
    boris = phones["Boris"]
    ok(leader.emit("start"))
    v = ok(boris.emit("leave"))["v"]
    assert boris.wait_notice("removed") == {"reason": "left"}
    assert boris.disconnected.wait(5)
    ok(leader.emit("extend", {"minutes": 1}))
    assert boris.state["v"] < v
    with pytest.raises(socketio.exceptions.ConnectionError):
        clients(shared_server, boris.token, reconnection=False).connect()  # the token went with them


def test_the_leader_removes_a_person_and_their_device_is_told(shared_server, clients):
    """12.6: removed in the running session: token revoked, a notice, the socket closed; their
    cards stay without their name; nobody removes the main leader."""
    room, leader, phones = room_with(shared_server, clients, ["Anna", "Boris", "Cole"])
    anna, boris, cole = phones["Anna"], phones["Boris"], phones["Cole"]
    ok(leader.emit("make_coleader", {"person_id": cole.me["person"]}))
    ok(leader.emit("start"))
    card = ok(boris.emit("post_card", {"client_id": "k", "kind": "checkin", "text": "I should not be here"}))["card"]
    lea_id = leader.me["person"]
    assert cole.emit("remove_person", {"person_id": lea_id})["error"]["code"] == "cannot_remove_leader"
    assert leader.emit("admit", {"person_id": boris.me["person"], "admit": False})["error"]["code"] == "not_waiting"
    v = ok(cole.emit("remove_person", {"person_id": boris.me["person"]}))["v"]
    assert boris.wait_notice("removed") == {"reason": "removed"}
    assert boris.disconnected.wait(5)
    assert boris.state["v"] < v
    state = at_least(anna, v)
    assert all(p["id"] != boris.me["person"] for p in state["people"])
    removed_card = next(c for c in state["cards"] if c["id"] == card)
    assert "by" not in removed_card and removed_card["text"] == "I should not be here"
    with pytest.raises(socketio.exceptions.ConnectionError):
        clients(shared_server, boris.token, reconnection=False).connect()
    assert leader.emit("remove_person", {"person_id": boris.me["person"]})["error"]["code"] == "unknown_person"


def test_every_join_can_wait_at_the_door(shared_server, clients):
    """12.6/12.7: with the door on, a newcomer learns no name, title or pitch before being let
    in; being let in brings the room without a resync; being turned away revokes the token."""
    room, leader, phones = room_with(shared_server, clients, [], admit_each=True)
    ok(leader.emit("nominate", {"client_id": "n", "title": "SECRET-TITLE", "pitch": "SECRET-PITCH."}))
    joined = shared_server.join(room["code"], "Anna").json()
    assert joined["waiting"] is True
    anna = clients(shared_server, joined["token"]).connect()
    assert anna.me["role"] == "waiting" and anna.format is None
    assert "SECRET" not in str(anna.state) and "Lea" not in str(anna.state)
    v = ok(leader.emit("admit", {"person_id": anna.me["person"]}))["v"]
    state = at_least(anna, v)
    assert any(n["title"] == "SECRET-TITLE" for n in state["nominations"]) and anna.format is not None
    eve = clients(shared_server, shared_server.join(room["code"], "Eve").json()["token"]).connect()
    ok(leader.emit("admit", {"person_id": eve.me["person"], "admit": False}))
    assert eve.wait_notice("removed") == {"reason": "refused"}
    assert eve.disconnected.wait(5)
    assert "SECRET" not in str(eve.state)
    v = ok(leader.emit("set_admit_each", {"on": False}))["v"]
    assert "admit_each" not in at_least(leader, v)["settings"]  # sent only while on
    assert shared_server.join(room["code"], "Otto").json()["waiting"] is False


def test_the_end_is_announced_to_every_connection(shared_server, clients):
    room, leader, phones = room_with(shared_server, clients, ["Anna"])
    screen = clients(shared_server, room["screen_token"]).connect()
    ok(leader.emit("end_session"))
    for client in (leader, phones["Anna"], screen):
        assert client.wait_notice("ended") == {"reason": "ended"}


@pytest.mark.parametrize(("event", "payload", "field"), [
    ("nominate", {"client_id": "n", "title": "Esc\x1b[31m"}, "title"),
    ("nominate", {"client_id": "n", "title": "Two\nlines"}, "title"),
    ("nominate", {"client_id": "n", "title": "Ok", "pitch": "Nul\x00here."}, "pitch"),
    ("nominate", {"client_id": "n", "title": "Ok", "pitch": "C1\x85here."}, "pitch"),
    ("post_card", {"client_id": "k", "kind": "checkin", "text": "Del\x7f"}, "text"),
])
def test_control_characters_are_refused_naming_the_field(shared_server, clients, event, payload, field):
    room, leader, phones = room_with(shared_server, clients, ["Anna"])
    if event == "post_card":
        ok(leader.emit("start"))
    ack = phones["Anna"].emit(event, payload)
    assert ack["error"]["code"] == "bad_request" and ack["error"]["details"]["field"] == field


def test_line_breaks_stay_where_text_may_span_lines(shared_server, clients):
    room, leader, phones = room_with(shared_server, clients, ["Anna"])
    ok(leader.emit("start"))
    ok(phones["Anna"].emit("post_card", {"client_id": "k", "kind": "checkin", "text": "One\n\tTwo"}))
    refused = requests.post(f"{shared_server.url}/api/rooms/{room['code']}/join",
                            json={"name": "Bell\x07", "consent": True}, timeout=5)
    assert refused.status_code == 400 and refused.json()["error"]["details"]["field"] == "name"


def test_a_refused_token_says_why(shared_server):
    """What a device learns when its token opens no room any more (the browser then forgets the room)."""
    refusals = []
    client = socketio.Client(reconnection=False)
    client.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(shared_server.url, auth={"token": "x" * 32}, transports=["websocket"])
    data = refusals[0]["data"]  # a browser reads err.data in its connect_error handler
    assert data["code"] == "not_authenticated" and data["details"] == {"reason": "token_refused"}
