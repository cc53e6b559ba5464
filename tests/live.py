"""python-socketio clients of a real Krug server, for real-transport tests.

The server is ``bench/live.py``'s :class:`LiveServer` (``python app.py`` in a subprocess, the
production path), so tests see what the network does: real websockets, reconnects, restarts and
kills.
"""
from __future__ import annotations

import threading
import time

import socketio

from bench.live import LiveServer


class Client:
    """A phone, console or screen: a python-socketio client that records what it receives."""

    def __init__(self, server: LiveServer, token: str | None, reconnection: bool = True, url: str | None = None) -> None:
        self.server = server
        self.url = url or server.url  # e.g. a proxy standing for nginx
        self.token = token
        self.last_sid: str | None = None
        self.state: dict | None = None
        self.me: dict | None = None
        self.format: dict | None = None  # room_format: the phases' texts, once per connection
        self.notices: list[tuple[str, dict]] = []  # "removed" and "ended", in order
        self.disconnected = threading.Event()
        self.received = threading.Condition()
        self.sio = socketio.Client(reconnection=reconnection, reconnection_delay=0.2,
                                   reconnection_delay_max=1, randomization_factor=0)
        self.sio.on("room_state", self._on_state)
        self.sio.on("me", self._on_me)
        self.sio.on("room_format", self._on_format)
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", lambda *_: self.disconnected.set())
        for notice in ("removed", "ended"):
            self.sio.on(notice, lambda data, name=notice: self._on_notice(name, data))

    def _on_connect(self) -> None:
        self.last_sid = self.sio.get_sid()

    def _auth(self) -> dict:
        # Like the browser client: name the previous connection so a dead one stops counting.
        return {"token": self.token, "previous": self.last_sid}

    def _on_state(self, data: dict) -> None:
        with self.received:
            if self.state is None or data["v"] >= self.state["v"]:
                self.state = data
            self.received.notify_all()

    def _on_notice(self, name: str, data: dict) -> None:
        with self.received:
            self.notices.append((name, data))
            self.received.notify_all()

    def wait_notice(self, name: str, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        with self.received:
            while True:
                for seen, data in self.notices:
                    if seen == name:
                        return data
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {name} notice; got {self.notices}")
                self.received.wait(remaining)

    def _on_format(self, data: dict) -> None:
        self.format = data

    def _on_me(self, data: dict) -> None:
        with self.received:
            self.me = data
            self.received.notify_all()

    def connect(self) -> Client:
        self.sio.connect(self.url, auth=self._auth, transports=["websocket"], wait_timeout=10)
        self.wait_for(lambda s: True)
        return self

    def wait_connected(self, timeout: float = 10) -> None:
        # The server's first room_state can arrive just before the namespace counts as connected.
        deadline = time.monotonic() + timeout
        while "/" not in self.sio.namespaces:
            if time.monotonic() > deadline:
                raise AssertionError("not connected in time")
            time.sleep(0.02)

    def emit(self, event: str, payload: object = None, timeout: float = 10) -> dict:
        self.wait_connected(timeout)
        return self.sio.call(event, payload, timeout=timeout)

    def wait_for(self, predicate, timeout: float = 5.0) -> dict:
        """Wait until the newest room_state satisfies ``predicate``; returns it."""
        deadline = time.monotonic() + timeout
        with self.received:
            while True:
                if self.state is not None and predicate(self.state):
                    return self.state
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting; last state: {self.state and {k: self.state[k] for k in ('v', 'status')} }")
                self.received.wait(remaining)

    def wait_me(self, predicate, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        with self.received:
            while not (self.me is not None and predicate(self.me)):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out waiting for me; last: {self.me}")
                self.received.wait(remaining)
            return self.me

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


def ok(ack: dict) -> dict:
    """An acknowledgement that must be a success; returns it."""
    assert ack["ok"] is True, ack
    return ack


def with_format(state: dict, fmt: dict | None) -> dict:
    """A room_state with its phases' texts put back from room_format, as static/krug.js does."""
    if not fmt:
        return state
    state = {**state, "format": fmt}
    phases = fmt["phases"]
    if state.get("phase"):
        state["phase"] = {**phases[state["phase"]["index"]], **state["phase"]}
    if state.get("plan"):
        state["plan"] = {**state["plan"], "phases": [{**phases[i], **p} for i, p in enumerate(state["plan"]["phases"])]}
    return state


def names(state: dict) -> list[str]:
    return sorted(p["name"] for p in state["people"])
