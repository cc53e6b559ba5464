"""A whole classic three-hour Balint meeting, replayed with a fake clock."""
from __future__ import annotations

import pytest

from facilitation.engine import PUBLIC, DomainError, codec, room_view, session_plan
from facilitation.engine import commands as c


def advance_through_phase(room, minutes_late: float = 0.0):
    phase_seconds = room.session.timer.duration
    room.clock.advance(phase_seconds + minutes_late * 60)


def test_classic_meeting_end_to_end(make_room):
    room = make_room(people=6)
    s = room.session
    anna, boris, vera, gleb, dasha = room.people
    assert s.format.total_minutes == 180

    with pytest.raises(DomainError) as refused:
        room.do(anna, c.Start())
    assert refused.value.code == "not_leader"
    room.lead(c.Start())
    assert s.phase.kind == "check_in" and s.timer.remaining(room.clock.now()) == 600

    room.do(anna, c.PostCard(client_id="a-1", kind="checkin", text="Tired but here"))
    room.do(room.leader, c.PostCard(client_id="l-1", kind="checkin", text="Glad to see you"))
    advance_through_phase(room)
    room.lead(c.NextPhase())

    # Nomination and vote.
    assert s.phase.kind == "vote"
    n1 = room.do(anna, c.Nominate(client_id="n-a", title="A patient who stopped coming", pitch="She left after the third visit."))[0].data["nomination"]
    n2 = room.do(boris, c.Nominate(client_id="n-b", title="The angry father"))[0].data["nomination"]
    n3 = room.do(vera, c.Nominate(client_id="n-v", title="A colleague's referral"))[0].data["nomination"]
    room.lead(c.OpenVote())
    for voter, choice in [(anna, n1), (boris, n2), (vera, n1), (gleb, n2), (dasha, n3), (room.leader, n3)]:
        room.do(voter, c.CastVote(nomination_id=choice))
    assert "tallies" not in room_view(s, PUBLIC, room.clock.now())["vote"]
    room.lead(c.CloseVote())
    assert s.vote.tie == [n1, n2, n3] and s.vote.winner is None
    room.lead(c.BreakTie(nomination_id=n2))
    room.lead(c.RevealVote())
    assert room_view(s, PUBLIC, room.clock.now())["vote"]["tallies"] == {n1: 2, n2: 2, n3: 2}
    assert s.cases[0].presenter_id == boris
    assert s.cases[1].presenter_id == anna  # runner-up offered for case 2 (first in nomination order)
    room.clock.advance(4 * 60)  # vote took 4 of 10 minutes
    room.lead(c.NextPhase())

    # Case 1.
    assert (s.phase.kind, s.phase.case) == ("presentation", 1)
    advance_through_phase(room)
    room.lead(c.NextPhase())
    assert s.phase.kind == "request"
    room.do(boris, c.SetRequest(text="Help me understand why I dread his calls."))
    advance_through_phase(room)
    room.lead(c.NextPhase())
    assert s.phase.kind == "questions"
    room.do(anna, c.PostCard(client_id="q1", kind="question", text="How old is the son?"))
    with pytest.raises(DomainError) as refused:
        room.do(anna, c.PostCard(client_id="h0", kind="hypothesis", text="Too early"))
    assert refused.value.code == "phase_closed"
    room.lead(c.Pause())
    room.clock.advance(120)
    assert s.timer.remaining(room.clock.now()) == 600
    room.lead(c.Resume())
    room.lead(c.Extend(minutes=5))
    assert s.timer.remaining(room.clock.now()) == 900
    advance_through_phase(room)
    room.lead(c.NextPhase())

    assert s.phase.kind == "hypotheses" and s.is_silent_presenter(boris)
    with pytest.raises(DomainError) as refused:
        room.do(boris, c.PostCard(client_id="b-h", kind="hypothesis", text="But I..."))
    assert refused.value.code == "presenter_is_silent"
    room.do(anna, c.PostCard(client_id="h1", kind="hypothesis", text="The father may feel powerless."))
    view = room_view(s, PUBLIC, room.clock.now())
    assert view["presenter_outside"] is True
    assert "by" not in [card for card in view["cards"] if card["kind"] == "hypothesis"][0]
    # Overtime: the timer counts past zero until the leader moves on.
    room.clock.advance(s.timer.duration + 90)
    assert s.timer.overtime(room.clock.now()) == 90
    room.lead(c.NextPhase())
    assert s.phase.kind == "discussion" and s.is_silent_presenter(boris)
    room.do(gleb, c.PostCard(client_id="t1", kind="thought", text="I felt the dread too."))
    advance_through_phase(room)
    room.lead(c.NextPhase())
    assert s.phase.kind == "presenter_return" and not s.is_silent_presenter(boris)
    room.do(boris, c.PostCard(client_id="r1", kind="response", text="The powerlessness struck me."))
    advance_through_phase(room)
    room.lead(c.NextPhase())

    # Break, then case 2 (the runner-up, already offered).
    assert s.phase.kind == "break"
    advance_through_phase(room)
    room.lead(c.NextPhase())
    assert (s.phase.kind, s.phase.case) == ("presentation", 2)
    assert s.current_case.presenter_id == anna
    for _ in range(5):
        advance_through_phase(room)
        room.lead(c.NextPhase())
    assert s.phase.kind == "presenter_return"
    advance_through_phase(room)
    room.lead(c.NextPhase())
    assert s.phase.kind == "closing"
    assert len(s.phase.reflection) == 3
    room.do(dasha, c.PostCard(client_id="cl1", kind="reflection", text="I take away patience."))
    with pytest.raises(DomainError) as refused:
        room.lead(c.NextPhase())
    assert refused.value.code == "no_next_phase"

    plan = session_plan(s, room.clock.now())
    # Questions ran 12 of 10 minutes (2 paused; the +5 went unused), hypotheses 1.5 minutes of
    # overtime, the vote saved 6: the meeting is projected 2.5 minutes ahead of plan.
    assert plan.projected_end - plan.planned_end == pytest.approx(-2.5 * 60)

    restored = codec.load(codec.dump(s), s.format)
    assert codec.dump(restored) == codec.dump(s)

    room.lead(c.EndSession())
    assert s.status == "ended" and not s.cards and not s.nominations
    assert all(p.name == "" for p in s.people.values()) and all(case.request == "" for case in s.cases)
    with pytest.raises(DomainError) as refused:
        room.do(anna, c.PostCard(client_id="late", kind="reflection", text="x"))
    assert refused.value.code == "session_ended"


