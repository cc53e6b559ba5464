"""The session state machine: commands in, new state and events out.

A ``Session`` is the whole state of one room. ``apply`` validates a command completely before
it changes anything, so a refused command (a ``DomainError``) leaves the state as it was.
Times are epoch seconds passed in by the caller; the engine never reads a clock.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import commands as c
from .errors import DomainError
from .formats import NOMINATION_KINDS, Format, PhaseSpec
from .rules import (
    CARD_MAX, CARDS_PER_PHASE, CIRCLE, EXTEND_MINUTES, LEADING, MAX_CIRCLE, MIN_CIRCLE, NAME_MAX,
    NOMINATIONS_PER_PERSON, PITCH_MAX, PITCH_SENTENCES, REQUEST_MAX, TITLE_MAX, VOTE_BUDGET_MAX,
    Role, clean_text, count_sentences, require_circle, require_leading, require_main_leader,
)
from .timer import Timer
from .vote import Vote


def _same_socket(connection: str, replaces: str | None) -> bool:
    """``replaces`` is a device's previous socket id as its browser knew it (no process prefix)."""
    return replaces is not None and (connection == replaces or connection.endswith(f":{replaces}"))


@dataclass(frozen=True)
class Actor:
    """Who sends a command, as established by the server from a token, never by the client."""

    person_id: str | None = None
    screen: bool = False

    @classmethod
    def system(cls) -> "Actor":
        return cls()


@dataclass(frozen=True)
class Event:
    """Something that happened. ``data`` holds ids and counts only, never typed text, so events
    can be logged. ``private_for`` lists people whose own view (role, votes) changed."""

    name: str
    data: dict = field(default_factory=dict)
    private_for: tuple[str, ...] = ()


@dataclass
class Person:
    id: str
    name: str
    role: Role
    joined_at: float
    connections: list[str] = field(default_factory=list)  # ids of this person's open connections
    disconnected_at: float | None = None
    left: bool = False
    waiting: bool = False  # joined after the start: waits for a leader to let them in

    @property
    def online(self) -> bool:
        return bool(self.connections)

    @property
    def present(self) -> bool:
        return not self.left and not self.waiting

    @property
    def in_circle(self) -> bool:
        return self.role in CIRCLE and self.present


@dataclass
class Nomination:
    id: str
    author_id: str
    client_id: str
    title: str
    pitch: str
    withdrawn: bool = False
    case: int | None = None


@dataclass
class Case:
    number: int
    nomination_id: str | None = None
    title: str = ""
    presenter_id: str | None = None
    request: str = ""


@dataclass
class Card:
    id: str
    client_id: str
    kind: str
    text: str
    author_id: str
    phase_key: str
    case: int | None
    posted_at: float
    hidden: bool = False


@dataclass
class PhaseRun:
    """One visit to a phase, kept for the plan (and content-free after the session)."""

    index: int
    started_at: float
    ended_at: float | None = None


