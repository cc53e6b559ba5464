"""Roles and phase rules: who may do what, and refusals that change nothing."""
from __future__ import annotations

import pytest

from facilitation.engine import LEAD, PUBLIC, DomainError, codec, personal_view, room_view
from facilitation.engine import commands as c
from facilitation.engine.session import Actor

from .conftest import refused

LEADER_COMMANDS = [
    c.Start(), c.NextPhase(), c.PreviousPhase(), c.JumpToPhase(index=2), c.Pause(), c.Resume(),
    c.Extend(minutes=5), c.OpenVote(), c.CloseVote(), c.RevealVote(), c.BreakTie(nomination_id="n1"),
    c.AssignCase(case=1, nomination_id="n1"), c.AssignPresenter(case=1, person_id="p2"),
    c.HideCard(card_id="c1"), c.HandLeadership(person_id="p2"), c.MakeColeader(person_id="p2"),
    c.SetAnonymity(kind="question", anonymous=True), c.SetVoteBudget(budget=2), c.EndSession(),
    c.Admit(person_id="p2"), c.SetLocked(locked=True), c.SetCardHold(on=True), c.ReleaseCards(all=True),
    c.RemovePerson(person_id="p3"), c.SetAdmitEach(on=True),
]



@pytest.mark.parametrize("command", LEADER_COMMANDS, ids=lambda cmd: cmd.name)
def test_participant_never_runs_a_leader_command(room, command):
    assert refused(room, room.people[0], command) in ("not_leader", "not_main_leader")


@pytest.mark.parametrize("command", LEADER_COMMANDS, ids=lambda cmd: cmd.name)
def test_observer_and_screen_never_run_a_leader_command(room, command):
    observer = room.join("Outer", observer=True)
    assert refused(room, observer, command) in ("not_leader", "not_main_leader")
    before = codec.dump(room.session)
    with pytest.raises(DomainError):
        room.session.apply(command, Actor(screen=True), room.clock.now())
    assert codec.dump(room.session) == before


def test_start_needs_two_people(make_room):
    room = make_room(people=1)
    assert refused(room, room.leader, c.Start()) == "too_few_people"


def test_thirteenth_person_gets_room_full_but_may_observe(make_room):
    room = make_room(people=12)
    assert len(room.session.circle) == 12
    with pytest.raises(DomainError) as err:
        room.join("Thirteen")
    assert err.value.code == "room_full"
    observer = room.join("Thirteen", observer=True)
    assert room.session.people[observer].role == "observer"
    assert refused(room, observer, c.Nominate(client_id="o", title="x")) == "not_in_circle"


def test_cards_only_in_their_phases(room):
    a = room.people[0]
    room.lead(c.Start())
    assert refused(room, a, c.PostCard(client_id="1", kind="question", text="Q?")) == "phase_closed"
    room.lead(c.JumpToPhase(index=4))  # case 1 questions
    assert refused(room, a, c.PostCard(client_id="2", kind="hypothesis", text="H")) == "phase_closed"
    room.do(a, c.PostCard(client_id="3", kind="question", text="Q?"))


def test_presenter_is_silent_in_silent_phases_only(room):
    a, b, _ = room.people
    n = room.do(b, c.Nominate(client_id="n", title="Case"))[0].data["nomination"]
    room.lead(c.AssignCase(case=1, nomination_id=n))
    room.lead(c.Start())
    room.lead(c.JumpToPhase(index=4))  # questions: presenter answers aloud, posts no questions
    assert refused(room, b, c.PostCard(client_id="q", kind="question", text="?")) == "phase_closed"
    room.lead(c.NextPhase())  # hypotheses
    assert personal_view(room.session, Actor(person_id=b))["silent"] is True
    assert refused(room, b, c.PostCard(client_id="h", kind="hypothesis", text="H")) == "presenter_is_silent"
    assert refused(room, b, c.SetRequest(text="late request")) in ("presenter_is_silent", "phase_closed")
    room.do(a, c.PostCard(client_id="h", kind="hypothesis", text="H"))


def test_retried_post_is_stored_once(room):
    a = room.people[0]
    room.lead(c.Start())
    first = room.do(a, c.PostCard(client_id="same", kind="checkin", text="Hello"))
    again = room.do(a, c.PostCard(client_id="same", kind="checkin", text="Hello"))
    assert first[0].name == "card" and again[0].name == "duplicate"
    assert len(room.session.cards) == 1


def test_text_limits(room):
    a = room.people[0]
    room.lead(c.Start())
    assert refused(room, a, c.PostCard(client_id="x", kind="checkin", text="x" * 501)) == "too_long"
    assert refused(room, a, c.PostCard(client_id="y", kind="checkin", text="   ")) == "empty_text"
    room.lead(c.NextPhase())
    assert refused(room, a, c.Nominate(client_id="t", title="x" * 81)) == "too_long"
    assert refused(room, a, c.Nominate(client_id="t", title="ok", pitch="One. Two. Three. Four.")) == "too_long"


