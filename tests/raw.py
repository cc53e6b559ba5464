"""Raw Engine.IO / Socket.IO clients that send exactly the bytes a test says: a websocket
(websocket-client) and long-polling HTTP (requests), for the transport and malformed-input
tests, where the official client would refuse to send what an attacker sends."""
from __future__ import annotations

import contextlib
import http.client
import json

import requests
import websocket
from websocket import ABNF


class RawSocket:
    """One websocket speaking Engine.IO 4 by hand."""

    def __init__(self, server, timeout: float = 10) -> None:
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket", timeout=timeout)
        opening = self.ws.recv()
        assert opening.startswith("0"), opening
        self.open = json.loads(opening[1:])

    def connect(self, token: str | None) -> dict:
        """Connect the namespace; returns the CONNECT or CONNECT_ERROR payload."""
        self.ws.send("40" + json.dumps({"token": token}))
        while True:
            packet = self.recv()
            if packet[:2] in ("40", "44"):
                return {"ok": packet[:2] == "40", **json.loads(packet[2:])}

    def send(self, text: str) -> None:
        self.ws.send(text)

    def recv(self) -> str:
        """The next Engine.IO packet that is not a ping (answered) or a server event."""
        while True:
            packet = self.ws.recv()
            if packet == "2":
                self.ws.send("3")
                continue
            return packet

    def call(self, ack_id: int, event: str, payload: object = None) -> object:
        body = [event] if payload is None else [event, payload]
        self.send(f"42{ack_id}" + json.dumps(body))
        return self.ack(ack_id)

    def ack(self, ack_id: int) -> object:
        """The acknowledgement with this id (events the server pushes meanwhile are skipped)."""
        prefix = f"43{ack_id}["
        while True:
            packet = self.recv()
            if packet.startswith(prefix):
                return json.loads(packet[len(prefix) - 1:])[0]

    def closed_by_server(self) -> bool:
        """True once the server has closed the connection (engine.io CLOSE or the socket)."""
        try:
            while True:
                opcode, data = self.ws.recv_data()
                if opcode == ABNF.OPCODE_CLOSE:
                    return True
                if opcode == ABNF.OPCODE_TEXT and data == b"1":
                    return True
                if opcode == ABNF.OPCODE_TEXT and data == b"2":
                    self.ws.send("3")
        except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
            return True

    def close(self) -> None:
        with contextlib.suppress(OSError, websocket.WebSocketException):  # already gone
            self.ws.close(timeout=1)


class RawPolling:
    """One Engine.IO long-polling session by hand."""

    def __init__(self, server) -> None:
        self.server = server
        self.url = f"{server.url}/socket.io/"
        first = requests.get(self.url, params={"EIO": "4", "transport": "polling"}, timeout=5)
        assert first.status_code == 200, first.text
        self.sid = json.loads(first.text[1:].split("\x1e")[0])["sid"]

    def params(self) -> dict:
        return {"EIO": "4", "transport": "polling", "sid": self.sid}

    def post(self, body: str | bytes) -> requests.Response:
        return requests.post(self.url, params=self.params(), data=body, timeout=5)

    def get(self) -> requests.Response:
        return requests.get(self.url, params=self.params(), timeout=5)

    def post_headers_only(self, length: int) -> tuple[int, bytes]:
        """A POST that announces ``length`` bytes and sends none of them: the answer must come
        from the headers alone."""
        return headers_only_post(self.server.port, f"/socket.io/?EIO=4&transport=polling&sid={self.sid}", length)


def headers_only_post(port: int, path: str, length: int) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()
