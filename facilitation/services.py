"""The app's long-lived parts, reachable from handlers as ``services()``."""
from __future__ import annotations

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


def services() -> Services:
    return current_app.extensions["krug"]
