"""Who is in the room: joining, the door, leaving, connections and presence, leadership."""
from __future__ import annotations

from . import commands as c
from .entities import Actor, Event, Person, same_socket
from .errors import DomainError
from .rules import CIRCLE, MAX_CIRCLE, NAME_MAX, Role, clean_text


class PeopleCommands:
    """The people part of ``Session`` (a mixin: the state lives in the session)."""

    def _do_join(self, cmd: c.Join, actor: Actor, now: float) -> list[Event]:
        name = clean_text(cmd.name_text, NAME_MAX)
        if self.locked:
            raise DomainError("room_locked")
        if cmd.observer:
            if not self.allow_observers:
                raise DomainError("observers_not_allowed")
            role = Role.OBSERVER
        else:
            if len(self.circle) >= MAX_CIRCLE:
                raise DomainError("room_full")
            role = Role.PARTICIPANT
        person = Person(id=self._next_id("p"), name=name, role=role, joined_at=now,
                        waiting=self.status != "lobby")
        self.people[person.id] = person
        return [Event("joined", {"person": person.id, "role": role.value, "waiting": person.waiting},
                      private_for=(person.id,))]

    def _do_admit(self, cmd: c.Admit, actor: Actor, now: float) -> list[Event]:
        person = self.people.get(cmd.person_id)
        if person is None or person.left or not person.waiting:
            raise DomainError("unknown_person")
        if cmd.admit:
            if person.role in CIRCLE and len(self.circle) >= MAX_CIRCLE:
                raise DomainError("room_full")
            person.waiting = False
        else:
            person.left = True
        return [Event("admitted", {"person": person.id, "admit": cmd.admit}, private_for=(person.id,))]

    def _do_set_locked(self, cmd: c.SetLocked, actor: Actor, now: float) -> list[Event]:
        self.locked = cmd.locked
        return [Event("settings", {"locked": cmd.locked})]

    def _do_leave(self, cmd: c.Leave, actor: Actor, now: float) -> list[Event]:
        person = self._person(actor.person_id)
        if person.role is Role.LEADER:
            raise DomainError("leader_cannot_leave")
        person.left = True
        person.connections = []
        for case in self.cases:
            if case.presenter_id == person.id and self._case_is_ahead(case.number):
                case.presenter_id = None
        if self.vote:
            self.vote.drop_voter(person.id)
        return [Event("left", {"person": person.id})]

    def _do_connected(self, cmd: c.Connected, actor: Actor, now: float) -> list[Event]:
        if actor.screen:
            return []
        person = self._visitor(actor.person_id)
        person.connections = [c for c in person.connections
                              if c != cmd.connection and not same_socket(c, cmd.replaces)]
        person.connections.append(cmd.connection)
        person.disconnected_at = None
        return [Event("presence", {"person": person.id, "online": True})]

    def _do_disconnected(self, cmd: c.Disconnected, actor: Actor, now: float) -> list[Event]:
        if actor.screen:
            return []
        person = self._visitor(actor.person_id)
        if cmd.connection not in person.connections:
            return []
        person.connections.remove(cmd.connection)
        if not person.connections:
            person.disconnected_at = now
        return [Event("presence", {"person": person.id, "online": person.online})]

    def _do_process_gone(self, cmd: c.ProcessGone, actor: Actor, now: float) -> list[Event]:
        prefix = f"{cmd.process}:"
        return self._forget_connections(lambda conn: conn.startswith(prefix), now)

    def _do_reset_presence(self, cmd: c.ResetPresence, actor: Actor, now: float) -> list[Event]:
        return self._forget_connections(lambda conn: True, now)

    def _forget_connections(self, lost, now: float) -> list[Event]:
        events = []
        for person in self.people.values():
            kept = [conn for conn in person.connections if not lost(conn)]
            if len(kept) == len(person.connections):
                continue
            person.connections = kept
            if not kept:
                person.disconnected_at = now
            events.append(Event("presence", {"person": person.id, "online": person.online}))
        return events

    def _do_hand_leadership(self, cmd: c.HandLeadership, actor: Actor, now: float) -> list[Event]:
        target = self._person(cmd.person_id)
        if not target.in_circle or target.id == actor.person_id:
            raise DomainError("unknown_person")
        leader = self.people[actor.person_id]
        leader.role = Role.COLEADER if target.role is Role.COLEADER else Role.PARTICIPANT
        target.role = Role.LEADER
        return [Event("roles", {"leader": target.id}, private_for=(target.id, leader.id))]

    def _do_make_coleader(self, cmd: c.MakeColeader, actor: Actor, now: float) -> list[Event]:
        target = self._person(cmd.person_id)
        if not target.in_circle or target.role is Role.LEADER:
            raise DomainError("unknown_person")
        target.role = Role.COLEADER if cmd.on else Role.PARTICIPANT
        return [Event("roles", {"coleader": target.id, "on": cmd.on}, private_for=(target.id,))]

    def _person(self, person_id: str | None) -> Person:
        person = self.people.get(person_id) if person_id else None
        if person is None or not person.present:
            raise DomainError("unknown_person")
        return person

    def _visitor(self, person_id: str | None) -> Person:
        """Someone in the room or at its door (waiting to be let in), but not someone who left."""
        person = self.people.get(person_id) if person_id else None
        if person is None or person.left:
            raise DomainError("unknown_person")
        return person
