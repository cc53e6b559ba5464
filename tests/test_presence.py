"""Presence across processes: a dead process's connections do not stay online for ever."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select

from facilitation.engine import Actor
from facilitation.engine import commands as c
from facilitation.persistence.models import ServerProcess
from facilitation.realtime.connections import Connection
from facilitation.realtime.presence import presence_round
from facilitation.services import services

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def app(make_app):
    # The tests count seconds of a process's silence against this.
    return make_app(PROCESS_GONE_AFTER_SECONDS=45.0)


def _room(app):
    with app.app_context():
        svc = services()
        code, _token, _screen, leader = svc.rooms.create_room(svc.formats.get("balint-classic"), "Lea", 1.0)
        room_id = svc.rooms.room_id_for(code)
        _, _, anna = svc.rooms.join(code, "Anna", False)
        return room_id, leader, anna


def test_a_silent_process_is_taken_for_gone_and_its_connections_forgotten(app):
    room_id, leader, anna = _room(app)
    sent = []
    with app.app_context():
        svc = services()
        svc.rooms.execute(room_id, Actor(person_id=anna), c.Connected(connection="deadbeef0001:s1"))
        svc.rooms.execute(room_id, Actor(person_id=leader), c.Connected(connection=svc.connection_id("s2")))
        with svc.db.engine.begin() as conn:
            conn.execute(insert(ServerProcess.__table__).values(id="deadbeef0001", seen_at=NOW - timedelta(seconds=30)))

    assert presence_round(app, sent.append, now=NOW) == []  # 30 s of silence: not yet
    assert presence_round(app, sent.append, now=NOW + timedelta(seconds=20)) == ["deadbeef0001"]
    with app.app_context():
        session = services().rooms.load(room_id)[0]
        assert not session.people[anna].online and session.people[leader].online  # this process's stay
        with services().db.engine.connect() as conn:
            assert list(conn.scalars(select(ServerProcess.__table__.c.id))) == [services().process_id]
    assert len(sent) == 1 and [e.name for e in sent[0].events] == ["presence"]


def test_a_stalled_process_taken_for_gone_announces_its_connections_again(app):
    room_id, leader, anna = _room(app)
    sent = []
    presence_round(app, sent.append, now=NOW)
    with app.app_context():
        svc = services()
        svc.rooms.execute(room_id, Actor(person_id=anna), c.Connected(connection=svc.connection_id("s1")))
        svc.connections["s1"] = Connection(room_id, "CODE", Actor(person_id=anna), "public")
        # Another process took this one for gone meanwhile:
        svc.rooms.execute(room_id, Actor.system(), c.ProcessGone(process=svc.process_id))
        with svc.db.engine.begin() as conn:
            conn.execute(delete(ServerProcess.__table__))
        assert not svc.rooms.load(room_id)[0].people[anna].online
    presence_round(app, sent.append, now=NOW + timedelta(seconds=60))
    with app.app_context():
        assert services().rooms.load(room_id)[0].people[anna].online
    assert len(sent) == 1