def test_intervision_meeting(make_room):
    room = make_room(format_id="intervision", people=5)
    s = room.session
    a, b, v, g = room.people
    room.lead(c.Start())
    assert s.phase.kind == "vote"
    n = room.do(b, c.Nominate(client_id="x", title="Team conflict"))[0].data["nomination"]
    room.lead(c.OpenVote())
    room.do(a, c.CastVote(nomination_id=n))
    room.lead(c.CloseVote())
    assert s.cases[0].presenter_id == b
    kinds = []
    while True:
        kinds.append(s.phase.kind)
        if s.phase.kind == "advice":
            with pytest.raises(DomainError) as refused:
                room.do(b, c.PostCard(client_id="b1", kind="advice", text="x"))
            assert refused.value.code == "presenter_is_silent"
            room.do(v, c.PostCard(client_id="v1", kind="advice", text="Talk to them one by one."))
        if s.phase.kind == "decision":
            room.do(b, c.PostCard(client_id="b2", kind="response", text="I take the one-by-one talks."))
            with pytest.raises(DomainError) as refused:
                room.do(v, c.PostCard(client_id="v2", kind="response", text="x"))
            assert refused.value.code == "not_presenter"
        try:
            room.lead(c.NextPhase())
        except DomainError:
            break
    assert kinds == ["vote", "presentation", "request", "questions", "hypotheses", "advice", "decision", "closing"]
