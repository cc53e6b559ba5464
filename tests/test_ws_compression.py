"""permessage-deflate as Krug agrees to it: each message compressed once, for all receivers."""
from __future__ import annotations

import base64
import json
import os
import socket
import struct
import zlib

import pytest

from facilitation.realtime.ws_compression import MIN_BYTES, SharedDeflate, frame, install


def inflate(body: bytes, wbits: int = 15) -> bytes:
    return zlib.decompressobj(-wbits).decompress(body + b"\x00\x00\xff\xff")


def test_a_message_is_compressed_once_whoever_receives_it():
    shared = SharedDeflate(keep=2)
    message = json.dumps({"cards": ["Как давно вы наблюдаете этого пациента?"] * 40}, ensure_ascii=False).encode()
    first = shared.body(message, 15)
    assert [shared.body(message, 15) for _ in range(12)] == [first] * 12
    assert shared.compressed == 1
    assert inflate(first) == message and len(first) < len(message) / 5
    assert inflate(shared.body(message, 10), 10) == message and shared.compressed == 2  # another window


def test_recent_messages_only_are_kept():
    shared = SharedDeflate(keep=2)
    a, b, c = (bytes([n]) * 500 for n in b"abc")
    for data in (a, b, c, a):
        assert inflate(shared.body(data, 15)) == data
    assert shared.compressed == 4  # a was pushed out by c


@pytest.mark.parametrize("length, head", [(5, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)])
def test_frames_carry_their_length(length, head):
    data = b"x" * length
    framed = frame(data, text=True, compressed=True)
    assert framed[0] == 0x80 | 0x40 | 0x1 and len(framed) == head + length and framed.endswith(data)
    assert frame(data, text=False, compressed=False)[0] == 0x82


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="KRUG_WS_COMPRESSION"):
        install("gzip")


# ----------------------------------------------------------------- through a real server


class _Wire:
    """A raw websocket: what a browser's socket sees, frame by frame."""

    def __init__(self, sock: socket.socket, buffer: bytes) -> None:
        self.sock, self.pushback = sock, buffer

    def recv(self, n: int) -> bytes:
        return self.sock.recv(n)

    def sendall(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        self.sock.close()


def _handshake(server, offer: str) -> tuple[_Wire, dict]:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
                  f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: {offer}\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(4096)
    head, _, rest = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    headers = {}
    for line in head.decode().split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return _Wire(sock, rest), headers


def _read_frame(sock) -> tuple[bool, bytes]:
    buffer = sock.pushback

    def take(n: int) -> bytes:
        nonlocal buffer
        while len(buffer) < n:
            chunk = sock.recv(65536)
            assert chunk, "the server closed the socket"
            buffer += chunk
        out, buffer = buffer[:n], buffer[n:]
        return out

    first, second = take(2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", take(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", take(8))[0]
    payload = take(length)
    sock.pushback = buffer
    return bool(first & 0x40), payload


def _send_text(sock, text: str) -> None:
    data, mask = text.encode(), os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    assert len(data) < 126
    sock.sendall(bytes([0x81, 0x80 | len(data)]) + mask + masked)


def test_a_browser_offer_is_agreed_per_message_and_snapshots_arrive_compressed(shared_server):
    room = shared_server.create_room("Lea")
    sock, headers = _handshake(shared_server, "permessage-deflate; client_max_window_bits")
    try:
        agreed = headers["sec-websocket-extensions"]
        assert agreed.startswith("permessage-deflate") and "server_no_context_takeover" in agreed
        compressed, opening = _read_frame(sock)
        assert not compressed and opening.startswith(b"0{")  # small: sent as it is
        _send_text(sock, "40" + json.dumps({"token": room["token"]}))
        seen = {}
        while "room_state" not in seen:
            compressed, payload = _read_frame(sock)
            data = inflate(payload) if compressed else payload
            if data.startswith(b"42"):
                event, body = json.loads(data[2:])
                seen[event] = (compressed, len(data), body)
        compressed, size, state = seen["room_state"]
        assert size >= MIN_BYTES and compressed and state["code"] == room["code"]
    finally:
        sock.close()


def test_a_client_without_compression_gets_plain_frames(shared_server):
    room = shared_server.create_room("Lea")
    sock, headers = _handshake(shared_server, "x-unknown-extension")
    try:
        assert "sec-websocket-extensions" not in headers
        _read_frame(sock)
        _send_text(sock, "40" + json.dumps({"token": room["token"]}))
        while True:
            compressed, payload = _read_frame(sock)
            assert not compressed
            if payload.startswith(b'42["room_state"'):
                break
    finally:
        sock.close()
