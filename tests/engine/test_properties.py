"""Property-based tests: random command sequences from random people never break the rules."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation.engine import LEAD, PUBLIC, DomainError, codec, room_view
from facilitation.engine import commands as c
from facilitation.engine.rules import LEADING
from facilitation.engine.session import Actor

from .conftest import Room

PEOPLE = 5  # leader + 3 in the circle + an observer + the screen
pick = st.integers(0, 10)  # resolved against the live state, so ids name real things
card_kinds = st.sampled_from(["checkin", "question", "hypothesis", "advice", "thought", "response", "reflection"])
texts = st.sampled_from(["x", "A longer thought.", "ok", "fine", "", "y" * 600])


def _nomination(s, i):
    ids = sorted(s.nominations) or ["n0"]
    return ids[i % len(ids)]


def _card(s, i):
    ids = [card.id for card in s.cards] or ["c0"]
    return ids[i % len(ids)]


def _person(s, i):
    ids = sorted(s.people) + ["p99"]
    return ids[i % len(ids)]


def build(cls, **fixed):
    """A strategy for a function state -> command; integer picks become real ids."""
    resolvers = {"nomination_id": _nomination, "card_id": _card, "person_id": _person}
    picked = {k: pick for k in resolvers if k in cls.__dataclass_fields__}
    return st.fixed_dictionaries({**fixed, **picked}).map(
        lambda values: lambda s: cls(**{k: resolvers[k](s, v) if k in resolvers else v for k, v in values.items()}))


command = st.one_of(
    build(c.Start), build(c.NextPhase), build(c.NextPhase), build(c.NextPhase), build(c.PreviousPhase),
    build(c.JumpToPhase, index=st.integers(-1, 17)), build(c.Pause), build(c.Resume),
    build(c.Extend, minutes=st.integers(-12, 32)),
    build(c.Nominate, client_id=st.sampled_from(["a", "b", "c"]), title=texts, pitch=st.just("")),
    build(c.WithdrawNomination), build(c.OpenVote, case=st.sampled_from([None, 1, 2, 3])),
    build(c.CastVote), build(c.CastVote), build(c.RetractVote), build(c.CloseVote), build(c.RevealVote),
    build(c.BreakTie), build(c.AssignCase, case=st.integers(0, 3)), build(c.AssignPresenter, case=st.integers(0, 3)),
    build(c.SetRequest, text=texts),
    build(c.PostCard, client_id=st.sampled_from(["k1", "k2", "k3", "k4"]), kind=card_kinds, text=texts),
    *[build(c.PostCard, client_id=st.sampled_from(["k5", "k6", "k7"]), kind=card_kinds, text=st.just("ok"))] * 4,
    *[build(c.Nominate, client_id=st.sampled_from(["d", "e"]), title=st.just("Case"), pitch=st.just(""))] * 2,
    build(c.HideCard, hidden=st.booleans()), build(c.MakeColeader, on=st.booleans()),
    build(c.SetVoteBudget, budget=st.integers(0, 6)),
)
# Leaders act often (index 0 twice as likely), as in a real meeting.
who = st.sampled_from([0, 0, 0, 1, 2, 3, 4, 5])
steps = st.lists(st.tuples(who, command, st.sampled_from([0, 0, 1, 30, 400, 1300])), max_size=80)


def make_room(library, started: bool) -> tuple[Room, list[Actor]]:
    room = Room(library, people=4)
    observer = room.join("Outer", observer=True)
    if started:
        nomination = room.do(room.people[0], c.Nominate(client_id="seed", title="Seed case"))[0].data["nomination"]
        room.lead(c.AssignCase(case=1, nomination_id=nomination))
        room.lead(c.Start())
    actors = [Actor(person_id=room.leader)] + [Actor(person_id=p) for p in room.people] + [Actor(person_id=observer), Actor(screen=True)]
    return room, actors


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=steps, started=st.booleans())
def test_random_sequences_keep_every_rule(library, steps, started):
    room, actors = make_room(library, started)
    s = room.session
    # Modelled from the pause/extend history, independently of Timer.
    expected_remaining = s.timer.duration if started else None
    for who, make_command, wait in steps:
        cmd = make_command(s)
        room.clock.advance(wait)
        now = room.clock.now()
        if expected_remaining is not None and not s.timer.paused:
            expected_remaining -= wait
        actor = actors[who]
        role = s.role_of(actor)
        before = codec.dump(s)
        phase_before, timer_before = s.phase_index, (s.timer.to_dict() if s.timer else None)
        silent_presenter = s.is_silent_presenter(actor.person_id)
        try:
            events = s.apply(cmd, actor, now)
        except DomainError:
            assert codec.dump(s) == before, f"refused {cmd.name} changed the state"
            continue
        if role not in LEADING:
            assert (s.phase_index, s.timer.to_dict() if s.timer else None) == (phase_before, timer_before), \
                f"{cmd.name} by {role} moved the phase or timer"
        if isinstance(cmd, (c.PostCard, c.SetRequest)):
            assert not silent_presenter or events[0].name == "duplicate", "the presenter posted in a silent phase"
        if isinstance(cmd, (c.Start, c.NextPhase, c.PreviousPhase, c.JumpToPhase)):
            expected_remaining = s.timer.duration
        elif isinstance(cmd, c.Extend):
            expected_remaining += cmd.minutes * 60
        if s.timer is not None and s.status == "running":
            assert abs(s.timer.remaining(now) - expected_remaining) < 1e-6
        vote = s.vote
        for audience in (PUBLIC, LEAD):
            view = room_view(s, audience, now)["vote"]
            if view is None:
                continue
            if vote.is_open:
                assert "tallies" not in view, "tallies leaked while the vote is open"
            elif not vote.revealed and audience == PUBLIC:
                assert "tallies" not in view, "tallies leaked before reveal"
        assert len(s.circle) <= 12
    assert codec.dump(codec.load(codec.dump(s), s.format)) == codec.dump(s)


vote_command = st.one_of(
    *[build(c.Nominate, client_id=st.sampled_from(["a", "b", "c", "d"]), title=st.just("Case"), pitch=st.just(""))] * 2,
    build(c.WithdrawNomination), build(c.OpenVote, case=st.sampled_from([None, 1, 2])),
    *[build(c.CastVote)] * 4, build(c.RetractVote), build(c.CloseVote), build(c.RevealVote),
    build(c.BreakTie), build(c.AssignCase, case=st.integers(1, 2)), build(c.SetVoteBudget, budget=st.integers(1, 3)),
)


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(st.tuples(who, vote_command), max_size=60))
def test_tallies_never_leak_before_their_time(library, steps):
    room, actors = make_room(library, started=False)
    s = room.session
    closed_votes = 0
    for who_index, make_command in steps:
        cmd = make_command(s)
        try:
            s.apply(cmd, actors[who_index], room.clock.now())
        except DomainError:
            continue
        if s.vote is None:
            continue
        closed_votes += not s.vote.is_open
        public = room_view(s, PUBLIC, room.clock.now())["vote"]
        lead = room_view(s, LEAD, room.clock.now())["vote"]
        if s.vote.is_open:
            assert "tallies" not in public and "tallies" not in lead and "winner" not in public
        else:
            assert ("tallies" in public) == s.vote.revealed
            assert "tallies" in lead
            if s.vote.winner and isinstance(cmd, (c.CloseVote, c.BreakTie)):
                case = s.case(s.vote.case)
                assert case.presenter_id == s.nominations[s.vote.winner].author_id
