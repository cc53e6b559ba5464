"""Case content is erased at session end and after the retention window, from the file too."""
from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import socketio
from sqlalchemy import update

from facilitation.engine import Actor
from facilitation.engine import commands as c
from facilitation.persistence.models import Room
from facilitation.persistence.retention import purge_expired
from facilitation.services import services

from .live import Client, ok

MARKER = "ZEBRA-PATIENT-7731"


def _room_with_content(app) -> tuple[int, str]:
    with app.app_context():
        svc = services()
        code, token, _screen, leader = svc.rooms.create_room(svc.formats.get("balint-classic"), f"Lea {MARKER}", 1.0)
        room_id = svc.rooms.room_id_for(code)
        _, _, anna = svc.rooms.join(code, f"Anna {MARKER}", False)
        svc.rooms.execute(room_id, Actor(person_id=anna), c.Nominate(client_id="n", title=f"Case {MARKER}", pitch=f"Pitch {MARKER}."))
        svc.rooms.execute(room_id, Actor(person_id=leader), c.Start())
        svc.rooms.execute(room_id, Actor(person_id=anna), c.PostCard(client_id="k", kind="checkin", text=f"Card {MARKER}"))
        return room_id, leader


def _file_bytes(db_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))


def test_retention_purge_erases_old_rooms_only(app):
    old, _ = _room_with_content(app)
    fresh, _ = _room_with_content(app)
    with app.app_context():
        svc = services()
        with svc.db.session() as s, s.begin():
            s.execute(update(Room).where(Room.id == old).values(created_at=datetime.now(UTC) - timedelta(hours=25)))
        assert purge_expired(svc.rooms, 24) == 1
        assert purge_expired(svc.rooms, 24) == 0  # idempotent
        erased, _, _ = svc.rooms.load(old)
        kept, _, _ = svc.rooms.load(fresh)
    assert erased.status == "ended" and not erased.cards and all(p.name == "" for p in erased.people.values())
    assert len(erased.people) == 2 and erased.format.id == "balint-classic"  # content-free facts stay
    assert kept.cards and kept.status == "running"


def test_ended_session_leaves_no_trace_in_the_database_file(app, database_path):
    room_id, leader = _room_with_content(app)
    assert MARKER.encode() not in _file_bytes(database_path)  # sealed while the room lives
    with app.app_context():
        svc = services()
        svc.rooms.execute(room_id, Actor(person_id=leader), c.EndSession())
        svc.db.engine.dispose()
    assert MARKER.encode() not in _file_bytes(database_path)


def test_purge_command_for_operators(tmp_path):
    db = tmp_path / "cli.sqlite3"
    env = {"KRUG_DATABASE_URL": f"sqlite:///{db}", "KRUG_INSTANCE_DIR": str(tmp_path), "KRUG_ASYNC_MODE": "threading",
           "PATH": "/usr/bin:/bin"}
    root = Path(__file__).resolve().parent.parent
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "--app", "app", "db", "upgrade"], cwd=root, env=env, check=True, capture_output=True)
    out = subprocess.run([*flask, "--app", "app", "purge", "--hours", "1"], cwd=root, env=env, check=True,
                         capture_output=True, text=True)
    assert "erased the content of 0 room(s)" in out.stdout


# ---------------------------------------------------------------- nothing readable at rest (12.5)

FIELDS = ("LEADNAME", "ANNANAME", "BORISNAME", "OTTONAME", "TITLE", "PITCH", "CHECKIN", "REQUEST",
          "QUESTION", "HYPOTHESIS", "THOUGHT", "RESPONSE")


def _marker(field: str) -> str:
    return f"MK{field}Q7"


