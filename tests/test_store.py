"""The store keeps each room's session between commands; what it keeps must stay true."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from facilitation.engine import Actor, DomainError, FakeClock, FormatLibrary
from facilitation.engine import commands as c
from facilitation.persistence.database import Database
from facilitation.persistence.room_keys import DataKey
from facilitation.persistence.rooms import RoomStore
from facilitation.persistence.saved_formats import FORMATS_DIR


class _App:
    def __init__(self, url: str) -> None:
        self.config = {"DATABASE_URL": url}
        self.extensions: dict = {}


@pytest.fixture
def stores(database_url):
    """Two stores on one SQLite file: two processes of one deployment."""
    made = []
    for _ in range(2):
        db = Database()
        db.init_app(_App(database_url))
        made.append(RoomStore(db, FakeClock(), DataKey(bytes(32))))
    yield made
    for store in made:
        store.db.engine.dispose()


def _room(store):
    fmt = FormatLibrary(FORMATS_DIR).get("balint-classic")
    code, _token, _screen, leader = store.create_room(fmt, "Lea", 1.0)
    room_id = store.room_id_for(code)
    _, _, anna = store.join(code, "Anna", False)
    store.execute(room_id, Actor(person_id=leader), c.Start())
    return room_id, leader, anna


def test_a_failed_transaction_leaves_no_half_applied_session(stores):
    store, _ = stores
    room_id, _leader, anna = _room(store)

    def fail(_conn, _events):
        raise RuntimeError("the database went away mid-transaction")

    with pytest.raises(RuntimeError):
        store.execute(room_id, Actor(person_id=anna), c.PostCard(client_id="k1", kind="checkin", text="Lost"), also=fail)
    outcome = store.execute(room_id, Actor(person_id=anna), c.PostCard(client_id="k2", kind="checkin", text="Kept"))
    assert [card.text for card in outcome.session.cards] == ["Kept"]
    assert [card.text for card in store.load(room_id)[0].cards] == ["Kept"]


def test_a_refused_command_keeps_the_session_as_it_was(stores):
    store, _ = stores
    room_id, _leader, anna = _room(store)
    before = store.execute(room_id, Actor(person_id=anna), c.PostCard(client_id="k1", kind="checkin", text="One"))
    with pytest.raises(DomainError):
        store.execute(room_id, Actor(person_id=anna), c.NextPhase())  # not a leader
    after = store.execute(room_id, Actor(person_id=anna), c.PostCard(client_id="k2", kind="checkin", text="Two"))
    assert after.version == before.version + 1
    assert [card.text for card in after.session.cards] == ["One", "Two"]


def test_another_process_writing_the_room_is_seen(stores):
    first, second = stores
    room_id, leader, anna = _room(first)
    first.execute(room_id, Actor(person_id=anna), c.PostCard(client_id="a", kind="checkin", text="From one"))
    second.execute(room_id, Actor(person_id=leader), c.PostCard(client_id="b", kind="checkin", text="From two"))
    outcome = first.execute(room_id, Actor(person_id=anna), c.PostCard(client_id="c", kind="checkin", text="One again"))
    assert [card.text for card in outcome.session.cards] == ["From one", "From two", "One again"]
    assert outcome.version == second.load(room_id)[1]


def test_a_purge_elsewhere_is_not_undone_by_a_kept_session(stores):
    """The retention purge bumps the version, so a kept session with content is not reused."""
    from facilitation.persistence.retention import purge_expired

    store, other = stores
    room_id, _leader, anna = _room(store)
    store.execute(room_id, Actor(person_id=anna), c.PostCard(client_id="a", kind="checkin", text="Secret"))
    assert purge_expired(other, 1.0, now=datetime.now(UTC) + timedelta(days=30)) == 1
    with pytest.raises(DomainError) as refused:
        store.execute(room_id, Actor(person_id=anna), c.PostCard(client_id="b", kind="checkin", text="Later"))
    assert refused.value.code == "session_ended"
    assert store.load(room_id)[0].cards == []


def test_kept_sessions_of_purged_rooms_leave_memory(stores):
    """Purged here: the one write path keeps no ended session. Purged by another process: the
    retention round's ``forget_erased`` drops it."""
    from facilitation.persistence.retention import purge_expired

    store, other = stores
    later = datetime.now(UTC) + timedelta(days=30)
    room_id, _leader, anna = _room(store)
    store.execute(room_id, Actor(person_id=anna), c.PostCard(client_id="a", kind="checkin", text="Secret"))
    assert room_id in store._kept
    purge_expired(store, 1.0, now=later)
    assert room_id not in store._kept

    room_id, _leader, anna = _room(store)
    store.execute(room_id, Actor(person_id=anna), c.PostCard(client_id="a", kind="checkin", text="Secret"))
    purge_expired(other, 1.0, now=later)
    assert room_id in store._kept
    assert store.forget_erased() == 1 and room_id not in store._kept
