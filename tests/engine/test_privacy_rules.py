"""Confidentiality rules of the engine (issue 12): anonymity per card, who may export a case
and change a begun case's presenter, removal, the door, control characters."""
from __future__ import annotations

import pytest

from facilitation.engine import LEAD, PUBLIC, Actor, DomainError, codec, personal_view, room_view
from facilitation.engine import commands as c
from facilitation.engine.rules import clean_text

from .test_rules import refused

HYPOTHESES, REQUEST, PRESENTATION = 5, 3, 2  # balint-classic phase indexes of case 1


def on_case_one(room, presenter):
    nomination = room.do(presenter, c.Nominate(client_id="n", title="Case"))[0].data["nomination"]
    room.lead(c.AssignCase(case=1, nomination_id=nomination))
    room.lead(c.Start())


def cards_seen(room, audience=PUBLIC):
    return {card["id"]: card for card in room_view(room.session, audience, room.clock.now())["cards"]}


def test_anonymity_is_fixed_when_a_card_is_posted(room):
    anna, boris, _ = room.people
    on_case_one(room, anna)
    room.lead(c.JumpToPhase(index=HYPOTHESES))
    first = room.do(boris, c.PostCard(client_id="1", kind="hypothesis", text="Anonymous"))[0].data["card"]
    room.lead(c.SetAnonymity(kind="hypothesis", anonymous=False))
    second = room.do(boris, c.PostCard(client_id="2", kind="hypothesis", text="Signed"))[0].data["card"]
    room.lead(c.SetAnonymity(kind="hypothesis", anonymous=True))
    for audience in (PUBLIC, LEAD):
        seen = cards_seen(room, audience)
        assert "by" not in seen[first] and seen[second]["by"] == boris
    again = codec.load(codec.dump(room.session), room.session.format)
    assert [card.anonymous for card in again.cards] == [True, False]


def test_cards_stored_before_the_flag_keep_the_room_setting_of_then(room):
    anna, boris, _ = room.people
    on_case_one(room, anna)
    room.lead(c.JumpToPhase(index=HYPOTHESES))
    room.do(boris, c.PostCard(client_id="1", kind="hypothesis", text="Old"))
    state = codec.dump(room.session)
    for card in state["cards"]:
        del card["anonymous"]
    assert codec.load(state, room.session.format).cards[0].anonymous is True


def test_the_export_right_is_fixed_when_the_case_begins(room):
    anna, boris, cole = room.people
    room.lead(c.MakeColeader(person_id=cole))
    on_case_one(room, anna)
    case = room.session.case(1)
    assert case.exporter_id is None  # nothing presented yet
    room.lead(c.JumpToPhase(index=PRESENTATION))
    assert case.exporter_id == anna
    assert refused(room, cole, c.AssignPresenter(case=1, person_id=cole)) == "case_begun"
    room.lead(c.AssignPresenter(case=1, person_id=boris))  # the leader's correction, nothing said yet
    assert case.presenter_id == case.exporter_id == boris
    room.lead(c.JumpToPhase(index=REQUEST))
    room.do(boris, c.SetRequest(text="Mine"))
    assert refused(room, room.leader, c.AssignPresenter(case=1, person_id=anna)) == "case_begun"
    room.lead(c.JumpToPhase(index=8))  # the break: case 1 ran
    other = room.do(anna, c.Nominate(client_id="y", title="Late"))[0].data["nomination"]
    assert refused(room, room.leader, c.AssignCase(case=1, nomination_id=other)) == "case_begun"
    assert refused(room, room.leader, c.OpenVote(case=1)) == "case_begun"
    assert case.exporter_id == boris


def test_a_case_ahead_still_changes_hands_freely(room):
    anna, boris, cole = room.people
    room.lead(c.MakeColeader(person_id=cole))
    on_case_one(room, anna)
    room.do(cole, c.AssignPresenter(case=2, person_id=boris))
    room.do(cole, c.AssignPresenter(case=2, person_id=anna))
    assert room.session.case(2).presenter_id == anna and room.session.case(2).exporter_id is None


def test_removal(room):
    anna, boris, cole = room.people
    room.lead(c.MakeColeader(person_id=cole))
    proposal = room.do(boris, c.Nominate(client_id="n", title="Boris's case"))[0].data["nomination"]
    room.lead(c.Start())
    card = room.do(boris, c.PostCard(client_id="k", kind="checkin", text="Hello"))[0].data["card"]
    assert refused(room, cole, c.RemovePerson(person_id=room.leader)) == "cannot_remove_leader"
    assert refused(room, cole, c.RemovePerson(person_id=cole)) == "bad_request"
    assert refused(room, anna, c.RemovePerson(person_id=boris)) == "not_leader"
    events = room.do(cole, c.RemovePerson(person_id=boris))
    assert events[0].name == "removed" and events[0].data["reason"] == "removed"
    person = room.session.people[boris]
    assert person.left and person.removed and person.name == ""
    view = room_view(room.session, LEAD, room.clock.now())
    assert boris not in [p["id"] for p in view["people"]]
    assert "by" not in cards_seen(room, LEAD)[card] and room.session.nominations[proposal].withdrawn
    assert personal_view(room.session, Actor(person_id=boris))["role"] is None
    assert refused(room, room.leader, c.RemovePerson(person_id=boris)) == "unknown_person"
    assert refused(room, boris, c.PostCard(client_id="z", kind="checkin", text="Back")) == "not_in_circle"


def test_a_removed_persons_case_ahead_goes_with_them(room):
    anna = room.people[0]
    on_case_one(room, anna)
    room.lead(c.RemovePerson(person_id=anna))
    case = room.session.case(1)
    assert (case.presenter_id, case.nomination_id, case.title) == (None, None, "")
    assert all(n["by"] != anna for n in room_view(room.session, LEAD, room.clock.now())["nominations"])


def test_the_door_admits_each_when_asked(room):
    room.lead(c.SetAdmitEach(on=True))
    eve = room.join("Eve")
    otto = room.join("Otto")
    assert room.session.people[eve].waiting  # in the lobby too
    assert refused(room, room.leader, c.Admit(person_id=room.people[0], admit=False)) == "not_waiting"
    room.lead(c.Admit(person_id=eve))
    events = room.lead(c.Admit(person_id=otto, admit=False))
    assert events[0].name == "removed" and events[0].data["reason"] == "refused"
    assert room.session.people[otto].left and not room.session.people[eve].waiting
    room.lead(c.SetAdmitEach(on=False))
    assert not room.session.people[room.join("Late")].waiting


@pytest.mark.parametrize("text", ["a\x00b", "a\x1bb", "a\x7fb", "a\x85b", "a\x9fb", "a\rb"])
def test_control_characters_are_refused_naming_the_field(text):
    for multiline in (False, True):
        with pytest.raises(DomainError) as err:
            clean_text(text, 100, field="title", multiline=multiline)
        assert err.value.code == "bad_request" and err.value.details == {"field": "title"}


def test_line_breaks_and_tabs_only_where_text_spans_lines():
    assert clean_text(" One\n\tTwo \n", 100, field="text", multiline=True) == "One\n\tTwo"
    for text in ("One\nTwo", "One\tTwo"):
        with pytest.raises(DomainError):
            clean_text(text, 100, field="name")
