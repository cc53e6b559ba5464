"""Malformed input through a raw websocket, raw polling and HTTP, against a real server.

Every malformed packet gets a clear error acknowledgement (when it asked for one on a
connected namespace) or a clean disconnect; the log gets one line per refusal, never a
traceback, never the content; reserved event names from clients are refused; text that is not
valid Unicode (a lone UTF-16 surrogate) is `bad_request` naming the field, never a 500 or
`server_error`. Meanwhile another client is served."""
from __future__ import annotations

import json

import pytest
import requests

from facilitation.realtime.wire import ANSWERED_PER_CONNECTION

from .raw import RawPolling, RawSocket

SECRET = "sekret-case-words"  # content that must never reach the log

# Packets a client can only send on purpose; each closes its connection.
CLOSING = {
    "truncated JSON": '42["post_card",{"text":"' + SECRET,
    "invalid JSON": '42["time_sync",{' + SECRET + "}]",
    "nesting past the parser's depth": "42" + "[" * 30_000 + "]" * 30_000,
    "integer over 4 300 digits": '42["time_sync",' + "9" * 5000 + "]",
    "unknown packet type": '49["time_sync"]',
    "connect error from a client": '44{"message":"' + SECRET + '"}',
    "binary event": '451-["time_sync",{"_placeholder":true,"num":0}]',
    "not a packet at all": '4' + SECRET,
    "empty packet": "4",
    "negative ack id": '42-1["time_sync"]',
    "event name not text, no ack asked": '42[["' + SECRET + '"]]',
    "reserved name, no ack asked": '42["connect",{"token":"x"}]',
    "empty event": "42[]",
}

# Websocket messages that are not Engine.IO packets at all.
NOT_ENGINEIO = {"empty message": "", "no packet type": "x" + SECRET, "open from a client": "0{}"}