def test_cards_per_phase_are_bounded(room):
    a = room.people[0]
    room.lead(c.Start())
    for i in range(20):
        room.do(a, c.PostCard(client_id=f"k{i}", kind="checkin", text="x"))
    assert refused(room, a, c.PostCard(client_id="k20", kind="checkin", text="x")) == "too_many_cards"


def test_vote_budget_and_hidden_tallies(room):
    a, b, v = room.people
    n1 = room.do(a, c.Nominate(client_id="1", title="One"))[0].data["nomination"]
    n2 = room.do(b, c.Nominate(client_id="2", title="Two"))[0].data["nomination"]
    room.lead(c.SetVoteBudget(budget=2))
    room.lead(c.OpenVote())
    assert refused(room, a, c.Nominate(client_id="3", title="Late")) == "vote_open"
    room.do(a, c.CastVote(nomination_id=n2))
    room.do(a, c.CastVote(nomination_id=n2))
    assert refused(room, a, c.CastVote(nomination_id=n1)) == "budget_spent"
    room.do(a, c.RetractVote(nomination_id=n2))
    room.do(a, c.CastVote(nomination_id=n1))
    room.do(v, c.CastVote(nomination_id=n2))
    assert personal_view(room.session, Actor(person_id=a))["votes"] == [n2, n1]
    for audience in (PUBLIC, LEAD):
        assert "tallies" not in room_view(room.session, audience, room.clock.now())["vote"]
    room.lead(c.CloseVote())
    assert "tallies" not in room_view(room.session, PUBLIC, room.clock.now())["vote"]
    assert room_view(room.session, LEAD, room.clock.now())["vote"]["tallies"] == {n1: 1, n2: 2}
    assert room.session.cases[0].presenter_id == b and room.session.cases[1].presenter_id == a
    assert refused(room, room.leader, c.BreakTie(nomination_id=n1)) == "no_tie"
    room.lead(c.RevealVote())
    assert room_view(room.session, PUBLIC, room.clock.now())["vote"]["tallies"] == {n1: 1, n2: 2}


def test_second_case_by_a_new_vote(room):
    a, b, v = room.people
    n1 = room.do(a, c.Nominate(client_id="1", title="One"))[0].data["nomination"]
    room.lead(c.OpenVote())
    room.do(b, c.CastVote(nomination_id=n1))
    room.lead(c.CloseVote())
    assert room.session.cases[1].presenter_id is None
    room.lead(c.Start())
    room.lead(c.JumpToPhase(index=8))  # the break
    n2 = room.do(v, c.Nominate(client_id="2", title="Two"))[0].data["nomination"]
    room.lead(c.OpenVote())
    assert room.session.vote.case == 2 and room.session.vote.candidates == [n2]
    room.do(a, c.CastVote(nomination_id=n2))
    room.lead(c.CloseVote())
    assert room.session.cases[1].presenter_id == v


def test_hidden_cards_reach_leaders_only(room):
    a = room.people[0]
    room.lead(c.Start())
    card = room.do(a, c.PostCard(client_id="x", kind="checkin", text="Hide me"))[0].data["card"]
    room.lead(c.HideCard(card_id=card))
    assert room_view(room.session, PUBLIC, room.clock.now())["cards"] == []
    assert room_view(room.session, LEAD, room.clock.now())["cards"][0]["hidden"] is True


def test_leadership_hand_over_and_coleader(room):
    a, b, _ = room.people
    room.lead(c.MakeColeader(person_id=a))
    room.do(a, c.Start())  # a co-leader may run the meeting
    assert refused(room, a, c.MakeColeader(person_id=b)) == "not_main_leader"
    room.lead(c.HandLeadership(person_id=b))
    assert room.session.people[b].role == "leader"
    assert room.session.people[room.leader].role == "participant"
    assert refused(room, room.leader, c.Pause()) == "not_leader"


def test_presence_goes_reconnecting_then_back(room):
    a = room.people[0]
    room.do(a, c.Connected(connection="s1"))
    room.do(a, c.Connected(connection="s2"))  # a second tab
    room.clock.advance(5)
    room.do(a, c.Disconnected(connection="s1"))
    person = room.session.people[a]
    assert person.online and person.disconnected_at is None
    room.do(a, c.Disconnected(connection="s2"))
    assert not person.online and person.disconnected_at == room.clock.now()
    room.do(a, c.Connected(connection="s3"))
    assert person.connections == ["s3"] and person.disconnected_at is None


def test_a_connection_lost_with_its_process_is_replaced(room):
    a = room.people[0]
    room.do(a, c.Connected(connection="on-dead-process"))
    room.do(a, c.Connected(connection="on-live-process", replaces="on-dead-process"))
    assert room.session.people[a].connections == ["on-live-process"]
    room.do(a, c.Disconnected(connection="on-live-process"))
    assert not room.session.people[a].online


