"""PostgreSQL: the migrations apply, and the store keeps rooms consistent across processes."""
from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from config import TestConfig
from facilitation import create_app
from facilitation.engine import SystemClock
from facilitation.engine import commands as c
from facilitation.engine.formats import FormatLibrary
from facilitation.persistence.database import Database
from facilitation.persistence.models import Base
from facilitation.persistence.room_keys import DataKey
from facilitation.persistence.rooms import RoomStore
from facilitation.persistence.saved_formats import FORMATS_DIR
from facilitation.persistence.schema import upgrade_database

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
    return RoomStore(database, SystemClock(), DataKey.from_hex(app.config["DATA_KEY"]))


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
               for store, person in zip([first, second, first, second], people, strict=False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    session, version, _ = second.load(room_id)
    assert len(session.cards) == 40


def test_slow_queries_run_side_by_side_under_eventlet(pg_url, tmp_path):
    """Without the psycopg wait-function fix each query blocks the whole hub: they would run one
    after another. With it, all three are in flight at once (their time spans overlap)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "KRUG_DATABASE_URL": pg_url, "KRUG_INSTANCE_DIR": str(tmp_path), "KRUG_ASYNC_MODE": "eventlet"}
    env.pop("PSYCOPG_WAIT_FUNC", None)
    out = subprocess.run([sys.executable, str(Path(__file__).with_name("pg_concurrency_probe.py")), str(root)],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    spans = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(spans) == 3
    assert max(start for start, _ in spans) < min(end for _, end in spans), spans
