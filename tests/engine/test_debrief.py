"""The leaders' debrief record: made at the end, numbers and times only."""
from __future__ import annotations

import json

import pytest

from facilitation.engine import Actor, DomainError
from facilitation.engine import commands as c

MARK = "MARKER-typed-text"


def test_the_end_records_each_phase_planned_against_actual(make_room):
    room = make_room(format_id="balint-single", people=4)
    anna, boris, vera = room.people
    watcher = room.join(f"Observer {MARK}", observer=True)
    room.lead(c.Start())
    room.do(anna, c.PostCard(client_id="a", kind="checkin", text=f"Hello {MARK}"))
    room.do(boris, c.PostCard(client_id="b", kind="checkin", text="Hello"))
    first = room.session.timer.duration
    room.clock.advance(first + 90)  # 1.5 minutes over
    room.lead(c.NextPhase())
    room.do(vera, c.Nominate(client_id="n", title=f"Case {MARK}"))
    room.clock.advance(60)
    room.lead(c.Pause())
    room.clock.advance(30)
    events = room.lead(c.EndSession())

    ended = events[0]
    record = ended.data["record"]
    assert MARK not in json.dumps(record, ensure_ascii=False)
    assert ended.data["debrief_for"] == [room.leader]
    assert (record["circle"], record["observers"], record["cards"]) == (4, 1, 2)
    check_in, vote = record["phases"][0], record["phases"][1]
    assert check_in["cards"] == 2 and check_in["visits"] == 1 and check_in["over"] is True
    assert check_in["actual_seconds"] == pytest.approx(first + 90)
    # The pause counts as time spent in the phase: the debrief tells the room's hours.
    assert vote["actual_seconds"] == pytest.approx(90) and vote["over"] is False
    assert all(p["visits"] == 0 and p["actual_seconds"] == 0 for p in record["phases"][2:])
    assert record["planned_end"] == pytest.approx(record["started_at"] + record["planned_seconds"])
    assert record["ended_at"] == room.clock.now()
    assert watcher not in ended.data["debrief_for"]


def test_expiry_records_too_and_the_record_survives_the_erasure(make_room):
    room = make_room(people=3)
    room.lead(c.Start())
    events = room.session.apply(c.Expire(), Actor.system(), room.clock.now())
    assert events[0].name == "ended" and events[0].data["record"]["phases"][0]["visits"] == 1
    assert room.session.cards == [] and all(p.name == "" for p in room.session.people.values())


def test_a_co_leader_also_keeps_the_debrief_but_not_a_participant(make_room):
    room = make_room(people=3)
    co, plain = room.people
    room.lead(c.MakeColeader(person_id=co))
    events = room.lead(c.EndSession())
    assert events[0].data["debrief_for"] == sorted([room.leader, co])
    with pytest.raises(DomainError) as refused:
        room.do(plain, c.Leave())
    assert refused.value.code == "session_ended"
