"""Confidentiality by design: case content does not outlive its session.

Content (names, titles, pitches, requests, cards) is erased when the leader ends a session and,
whatever happens, once a room is older than the retention window: then the room is expired
through the same single write path as every other change (``RoomStore.execute``). What stays
is content-free: the format, the phase timings, the number of people.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ..engine import Actor, DomainError, commands
from .models import Room
from .rooms import RoomStore

log = logging.getLogger("krug.retention")


def purge_expired(rooms: RoomStore, retention_hours: float, now: datetime | None = None, announce=None) -> int:
    """Expire every room created before the retention window; returns how many.

    Safe with several processes: each room is expired by whichever process gets there first,
    and the other's command is then refused as ``session_ended``. ``announce(outcome)`` tells
    the room's connections (the server passes its broadcast; the CLI has none to tell).
    """
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(hours=retention_hours)
    with rooms.db.session() as s:
        candidates = s.scalars(select(Room.id).where(Room.erased_at.is_(None), Room.created_at < cutoff)).all()
    erased = 0
    for room_id in candidates:
        try:
            outcome = rooms.execute(room_id, Actor.system(), commands.Expire())
        except DomainError:
            continue
        erased += 1
        if announce is not None:
            announce(outcome)
    if erased:
        rooms.db.compact()
        log.info("retention purge erased=%d", erased)
    return erased
