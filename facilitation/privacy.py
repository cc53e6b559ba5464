"""Confidentiality by design: case content does not outlive its session.

Content (names, titles, pitches, requests, cards) is erased when the leader ends a session and,
whatever happens, once a room is older than the retention window. What stays is content-free:
the format, the phase timings, the number of people.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, text, update

from .engine import dump, load, load_format
from .extensions import Database
from .models import Credential, Room

log = logging.getLogger("krug.privacy")


def purge_expired(db: Database, retention_hours: float, now: datetime | None = None) -> int:
    """Erase the content of every room created before the retention window; returns how many.

    Safe with several processes: each room is erased by whichever process gets there first
    (the version check), and erasing twice changes nothing.
    """
    now = now or datetime.now(timezone.utc)
    cutoff = now - timedelta(hours=retention_hours)
    erased = 0
    with db.session() as s:
        candidates = s.scalars(select(Room.id).where(Room.erased_at.is_(None), Room.created_at < cutoff)).all()
    for room_id in candidates:
        with db.session() as s, s.begin():
            room = s.get(Room, room_id)
            if room is None or room.erased_at is not None:
                continue
            session = load(room.state, load_format(room.format_doc) if room.format_doc else None)
            session.erase_content()
            if session.status != "ended":
                session.status = "ended"
                session.ended_at = now.timestamp()
            stored = s.execute(
                update(Room).where(Room.id == room_id, Room.version == room.version)
                .values(state=dump(session), version=room.version + 1, erased_at=now,
                        ended_at=room.ended_at or now)
            ).rowcount
            if stored == 1:
                s.execute(Credential.__table__.delete().where(Credential.room_id == room_id))
                erased += 1
    if erased:
        compact(db)
        log.info("retention purge erased=%d", erased)
    return erased


def compact(db: Database, vacuum: bool = True) -> None:
    """Make sure erased text is not left in the SQLite file or its write-ahead log.

    secure_delete (set on every connection) zeroes freed pages; the checkpoint folds the log,
    which still holds old page images, back into the file and truncates it.
    """
    if db.engine is None or db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        if vacuum:
            connection.execute(text("VACUUM"))


def run_retention_job(app, socketio, interval_seconds: float = 300.0) -> None:
    """The in-process periodic purge (started by ``python app.py``)."""
    from .services import services

    while True:
        socketio.sleep(interval_seconds)
        with app.app_context():
            try:
                purge_expired(services().db, app.config["RETENTION_HOURS"])
                services().rooms.forget_erased()
            except Exception:  # noqa: BLE001 — the job must survive a bad round; it logs no content
                log.exception("retention purge failed")
