"""The authorization matrix: every Socket.IO event and every authenticated HTTP route, sent by
every kind of holder, through a real server. What is not allowed is refused with a stable code
and changes nothing; what is allowed never fails for a reason of role."""
from __future__ import annotations

import pytest
import requests
import socketio

from facilitation.engine import CLIENT_COMMANDS

# Refusals that are about who is asking (as opposed to when, or what).
ROLE_CODES = {"not_leader", "not_main_leader", "not_in_circle", "not_presenter", "not_author", "not_authenticated"}
ROLES = ("leader", "coleader", "presenter", "participant", "observer", "screen", "other_room")

LEADING = {"start", "next_phase", "previous_phase", "jump_to_phase", "pause", "resume", "extend",
           "open_vote", "close_vote", "reveal_vote", "break_tie", "assign_case", "assign_presenter",
           "hide_card", "set_anonymity", "set_vote_budget", "end_session", "admit", "set_locked",
           "set_card_hold", "release_cards",
           "split_groups", "swap_people", "remove_person", "set_admit_each"}
MAIN_LEADER = {"hand_leadership", "make_coleader"}
CIRCLE = {"nominate", "cast_vote", "retract_vote", "post_card"}


def expected(event: str, role: str) -> str:
    """'allowed', or the refusal code this role must get."""
    if role == "other_room":
        return "elsewhere"  # acts on its own room, never on this one
    if role == "screen":
        return "not_in_circle"
    if event in LEADING:
        return "allowed" if role in ("leader", "coleader") else "not_leader"
    if event in MAIN_LEADER:
        return "allowed" if role == "leader" else "not_main_leader"
    if event in CIRCLE:
        return "not_in_circle" if role == "observer" else "allowed"
    if event == "withdraw_nomination":  # the nomination belongs to the presenter
        return {"observer": "not_in_circle", "participant": "not_author"}.get(role, "allowed")
    if event == "set_request":
        return {"observer": "not_in_circle", "participant": "not_presenter"}.get(role, "allowed")
    if event == "leave":
        return "allowed"
    raise AssertionError(f"no stated outcome for {event}")


PAYLOADS = {
    "jump_to_phase": {"index": 1}, "extend": {"minutes": 1}, "open_vote": {},
    "nominate": {"client_id": "m", "title": "Another case"}, "post_card": {"client_id": "k", "kind": "checkin", "text": "Hi"},
    "set_request": {"text": "My request"}, "set_anonymity": {"kind": "question", "anonymous": True},
    "set_vote_budget": {"budget": 2}, "set_locked": {"locked": True}, "hide_card": {"card_id": "c1"},
    "assign_presenter": {"case": 2, "person_id": "p3"}, "make_coleader": {"person_id": "p4"},
    "hand_leadership": {"person_id": "p4"}, "admit": {"person_id": "p4"},
    "set_card_hold": {"on": True}, "release_cards": {"all": True},
    "split_groups": {"size": 2}, "swap_people": {"person_id": "p3", "other_id": "p4"},
    "remove_person": {"person_id": "p5"}, "set_admit_each": {"on": True},
}


def payload_for(event: str, room: dict) -> dict:
    if event in ("withdraw_nomination", "cast_vote", "retract_vote", "break_tie"):
        return {"nomination_id": room["nomination"]}
    if event == "assign_case":
        return {"case": 2, "nomination_id": room["nomination"]}
    return PAYLOADS.get(event, {})


def make_room(server, clients) -> dict:
    """A room in the lobby with one holder of every kind, all connected."""
    room = server.create_room("Lea")
    tokens = {"leader": room["token"], "screen": room["screen_token"]}
    for role, name, observer in (("coleader", "Cole", False), ("presenter", "Pia", False),
                                 ("participant", "Paul", False), ("observer", "Otto", True)):
        tokens[role] = server.join(room["code"], name, observer=observer).json()["token"]
    tokens["other_room"] = server.create_room("Elsewhere")["token"]
    conns = {role: clients(server, token).connect() for role, token in tokens.items()}
    ids = {role: conns[role].me["person"] for role in ("coleader", "presenter", "participant")}
    assert conns["leader"].emit("make_coleader", {"person_id": ids["coleader"]})["ok"]
    nomination = conns["presenter"].emit("nominate", {"client_id": "n", "title": "My case"})["nomination"]
    assert conns["leader"].emit("assign_case", {"case": 1, "nomination_id": nomination})["ok"]
    return {"conns": conns, "nomination": nomination, "code": room["code"]}


@pytest.mark.parametrize("event", sorted(CLIENT_COMMANDS))
def test_every_event_by_every_role(shared_server, clients, event):
    room = make_room(shared_server, clients)
    conns = room["conns"]
    watcher = conns["leader"]
    # Refusals first: each must leave the room exactly as it was.
    for role in sorted(ROLES, key=lambda r: expected(event, r) == "allowed"):
        outcome = expected(event, role)
        before = watcher.emit("sync")["state"]["v"]
        ack = conns[role].emit(event, payload_for(event, room))
        after = watcher.emit("sync")["state"]["v"]
        if outcome == "allowed":
            assert ack["ok"] or ack["error"]["code"] not in ROLE_CODES, (event, role, ack)
        elif outcome == "elsewhere":
            assert after == before, (event, role)
        else:
            assert ack == {"ok": False, "error": ack["error"]} and ack["error"]["code"] == outcome, (event, role, ack)
            assert after == before, (event, role)


def test_no_token_no_connection(shared_server):
    for auth in (None, {}, {"token": ""}, {"token": 42}, {"token": "z" * 5000}):
        client = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(shared_server.url, auth=auth, transports=["websocket"])


@pytest.mark.parametrize("role", ROLES + ("none",))
def test_export_route_by_every_role(shared_server, clients, role):
    room = make_room(shared_server, clients)
    token = room["conns"][role].token if role != "none" else "not-a-token-at-all-00000000"
    response = requests.post(f"{shared_server.url}/api/export", json={}, headers={"Authorization": f"Bearer {token}"})
    # In the lobby nobody has presented yet: the right to export begins with the presentation
    # (test_realtime and test_privacy_live download a presented case).
    want = {"screen": 401, "none": 401}.get(role, 403)
    assert response.status_code == want, (role, response.text)


@pytest.mark.parametrize("path", ["/", "/j/{code}", "/s/{code}", "/c/{code}", "/qr/{code}.svg", "/api/formats",
                                  "/i18n/ru.json", "/healthz"])
def test_pages_hold_no_secrets_and_need_no_token(shared_server, clients, path):
    room = make_room(shared_server, clients)
    response = requests.get(shared_server.url + path.format(code=room["code"]))
    assert response.status_code == 200
    for conn in room["conns"].values():
        assert conn.token not in response.text