@dataclass
class Session:
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
    counter: int = 0

    # ----------------------------------------------------------------- construction

    @classmethod
    def create(cls, fmt: Format, leader_name: str, now: float, time_scale: float = 1.0) -> tuple["Session", str]:
        """A new room in the lobby with its leader; returns the session and the leader's id."""
        session = cls(
            format=fmt, created_at=now, time_scale=time_scale,
            cases=[Case(number=n) for n in range(1, fmt.cases + 1)],
            anonymous=set(fmt.anonymous),
        )
        name = clean_text(leader_name, NAME_MAX)
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
        presence = (c.Connected, c.Disconnected, c.ProcessGone)
        if self.status == "ended" and not isinstance(command, presence):
            raise DomainError("session_ended")
        if actor.screen and not isinstance(command, presence):
            raise DomainError("not_in_circle", "The screen shows; it never acts.")
        handler = getattr(self, f"_do_{command.name}")
        return handler(command, actor, now)

    # ----------------------------------------------------------------- people

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
        require_leading(self.role_of(actor))
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
        require_leading(self.role_of(actor))
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
                              if c != cmd.connection and not _same_socket(c, cmd.replaces)]
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
        if actor.person_id is not None or actor.screen:
            raise DomainError("not_in_circle", "Only the server reports a lost process.")
        prefix = f"{cmd.process}:"
        events = []
        for person in self.people.values():
            kept = [conn for conn in person.connections if not conn.startswith(prefix)]
            if len(kept) == len(person.connections):
                continue
            person.connections = kept
            if not kept:
                person.disconnected_at = now
            events.append(Event("presence", {"person": person.id, "online": person.online}))
        return events

    def reset_presence(self, now: float) -> bool:
        """Forget every connection (a restarted single process has none); True if any changed."""
        changed = False
        for person in self.people.values():
            if person.connections:
                person.connections = []
                person.disconnected_at = now
                changed = True
        return changed

    def _do_hand_leadership(self, cmd: c.HandLeadership, actor: Actor, now: float) -> list[Event]:
        require_main_leader(self.role_of(actor))
        target = self._person(cmd.person_id)
        if not target.in_circle or target.id == actor.person_id:
            raise DomainError("unknown_person")
        leader = self.people[actor.person_id]
        leader.role = Role.COLEADER if target.role is Role.COLEADER else Role.PARTICIPANT
        target.role = Role.LEADER
        return [Event("roles", {"leader": target.id}, private_for=(target.id, leader.id))]

    def _do_make_coleader(self, cmd: c.MakeColeader, actor: Actor, now: float) -> list[Event]:
        require_main_leader(self.role_of(actor))
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

    # ----------------------------------------------------------------- phases and timer

    def _do_start(self, cmd: c.Start, actor: Actor, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        if self.status != "lobby":
            raise DomainError("already_started")
        if len(self.circle) < MIN_CIRCLE:
            raise DomainError("too_few_people")
        self.status = "running"
        self.started_at = now
        self._enter_phase(0, now)
        return [Event("started", {"phase": 0})]

    def _require_running(self) -> None:
        if self.status == "lobby":
            raise DomainError("session_not_started")

    def _enter_phase(self, index: int, now: float) -> None:
        if self.history and self.history[-1].ended_at is None:
            self.history[-1].ended_at = now
        self.phase_index = index
        self.timer = Timer.start(self.phase_seconds(index), now)
        self.history.append(PhaseRun(index=index, started_at=now))

    def _move(self, actor: Actor, index: int, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        self._require_running()
        self._enter_phase(index, now)
        # Entering or leaving a silent phase changes what the presenter may do.
        return [Event("phase", {"index": index, "kind": self.phase.kind}, private_for=tuple(self.presenter_ids()))]

    def _do_next_phase(self, cmd: c.NextPhase, actor: Actor, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        self._require_running()
        if self.phase_index + 1 >= len(self.format.phases):
            raise DomainError("no_next_phase")
        return self._move(actor, self.phase_index + 1, now)

    def _do_previous_phase(self, cmd: c.PreviousPhase, actor: Actor, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        self._require_running()
        if self.phase_index <= 0:
            raise DomainError("no_previous_phase")
        return self._move(actor, self.phase_index - 1, now)

    def _do_jump_to_phase(self, cmd: c.JumpToPhase, actor: Actor, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        self._require_running()
        if not 0 <= cmd.index < len(self.format.phases):
            raise DomainError("bad_request", "No phase with that index.", field="index")
        return self._move(actor, cmd.index, now)

    def _do_pause(self, cmd: c.Pause, actor: Actor, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        self._require_running()
        if self.timer.paused:
            raise DomainError("already_paused")
        self.timer.pause(now)
        return [Event("timer", {"paused": True})]

    def _do_resume(self, cmd: c.Resume, actor: Actor, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        self._require_running()
        if not self.timer.paused:
            raise DomainError("not_paused")
        self.timer.resume(now)
        return [Event("timer", {"paused": False})]

    def _do_extend(self, cmd: c.Extend, actor: Actor, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        self._require_running()
        low, high = EXTEND_MINUTES
        if cmd.minutes == 0 or not low <= cmd.minutes <= high:
            raise DomainError("bad_request", f"Minutes must be from {low} to {high}, not 0.", field="minutes")
        self.timer.extend(cmd.minutes * 60 * self.time_scale)
        return [Event("timer", {"extended_minutes": cmd.minutes})]

    def _do_end_session(self, cmd: c.EndSession, actor: Actor, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        if self.history and self.history[-1].ended_at is None:
            self.history[-1].ended_at = now
        self.status = "ended"
        self.ended_at = now
        if self.timer and not self.timer.paused:
            self.timer.pause(now)
        self.erase_content()
        return [Event("ended", {}, private_for=tuple(self.people))]

    def erase_content(self) -> None:
        """Forget every piece of case content: names, titles, pitches, requests, cards.

        What remains is content-free: the format, the timings, the number of people.
        """
        for number, person in enumerate(self.people.values(), start=1):
            person.name = ""
        self.nominations.clear()
        self.vote = None
        for case in self.cases:
            case.title = ""
            case.request = ""
            case.nomination_id = None
        self.cards.clear()

    # ----------------------------------------------------------------- nominations and vote

    def _case_is_ahead(self, number: int) -> bool:
        """A case none of whose phases has begun (so its presenter may still change)."""
        return not any(self.format.phases[run.index].case == number for run in self.history)

    def _require_nomination_phase(self) -> None:
        if self.status == "running" and self.phase.kind not in NOMINATION_KINDS:
            raise DomainError("phase_closed")

    def _do_nominate(self, cmd: c.Nominate, actor: Actor, now: float) -> list[Event]:
        require_circle(self.role_of(actor))
        existing = next((n for n in self.nominations.values()
                         if n.author_id == actor.person_id and n.client_id == cmd.client_id), None)
        if existing:
            return [Event("duplicate", {"nomination": existing.id})]
        self._require_nomination_phase()
        if self.vote and self.vote.is_open:
            raise DomainError("vote_open")
        title = clean_text(cmd.title, TITLE_MAX)
        pitch = clean_text(cmd.pitch, PITCH_MAX, required=False)
        if pitch and count_sentences(pitch) > PITCH_SENTENCES:
            raise DomainError("too_long", f"A pitch has at most {PITCH_SENTENCES} sentences.", sentences=PITCH_SENTENCES)
        mine = [n for n in self.nominations.values() if n.author_id == actor.person_id and not n.withdrawn and n.case is None]
        if len(mine) >= NOMINATIONS_PER_PERSON:
            raise DomainError("too_many_nominations")
        nomination = Nomination(id=self._next_id("n"), author_id=actor.person_id,
                                client_id=cmd.client_id, title=title, pitch=pitch)
        self.nominations[nomination.id] = nomination
        return [Event("nominated", {"nomination": nomination.id})]

    def _nomination(self, nomination_id: str) -> Nomination:
        nomination = self.nominations.get(nomination_id)
        if nomination is None or nomination.withdrawn:
            raise DomainError("not_found")
        return nomination

    def _do_withdraw_nomination(self, cmd: c.WithdrawNomination, actor: Actor, now: float) -> list[Event]:
        role = self.role_of(actor)
        require_circle(role)
        nomination = self._nomination(cmd.nomination_id)
        if nomination.author_id != actor.person_id and role not in LEADING:
            raise DomainError("not_author")
        if nomination.case is not None:
            raise DomainError("nomination_used")
        affected: tuple[str, ...] = ()
        if self.vote and nomination.id in self.vote.candidates:
            if not self.vote.is_open:
                raise DomainError("vote_not_closed", "The vote on it is closed; assign another case instead.")
            affected = self.vote.remove_candidate(nomination.id)
        nomination.withdrawn = True
        return [Event("withdrawn", {"nomination": nomination.id}, private_for=affected)]

    def _do_open_vote(self, cmd: c.OpenVote, actor: Actor, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        if self.status == "running" and self.phase.kind not in NOMINATION_KINDS:
            raise DomainError("phase_closed")
        if self.vote and self.vote.is_open:
            raise DomainError("vote_open")
        number = cmd.case if cmd.case is not None else self._first_open_case()
        case = self.case(number)
        if case is None:
            raise DomainError("no_case")
        candidates = [n.id for n in self.nominations.values() if not n.withdrawn and n.case is None]
        if not candidates:
            raise DomainError("no_nominations")
        self.vote = Vote(case=number, candidates=candidates, budget=self.vote_budget, opened_at=now)
        # Everyone's own ballots start empty again.
        return [Event("vote_opened", {"case": number, "candidates": len(candidates)}, private_for=tuple(self.people))]

    def _first_open_case(self) -> int:
        for case in self.cases:
            if case.presenter_id is None:
                return case.number
        return self.cases[-1].number

    def _open_vote(self) -> Vote:
        if not self.vote or not self.vote.is_open:
            raise DomainError("no_vote_open")
        return self.vote

    def _do_cast_vote(self, cmd: c.CastVote, actor: Actor, now: float) -> list[Event]:
        require_circle(self.role_of(actor))
        vote = self._open_vote()
        vote.cast(actor.person_id, cmd.nomination_id)
        return [Event("ballot", {"ballots": vote.ballots_cast()}, private_for=(actor.person_id,))]

    def _do_retract_vote(self, cmd: c.RetractVote, actor: Actor, now: float) -> list[Event]:
        require_circle(self.role_of(actor))
        vote = self._open_vote()
        vote.retract(actor.person_id, cmd.nomination_id)
        return [Event("ballot", {"ballots": vote.ballots_cast()}, private_for=(actor.person_id,))]

    def _do_close_vote(self, cmd: c.CloseVote, actor: Actor, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        vote = self._open_vote()
        vote.close(now)
        if vote.winner:
            self._give_case(vote.case, vote.winner)
            self._offer_runner_up(vote)
        # Presenters of this case and the next may have changed.
        return [Event("vote_closed", {"case": vote.case, "tie": bool(vote.tie)}, private_for=tuple(self.people))]

    def _do_reveal_vote(self, cmd: c.RevealVote, actor: Actor, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        if not self.vote:
            raise DomainError("no_vote_open")
        if self.vote.is_open:
            raise DomainError("vote_not_closed")
        self.vote.revealed = True
        return [Event("vote_revealed", {"case": self.vote.case})]

    def _do_break_tie(self, cmd: c.BreakTie, actor: Actor, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        vote = self.vote
        if not vote or vote.is_open:
            raise DomainError("vote_not_closed")
        if not vote.tie or vote.winner:
            raise DomainError("no_tie")
        if cmd.nomination_id not in vote.tie:
            raise DomainError("not_a_candidate")
        vote.winner = cmd.nomination_id
        self._give_case(vote.case, vote.winner)
        self._offer_runner_up(vote)
        return [Event("tie_broken", {"case": vote.case}, private_for=tuple(self.people))]

    def _offer_runner_up(self, vote: Vote) -> None:
        """The runner-up becomes the next case's candidate, which the leader may change."""
        following = self.case(vote.case + 1)
        runner_up = vote.runner_up()
        if following and following.presenter_id is None and runner_up:
            self._give_case(following.number, runner_up)

    def _give_case(self, number: int, nomination_id: str) -> None:
        case = self.case(number)
        nomination = self.nominations[nomination_id]
        if case.nomination_id and case.nomination_id in self.nominations:
            self.nominations[case.nomination_id].case = None
        nomination.case = number
        case.nomination_id = nomination.id
        case.title = nomination.title
        case.presenter_id = nomination.author_id
        case.request = ""

    def _do_assign_case(self, cmd: c.AssignCase, actor: Actor, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        case = self.case(cmd.case)
        if case is None:
            raise DomainError("no_case")
        nomination = self._nomination(cmd.nomination_id)
        if nomination.case not in (None, cmd.case):
            raise DomainError("nomination_used")
        if self.vote and self.vote.is_open:
            raise DomainError("vote_open")
        author = self.people.get(nomination.author_id)
        if author is None or not author.in_circle:
            raise DomainError("unknown_person")
        old = case.presenter_id
        self._give_case(cmd.case, nomination.id)
        return [Event("case_assigned", {"case": cmd.case}, private_for=tuple(p for p in (old, case.presenter_id) if p))]

    def _do_assign_presenter(self, cmd: c.AssignPresenter, actor: Actor, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        case = self.case(cmd.case)
        if case is None:
            raise DomainError("no_case")
        person = self._person(cmd.person_id)
        if not person.in_circle:
            raise DomainError("unknown_person")
        old = case.presenter_id
        case.presenter_id = person.id
        return [Event("presenter", {"case": cmd.case}, private_for=tuple(p for p in (old, person.id) if p))]

    def _do_set_request(self, cmd: c.SetRequest, actor: Actor, now: float) -> list[Event]:
        role = self.role_of(actor)
        require_circle(role)
        # Who may write comes before when: a participant learns "not_presenter" in any phase.
        if role not in LEADING and actor.person_id not in self.presenter_ids():
            raise DomainError("not_presenter")
        self._require_running()
        case = self.current_case
        if case is None or self.phase.kind not in ("request", "presentation"):
            raise DomainError("phase_closed")
        if role not in LEADING and case.presenter_id != actor.person_id:
            raise DomainError("not_presenter")
        case.request = clean_text(cmd.text, REQUEST_MAX)
        return [Event("request", {"case": case.number})]

    def _do_set_anonymity(self, cmd: c.SetAnonymity, actor: Actor, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        from .formats import CARD_KINDS

        if cmd.kind not in CARD_KINDS:
            raise DomainError("bad_request", "Unknown card kind.", field="kind")
        (self.anonymous.add if cmd.anonymous else self.anonymous.discard)(cmd.kind)
        return [Event("settings", {"anonymous": sorted(self.anonymous)})]

    def _do_set_vote_budget(self, cmd: c.SetVoteBudget, actor: Actor, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        if self.vote and self.vote.is_open:
            raise DomainError("vote_open")
        if not 1 <= cmd.budget <= VOTE_BUDGET_MAX:
            raise DomainError("bad_request", f"The budget is from 1 to {VOTE_BUDGET_MAX}.", field="budget")
        self.vote_budget = cmd.budget
        return [Event("settings", {"vote_budget": cmd.budget})]

    # ----------------------------------------------------------------- cards

    def _do_post_card(self, cmd: c.PostCard, actor: Actor, now: float) -> list[Event]:
        role = self.role_of(actor)
        require_circle(role)
        existing = next((card for card in self.cards
                         if card.author_id == actor.person_id and card.client_id == cmd.client_id), None)
        if existing:
            # A retry after a lost acknowledgement: the card is already stored.
            return [Event("duplicate", {"card": existing.id})]
        self._require_running()
        phase = self.phase
        if self.is_silent_presenter(actor.person_id):
            raise DomainError("presenter_is_silent")
        audience = phase.audience_for(cmd.kind)
        if audience is None:
            raise DomainError("phase_closed")
        case = self.current_case
        is_presenter = bool(case and case.presenter_id == actor.person_id)
        if audience == "presenter" and not is_presenter:
            raise DomainError("not_presenter")
        if audience == "circle" and is_presenter:
            raise DomainError("phase_closed", "The presenter does not post this kind of card.")
        text = clean_text(cmd.text, CARD_MAX)
        mine = sum(1 for card in self.cards if card.author_id == actor.person_id and card.phase_key == phase.key)
        if mine >= CARDS_PER_PHASE:
            raise DomainError("too_many_cards")
        card = Card(id=self._next_id("c"), client_id=cmd.client_id, kind=cmd.kind, text=text,
                    author_id=actor.person_id, phase_key=phase.key, case=phase.case, posted_at=now)
        self.cards.append(card)
        return [Event("card", {"card": card.id, "kind": card.kind})]

    def _do_hide_card(self, cmd: c.HideCard, actor: Actor, now: float) -> list[Event]:
        require_leading(self.role_of(actor))
        card = next((card for card in self.cards if card.id == cmd.card_id), None)
        if card is None:
            raise DomainError("not_found")
        card.hidden = cmd.hidden
        return [Event("card_hidden", {"card": card.id, "hidden": cmd.hidden})]
