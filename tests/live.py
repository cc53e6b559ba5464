"""Small helpers for real-transport tests. The server (``LiveServer``) and the python-socketio
client (``Client``) are the one harness in ``bench/live.py``, shared with the benchmark."""
from __future__ import annotations

import time

import requests
import socketio

from bench.live import Client, LiveServer  # noqa: F401 — the tests import them from here


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


def try_connect(server, token: str) -> dict | None:
    """One connection attempt as the browser makes it: None when accepted, else the refusal's
    data (Socket.IO's CONNECT_ERROR carries {message, data}; Krug's data is {code, message, details?})."""
    refusal: dict = {}
    sio = socketio.Client(reconnection=False)
    sio.on("connect_error", lambda error: refusal.update(error.get("data") or {"raw": error}))
    try:
        sio.connect(server.url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        return refusal or {"code": "?"}
    sio.disconnect()
    return None


def health(server) -> tuple[int, dict]:
    response = requests.get(f"{server.url}/healthz", timeout=10)  # a hang fails here
    return response.status_code, response.json()


def wait_health(server, status: int, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        code, body = health(server)
        if code == status:
            return body
        assert time.monotonic() < deadline, f"/healthz stayed {code}: {body}"
        time.sleep(0.1)


def person(state: dict, name: str) -> dict:
    return next(p for p in state["people"] if p["name"] == name)
