"""Fixtures for the pure engine: a format library and a small room driven by a fake clock."""
from __future__ import annotations

from pathlib import Path

import pytest

from facilitation.engine import Actor, DomainError, FakeClock, FormatLibrary, Session, codec
from facilitation.engine import commands as c

FORMATS = Path(__file__).resolve().parents[2] / "facilitation" / "formats"


@pytest.fixture(scope="session")
def library() -> FormatLibrary:
    return FormatLibrary(FORMATS)


class Room:
    """A session plus the people in it, with terse helpers for tests."""

    def __init__(self, library: FormatLibrary, format_id: str = "balint-classic", people: int = 4, scale: float = 1.0):
        self.clock = FakeClock()
        self.session, self.leader = Session.create(library.get(format_id), "Leader", self.clock.now(), scale)
        self.people = [self.join(f"Person {i}") for i in range(1, people)]

    def join(self, name: str, observer: bool = False) -> str:
        events = self.session.apply(c.Join(name_text=name, observer=observer), Actor.system(), self.clock.now())
        return events[0].data["person"]

    def do(self, who: str, command: c.Command):
        return self.session.apply(command, Actor(person_id=who), self.clock.now())

    def lead(self, command: c.Command):
        return self.do(self.leader, command)


@pytest.fixture
def room(library) -> Room:
    return Room(library)


@pytest.fixture
def make_room(library):
    return lambda **kw: Room(library, **kw)


def refused(room, who, command) -> str:
    """The code ``who`` is refused with; a refused command must leave the state as it was."""
    before = codec.dump(room.session)
    with pytest.raises(DomainError) as err:
        room.do(who, command)
    assert codec.dump(room.session) == before, "a refused command changed the state"
    return err.value.code
