"""After the end, through a real server: every token only learns that the session is over, and
the leaders' tokens open the content-free debrief, across a saved format's meetings too."""
from __future__ import annotations

import json
import time

import pytest
import requests
import socketio

from .live import ok

MARK = "DEBRIEF-MARK-7781"


def refusal(server, token: str) -> dict:
    client = socketio.Client(reconnection=False)
    said: list[dict] = []
    client.on("connect_error", lambda data=None: said.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, auth={"token": token}, transports=["websocket"], wait_timeout=5)
    return said[0]["data"]


def debrief(server, token: str) -> requests.Response:
    return requests.get(f"{server.url}/api/debrief", headers={"Authorization": f"Bearer {token}"}, timeout=5)


OWNER = "owner-key-of-the-tuesday-group"  # the saving device's key (saved formats are its own)


def meeting(server, clients, format_id: str, over: bool = False) -> dict:
    """A short meeting; ``over``: its first phase runs past its (tiny) planned time."""
    room = server.create_room(f"Lea {MARK}", format_id, owner=OWNER)
    leader = clients(server, room["token"]).connect()
    anna_token = server.join(room["code"], f"Anna {MARK}").json()["token"]
    anna = clients(server, anna_token).connect()
    ok(leader.emit("start"))
    ok(anna.emit("post_card", {"client_id": "a1", "kind": "checkin", "text": f"Here {MARK}"}))
    assert debrief(server, room["token"]).json()["error"]["code"] == "session_not_ended"
    if over:
        time.sleep(1.0)  # check-in is planned at 1 minute x KRUG_TIME_SCALE 0.01 = 0.6 s
    ok(leader.emit("end_session"))
    anna.wait_for(lambda s: s["status"] == "ended")
    return {"room": room, "anna": anna_token}


def test_after_the_end_tokens_learn_only_that(shared_server, clients):
    made = meeting(shared_server, clients, "balint-single")
    room = made["room"]
    assert refusal(shared_server, made["anna"]) == {"code": "session_ended", "message": "The session has ended.",
                                                   "details": {"debrief": False}}
    assert refusal(shared_server, room["screen_token"])["details"] == {"debrief": False}
    assert refusal(shared_server, room["token"])["details"] == {"debrief": True}
    assert debrief(shared_server, made["anna"]).status_code == 401
    assert debrief(shared_server, room["screen_token"]).status_code == 401
    assert debrief(shared_server, "not-a-token-at-all-000000").status_code == 401
    export = requests.post(f"{shared_server.url}/api/export", json={},
                           headers={"Authorization": f"Bearer {room['token']}"}, timeout=5)
    assert export.status_code == 410

    answer = debrief(shared_server, room["token"])
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    body = answer.json()
    assert MARK not in json.dumps(body, ensure_ascii=False)
    record = body["record"]
    assert (record["format_id"], record["circle"], record["cards"]) == ("balint-single", 2, 1)
    assert record["phases"][0]["cards"] == 1 and record["phases"][0]["visits"] == 1
    assert body["past"] == []  # a built-in format: other groups' meetings are not this group's


def test_a_saved_format_compares_its_past_meetings(shared_server, clients):
    phases = [{"key": p["key"], "minutes": 1 if i == 0 else p["minutes"]} for i, p in enumerate(next(
        f for f in requests.get(f"{shared_server.url}/api/formats", timeout=5).json()["formats"]
        if f["id"] == "balint-single")["phases"])]
    saved = shared_server.create_room("Lea", "balint-single", save_as=f"Tuesday {MARK}", phases=phases, owner=OWNER)
    format_id = next(f["id"] for f in requests.get(f"{shared_server.url}/api/formats", timeout=5,
                                                   headers={"X-Krug-Owner": OWNER}).json()["formats"]
                     if f["id"].startswith("own-"))
    ok(clients(shared_server, saved["token"]).connect().emit("end_session"))  # never started: no phase ran
    first = meeting(shared_server, clients, format_id, over=True)
    second = meeting(shared_server, clients, format_id)
    body = debrief(shared_server, second["room"]["token"]).json()
    assert [r["ended_at"] for r in body["past"]] == sorted(r["ended_at"] for r in body["past"])
    assert len(body["past"]) == 2 and body["past"][-1]["phases"][0]["over"] is True
    assert debrief(shared_server, first["room"]["token"]).json()["past"][-1]["format_id"] == format_id
