"""Transport limits that cannot be walked around, through the real transports of a real server:
a websocket message in many fragments, long-polling POSTs and HTTP bodies over their limits,
connections that never present a token. Each refusal is answered (or the connection closed),
logged as one line without a traceback, and another client is served meanwhile."""
from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest
import requests
import websocket
from eventlet import websocket as eventlet_websocket
from websocket import ABNF

from config import Config
from facilitation.realtime import ws_limits

from .raw import RawPolling, RawSocket, headers_only_post

LIMIT = Config().MAX_MESSAGE_BYTES
BODY_LIMIT = Config().MAX_BODY_BYTES
REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"


def fragments(total: int, size: int):
    """A text message of ``total`` bytes as frames of ``size``: a start, then continuations."""
    yield ABNF.create_frame("42[\"post_card\",\"" + "x" * (size - 16), ABNF.OPCODE_TEXT, fin=0)
    sent = size
    while sent < total:
        yield ABNF.create_frame("x" * size, ABNF.OPCODE_CONT, fin=0)
        sent += size


def send_fragmented(raw: RawSocket, total: int, size: int) -> int:
    """Send until done or until the server stops listening; returns the bytes sent."""
    sent = 0
    try:
        for frame in fragments(total, size):
            raw.ws.send_frame(frame)
            sent += size
    except (OSError, websocket.WebSocketException):
        pass
    return sent


def close_code(raw: RawSocket) -> int | None:
    try:
        while True:
            opcode, data = raw.ws.recv_data(control_frame=True)
            if opcode == ABNF.OPCODE_CLOSE:
                return int.from_bytes(data[:2], "big")
    except (OSError, websocket.WebSocketException):
        return None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from .live import LiveServer

    server = LiveServer(tmp_path_factory.mktemp("limits"), KRUG_TIME_SCALE="0.01").start()
    yield server
    server.stop()


def test_a_message_in_many_fragments_is_refused_as_it_arrives_and_others_are_served(server, clients):
    room = server.create_room("Lea")
    leader = clients(server, room["token"]).connect()
    attacker = RawSocket(server)
    assert attacker.connect(server.join(room["code"], "Mallory").json()["token"])["ok"]
    before = server.log().count("\n")
    outcome = {}
    attack = threading.Thread(target=lambda: outcome.update(sent=send_fragmented(attacker, 32 * 1024 * 1024, 16 * 1024)))
    attack.start()
    served = 0
    while attack.is_alive() or served < 3:
        assert leader.emit("time_sync")["ok"]
        served += 1
    attack.join()
    # The server failed the connection with 1009 once the message passed the limit; what the
    # attacker still pushed went no further than the kernel's buffers.
    assert close_code(attacker) in (1009, None)
    assert outcome["sent"] < 32 * 1024 * 1024
    assert leader.emit("post_card", {"client_id": "c1", "kind": "checkin", "text": "still here"})["ok"] is not None
    new_log = "\n".join(server.log().splitlines()[before:])
    assert "Traceback" not in new_log
    assert new_log.count("refused websocket message: over") == 1


def test_a_message_just_within_the_limit_in_fragments_is_taken(server):
    room = server.create_room("Lea")
    raw = RawSocket(server)
    assert raw.connect(room["token"])["ok"]
    text = "y" * 400
    body = f'421["post_card",{{"client_id":"frag","kind":"checkin","text":"{text}"}}]'
    pad = LIMIT - len(body) - 64
    body = body[:-2] + " " * pad + body[-2:]  # JSON whitespace: the message is near the limit
    pieces = [body[i:i + 1000] for i in range(0, len(body), 1000)]
    for i, piece in enumerate(pieces):
        opcode = ABNF.OPCODE_TEXT if i == 0 else ABNF.OPCODE_CONT
        raw.ws.send_frame(ABNF.create_frame(piece, opcode, fin=int(i == len(pieces) - 1)))
    ack = raw.ack(1)
    assert ack["ok"] is False and ack["error"]["code"] == "session_not_started"  # answered, not cut off
    raw.close()


