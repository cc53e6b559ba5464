"""Who is in the room: joining, the door, leaving, connections and presence, leadership."""
from __future__ import annotations

from . import commands as c
from .entities import Actor, Event, Person, same_socket
from .errors import DomainError
from .rules import CIRCLE, MAX_CIRCLE, NAME_MAX, Role, clean_text


class PeopleCommands:
    """The people part of ``Session`` (a mixin: the state lives in the session)."""

    def _do_join(self, cmd: c.Join, actor: Actor, now: float) -> list[Event]:
        name = clean_text(cmd.name_text, NAME_MAX, field="name")
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
                        waiting=self.status != "lobby" or self.admit_each)
        self.people[person.id] = person
        return [Event("joined", {"person": person.id, "role": role.value, "waiting": person.waiting},
                      private_for=(person.id,))]

    def _do_admit(self, cmd: c.Admit, actor: Actor, now: float) -> list[Event]:
        person = self.people.get(cmd.person_id)
        if person is None or person.left:
            raise DomainError("unknown_person")
        if not person.waiting:
            raise DomainError("not_waiting")
        if not cmd.admit:
            return self._remove(person, "refused")
        if person.role in CIRCLE and len(self.circle) >= MAX_CIRCLE:
            raise DomainError("room_full")
        person.waiting = False
        return [Event("admitted", {"person": person.id, "admit": True}, private_for=(person.id,))]

    def _do_remove_person(self, cmd: c.RemovePerson, actor: Actor, now: float) -> list[Event]:
        person = self.people.get(cmd.person_id)
        if person is None or person.left:
            raise DomainError("unknown_person")
        if person.role is Role.LEADER:
            raise DomainError("cannot_remove_leader")
        if person.id == actor.person_id:
            raise DomainError("bad_request", "To go, leave the room.", field="person_id")
        return self._remove(person, "removed")

    def _remove(self, person: Person, reason: str) -> list[Event]:
        """Someone goes against their will: turned away at the door, or removed from the room.

        Their name goes at once. Their cards stay for the presenter and the group, without an
        author (the leader can still hide any of them); their case proposals not yet chosen go.
        The store revokes their token in the same transaction (``left``/``removed`` events).
        """
        connections = tuple(person.connections)
        self._depart(person)
        for case in self.cases:
            nomination = self.nominations.get(case.nomination_id) if case.nomination_id else None
            if nomination and nomination.author_id == person.id and self._case_is_ahead(case.number):
                nomination.case, case.nomination_id, case.title = None, None, ""  # withdrawn below
        person.removed = True
        person.name = ""
        for card in self.cards:
            if card.author_id == person.id:
                card.anonymous = True
        for nomination in self.nominations.values():
            if nomination.author_id != person.id or nomination.case is not None or nomination.withdrawn:
                continue
            on_ballot = bool(self.vote and nomination.id in self.vote.candidates)
            if on_ballot and not self.vote.is_open:
                continue  # a closed vote's result stays as counted
            if on_ballot:
                self.vote.remove_candidate(nomination.id)
            nomination.withdrawn = True
        return [Event("removed", {"person": person.id, "reason": reason, "connections": list(connections)},
                      private_for=tuple(self.people) if self.vote else ())]

    def _depart(self, person: Person) -> None:
        """What leaving and removal share: out of the room, out of cases ahead and the vote."""
        person.left = True
        person.waiting = False
        person.connections = []
        for case in self.cases:
            if case.presenter_id == person.id and self._case_is_ahead(case.number):
                case.presenter_id = None
        if self.vote:
            self.vote.drop_voter(person.id)

    def _do_set_admit_each(self, cmd: c.SetAdmitEach, actor: Actor, now: float) -> list[Event]:
        self.admit_each = cmd.on
        return [Event("settings", {"admit_each": cmd.on})]

    def _do_set_locked(self, cmd: c.SetLocked, actor: Actor, now: float) -> list[Event]:
        self.locked = cmd.locked
        return [Event("settings", {"locked": cmd.locked})]

    def _do_leave(self, cmd: c.Leave, actor: Actor, now: float) -> list[Event]:
        person = self._person(actor.person_id)
        if person.role is Role.LEADER:
            raise DomainError("leader_cannot_leave")
        connections = tuple(person.connections)
        self._depart(person)
        # ``connections``: ids only, so the shell can stop serving them (and events stay loggable).
        return [Event("left", {"person": person.id, "connections": list(connections)})]

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
