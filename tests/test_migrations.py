"""The Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

import json

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from facilitation.persistence.models import Base
from facilitation.persistence.schema import upgrade_database


def test_sqlite_schema_matches_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    upgrade_database(url)
    upgrade_database(url)  # idempotent
    engine = create_engine(url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_a_room_stored_before_0002_keeps_going_after_it(tmp_path):
    """0002 moves a room's format out of its state; a running room carries on where it was."""
    from alembic import command
    from sqlalchemy import text

    from config import TestConfig
    from facilitation import create_app
    from facilitation.engine import Actor, FakeClock, Session
    from facilitation.engine import commands as c
    from facilitation.persistence.schema import alembic_config
    from facilitation.services import services

    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    command.upgrade(alembic_config(url), "0001")
    app = create_app(TestConfig(DATABASE_URL=url))
    with app.app_context():
        fmt = services().formats.get("balint-classic")
    clock = FakeClock()
    session, leader = Session.create(fmt, "Lea", clock.now())
    session.apply(c.Join(name_text="Anna", observer=False), Actor.system(), clock.now())
    old_state = {**_schema_1(session)}
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO rooms (code, format_id, created_at, version, state) "
                 "VALUES ('ABCD23', 'balint-classic', '2026-11-22 10:00:00', 3, :state)"),
            {"state": json.dumps(old_state)})

    upgrade_database(url)

    with engine.connect() as connection:
        state, doc = connection.execute(text("SELECT state, format_doc FROM rooms")).one()
    state, doc = json.loads(state), json.loads(doc)
    assert state["schema"] == 2 and "format" not in state and doc == old_state["format"]
    app = create_app(TestConfig(DATABASE_URL=url))
    with app.app_context():
        rooms = services().rooms
        room_id = rooms.room_id_for("ABCD23")
        outcome = rooms.execute(room_id, Actor(person_id=leader), c.Start())
        assert outcome.version == 4 and outcome.session.phase.key == "check_in"
        assert rooms.load(room_id)[0].format == fmt

    command.downgrade(alembic_config(url), "0003")  # 0004 erases what the old code cannot open
    command.downgrade(alembic_config(url), "0001")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM rooms")).scalar_one() == 0


def test_0004_seals_old_rooms_at_their_next_command_and_goes_back_down(tmp_path):
    """A room stored plain before 0004 carries on and is sealed by its next write; a saved
    format of before has no owner and is listed to nobody; downgrading erases sealed rooms
    (the old code has no keys) and keeps the content-free ones."""
    from alembic import command
    from sqlalchemy import text

    from config import TestConfig
    from facilitation import create_app
    from facilitation.engine import Actor, FakeClock, Session, dump
    from facilitation.engine import commands as c
    from facilitation.persistence.schema import alembic_config
    from facilitation.services import services

    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    command.upgrade(alembic_config(url), "0003")
    app = create_app(TestConfig(DATABASE_URL=url))
    with app.app_context():
        fmt = services().formats.get("balint-classic")
    clock = FakeClock()
    session, leader = Session.create(fmt, "Lea PLAINMARK", clock.now())
    session.apply(c.Join(name_text="Anna", observer=False), Actor.system(), clock.now())
    engine = create_engine(url)
    with engine.begin() as connection:
        for code in ("ABCD23", "EFGH45"):
            connection.execute(
                text("INSERT INTO rooms (code, format_id, created_at, version, state, format_doc) "
                     "VALUES (:code, 'balint-classic', '2026-11-22 10:00:00', 3, :state, :fmt)"),
                {"code": code, "state": json.dumps(dump(session)), "fmt": json.dumps(fmt.to_dict())})
        connection.execute(text("INSERT INTO saved_formats (slug, document, created_at) "
                                "VALUES ('own-old', :doc, '2026-11-22 10:00:00')"),
                           {"doc": json.dumps({**fmt.to_dict(), "id": "own-old"})})

    upgrade_database(url)

    app = create_app(TestConfig(DATABASE_URL=url))
    with app.app_context():
        rooms = services().rooms
        assert all(f.id != "own-old" for f in services().formats.all())
        sealed_id, ended_id = rooms.room_id_for("ABCD23"), rooms.room_id_for("EFGH45")
        assert rooms.execute(sealed_id, Actor(person_id=leader), c.Start()).version == 4
        rooms.execute(ended_id, Actor(person_id=leader), c.EndSession())
        assert rooms.load(sealed_id)[0].status == "running"
        rooms.db.engine.dispose()
    with engine.connect() as connection:
        rows = dict(connection.execute(text("SELECT code, state IS NULL FROM rooms")).all())
        keys = connection.execute(text("SELECT count(*) FROM room_keys")).scalar_one()
    assert rows == {"ABCD23": 1, "EFGH45": 0} and keys == 1
    engine.dispose()
    assert b"PLAINMARK" not in (tmp_path / "m.sqlite3").read_bytes()

    command.downgrade(alembic_config(url), "0003")
    with engine.connect() as connection:
        assert [r[0] for r in connection.execute(text("SELECT code FROM rooms"))] == ["EFGH45"]
        assert connection.execute(text("SELECT count(*) FROM saved_formats")).scalar_one() == 1
    upgrade_database(url)


def _schema_1(session) -> dict:
    """A state as revision 0001's code stored it: the format inside."""
    from facilitation.engine import dump, dump_format

    state = dump(session)
    state.pop("format_id")
    return {**state, "schema": 1, "format": dump_format(session.format)}