def test_presence_reset_after_a_restart(room):
    a = room.people[0]
    room.do(a, c.Connected(connection="s1"))
    assert room.session.apply(c.ResetPresence(), Actor.system(), room.clock.now())
    assert not room.session.people[a].online
    assert room.session.apply(c.ResetPresence(), Actor.system(), room.clock.now()) == []


def test_locked_room_refuses_newcomers(room):
    room.lead(c.SetLocked(locked=True))
    with pytest.raises(DomainError) as err:
        room.join("Late")
    assert err.value.code == "room_locked"
    room.lead(c.SetLocked(locked=False))
    room.join("Late")


def test_late_joiners_wait_at_the_door_until_let_in(room):
    a = room.people[0]
    room.lead(c.Start())
    room.do(a, c.PostCard(client_id="x", kind="checkin", text="Private words"))
    late = room.join("Late")
    me = personal_view(room.session, Actor(person_id=late))
    assert me["role"] == "waiting"
    assert refused(room, late, c.PostCard(client_id="y", kind="checkin", text="Me too")) == "not_in_circle"
    waiting_view = room_view(room.session, "waiting", room.clock.now())
    assert "cards" not in waiting_view and "people" not in waiting_view
    assert late not in [p["id"] for p in room_view(room.session, PUBLIC, room.clock.now())["people"]]
    assert [p for p in room_view(room.session, LEAD, room.clock.now())["people"] if p["id"] == late][0]["waiting"]
    room.do(late, c.Connected(connection="s-late"))  # may connect to hear when they are let in
    room.lead(c.Admit(person_id=late))
    assert personal_view(room.session, Actor(person_id=late))["role"] == "participant"
    room.do(late, c.PostCard(client_id="y", kind="checkin", text="Me too"))
    refused_one = room.join("Unwelcome")
    room.lead(c.Admit(person_id=refused_one, admit=False))
    assert room.session.people[refused_one].left
    with pytest.raises(DomainError):
        room.do(refused_one, c.Connected(connection="s-x"))


def test_vote_changes_reach_everyones_own_view(room):
    """Opening a vote clears everyone's ballots; closing it can change who presents: everyone's
    personal view must be refreshed (the server sends `me` to people listed in private_for)."""
    a, b, v = room.people
    n1 = room.do(a, c.Nominate(client_id="1", title="One"))[0].data["nomination"]
    room.do(b, c.Nominate(client_id="2", title="Two"))
    everyone = set(room.session.people)
    assert set(room.lead(c.OpenVote())[0].private_for) == everyone
    room.do(v, c.CastVote(nomination_id=n1))
    assert set(room.lead(c.CloseVote())[0].private_for) == everyone


def test_format_texts_travel_once_and_prompts_reach_leaders_only(room):
    from facilitation.engine import WAITING, format_view

    room.lead(c.Start())
    lead, public = format_view(room.session, LEAD), format_view(room.session, PUBLIC)
    assert format_view(room.session, WAITING) is None  # at the door: nothing of the room
    assert [p["key"] for p in lead["phases"]] == [p.key for p in room.session.format.phases]
    assert all("prompt" in p for p in lead["phases"]) and not any("prompt" in p for p in public["phases"])
    assert public["phases"][0]["title"] == room.session.format.phases[0].title
    state = room_view(room.session, PUBLIC, room.clock.now())
    assert state["phase"] == {"index": 0, "key": "check_in", "kind": "check_in", "case": None,
                              "posts": {"checkin": "all"}, "silent": False}
    assert len(state["plan"]["phases"]) == len(public["phases"])
    assert "format" not in state and "title" not in state["plan"]["phases"][0]


def test_a_lost_process_takes_only_its_own_connections(room):
    from facilitation.engine import Actor

    anna, boris = room.people[0], room.people[1]
    room.do(anna, c.Connected(connection="p1:s1"))
    room.do(anna, c.Connected(connection="p2:s2"))  # the same person on a second device
    room.do(boris, c.Connected(connection="p1:s3"))
    events = room.session.apply(c.ProcessGone(process="p1"), Actor.system(), room.clock.now())
    people = room.session.people
    assert people[anna].online and not people[boris].online and people[boris].disconnected_at is not None
    assert {e.data["person"] for e in events} == {anna, boris}
    assert room.session.apply(c.ProcessGone(process="p1"), Actor.system(), room.clock.now()) == []
    assert refused(room, anna, c.ProcessGone(process="p2")) == "not_in_circle"
    room.do(boris, c.Connected(connection="p2:s4", replaces="s3"))  # the browser knows only its socket id
    room.do(anna, c.Connected(connection="p2:s5", replaces="s2"))
    assert people[anna].connections == ["p2:s5"]
