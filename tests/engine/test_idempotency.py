"""A command sent again after a lost acknowledgement changes nothing and is answered as the
first was; a second press meant for the same phase never moves the room twice."""
from __future__ import annotations

import pytest

from facilitation.engine import Actor, DomainError, decode, dump, load
from facilitation.engine import commands as c
from facilitation.engine.session import ANSWERS_KEPT

from .conftest import refused


def test_every_client_command_takes_a_command_id():
    for event in c.CLIENT_COMMANDS:
        payload = {"command_id": "k1"}
        try:
            command = decode(event, payload)
        except DomainError as err:
            assert err.details.get("field") != "command_id", event  # only its required fields are missing
            continue
        assert command.command_id == "k1"


@pytest.mark.parametrize("bad", ["", "x" * 65, 7, True, ["k"]])
def test_a_malformed_command_id_is_refused_naming_the_field(bad):
    with pytest.raises(DomainError) as info:
        decode("pause", {"command_id": bad})
    assert info.value.code == "bad_request" and info.value.details["field"] == "command_id"


@pytest.mark.parametrize("command", [
    c.NextPhase(command_id="k"), c.Pause(command_id="k"), c.Extend(minutes=5, command_id="k"),
    c.JumpToPhase(index=3, command_id="k"), c.PreviousPhase(command_id="k"),
])
def test_a_repeated_command_id_changes_nothing(room, command):
    room.lead(c.Start())
    room.lead(c.NextPhase())
    first = room.lead(command)
    after_first = dump(room.session)
    again = room.lead(command)
    assert [e.name for e in again] == ["duplicate"]
    assert dump(room.session) == after_first
    assert first[0].name != "duplicate"


def test_the_repeat_is_answered_with_the_first_answer(room):
    a = room.people[0]
    room.lead(c.Start())
    first = room.do(a, c.PostCard(client_id="card-1", kind="checkin", text="Hi", command_id="k"))
    room.session.stamp_answer(c.PostCard(client_id="card-1", kind="checkin", text="Hi", command_id="k"),
                              Actor(person_id=a), 17)
    again = room.do(a, c.PostCard(client_id="card-1", kind="checkin", text="Hi", command_id="k"))
    assert again[0].name == "duplicate"
    assert again[0].data == {"card": first[0].data["card"], "v": 17}


def test_command_ids_are_per_sender(room):
    """Two people's clients may pick the same id; neither blocks the other."""
    a, b = room.people[0], room.people[1]
    room.lead(c.Start())
    room.do(a, c.PostCard(client_id="x", kind="checkin", text="A", command_id="same"))
    events = room.do(b, c.PostCard(client_id="x", kind="checkin", text="B", command_id="same"))
    assert events[0].name == "card" and len(room.session.cards) == 2


def test_an_id_reused_for_another_command_is_not_that_command(room):
    room.lead(c.Start())
    room.lead(c.Pause(command_id="0"))
    assert room.lead(c.Resume(command_id="0"))[0].name == "timer"
    assert room.session.timer.paused is False


def test_a_refused_command_is_not_remembered(room):
    """Nothing was applied: the same id may carry the command again once it can succeed."""
    assert refused(room, room.leader, c.Pause(command_id="k")) == "session_not_started"
    room.lead(c.Start())
    assert room.lead(c.Pause(command_id="k"))[0].name == "timer"


def test_answers_are_kept_for_a_bounded_window(room):
    room.lead(c.Start())
    for i in range(ANSWERS_KEPT + 10):
        room.lead(c.Extend(minutes=1, command_id=f"k{i}"))
    assert len(room.session.answered) == ANSWERS_KEPT
    assert f"{room.leader}:extend:k0" not in room.session.answered
    assert room.lead(c.Extend(minutes=1, command_id=f"k{ANSWERS_KEPT + 9}"))[0].name == "duplicate"


def test_answers_survive_the_store(room, library):
    """Kept in the room's state: a repeat that reaches another process (or a restarted one) too."""
    room.lead(c.Start())
    room.lead(c.NextPhase(command_id="k"))
    room.session = load(dump(room.session), room.session.format)
    assert room.lead(c.NextPhase(command_id="k"))[0].name == "duplicate"
    assert room.session.phase_index == 1


def test_a_second_press_of_next_for_the_same_phase_moves_once(room):
    room.lead(c.Start())
    room.lead(c.NextPhase(expect_phase=0, command_id="press-1"))
    again = room.lead(c.NextPhase(expect_phase=0, command_id="press-2"))
    assert [e.name for e in again] == ["duplicate"] and again[0].data == {"phase": 1}
    assert room.session.phase_index == 1


def test_a_move_from_a_phase_the_room_left_another_way_is_refused(room):
    room.lead(c.Start())
    room.lead(c.JumpToPhase(index=3))
    assert refused(room, room.leader, c.NextPhase(expect_phase=0)) == "phase_changed"
    assert refused(room, room.leader, c.PreviousPhase(expect_phase=1)) == "phase_changed"
    assert refused(room, room.leader, c.JumpToPhase(index=5, expect_phase=1)) == "phase_changed"
    assert room.session.phase_index == 3


def test_previous_and_jump_with_the_phase_they_move_from(room):
    room.lead(c.Start())
    room.lead(c.JumpToPhase(index=3, expect_phase=0))
    assert room.lead(c.JumpToPhase(index=3, expect_phase=0))[0].name == "duplicate"
    room.lead(c.PreviousPhase(expect_phase=3))
    assert room.lead(c.PreviousPhase(expect_phase=3))[0].name == "duplicate"
    assert room.session.phase_index == 2
    assert [run.index for run in room.session.history] == [0, 3, 2]


def test_without_expect_phase_moves_behave_as_before(room):
    room.lead(c.Start())
    room.lead(c.NextPhase())
    room.lead(c.NextPhase())
    assert room.session.phase_index == 2
