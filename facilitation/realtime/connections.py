"""This process's Socket.IO connections: which room, who (as the token said), which audience."""
from __future__ import annotations

from dataclasses import dataclass

from ..engine import Actor


@dataclass
class Connection:
    room_id: int
    code: str
    actor: Actor
    audience: str
    # "left" or "removed": the person is out; the connection is about to be closed.
    gone: str | None = None
