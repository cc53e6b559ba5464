"""Case content is erased at session end and after the retention window, from the file too."""
from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from config import TestConfig
from facilitation import create_app
from facilitation.engine import Actor
from facilitation.engine import commands as c
from facilitation.persistence.models import Room
from facilitation.persistence.retention import purge_expired
from facilitation.persistence.schema import upgrade_database
from facilitation.services import services

MARKER = "ZEBRA-PATIENT-7731"


def _app(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.sqlite3'}"
    upgrade_database(url)
    return create_app(TestConfig(DATABASE_URL=url)), tmp_path / "p.sqlite3"


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


def test_retention_purge_erases_old_rooms_only(tmp_path):
    app, db_path = _app(tmp_path)
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


def test_ended_session_leaves_no_trace_in_the_database_file(tmp_path):
    app, db_path = _app(tmp_path)
    room_id, leader = _room_with_content(app)
    assert MARKER.encode() not in _file_bytes(db_path)  # sealed while the room lives
    with app.app_context():
        svc = services()
        svc.rooms.execute(room_id, Actor(person_id=leader), c.EndSession())
        svc.db.engine.dispose()
    assert MARKER.encode() not in _file_bytes(db_path)


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
