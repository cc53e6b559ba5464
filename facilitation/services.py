"""The app's long-lived parts, reachable from handlers as ``services()``."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from flask import current_app

from .engine import Actor
from .extensions import Database
from .format_store import FormatStore
from .store import RoomStore


@dataclass
class Connection:
    """One Socket.IO connection of this process: which room and who, as the token said."""

    room_id: int
    code: str
    actor: Actor
    audience: str


@dataclass
class Services:
    db: Database
    rooms: RoomStore
    formats: FormatStore
    clock: object
    join_attempts: object
    event_budget: object
    connections: dict[str, Connection] = field(default_factory=dict)
    # Prefixes this process's connection ids, so the others can forget them if it dies.
    process_id: str = field(default_factory=lambda: secrets.token_hex(6))

    def connection_id(self, sid: str) -> str:
        return f"{self.process_id}:{sid}"


def services() -> Services:
    return current_app.extensions["krug"]
