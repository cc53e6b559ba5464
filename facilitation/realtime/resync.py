"""After a gap in the message queue this process's screens and phones may have missed
broadcasts of other processes: each of its connections gets the room as it is now."""
from __future__ import annotations

import logging

from ..engine import DomainError, audience_of, format_view, personal_view
from ..extensions import socketio
from ..services import services
from .broadcast import audience_room, stamped_view

log = logging.getLogger("krug.resync")


def resync_connections(app) -> int:
    """A full snapshot to every connection of this process; returns how many got one."""
    with app.app_context():
        svc = services()
        rooms: dict[int, list] = {}
        for sid, conn in list(svc.connections.items()):
            rooms.setdefault(conn.room_id, []).append((sid, conn))
        sent = 0
        for room_id, members in rooms.items():
            try:
                session, version, _code = svc.rooms.load(room_id)
            except DomainError:
                continue  # erased, or the database fails too: the next gap or sync brings it
            for sid, conn in members:
                _send_room(sid, conn, session, version)
                sent += 1
        log.info("resync: %d connection(s) in %d room(s)", sent, len(rooms))
        return sent


def _send_room(sid: str, conn, session, version: int) -> None:
    # Only this process has the connection: nothing to publish to the others.
    server = socketio.server
    audience = audience_of(session, conn.actor)
    if audience != conn.audience:  # let in (or promoted) while the broadcast was lost
        server.leave_room(sid, audience_room(conn.room_id, conn.audience), namespace="/")
        server.enter_room(sid, audience_room(conn.room_id, audience), namespace="/")
        conn.audience = audience
    server.emit("me", personal_view(session, conn.actor), to=sid, ignore_queue=True)
    fmt = format_view(session, conn.audience)
    if fmt is not None:
        server.emit("room_format", fmt, to=sid, ignore_queue=True)
    server.emit("room_state", stamped_view(session, conn.audience, version, conn.code), to=sid, ignore_queue=True)