def test_one_frame_over_the_limit_is_refused(server):
    raw = RawSocket(server)
    raw.ws.send("42" + "z" * LIMIT)
    assert raw.closed_by_server()


def test_an_oversized_polling_post_is_answered_413_and_its_session_closed(server, clients):
    room = server.create_room("Lea")
    leader = clients(server, room["token"]).connect()
    polling = RawPolling(server)
    before = server.log().count("refused request body")
    status, body = polling.post_headers_only(10 * 1024 * 1024)
    assert status == 413
    assert b'"too_long"' in body
    gone = polling.get()  # the session is closed: a CLOSE packet, or an unknown session
    assert gone.status_code == 400 or gone.text.startswith("1")
    assert server.log().count("refused request body") == before + 1
    assert leader.emit("time_sync")["ok"]


def test_oversized_polling_posts_never_hold_connection_slots(live_server):
    server = live_server(KRUG_MAX_CONNECTIONS="20")
    for _ in range(40):
        polling = RawPolling(server)
        assert polling.post_headers_only(LIMIT + 1)[0] == 413
    assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200
    assert "Traceback" not in server.log()


def test_a_polling_post_within_the_limit_is_taken(server):
    room = server.create_room("Lea")
    polling = RawPolling(server)
    assert polling.post('40{"token":"' + room["token"] + '"}').status_code == 200
    assert "40" in polling.get().text


