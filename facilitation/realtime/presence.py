"""Presence across processes: a process that dies takes its connections with it.

With several processes (``KRUG_MESSAGE_QUEUE``) a killed process never sends its clients'
disconnects, and a phone that does not come back would show "online" for ever. So each process
writes a heartbeat row; the others treat one silent for ``PROCESS_GONE_AFTER_SECONDS`` as gone,
forget its connections in every room (``ProcessGone``), tell the rooms, and delete its row. A
process that was only stalled finds its row gone at its next heartbeat and announces its live
connections again. A single process needs none of this: it forgets every connection at start.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime

from ..engine import DomainError, commands
from ..persistence.processes import forget_row, gone_processes, heartbeat
from ..services import Services, services
from .broadcast import broadcast as broadcast_outcome

log = logging.getLogger("krug.presence")
# Disconnects waiting for the database (one per lost connection); beyond this the oldest go.
UNSAVED_MAX = 10000


def store_disconnect(svc: Services, connection_id: str, conn, broadcast) -> bool:
    """Store that ``connection_id`` closed; while the database fails, keep it for later
    (``store_unsaved_disconnects``). Returns whether it was stored now."""
    try:
        outcome = svc.rooms.execute(conn.room_id, conn.actor, commands.Disconnected(connection=connection_id))
    except DomainError as err:
        if err.code == "unavailable":
            svc.unsaved_disconnects[connection_id] = conn
            while len(svc.unsaved_disconnects) > UNSAVED_MAX:
                del svc.unsaved_disconnects[next(iter(svc.unsaved_disconnects))]
            log.warning("presence: disconnect kept until the database takes writes (%d waiting)",
                        len(svc.unsaved_disconnects))
        return False
    broadcast(outcome)
    return True


def store_unsaved_disconnects(app, broadcast=broadcast_outcome) -> int:
    """Store the disconnects the database refused before; returns how many are still waiting."""
    with app.app_context():
        svc = services()
        for connection_id, conn in list(svc.unsaved_disconnects.items()):
            del svc.unsaved_disconnects[connection_id]
            store_disconnect(svc, connection_id, conn, broadcast)
            if connection_id in svc.unsaved_disconnects:
                break  # kept again: the database still fails; the rest wait for the next round
        return len(svc.unsaved_disconnects)


def forget_process(svc: Services, gone: str, broadcast) -> int:
    """Forget ``gone``'s connections in every live room; returns how many rooms changed."""
    outcomes = svc.rooms.execute_in_every_room(commands.ProcessGone(process=gone))
    for outcome in outcomes:
        broadcast(outcome)
    forget_row(svc.db, gone)
    return len(outcomes)


def announce_connections(svc: Services, broadcast) -> None:
    """After a stall the others may have forgotten this process's connections: say them again."""
    for sid, conn in list(svc.connections.items()):
        try:
            outcome = svc.rooms.execute(conn.room_id, conn.actor,
                                        commands.Connected(connection=svc.connection_id(sid)))
        except DomainError:
            continue
        broadcast(outcome)


def presence_round(app, broadcast=broadcast_outcome, now: datetime | None = None) -> list[str]:
    """One heartbeat and one sweep; returns the processes found gone."""
    now = now or datetime.now(UTC)
    with app.app_context():
        svc = services()
        if not heartbeat(svc.db, svc.process_id, now) and svc.connections:
            log.warning("presence: this process had been taken for gone; announcing its connections")
            announce_connections(svc, broadcast)
        gone = gone_processes(svc.db, svc.process_id, now, app.config["PROCESS_GONE_AFTER_SECONDS"])
        for process in gone:
            rooms = forget_process(svc, process, broadcast)
            log.info("presence: process gone, connections forgotten in %d room(s)", rooms)
        return gone
