"""Load a room's session, apply one command, save it — in one transaction.

Every accepted command is stored before anyone hears of it. Writers of one room queue on its
row lock; the version check is a second guard: a command that still raced with another writer
retries on fresh state instead of overwriting it.

The process keeps the last session it stored per room, with its version. A command first reads
only the room's version (under the row lock): when it matches, the kept session is used as it
is, instead of reading, decoding and rebuilding the whole document (bench/snapshot.py: that
was most of a command's cost). Another process's write changes the version, so the kept
session is then simply not used. A kept session leaves the cache while a command works on it
and returns only after that command's transaction committed, so a failure never leaves a
half-applied session behind.

The state is stored sealed with the room's key (room_keys.py); the process keeps each live
room's unwrapped key beside its kept session. When the content is erased (the session ends or
expires), the same transaction deletes the wrapped key and stores the content-free rest plain;
a person who leaves or is removed loses their token in the transaction that records it.
"""
from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select

from ..engine import Actor, Command, DomainError, Event, Format, Session, commands, dump, dump_format, load, load_format
from .credentials import new_room_code, new_token, normalize_code, token_hash
from .database import Database
from .models import Credential, Room, RoomKeyRow
from .room_keys import DataKey, RoomKey, SealingError
from .saved_formats import OWN_FORMAT_PREFIX

log = logging.getLogger("krug.rooms")

MAX_RETRIES = 8
PAST_MEETINGS = 20  # how many earlier meetings of a group's own format a debrief compares
_rooms = Room.__table__
_credentials = Credential.__table__
_keys = RoomKeyRow.__table__
# Events after which a person's token no longer opens the room.
_GONE = ("left", "removed")


@dataclass(frozen=True)
class Outcome:
    room_id: int
    code: str
    session: Session
    version: int
    events: list[Event]


@dataclass
class _Kept:
    version: int
    code: str
    session: Session


@dataclass(frozen=True)
class Identity:
    room_id: int
    code: str
    actor: Actor
    # "ended": the room is over, this token only learns that; "debrief": a leader's token after
    # the end, good for the debrief alone.
    after_end: str | None = None


