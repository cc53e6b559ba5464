"""The process rows of a multi-process set-up: each process's heartbeat, and who fell silent."""
from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update

from .database import Database
from .models import ServerProcess

_processes = ServerProcess.__table__


def heartbeat(db: Database, process_id: str, now: datetime) -> bool:
    """Record that this process lives; False when its row was missing (first beat, or the
    others took it for gone)."""
    with db.engine.begin() as conn:
        if conn.execute(update(_processes).where(_processes.c.id == process_id).values(seen_at=now)).rowcount:
            return True
        conn.execute(insert(_processes).values(id=process_id, seen_at=now))
        return False


def gone_processes(db: Database, process_id: str, now: datetime, after_seconds: float) -> list[str]:
    cutoff = now - timedelta(seconds=after_seconds)
    with db.engine.connect() as conn:
        return list(conn.scalars(select(_processes.c.id)
                                 .where(_processes.c.seen_at < cutoff, _processes.c.id != process_id)))


def forget_row(db: Database, process_id: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(delete(_processes).where(_processes.c.id == process_id))


def write_probe(db: Database) -> None:
    """A real write, committed, leaving nothing behind: raises unless the database takes writes
    (a read-only file or folder, a full disk, a read-only PostgreSQL). A rolled-back write would
    not do: SQLite finds a full disk only when it commits."""
    probe = f"probe-{secrets.token_hex(4)}"
    with db.engine.begin() as conn:
        conn.execute(insert(_processes).values(id=probe, seen_at=datetime.now(UTC)))
        conn.execute(delete(_processes).where(_processes.c.id == probe))
