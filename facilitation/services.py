"""The app's long-lived parts, reachable from the shells as ``services()``."""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from flask import current_app

from .persistence.database import Database
from .persistence.rooms import RoomStore
from .persistence.saved_formats import FormatStore
from .rate_limit import RateLimits


@dataclass
class Services:
    db: Database
    rooms: RoomStore
    formats: FormatStore
    clock: object
    limits: RateLimits
    # This process's Socket.IO connections by sid (``realtime.connections.Connection``).
    connections: dict = field(default_factory=dict)
    # Prefixes this process's connection ids, so the others can forget them if it dies.
    process_id: str = field(default_factory=lambda: secrets.token_hex(6))

    def connection_id(self, sid: str) -> str:
        return f"{self.process_id}:{sid}"


def services() -> Services:
    return current_app.extensions["krug"]