class RoomStore:
    def __init__(self, db: Database, clock, data_key: DataKey) -> None:
        self.db = db
        self.clock = clock
        self.data_key = data_key
        self._room_keys: dict[int, RoomKey] = {}  # unwrapped keys of live rooms, this process
        # One writer per room inside this process; the version check covers other processes.
        self._locks: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)
        self._kept: dict[int, _Kept] = {}
        self._formats: dict[int, Format] = {}  # a room's format never changes

    # ----------------------------------------------------------------- rooms and people

    def create_room(self, fmt: Format, leader_name: str, time_scale: float,
                    admit_each: bool = False) -> tuple[str, str, str, str]:
        """Returns (code, leader token, screen token, leader person id)."""
        now = self.clock.now()
        session, leader_id = Session.create(fmt, leader_name, now, time_scale, admit_each=admit_each)
        leader_token, screen_token = new_token(), new_token()
        with self.db.writing(), self.db.session() as s, s.begin():
            code = self._unused_code(s)
            room = Room(code=code, format_id=fmt.id, state=None, format_doc=dump_format(fmt), version=1)
            s.add(room)
            s.flush()
            room_key, wrapped = self.data_key.new_room_key(room.id)
            s.add(RoomKeyRow(room_id=room.id, wrapped=wrapped))
            room.sealed = room_key.seal(dump(session))
            s.add(Credential(token_hash=token_hash(leader_token), room_id=room.id, person_id=leader_id, kind="person"))
            s.add(Credential(token_hash=token_hash(screen_token), room_id=room.id, person_id=None, kind="screen"))
        self._room_keys[room.id] = room_key
        self.db.wrote()
        return code, leader_token, screen_token, leader_id

    def _unused_code(self, s) -> str:
        for _ in range(20):
            code = new_room_code()
            if s.scalar(select(Room.id).where(Room.code == code)) is None:
                return code
        raise RuntimeError("could not find an unused room code")

    def room_id_for(self, code: str) -> int | None:
        code = normalize_code(code)
        if code is None:
            return None
        with self.db.reading(), self.db.session() as s:
            return s.scalar(select(Room.id).where(Room.code == code))

    def join(self, code: str, name: str, observer: bool) -> tuple[Outcome, str, str]:
        """Add a person; returns the outcome, their token and their person id."""
        room_id = self.room_id_for(code)
        if room_id is None:
            raise DomainError("not_found", "No room with this code.")
        token = new_token()

        def issue(conn, outcome_events):
            person_id = outcome_events[0].data["person"]
            conn.execute(_credentials.insert().values(token_hash=token_hash(token), room_id=room_id,
                                                      person_id=person_id, kind="person"))

        outcome = self.execute(room_id, Actor.system(), commands.Join(name_text=name, observer=observer), also=issue)
        return outcome, token, outcome.events[0].data["person"]

    def identify(self, token: object) -> Identity | None:
        if not isinstance(token, str) or not 20 <= len(token) <= 100:
            return None
        with self.db.reading(), self.db.session() as s:
            row = s.execute(
                select(Credential, Room.code).join(Room, Room.id == Credential.room_id)
                .where(Credential.token_hash == token_hash(token))
            ).first()
        if row is None:
            return None
        credential, code = row
        actor = Actor(screen=True) if credential.kind == "screen" else Actor(person_id=credential.person_id)
        after_end = credential.kind if credential.kind in ("ended", "debrief") else None
        return Identity(room_id=credential.room_id, code=code, actor=actor, after_end=after_end)

    def screen_token(self, room_id: int) -> str:
        token = new_token()
        with self.db.writing(), self.db.session() as s, s.begin():
            s.add(Credential(token_hash=token_hash(token), room_id=room_id, person_id=None, kind="screen"))
        self.db.wrote()
        return token

    def live_room_ids(self) -> list[int]:
        """Rooms whose content is not erased yet."""
        with self.db.reading(), self.db.session() as s:
            return list(s.scalars(select(Room.id).where(Room.erased_at.is_(None))))

    def execute_in_every_room(self, command: Command) -> list[Outcome]:
        """The server's own ``command`` in every live room; the outcomes that changed something."""
        outcomes = []
        for room_id in self.live_room_ids():
            try:
                outcome = self.execute(room_id, Actor.system(), command)
            except DomainError:
                continue  # ended or erased meanwhile
            if outcome.events:
                outcomes.append(outcome)
        return outcomes

    def forget_erased(self) -> int:
        """Drop kept sessions of rooms another process erased (its retention round or its end):
        no case content outlives its room in this process's memory either. This process's own
        erasures go through ``execute``, which never keeps an ended session."""
        if not self._kept:
            return 0
        with self.db.session() as s:
            erased = s.scalars(select(Room.id).where(Room.id.in_(list(self._kept)),
                                                     Room.erased_at.is_not(None))).all()
        for room_id in erased:
            self._kept.pop(room_id, None)
            self._formats.pop(room_id, None)
            self._room_keys.pop(room_id, None)
        return len(erased)

    def _format(self, room_id: int, doc: dict | None) -> Format | None:
        """The room's format (None for a room stored before formats sat beside the state)."""
        fmt = self._formats.get(room_id)
        if fmt is None and doc is not None:
            fmt = self._formats[room_id] = load_format(doc)
        return fmt

    # ----------------------------------------------------------------- commands

    def load(self, room_id: int) -> tuple[Session, int, str]:
        """A fresh copy of the room's session, for reading (never the kept one: its reader
        may yield while a command changes the kept session)."""
        with self.db.reading(), self.db.engine.connect() as conn:
            row = conn.execute(select(_rooms.c.version, _rooms.c.code).where(_rooms.c.id == room_id)).first()
            if row is None:
                raise DomainError("not_found")
            return self._read(conn, room_id), row.version, row.code

    def _read(self, conn, room_id: int) -> Session:
        """The stored session: opened with the room's key, or plain when content-free."""
        state, sealed, doc = conn.execute(select(_rooms.c.state, _rooms.c.sealed, _rooms.c.format_doc)
                                          .where(_rooms.c.id == room_id)).one()
        if sealed is not None:
            try:
                state = self._room_key(conn, room_id).open(sealed)
            except (SealingError, AttributeError):  # AttributeError: no key row at all
                log.error("room %s does not open with this server's data key (KRUG_DATA_KEY)", room_id)
                raise DomainError("not_found", "This room cannot be opened by this server.") from None
        return load(state, self._format(room_id, doc))

    def _room_key(self, conn, room_id: int, create: bool = False) -> RoomKey | None:
        key = self._room_keys.get(room_id)
        if key is not None:
            return key
        wrapped = conn.execute(select(_keys.c.wrapped).where(_keys.c.room_id == room_id)).scalar()
        if wrapped is not None:
            key = self.data_key.room_key(wrapped, room_id)
        elif create:  # a room stored plain before revision 0004: sealed from its next write on
            key, wrapped = self.data_key.new_room_key(room_id)
            conn.execute(insert(_keys).values(room_id=room_id, wrapped=wrapped))
            return key  # kept only once its transaction committed (see _execute_once)
        else:
            return None
        self._room_keys[room_id] = key
        return key

    def execute(self, room_id: int, actor: Actor, command: Command, also=None) -> Outcome:
        """Apply ``command`` and store the result; ``also(connection, events)`` joins the transaction."""
        with self._locks[room_id]:
            for _ in range(MAX_RETRIES):
                try:
                    with self.db.writing():
                        outcome = self._execute_once(room_id, actor, command, also)
                except _VersionConflict:
                    continue
                if any(e.name == "ended" for e in outcome.events):
                    self.db.compact(vacuum=False)  # no erased text left in the write-ahead log
                return outcome
            raise DomainError("bad_request", "The room is busy; please try again.")

    def _execute_once(self, room_id: int, actor: Actor, command: Command, also) -> Outcome:
        kept = self._kept.pop(room_id, None)
        # Core on a connection: the ORM Session's bookkeeping was a third of a command's cost.
        with self.db.engine.begin() as conn:
            # Writers of one room queue on its row (PostgreSQL); SQLite serializes writes anyway.
            row = conn.execute(select(_rooms.c.version, _rooms.c.code)
                               .where(_rooms.c.id == room_id).with_for_update()).first()
            if row is None:
                raise DomainError("not_found")
            version, code = row
            if kept is None or kept.version != version:
                kept = _Kept(version, code, self._read(conn, room_id))
            session = kept.session
            try:
                events = session.apply(command, actor, self.clock.now())
            except DomainError:
                self._kept[room_id] = kept  # the engine refuses before it changes anything
                raise
            if not events or any(e.name == "duplicate" for e in events):
                # Nothing changed (a screen's presence, a retried post): nothing to store.
                self._kept[room_id] = kept
                return Outcome(room_id, code, session, version, events)
            session.stamp_answer(command, actor, version + 1)
            end = next((e for e in events if e.name == "ended"), None)
            ended = end is not None
            if session.status == "ended":
                # The content is gone from the session: what is left is stored plain, and the
                # room key goes with it, so every older sealed copy anywhere stays shut.
                conn.execute(delete(_keys).where(_keys.c.room_id == room_id))
                self._room_keys.pop(room_id, None)
                values = {"state": dump(session), "sealed": None, "version": version + 1}
                if ended:
                    values["ended_at"] = values["erased_at"] = datetime.now(UTC)
                    values["record"] = end.data["record"]
            else:
                room_key = self._room_key(conn, room_id, create=True)
                values = {"sealed": room_key.seal(dump(session)), "state": None, "version": version + 1}
            stored = conn.execute(
                _rooms.update().where(_rooms.c.id == room_id, _rooms.c.version == version).values(**values)
            ).rowcount
            if stored != 1:
                raise _VersionConflict()
            if also is not None:
                also(conn, events)
            gone = [e.data["person"] for e in events if e.name in _GONE]
            if gone:
                conn.execute(_credentials.delete().where(_credentials.c.room_id == room_id,
                                                         _credentials.c.person_id.in_(gone)))
            if ended:
                self._retire_credentials(conn, room_id, end.data["debrief_for"])
        self.db.wrote()
        kept.version = version + 1
        if session.status != "ended":
            self._kept[room_id] = kept
            self._room_keys.setdefault(room_id, room_key)
        return Outcome(room_id, code, session, version + 1, events)


    @staticmethod
    def _retire_credentials(conn, room_id: int, debrief_for: list[str]) -> None:
        """Nobody can read the room any more: the leaders' tokens open the debrief alone, every
        other token only learns that the session is over (so its device forgets the room)."""
        mine = _credentials.c.room_id == room_id
        conn.execute(_credentials.update().where(mine, _credentials.c.person_id.in_(debrief_for))
                     .values(kind="debrief"))
        conn.execute(_credentials.update().where(mine, _credentials.c.kind != "debrief")
                     .values(kind="ended", person_id=None))

    def debrief(self, room_id: int) -> tuple[dict | None, list[dict]]:
        """A room's debrief record, and those of the earlier meetings with the same saved format
        (a group's own format: the same group), oldest first."""
        with self.db.engine.connect() as conn:
            row = conn.execute(select(_rooms.c.record, _rooms.c.format_id).where(_rooms.c.id == room_id)).first()
            if row is None or row.record is None:
                return None, []
            if not row.format_id.startswith(OWN_FORMAT_PREFIX):
                return row.record, []
            past = conn.execute(select(_rooms.c.record).where(
                _rooms.c.format_id == row.format_id, _rooms.c.record.is_not(None), _rooms.c.id != room_id,
            ).order_by(_rooms.c.ended_at.desc()).limit(PAST_MEETINGS)).scalars().all()
        return row.record, list(reversed(past))


class _VersionConflict(Exception):
    """Another process stored a newer version of the room first."""
