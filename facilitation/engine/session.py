"""The session state machine: commands in, new state and events out.

A ``Session`` is the whole state of one room. ``apply`` checks a command against the rule table
(``rules.PERMISSIONS``), then its handler validates everything else before it changes anything,
so a refused command (a ``DomainError``) leaves the state as it was. Times are epoch seconds
passed in by the caller; the engine never reads a clock. The handlers for people and for cases
live in ``people.py`` and ``casework.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import commands as c
from .casework import CaseCommands
from .debrief import debrief_record
from .entities import Actor, Card, Case, Event, Nomination, Person, PhaseRun
from .errors import DomainError
from .formats import Format, PhaseSpec
from .groups import GroupCommands
from .people import PeopleCommands
from .rules import (
    CIRCLE,
    EXTEND_MINUTES,
    LEADING,
    MIN_CIRCLE,
    NAME_MAX,
    PERMISSIONS,
    Permission,
    Role,
    Who,
    clean_text,
)
from .timer import Timer
from .vote import Vote

# Enough for every button pressed in a room over minutes of reconnecting; old ids drop out.
ANSWERS_KEPT = 64
# What an acknowledgement carries besides ``v`` (the ids of what a command created).
ANSWER_FIELDS = ("card", "nomination")


def _answer_key(command: c.Command, actor: Actor) -> str | None:
    if command.command_id is None:
        return None
    sender = actor.person_id or ("screen" if actor.screen else "server")
    # The command's name too: an id a client reused for another command is not that command.
    return f"{sender}:{command.name}:{command.command_id}"


@dataclass
class Session(PeopleCommands, CaseCommands, GroupCommands):
    format: Format
    created_at: float
    time_scale: float = 1.0
    status: str = "lobby"  # lobby | running | ended
    phase_index: int = -1
    timer: Timer | None = None
    started_at: float | None = None
    ended_at: float | None = None
    people: dict[str, Person] = field(default_factory=dict)
    nominations: dict[str, Nomination] = field(default_factory=dict)
    vote: Vote | None = None
    cases: list[Case] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    history: list[PhaseRun] = field(default_factory=list)
    anonymous: set[str] = field(default_factory=set)
    vote_budget: int = 1
    allow_observers: bool = True
    locked: bool = False
    admit_each: bool = False  # every join waits at the door to be let in, as in a meeting lobby
    card_hold: bool = False  # in silent phases, new cards wait for a leader's release
    counter: int = 0
    # The small groups of the current phase (see groups.py): members by group, rotation state.
    groups: list[list[str]] = field(default_factory=list)
    group_size: int | None = None
    group_shuffle: int = 0
    group_round: int = -1
    group_step: int = 0
    group_with_leader: bool = False
    # What recent commands with a client's ``command_id`` were answered, by "<sender>:<id>"
    # (oldest first, at most ANSWERS_KEPT): a repeat is answered from here and changes nothing.
    answered: dict[str, dict] = field(default_factory=dict)

    # ----------------------------------------------------------------- construction

    @classmethod
    def create(cls, fmt: Format, leader_name: str, now: float, time_scale: float = 1.0,
               admit_each: bool = False) -> tuple[Session, str]:
        """A new room in the lobby with its leader; returns the session and the leader's id."""
        session = cls(
            format=fmt, created_at=now, time_scale=time_scale,
            cases=[Case(number=n) for n in range(1, fmt.cases + 1)],
            anonymous=set(fmt.anonymous), admit_each=admit_each,
        )
        name = clean_text(leader_name, NAME_MAX, field="leader_name")
        leader = Person(id=session._next_id("p"), name=name, role=Role.LEADER, joined_at=now)
        session.people[leader.id] = leader
        return session, leader.id

    def _next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    # ----------------------------------------------------------------- queries

    @property
    def phase(self) -> PhaseSpec | None:
        if 0 <= self.phase_index < len(self.format.phases):
            return self.format.phases[self.phase_index]
        return None

    def phase_seconds(self, index: int) -> float:
        return self.format.phases[index].minutes * 60 * self.time_scale

    @property
    def circle(self) -> list[Person]:
        return [p for p in self.people.values() if p.in_circle]

    def role_of(self, actor: Actor) -> Role | None:
        person = self.people.get(actor.person_id) if actor.person_id else None
        if person is None or not person.present:
            return None
        return person.role

    def case(self, number: int | None) -> Case | None:
        if number is None or not 1 <= number <= len(self.cases):
            return None
        return self.cases[number - 1]

    @property
    def current_case(self) -> Case | None:
        phase = self.phase
        return self.case(phase.case) if phase else None

    def is_silent_presenter(self, person_id: str | None) -> bool:
        """True while this person presents the current case in a phase marked silent."""
        phase, case = self.phase, self.current_case
        return bool(
            self.status == "running" and phase and phase.silent_presenter and case
            and person_id is not None and case.presenter_id == person_id
        )

    def presenter_ids(self) -> set[str]:
        return {case.presenter_id for case in self.cases if case.presenter_id}

    # ----------------------------------------------------------------- dispatch

    def apply(self, command: c.Command, actor: Actor, now: float) -> list[Event]:
        """Check ``command`` against the rule table, then run its handler; a refusal changes nothing.

        A command whose ``command_id`` this sender used before was applied already (its
        acknowledgement was lost): it gets the first answer again, as a ``duplicate`` event.
        """
        key = _answer_key(command, actor)
        if key is not None and key in self.answered:
            return [Event("duplicate", dict(self.answered[key]))]
        self._authorize(PERMISSIONS[command.name], actor)
        events = getattr(self, f"_do_{command.name}")(command, actor, now)
        if key is not None and events and not any(e.name == "duplicate" for e in events):
            self.answered[key] = {k: e.data[k] for e in events for k in ANSWER_FIELDS if k in e.data}
            while len(self.answered) > ANSWERS_KEPT:
                del self.answered[next(iter(self.answered))]
        return events

    def stamp_answer(self, command: c.Command, actor: Actor, version: int) -> None:
        """Remember the room version ``command`` was stored as, for its repeats' answer."""
        answer = self.answered.get(_answer_key(command, actor) or "")
        if answer is not None:
            answer["v"] = version

    def _authorize(self, rule: Permission, actor: Actor) -> None:
        if self.status == "ended" and not rule.after_end:
            raise DomainError("session_ended")
        if rule.who is Who.CONNECTION:
            return
        if rule.who is Who.SYSTEM:
            if actor.person_id is not None or actor.screen:
                raise DomainError("not_in_circle", "Only the server does this.")
            return
        if actor.screen:
            raise DomainError("not_in_circle", "The screen shows; it never acts.")
        role = self.role_of(actor)
        if rule.who is Who.PRESENT:
            if role is None:
                raise DomainError("unknown_person")
        elif rule.who in (Who.CIRCLE, Who.PRESENTER):
            if role not in CIRCLE:
                raise DomainError("not_in_circle")
            # Who may write comes before when: a participant learns "not_presenter" in any phase.
            if rule.who is Who.PRESENTER and role not in LEADING and actor.person_id not in self.presenter_ids():
                raise DomainError("not_presenter")
        elif rule.who is Who.LEADING:
            if role not in LEADING:
                raise DomainError("not_leader")
        elif role is not Role.LEADER:
            raise DomainError("not_main_leader")
        if rule.running and self.status == "lobby":
            raise DomainError("session_not_started")

    # ----------------------------------------------------------------- phases and timer

    def _do_start(self, cmd: c.Start, actor: Actor, now: float) -> list[Event]:
        if self.status != "lobby":
            raise DomainError("already_started")
        if len(self.circle) < MIN_CIRCLE:
            raise DomainError("too_few_people")
        self.status = "running"
        self.started_at = now
        self._enter_phase(0, now)
        return [Event("started", {"phase": 0})]

    def _enter_phase(self, index: int, now: float) -> None:
        if self.history and self.history[-1].ended_at is None:
            self.history[-1].ended_at = now
        self.phase_index = index
        self._enter_groups(now)
        seconds = self._group_timer_seconds() if self.group_spec else self.phase_seconds(index)
        self.timer = Timer.start(seconds, now)
        self.history.append(PhaseRun(index=index, started_at=now))
        case = self.current_case
        if case is not None and case.exporter_id is None:
            # The presentation begins: the export belongs to this presenter from now on.
            case.exporter_id = case.presenter_id

    def _move(self, index: int, now: float) -> list[Event]:
        grouped = {pid for members in self.groups for pid in members}
        self._enter_phase(index, now)
        grouped |= {pid for members in self.groups for pid in members}
        # Entering or leaving a silent phase changes what the presenter may do; a split changes
        # everyone's group; the authors of held or hidden cards see their own cards of the new
        # phase in their own view.
        withheld = {card.author_id for card in self.cards if card.held or card.hidden}
        return [Event("phase", {"index": index, "kind": self.phase.kind},
                      private_for=tuple(sorted(self.presenter_ids() | grouped | withheld)))]

    def _moved_already(self, expect: int | None, target: int) -> list[Event] | None:
        """None: go ahead. A repeat of a move already made (the leader pressed again while the
        first answer was on its way) gets a ``duplicate``; a move from a phase the room has
        left by another way is refused, so the room never moves twice."""
        if expect is None or expect == self.phase_index:
            return None
        if self.phase_index == target:
            return [Event("duplicate", {"phase": target})]
        raise DomainError("phase_changed", expected=expect, phase=self.phase_index)

    def _do_next_phase(self, cmd: c.NextPhase, actor: Actor, now: float) -> list[Event]:
        if cmd.expect_phase is not None and (done := self._moved_already(cmd.expect_phase, cmd.expect_phase + 1)):
            return done
        if self._advance_group_step():
            # The next step or round of the small groups: a fresh timer, new roles on every phone.
            self.timer = Timer.start(self._group_timer_seconds(), now)
            return [Event("round", {"round": self.group_round, "step": self.group_step},
                          private_for=tuple(pid for members in self.groups for pid in members))]
        if self.phase_index + 1 >= len(self.format.phases):
            raise DomainError("no_next_phase")
        return self._move(self.phase_index + 1, now)

    def _do_previous_phase(self, cmd: c.PreviousPhase, actor: Actor, now: float) -> list[Event]:
        if cmd.expect_phase is not None and (done := self._moved_already(cmd.expect_phase, cmd.expect_phase - 1)):
            return done
        if self.phase_index <= 0:
            raise DomainError("no_previous_phase")
        return self._move(self.phase_index - 1, now)

    def _do_jump_to_phase(self, cmd: c.JumpToPhase, actor: Actor, now: float) -> list[Event]:
        if not 0 <= cmd.index < len(self.format.phases):
            raise DomainError("bad_request", "No phase with that index.", field="index")
        if done := self._moved_already(cmd.expect_phase, cmd.index):
            return done
        return self._move(cmd.index, now)

    def _do_pause(self, cmd: c.Pause, actor: Actor, now: float) -> list[Event]:
        if self.timer.paused:
            raise DomainError("already_paused")
        self.timer.pause(now)
        return [Event("timer", {"paused": True})]

    def _do_resume(self, cmd: c.Resume, actor: Actor, now: float) -> list[Event]:
        if not self.timer.paused:
            raise DomainError("not_paused")
        self.timer.resume(now)
        return [Event("timer", {"paused": False})]

    def _do_extend(self, cmd: c.Extend, actor: Actor, now: float) -> list[Event]:
        low, high = EXTEND_MINUTES
        if cmd.minutes == 0 or not low <= cmd.minutes <= high:
            raise DomainError("bad_request", f"Minutes must be from {low} to {high}, not 0.", field="minutes")
        self.timer.extend(cmd.minutes * 60 * self.time_scale)
        return [Event("timer", {"extended_minutes": cmd.minutes})]

    def _do_end_session(self, cmd: c.EndSession, actor: Actor, now: float) -> list[Event]:
        return self._end(now)

    def _do_expire(self, cmd: c.Expire, actor: Actor, now: float) -> list[Event]:
        """The retention window passed: the same end as the leader's, whatever the phase."""
        return self._end(now)

    def _end(self, now: float) -> list[Event]:
        if self.history and self.history[-1].ended_at is None:
            self.history[-1].ended_at = now
        self.status = "ended"
        self.ended_at = now
        if self.timer and not self.timer.paused:
            self.timer.pause(now)
        # The debrief is made while the cards can still be counted; it holds no typed text.
        record = debrief_record(self, now)
        leaders = sorted(p.id for p in self.people.values() if p.role in LEADING and p.present)
        self.erase_content()
        return [Event("ended", {"record": record, "debrief_for": leaders}, private_for=tuple(self.people))]

    def erase_content(self) -> None:
        """Forget every piece of case content: names, titles, pitches, requests, cards.

        What remains is content-free: the format, the timings, the number of people.
        """
        for person in self.people.values():
            person.name = ""
        self.nominations.clear()
        self.vote = None
        for case in self.cases:
            case.title = ""
            case.request = ""
            case.nomination_id = None
        self.cards.clear()
        self.groups = []
