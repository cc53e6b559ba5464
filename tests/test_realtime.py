"""Real transport: a Krug process on 127.0.0.1 and python-socketio clients over websockets."""
from __future__ import annotations

import time

import pytest
import requests
import socketio

from .live import names


def room_with(server, clients, people: list[str]):
    room = server.create_room("Lea")
    leader = clients(server, room["token"]).connect()
    phones = {}
    for name in people:
        joined = server.join(room["code"], name)
        assert joined.status_code == 201, joined.text
        phones[name] = clients(server, joined.json()["token"]).connect()
    expected = len(people) + 1
    for client in [leader, *phones.values()]:
        client.wait_for(lambda s: len(s["people"]) == expected and all(p["online"] for p in s["people"]))
    return room, leader, phones


def test_joins_and_leaves_reach_everyone(shared_server, clients):
    room, leader, phones = room_with(shared_server, clients, ["Anna"])
    screen = clients(shared_server, room["screen_token"]).connect()
    assert screen.me["role"] == "screen"
    joined = shared_server.join(room["code"], "Boris").json()
    boris = clients(shared_server, joined["token"]).connect()
    # Latency is bench/'s to measure (docs/performance.md); here only that everyone hears of it.
    for client in (leader, phones["Anna"], screen):
        client.wait_for(lambda s: names(s) == ["Anna", "Boris", "Lea"])
    boris.close()
    for client in (leader, screen):
        state = client.wait_for(lambda s: any(p["name"] == "Boris" and not p["online"] for p in s["people"]))
        assert next(p for p in state["people"] if p["name"] == "Boris")["off_since"] is not None


def test_reconnect_with_token_resumes_the_same_person(shared_server, clients):
    room, leader, phones = room_with(shared_server, clients, ["Anna"])
    first_id = phones["Anna"].me["person"]
    token = phones["Anna"].token
    phones["Anna"].close()
    again = clients(shared_server, token).connect()
    assert again.me["person"] == first_id and again.me["role"] == "participant"
    state = leader.wait_for(lambda s: sum(p["name"] == "Anna" for p in s["people"]) == 1 and all(p["online"] for p in s["people"]))
    assert len(state["people"]) == 2


def test_thirteenth_person_gets_room_full(shared_server, clients):
    room = shared_server.create_room("Lea")
    for i in range(11):
        assert shared_server.join(room["code"], f"P{i}").status_code == 201
    refused = shared_server.join(room["code"], "Thirteen")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "room_full"
    observer = shared_server.join(room["code"], "Outer", observer=True)
    assert observer.status_code == 201


def test_unknown_token_is_refused(shared_server):
    client = socketio.Client(reconnection=False)
    refusals = []
    client.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(shared_server.url, auth={"token": "x" * 32}, transports=["websocket"])
    assert refusals[0]["data"]["code"] == "not_authenticated" and refusals[0]["message"]


@pytest.mark.parametrize("event, payload, code", [
    ("next_phase", None, "not_leader"),
    ("no_such_event", {}, "unknown_event"),
    ("post_card", "not an object", "bad_request"),
    ("post_card", {"client_id": "x", "kind": "question"}, "bad_request"),
    ("post_card", {"client_id": 5, "kind": "question", "text": "t"}, "bad_request"),
    ("post_card", {"client_id": "x", "kind": "question", "text": "t", "author": "p1"}, "bad_request"),
    ("post_card", {"client_id": "x", "kind": "question", "text": "t"}, "session_not_started"),
    ("extend", {"minutes": "5"}, "bad_request"),
    ("cast_vote", {"nomination_id": "n1"}, "no_vote_open"),
])
def test_bad_payloads_get_error_acks_and_change_nothing(shared_server, clients, event, payload, code):
    room, leader, phones = room_with(shared_server, clients, ["Anna"])
    before = leader.state["v"]
    ack = phones["Anna"].emit(event, payload)
    assert ack["ok"] is False and ack["error"]["code"] == code and ack["error"]["message"]
    time.sleep(0.2)
    assert leader.state["v"] == before
    assert phones["Anna"].emit("time_sync")["ok"] is True  # the connection is still fine


def test_http_join_validates_input(shared_server):
    room = shared_server.create_room("Lea")
    url = f"{shared_server.url}/api/rooms/{room['code']}/join"
    assert requests.post(url, json={"name": "No consent"}).json()["error"]["details"]["field"] == "consent"
    assert requests.post(url, json={"name": "", "consent": True}).json()["error"]["code"] == "empty_text"
    assert requests.post(url, json={"name": "x" * 41, "consent": True}).json()["error"]["code"] == "too_long"
    assert requests.post(url, data="nonsense", headers={"Content-Type": "application/json"}).status_code == 400
    assert requests.post(f"{shared_server.url}/api/rooms/ZZZZZZ/join", json={"name": "A", "consent": True}).status_code == 404


def test_time_sync_answers_server_time(shared_server, clients):
    room, leader, _ = room_with(shared_server, clients, [])
    ack = leader.emit("time_sync")
    assert abs(ack["server_now"] - time.time()) < 1.0


