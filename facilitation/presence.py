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
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, insert, select, update

from .engine import Actor, DomainError, commands
from .models import Room, ServerProcess

log = logging.getLogger("krug.presence")
_processes = ServerProcess.__table__


def heartbeat(db, process_id: str, now: datetime) -> bool:
    """Record that this process lives; False when its row was missing (first beat, or the
    others took it for gone)."""
    with db.engine.begin() as conn:
        if conn.execute(update(_processes).where(_processes.c.id == process_id).values(seen_at=now)).rowcount:
            return True
        conn.execute(insert(_processes).values(id=process_id, seen_at=now))
        return False


def gone_processes(db, process_id: str, now: datetime, after_seconds: float) -> list[str]:
    cutoff = now - timedelta(seconds=after_seconds)
    with db.engine.connect() as conn:
        return list(conn.scalars(select(_processes.c.id)
                                 .where(_processes.c.seen_at < cutoff, _processes.c.id != process_id)))


def forget_process(svc, gone: str, broadcast) -> int:
    """Forget ``gone``'s connections in every live room; returns how many rooms changed."""
    with svc.db.session() as s:
        room_ids = s.scalars(select(Room.id).where(Room.erased_at.is_(None))).all()
    changed = 0
    for room_id in room_ids:
        try:
            outcome = svc.rooms.execute(room_id, Actor.system(), commands.ProcessGone(process=gone))
        except DomainError:
            continue
        if outcome.events:
            changed += 1
            broadcast(outcome)
    with svc.db.engine.begin() as conn:
        conn.execute(delete(_processes).where(_processes.c.id == gone))
    return changed


def announce_connections(svc, broadcast) -> None:
    """After a stall the others may have forgotten this process's connections: say them again."""
    for sid, conn in list(svc.connections.items()):
        try:
            outcome = svc.rooms.execute(conn.room_id, conn.actor,
                                        commands.Connected(connection=svc.connection_id(sid)))
        except DomainError:
            continue
        broadcast(outcome)


def presence_round(app, broadcast, now: datetime | None = None) -> list[str]:
    """One heartbeat and one sweep; returns the processes found gone."""
    from .services import services

    now = now or datetime.now(timezone.utc)
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


def run_presence_job(app, socketio) -> None:
    """The in-process heartbeat (started by ``python app.py`` when a message queue is set)."""
    from .realtime import broadcast

    while True:
        try:
            presence_round(app, broadcast)
        except Exception:  # noqa: BLE001 — the job must survive a bad round; it logs no content
            log.exception("presence round failed")
        socketio.sleep(app.config["PROCESS_HEARTBEAT_SECONDS"])