def _typed_into_every_field(server, clients):
    """A running meeting with a distinct marker in every field people type."""
    room = server.create_room(f"Lea {_marker('LEADNAME')}")
    leader = clients(server, room["token"]).connect()
    anna = clients(server, server.join(room["code"], f"Anna {_marker('ANNANAME')}").json()["token"]).connect()
    boris = clients(server, server.join(room["code"], f"Boris {_marker('BORISNAME')}").json()["token"]).connect()
    server.join(room["code"], f"Otto {_marker('OTTONAME')}", observer=True)
    nomination = ok(anna.emit("nominate", {"client_id": "n", "title": f"Case {_marker('TITLE')}",
                                           "pitch": f"Pitch {_marker('PITCH')}."}))["nomination"]
    ok(leader.emit("assign_case", {"case": 1, "nomination_id": nomination}))
    ok(leader.emit("start"))
    ok(boris.emit("post_card", {"client_id": "k", "kind": "checkin", "text": _marker("CHECKIN")}))
    steps = [(3, anna, None, "REQUEST"), (4, boris, "question", "QUESTION"), (5, boris, "hypothesis", "HYPOTHESIS"),
             (6, boris, "thought", "THOUGHT"), (7, anna, "response", "RESPONSE")]
    for index, who, kind, field in steps:
        ok(leader.emit("jump_to_phase", {"index": index}))
        if kind is None:
            ok(who.emit("set_request", {"text": _marker(field)}))
        else:
            ok(who.emit("post_card", {"client_id": field, "kind": kind, "text": _marker(field)}))
    return room, leader


def _on_disk(db_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db_path.parent.glob(db_path.name + "*"))


def _found(data: bytes) -> list[str]:
    return [field for field in FIELDS if _marker(field).encode() in data]


def test_no_typed_text_on_disk_during_the_session_or_after_it_ended(live_server, clients):
    """The raw SQLite file, its -wal and -shm, during a live session and after its end with a
    concurrent reader holding an old snapshot: no marker anywhere, nor in the log. The wrapped
    room key is gone from every file after an end without a reader."""
    server = live_server()
    db_path = server.workdir / "krug.sqlite3"
    room, leader = _typed_into_every_field(server, clients)
    assert _found(_on_disk(db_path)) == []
    # Someone else reads the file (an operator's sqlite3 shell, a backup tool) while it ends.
    reader = sqlite3.connect(db_path)
    reader.execute("BEGIN")
    sealed, wrapped = reader.execute("SELECT sealed, wrapped FROM rooms JOIN room_keys ON room_id = id").fetchone()
    assert sealed and wrapped and _found(sealed) == []
    assert leader.emit("end_session")["ok"]
    assert _found(_on_disk(db_path)) == []
    reader.rollback()
    reader.close()
    # Without a reader, the end leaves no copy of the room key in the files either.
    room2, leader2 = _typed_into_every_field(server, clients)
    probe = sqlite3.connect(db_path)
    (wrapped2,) = probe.execute("SELECT wrapped FROM room_keys JOIN rooms ON room_id = id WHERE code = ?",
                                (room2["code"],)).fetchone()
    probe.close()
    assert leader2.emit("end_session")["ok"]
    assert wrapped2 not in _on_disk(db_path) and _found(_on_disk(db_path)) == []
    assert _found(server.log().encode()) == []


def test_database_and_key_files_are_private(live_server, clients):
    server = live_server()
    _typed_into_every_field(server, clients)
    files = [server.workdir / name for name in ("krug.sqlite3", "krug.sqlite3-wal", "krug.sqlite3-shm")]
    files.append(server.workdir / "instance" / "data_key")
    for path in files:
        assert path.exists(), path
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_a_restart_finds_its_keys(live_server, clients):
    """kill -9 and start again: the data key comes back from the instance folder, the room opens."""
    server = live_server()
    room, leader = _typed_into_every_field(server, clients)
    server.kill()
    server.start()
    again = clients(server, room["token"]).connect()
    assert any(card["text"] == _marker("RESPONSE") for card in again.state["cards"])
    ok(again.emit("next_phase"))


def test_a_wrong_data_key_opens_nothing(live_server, clients):
    server = live_server()
    room, _leader = _typed_into_every_field(server, clients)
    server.stop()
    server.env["KRUG_DATA_KEY"] = "ab" * 32
    server.start()
    with pytest.raises(socketio.exceptions.ConnectionError):
        Client(server, room["token"], reconnection=False).connect()
    assert _found(server.log().encode()) == []


def test_the_retention_purge_tells_connected_devices(app):
    """The purge ends a room as the leader would: its connections hear ``ended``."""
    room_id, _leader = _room_with_content(app)
    announced = []
    with app.app_context():
        svc = services()
        with svc.db.session() as s, s.begin():
            s.execute(update(Room).where(Room.id == room_id).values(created_at=datetime.now(UTC) - timedelta(hours=25)))
        assert purge_expired(svc.rooms, 24, announce=announced.append) == 1
    assert [e.name for e in announced[0].events] == ["ended"]