# Packets that asked for an acknowledgement on a connected namespace: answered bad_request.
ANSWERED = {
    "array as event name": '425[["post_card"],{}]',
    "object as event name": '426[{"' + SECRET + '":1}]',
    "number as event name": "427[42]",
    "event named connect": '428["connect",{"token":"x"}]',
    "event named disconnect": '429["disconnect"]',
    "event named connect_error": '4210["connect_error"]',
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from .live import LiveServer

    server = LiveServer(tmp_path_factory.mktemp("malformed"), KRUG_TIME_SCALE="0.01").start()
    yield server
    server.stop()


@pytest.fixture
def room(server, clients):
    room = server.create_room("Lea")
    room["leader"] = clients(server, room["token"]).connect()
    room["anna"] = server.join(room["code"], "Anna").json()["token"]
    return room


def refusals(server) -> int:
    return server.log().count("refused packet:")


@pytest.mark.parametrize("name", list(CLOSING))
def test_a_malformed_packet_closes_its_connection_with_one_log_line(server, room, name):
    raw = RawSocket(server)
    assert raw.connect(room["anna"])["ok"]
    before = refusals(server)
    raw.send(CLOSING[name])
    assert raw.closed_by_server()
    assert room["leader"].emit("time_sync")["ok"]  # the server goes on for everyone else
    assert refusals(server) == before + 1
    log = server.log()
    assert "Traceback" not in log
    assert SECRET not in log


@pytest.mark.parametrize("name", list(NOT_ENGINEIO))
def test_a_websocket_message_that_is_not_engineio_closes_the_connection_cleanly(server, room, name):
    raw = RawSocket(server)
    assert raw.connect(room["anna"])["ok"]
    leader = room["leader"]
    leader.wait_for(lambda s: any(p["name"] == "Anna" and p["online"] for p in s["people"]))
    before = server.log().count("refused websocket message")
    raw.send(NOT_ENGINEIO[name])
    assert raw.closed_by_server()
    # The disconnect ran: Anna shows offline at once, not after a ping timeout.
    leader.wait_for(lambda s: not next(p for p in s["people"] if p["name"] == "Anna")["online"])
    assert server.log().count("refused websocket message") == before + 1
    log = server.log()
    assert "Traceback" not in log and SECRET not in log and "500 Internal" not in log


def test_a_binary_websocket_message_closes_the_connection(server, room):
    raw = RawSocket(server)
    assert raw.connect(room["anna"])["ok"]
    before = refusals(server)
    raw.ws.send_binary(b"\x04" + SECRET.encode())
    assert raw.closed_by_server()
    assert refusals(server) == before + 1
    assert "Traceback" not in server.log()


@pytest.mark.parametrize("name", list(ANSWERED))
def test_a_malformed_event_asking_for_an_ack_is_answered_bad_request(server, room, name):
    raw = RawSocket(server)
    assert raw.connect(room["anna"])["ok"]
    before = refusals(server)
    packet = ANSWERED[name]
    ack_id = int(packet[2:packet.index("[")])
    raw.send(packet)
    ack = raw.ack(ack_id)
    assert ack["ok"] is False and ack["error"]["code"] == "bad_request"
    assert raw.call(99, "time_sync")["ok"]  # the connection goes on
    assert refusals(server) == before + 1
    assert "Traceback" not in server.log() and SECRET not in server.log()
    raw.close()


def test_events_named_disconnect_or_connect_are_not_taken_for_the_real_thing(server, room):
    raw = RawSocket(server)
    assert raw.connect(room["anna"])["ok"]
    leader = room["leader"]
    leader.wait_for(lambda s: any(p["name"] == "Anna" and p["online"] for p in s["people"]))
    v = leader.emit("sync")["state"]["v"]
    raw.send('421["disconnect"]')
    raw.send('422["connect",{"token":"' + room["anna"] + '"}]')
    assert raw.ack(1)["error"]["code"] == "bad_request"
    assert raw.ack(2)["error"]["code"] == "bad_request"
    state = leader.emit("sync")["state"]
    assert state["v"] == v  # nothing happened to the room
    assert next(p for p in state["people"] if p["name"] == "Anna")["online"]
    raw.close()


def test_lone_surrogates_are_bad_request_naming_the_field(server, room):
    leader = room["leader"]
    assert leader.emit("start")["ok"]
    raw = RawSocket(server)
    assert raw.connect(room["token"])["ok"]
    # Sent as raw JSON text: a \ud800 escape that no client library would produce.
    raw.send('421["post_card",{"client_id":"s1","kind":"checkin","text":"a\\ud800b"}]')
    ack = raw.ack(1)
    assert ack["error"]["code"] == "bad_request" and ack["error"]["details"]["field"] == "text"
    raw.send('422["post_card",{"client_id":"\\udfff","kind":"checkin","text":"fine"}]')
    assert raw.ack(2)["error"]["details"]["field"] == "client_id"
    raw.send('423["post_card",{"\\ud83d":1}]')
    assert raw.ack(3)["error"]["code"] == "bad_request"
    raw.send('424["\\ud83d",{}]')  # an event name: unknown, and not echoed
    assert raw.ack(4)["error"]["code"] == "unknown_event"
    assert raw.call(5, "post_card", {"client_id": "s2", "kind": "checkin", "text": "Still fine"})["ok"]
    raw.close()
    # In the connect packet's auth.
    other = RawSocket(server)
    other.send('40{"token":"\\ud800"}')
    refused = other.recv()
    assert refused.startswith("44") and json.loads(refused[2:])["data"]["code"] == "bad_request"
    other.close()
    # In HTTP JSON bodies.
    headers = {"Content-Type": "application/json"}
    created = requests.post(f"{server.url}/api/rooms", data='{"leader_name":"\\ud800"}', headers=headers, timeout=5)
    assert created.status_code == 400 and created.json()["error"]["details"]["field"] == "leader_name"
    created = requests.post(f"{server.url}/api/rooms", data='{"leader_name":"Lea","phases":[{"key":"\\udc00"}]}',
                            headers=headers, timeout=5)
    assert created.status_code == 400 and created.json()["error"]["details"]["field"] == "phases[0].key"
    joined = requests.post(f"{server.url}/api/rooms/{room['code']}/join", data='{"name":"\\ud800","consent":true}',
                           headers=headers, timeout=5)
    assert joined.status_code == 400 and joined.json()["error"]["details"]["field"] == "name"
    log = server.log()
    assert "Traceback" not in log and "server_error" not in log


def test_malformed_http_json_is_bad_request_not_a_500(server):
    headers = {"Content-Type": "application/json"}
    for body in ("[" * 100_000 + "]" * 100_000, '{"leader_name":' + "9" * 5000 + "}", '{"leader_name":"x', "\xff"):
        answer = requests.post(f"{server.url}/api/rooms", data=body.encode("utf-8", "surrogateescape"),
                               headers=headers, timeout=5)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["code"] == "bad_request"
    assert "Traceback" not in server.log()


def test_malformed_packets_over_long_polling_close_the_session(server, room):
    polling = RawPolling(server)
    assert polling.post('40{"token":"' + room["anna"] + '"}').status_code == 200
    assert "40" in polling.get().text
    before = refusals(server)
    assert polling.post('42["time_sync",' + "9" * 5000 + "]").status_code == 200
    after = polling.get()
    assert after.status_code == 400 or after.text.endswith("1")
    assert refusals(server) == before + 1
    # Bytes that are not UTF-8, or not Engine.IO packets at all: answered 400, session closed.
    for body in (b"\xff\xfe", b"x" + SECRET.encode()):
        polling = RawPolling(server)
        assert polling.post(body).status_code == 400
        assert polling.get().status_code == 400 or polling.get().text.endswith("1")
    log = server.log()
    assert "Traceback" not in log and SECRET not in log


def test_a_burst_of_malformed_packets_leaves_the_log_short(server, room):
    """The issue's measure: 733 raw packets gave 944 tracebacks. Now one line each, and a
    connection that sends nothing else is closed after a few answers."""
    before_lines = len(server.log().splitlines())
    raw = RawSocket(server)
    assert raw.connect(room["anna"])["ok"]
    for i in range(200):
        raw.send(f'42{i}[["x"]]')
    for i in range(ANSWERED_PER_CONNECTION):
        assert raw.ack(i)["error"]["code"] == "bad_request"
    assert raw.closed_by_server()
    assert room["leader"].emit("time_sync")["ok"]
    new_lines = server.log().splitlines()[before_lines:]
    assert len([line for line in new_lines if "refused packet" in line]) == ANSWERED_PER_CONNECTION + 1
    assert len(new_lines) <= ANSWERED_PER_CONNECTION + 4  # + connect, disconnect
    assert "Traceback" not in server.log()
