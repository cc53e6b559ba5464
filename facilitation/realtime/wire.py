"""JSON for Socket.IO packets: UTF-8 as it is, not \\u-escaped.

The standard encoder escapes every non-ASCII character, which doubles a Russian room's
snapshot on the wire (measured: 42 KB escaped, 22 KB as UTF-8, bench/snapshot.py).
"""
from __future__ import annotations

import json

from socketio import packet

loads = json.loads
JSONDecodeError = json.JSONDecodeError


def dumps(obj, *args, **kwargs) -> str:
    kwargs.setdefault("ensure_ascii", False)
    kwargs.setdefault("separators", (",", ":"))
    return json.dumps(obj, *args, **kwargs)


class KrugPacket(packet.Packet):
    """Socket.IO packets without the recursive search for binary data in every payload:
    Krug sends only JSON, and that search walked every card of every snapshot (bench profile:
    ~7 % of the server's time under load)."""

    uses_binary_events = False