def test_every_http_route_has_a_body_limit(server):
    for path in ("/api/rooms", "/api/rooms/ABCDE/join", "/api/export", "/"):
        status, body = headers_only_post(server.port, path, BODY_LIMIT + 1)
        assert status == 413, path
        assert b'"too_long"' in body
    # A chunked body (no length announced) is refused before any of it is read.
    big = (b'{"leader_name":"' + b"x" * 1024 for _ in range(BODY_LIMIT // 1024 + 8))
    refused = requests.post(f"{server.url}/api/rooms", data=big, headers={"Content-Type": "application/json"}, timeout=10)
    assert refused.status_code == 411
    assert refused.json()["error"]["code"] == "bad_request"
    assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200


def test_connections_without_a_token_are_capped_per_address_and_closed_after_the_deadline(live_server, clients):
    server = live_server(KRUG_PENDING_CONNECTIONS_PER_ADDRESS="3", KRUG_CONNECT_DEADLINE_SECONDS="1")
    room = server.create_room("Lea")
    idle = [RawSocket(server) for _ in range(3)]
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        RawSocket(server)
    assert refused.value.status_code == 401
    # Each idle one is closed at the deadline; then this address may connect again.
    for raw in idle:
        assert raw.closed_by_server()
    leader = clients(server, room["token"]).connect()
    assert leader.emit("time_sync")["ok"]
    # A connection that presented a valid token is not touched by the deadline.
    time.sleep(1.5)
    assert leader.emit("time_sync")["ok"]
    log = server.log()
    assert log.count("closed connection: no valid token") == 3
    assert log.count("refused connection:") == 1
    assert "Traceback" not in log


# ---- the eventlet internals ws_limits.py patches; these fail if an upgrade changes them


def test_eventlet_is_the_version_the_patch_was_written_for():
    import eventlet

    pins = dict(line.split("==") for line in REQUIREMENTS.read_text().split() if "==" in line)
    assert eventlet.__version__ == pins["eventlet"], "re-check facilitation/realtime/ws_limits.py"


def test_unmasking_matches_eventlets_own():
    original = eventlet_websocket.RFC6455WebSocket.__dict__["_apply_mask"].__func__
    rnd = random.Random(7)
    for length in (0, 1, 3, 4, 5, 125, 4096, 65535):
        data = bytes(rnd.randrange(256) for _ in range(length))
        mask = tuple(rnd.randrange(256) for _ in range(4))
        for offset in (0, 1, 2, 3, 4, 7):
            assert ws_limits.unmask(data, mask, length=length, offset=offset) == \
                original(data, mask, length=length, offset=offset)


def _frame(payload: bytes, opcode: int, fin: bool) -> bytes:
    return ABNF(fin=int(fin), opcode=opcode, data=payload).format()


def _read_fragmented(total: int, limit: int) -> tuple[object, bytes]:
    """Feed eventlet's websocket a fragmented message through a socket pair; returns what
    ``wait()`` gave and what the server wrote back."""
    import socket

    ours, theirs = socket.socketpair()
    ws = eventlet_websocket.RFC6455WebSocket(theirs, {}, version=13, max_frame_length=limit)
    size = 100
    frames = [_frame(b"4" * size, ABNF.OPCODE_TEXT if i == 0 else ABNF.OPCODE_CONT, fin=(i + 1) * size >= total)
              for i in range(total // size)]
    ours.sendall(b"".join(frames))
    got = ws.wait()
    ours.settimeout(1)
    try:
        back = ours.recv(1024)
    except TimeoutError:
        back = b""
    ours.close()
    return got, back


def test_eventlet_alone_limits_frames_not_messages(monkeypatch):
    """Why the patch exists: if this fails, eventlet limits whole messages itself."""
    monkeypatch.setattr(eventlet_websocket.RFC6455WebSocket.Message, "push",
                        eventlet_websocket.RFC6455WebSocket.Message.push)
    if getattr(eventlet_websocket.RFC6455WebSocket.Message, "_krug_message_limit", False):
        pytest.skip("patched in this process")
    got, _back = _read_fragmented(5000, 1000)
    assert got == "4" * 5000


def test_the_patch_fails_a_fragmented_message_over_the_limit(monkeypatch):
    message = eventlet_websocket.RFC6455WebSocket.Message
    monkeypatch.setattr(message, "push", message.push)
    monkeypatch.setattr(message, "_krug_message_limit", False, raising=False)
    monkeypatch.setattr(eventlet_websocket.RFC6455WebSocket, "_apply_mask",
                        eventlet_websocket.RFC6455WebSocket.__dict__["_apply_mask"])
    monkeypatch.setattr(eventlet_websocket.RFC6455WebSocket, "wait", eventlet_websocket.RFC6455WebSocket.wait)
    ws_limits.install()
    got, back = _read_fragmented(5000, 1000)
    assert got is None
    assert back[:1] == b"\x88" and int.from_bytes(back[2:4], "big") == 1009  # close frame, 1009
    got, _back = _read_fragmented(900, 1000)
    assert got == "4" * 900
    # A text message that is not an Engine.IO packet ends the connection with 1002.
    import socket

    ours, theirs = socket.socketpair()
    ws = eventlet_websocket.RFC6455WebSocket(theirs, {}, version=13, max_frame_length=1000)
    ours.sendall(_frame(b"x", ABNF.OPCODE_TEXT, fin=True))
    assert ws.wait() is None
    back = ours.recv(1024)
    assert back[:1] == b"\x88" and int.from_bytes(back[2:4], "big") == 1002
    ours.close()


def test_the_server_never_answers_with_a_traceback():
    """eventlet's wsgi server writes the traceback of a failed request into its 500 answer
    unless told debug=False; no request is known to reach that path any more (the last one,
    a websocket message that was not Engine.IO, is refused above), so the call is checked."""
    import ast

    tree = ast.parse((REQUIREMENTS.parent / "app.py").read_text())
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and ast.unparse(node.func) == "eventlet.wsgi.server"]
    assert len(calls) == 1
    debug = {kw.arg: kw.value for kw in calls[0].keywords}.get("debug")
    assert isinstance(debug, ast.Constant) and debug.value is False
