"""PostgreSQL: the migrations apply, and the store keeps rooms consistent across processes."""
from __future__ import annotations

import pytest

import threading

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from config import TestConfig
from facilitation import create_app
from facilitation.cli import upgrade_database
from facilitation.engine import commands as c
from facilitation.engine.formats import FormatLibrary
from facilitation.extensions import Database
from facilitation.format_store import FORMATS_DIR
from facilitation.models import Base
from facilitation.store import RoomStore
from facilitation.engine import SystemClock

pytestmark = pytest.mark.services


def test_migrations_build_the_model_schema(pg_url):
    upgrade_database(pg_url)
    upgrade_database(pg_url)
    engine = create_engine(pg_url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def _store(pg_url) -> RoomStore:
    app = create_app(TestConfig(DATABASE_URL=pg_url))
    database = Database()
    database.init_app(app)
    return RoomStore(database, SystemClock())


def test_two_stores_on_one_room_lose_no_update(pg_url):
    """Two stores stand for two processes: their version checks make racing commands retry."""
    upgrade_database(pg_url)
    first, second = _store(pg_url), _store(pg_url)
    fmt = FormatLibrary(FORMATS_DIR).get("balint-classic")
    code, _token, _screen, leader = first.create_room(fmt, "Lea", 1.0)
    room_id = first.room_id_for(code)
    people = [first.join(code, f"P{i}", False)[2] for i in range(4)]
    from facilitation.engine import Actor

    first.execute(room_id, Actor(person_id=leader), c.Start())
    errors = []

    def post(store, person, n):
        try:
            for i in range(n):
                store.execute(room_id, Actor(person_id=person), c.PostCard(client_id=f"{person}-{i}", kind="checkin", text="hi"))
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(store, person, 10))
               for store, person in zip([first, second, first, second], people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    session, version, _ = second.load(room_id)
    assert len(session.cards) == 40
