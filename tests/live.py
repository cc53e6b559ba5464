"""Small helpers for real-transport tests. The server (``LiveServer``) and the python-socketio
client (``Client``) are the one harness in ``bench/live.py``, shared with the benchmark."""
from __future__ import annotations

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
