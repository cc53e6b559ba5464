"""docs/protocol.md names every HTTP route, Socket.IO event and error code the server has."""
from __future__ import annotations

import re
from pathlib import Path

from facilitation.engine import CLIENT_COMMANDS
from facilitation.engine.errors import MESSAGES

DOC = (Path(__file__).resolve().parent.parent / "docs" / "protocol.md").read_text(encoding="utf-8")


def test_every_http_route_is_documented(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule)
        assert f"`{sorted(rule.methods - {'HEAD', 'OPTIONS'})[0]} {path}" in DOC or f" {path}`" in DOC, path


def test_every_socket_event_is_documented():
    for event in [*CLIENT_COMMANDS, "time_sync", "sync", "connect", "room_state", "room_format", "me"]:
        assert f"`{event}`" in DOC, event


def test_every_error_code_is_documented():
    for code in MESSAGES:
        assert f"`{code}`" in DOC, code
