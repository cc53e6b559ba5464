"""Confidentiality with PostgreSQL and two processes (issue 12): nothing readable in a dump or
in the database's own files, and role changes reach connections held by the other process."""
from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest
import socketio

from ..live import Client, ok
from ..test_privacy import FIELDS, _found, _typed_into_every_field

pytestmark = pytest.mark.services


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _raw_files(dsn: str) -> bytes:
    """The database's own files as PostgreSQL wrote them (after a checkpoint), and the newest
    write-ahead log segments. Readable here because the tests run as root."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        data_dir = Path(conn.execute("SHOW data_directory").fetchone()[0])
        oid = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
    files = [p for p in (data_dir / "base" / str(oid)).iterdir() if p.is_file()]
    wal = sorted((p for p in (data_dir / "pg_wal").iterdir() if p.is_file() and len(p.name) == 24),
                 key=lambda p: p.stat().st_mtime)[-2:]
    return b"".join(p.read_bytes() for p in files + wal)


def _dump(dsn: str) -> bytes:
    return subprocess.run(["pg_dump", "--no-owner", dsn], check=True, capture_output=True).stdout


def test_no_typed_text_in_a_dump_or_the_data_files(cluster, clients, pg_url):
    a, b = cluster()
    dsn = _dsn(pg_url)
    room, leader = _typed_into_every_field(a, clients)
    assert len(FIELDS) == 12
    assert _found(_dump(dsn)) == []
    assert _found(_raw_files(dsn)) == []
    assert ok(leader.emit("end_session"))
    assert _found(_dump(dsn)) == [] and _found(_raw_files(dsn)) == []
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM room_keys").fetchone()[0] == 0
    assert _found((a.log() + b.log()).encode()) == []


def test_role_changes_reach_connections_on_the_other_process_at_once(cluster, clients):
    a, b = cluster(KRUG_TIME_SCALE="0.01")
    room = a.create_room("Lea")
    leader = clients(a, room["token"]).connect()
    anna = clients(a, a.join(room["code"], "Anna").json()["token"]).connect()
    cole = clients(b, b.join(room["code"], "Cole").json()["token"]).connect()   # on the other process
    boris = clients(b, b.join(room["code"], "Boris").json()["token"]).connect()
    ok(leader.emit("make_coleader", {"person_id": cole.me["person"]}))
    ok(leader.emit("start"))
    card = ok(anna.emit("post_card", {"client_id": "k", "kind": "checkin", "text": "Hidden"}))["card"]
    v = ok(leader.emit("hide_card", {"card_id": card}))["v"]
    assert any(c["id"] == card for c in cole.wait_for(lambda s: s["v"] >= v)["cards"])
    v = ok(leader.emit("make_coleader", {"person_id": cole.me["person"], "on": False}))["v"]
    state = cole.wait_for(lambda s: s["v"] >= v)
    assert all(c["id"] != card for c in state["cards"])
    # Removed from process A, connected to process B: told, closed, and the token is gone.
    v = ok(leader.emit("remove_person", {"person_id": boris.me["person"]}))["v"]
    assert boris.wait_notice("removed") == {"reason": "removed"}
    assert boris.disconnected.wait(5)
    ok(leader.emit("extend", {"minutes": 1}))
    assert boris.state["v"] < v
    with pytest.raises(socketio.exceptions.ConnectionError):
        Client(b, boris.token, reconnection=False).connect()