def test_join_attempts_are_rate_limited_per_address(live_server, clients):
    server = live_server(KRUG_JOIN_ATTEMPTS_PER_MINUTE="5")
    room = server.create_room("Lea")  # 1
    answers = [server.join(room["code"], f"P{i}") for i in range(6)]
    assert [a.status_code for a in answers] == [201, 201, 201, 201, 429, 429]
    limited = answers[-1]
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # Guessing tokens over the socket counts too.
    refusals = []
    client = socketio.Client(reconnection=False)
    client.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, auth={"token": "y" * 32}, transports=["websocket"])
    assert refusals[0]["data"]["code"] == "rate_limited"


def test_late_joiner_waits_for_the_leader(shared_server, clients):
    room, leader, phones = room_with(shared_server, clients, ["Anna"])
    assert leader.emit("start")["ok"]
    joined = shared_server.join(room["code"], "Late")
    assert joined.json()["waiting"] is True
    late = clients(shared_server, joined.json()["token"]).connect()
    assert late.me["role"] == "waiting" and "people" not in late.state
    state = leader.wait_for(lambda s: any(p.get("waiting") for p in s["people"]))
    waiting_id = next(p["id"] for p in state["people"] if p.get("waiting"))
    assert leader.emit("admit", {"person_id": waiting_id})["ok"]
    late.wait_me(lambda me: me["role"] == "participant")
    assert late.emit("sync")["state"]["phase"]["kind"] == "check_in"
    assert leader.emit("set_locked", {"locked": True})["ok"]
    assert shared_server.join(room["code"], "Later").json()["error"]["code"] == "room_locked"


def test_only_the_presenter_can_export_their_case(shared_server, clients):
    room, leader, phones = room_with(shared_server, clients, ["Anna", "Boris"])
    anna, boris = phones["Anna"], phones["Boris"]
    nomination = anna.emit("nominate", {"client_id": "n", "title": "The silent patient"})["nomination"]
    assert leader.emit("assign_case", {"case": 1, "nomination_id": nomination})["ok"]
    assert leader.emit("start")["ok"]
    assert leader.emit("jump_to_phase", {"index": 3})["ok"]
    assert anna.emit("set_request", {"text": "Why do I feel guilty?"})["ok"]
    assert leader.emit("next_phase")["ok"]
    assert boris.emit("post_card", {"client_id": "q", "kind": "question", "text": "How long have you seen her?"})["ok"]
    assert leader.emit("next_phase")["ok"]
    assert boris.emit("post_card", {"client_id": "h", "kind": "hypothesis", "text": "Guilt may be hers too."})["ok"]

    def export(token, **body):
        return requests.post(f"{shared_server.url}/api/export", json=body, headers={"Authorization": f"Bearer {token}"})

    mine = export(anna.token, note="Call supervisor.")
    assert mine.status_code == 200 and "attachment" in mine.headers["Content-Disposition"]
    for text in ("The silent patient", "Why do I feel guilty?", "How long have you seen her?", "Guilt may be hers too.", "Call supervisor."):
        assert text in mine.text
    assert export(boris.token).status_code == 403
    assert export(leader.token).status_code == 403
    assert export(room["screen_token"]).status_code == 401
    assert requests.post(f"{shared_server.url}/api/export", json={}).status_code == 401
    assert leader.emit("end_session")["ok"]
    assert export(anna.token).status_code == 401


def test_socket_refuses_a_foreign_origin(shared_server):
    handshake = f"{shared_server.url}/socket.io/?EIO=4&transport=polling"
    foreign = requests.get(handshake, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 400 and "Not an accepted origin" in foreign.text
    assert requests.get(handshake, headers={"Origin": shared_server.url}).status_code == 200


def test_snapshots_travel_as_utf8_not_escaped(shared_server):
    """Russian text is sent as UTF-8: an escaped snapshot would be about twice as large."""
    import websocket

    room = shared_server.create_room("Лея Ивановна")
    ws = websocket.create_connection(f"ws://127.0.0.1:{shared_server.port}/socket.io/?EIO=4&transport=websocket")
    try:
        ws.recv()  # engine.io open
        ws.send('40{{"token":"{}"}}'.format(room["token"]))
        frames = [ws.recv() for _ in range(3)]
    finally:
        ws.close()
    state_frame = next(f for f in frames if '"room_state"' in f)
    assert "Лея Ивановна" in state_frame and "\\u041b" not in state_frame


def test_one_snapshot_serves_both_audiences_when_they_see_the_same(app):
    """Leaders and the circle usually see the same room: then it is encoded and compressed once."""
    from facilitation.engine import Actor
    from facilitation.engine import commands as c
    from facilitation.realtime.broadcast import messages as _messages
    from facilitation.services import services

    with app.app_context():
        rooms = services().rooms
        code, _token, _screen, leader = rooms.create_room(services().formats.get("balint-classic"), "Lea", 1.0)
        room_id = rooms.room_id_for(code)
        _, _, anna = rooms.join(code, "Anna", False)
        rooms.execute(room_id, Actor(person_id=leader), c.Start())
        posted = rooms.execute(room_id, Actor(person_id=anna), c.PostCard(client_id="k1", kind="checkin", text="Hi"))
        [(targets, event, state)] = _messages(posted)
        assert event == "room_state" and targets == [f"r{room_id}:public", f"r{room_id}:lead"]
        hidden = rooms.execute(room_id, Actor(person_id=leader), c.HideCard(card_id=posted.events[0].data["card"]))
        by_target = {target: state for target, event, state in _messages(hidden)}
        assert by_target[f"r{room_id}:public"]["cards"] == [] and by_target[f"r{room_id}:lead"]["cards"][0]["hidden"]
