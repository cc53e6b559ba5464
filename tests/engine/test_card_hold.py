"""What the faces of a meeting need from the engine: the card hold, hidden cards told to their
authors, how a case was chosen, and who has not voted yet (issue 14: 6, 7, 12, 13)."""
from __future__ import annotations

import pytest

from facilitation.engine import LEAD, PUBLIC, DomainError, codec, decode, personal_view, room_view
from facilitation.engine import commands as c
from facilitation.engine.session import Actor

from .conftest import refused

HYPOTHESES, QUESTIONS, DISCUSSION = 5, 4, 6



def in_case(room, phase: int):
    """Case 1 presented by the last person, the room in ``phase``; returns (writer, presenter)."""
    writer, _, presenter = room.people
    n = room.do(presenter, c.Nominate(client_id="n", title="Case"))[0].data["nomination"]
    room.lead(c.AssignCase(case=1, nomination_id=n))
    room.lead(c.Start())
    room.lead(c.JumpToPhase(index=phase))
    return writer, presenter


def views(room, person):
    now = room.clock.now()
    return (room_view(room.session, PUBLIC, now), room_view(room.session, LEAD, now),
            personal_view(room.session, Actor(person_id=person)))


def post(room, who, cid, kind="hypothesis", text="A fantasy"):
    return room.do(who, c.PostCard(client_id=cid, kind=kind, text=text))


def test_the_hold_is_off_by_default(room):
    writer, _ = in_case(room, HYPOTHESES)
    assert room.session.card_hold is False
    assert room_view(room.session, PUBLIC, room.clock.now())["settings"]["card_hold"] is False
    post(room, writer, "h1")
    public, _, mine = views(room, writer)
    assert [card["text"] for card in public["cards"]] == ["A fantasy"]
    assert mine["withheld"] == []


def test_a_held_card_reaches_leaders_and_its_author_only(room):
    writer, presenter = in_case(room, HYPOTHESES)
    room.lead(c.SetCardHold(on=True))
    events = post(room, writer, "h1", text="You should have referred her")
    card_id = events[0].data["card"]
    assert events[0].data["held"] is True and events[0].private_for == (writer,)
    public, lead, mine = views(room, writer)
    assert public["cards"] == []
    assert lead["cards"] == [{"id": card_id, "cid": "h1", "kind": "hypothesis", "text": "You should have referred her",
                              "held": True}]  # hypotheses are anonymous in this format
    assert mine["withheld"] == [{"id": card_id, "cid": "h1", "kind": "hypothesis",
                                 "text": "You should have referred her", "held": True}]
    assert personal_view(room.session, Actor(person_id=presenter))["withheld"] == []
    assert "You should have referred her" not in str(public)


def test_cards_are_held_only_where_the_presenter_is_silent_and_never_a_leaders(room):
    writer, _ = in_case(room, QUESTIONS)
    room.lead(c.SetCardHold(on=True))
    post(room, writer, "q1", kind="question", text="How old is she?")
    assert len(room_view(room.session, PUBLIC, room.clock.now())["cards"]) == 1
    room.lead(c.NextPhase())
    room.lead(c.PostCard(client_id="l1", kind="hypothesis", text="The leader's own"))
    assert not room.session.cards[-1].held


def test_release_one_then_all(room):
    writer, _ = in_case(room, HYPOTHESES)
    other = room.people[1]
    room.lead(c.SetCardHold(on=True))
    first = post(room, writer, "h1", text="one")[0].data["card"]
    post(room, writer, "h2", text="two")
    post(room, other, "h3", text="three")
    events = room.lead(c.ReleaseCards(card_ids=[first]))
    assert events[0].data == {"count": 1} and events[0].private_for == (writer,)
    public, _, mine = views(room, writer)
    assert [card["text"] for card in public["cards"]] == ["one"]
    assert [card["text"] for card in mine["withheld"]] == ["two"]
    again = room.lead(c.ReleaseCards(card_ids=[first]))  # a retry changes nothing
    assert again[0].data == {"count": 0}
    events = room.lead(c.ReleaseCards(all=True))
    assert events[0].data == {"count": 2} and set(events[0].private_for) == {writer, other}
    assert [card["text"] for card in room_view(room.session, PUBLIC, room.clock.now())["cards"]] == ["one", "two", "three"]


def test_turning_the_hold_off_keeps_what_is_held(room):
    writer, _ = in_case(room, HYPOTHESES)
    room.lead(c.SetCardHold(on=True))
    post(room, writer, "h1")
    room.lead(c.SetCardHold(on=False))
    post(room, writer, "h2", text="after")
    assert [card.held for card in room.session.cards] == [True, False]


def test_release_refusals(room):
    writer, _ = in_case(room, HYPOTHESES)
    room.lead(c.SetCardHold(on=True))
    post(room, writer, "h1")
    assert refused(room, writer, c.ReleaseCards(all=True)) == "not_leader"
    assert refused(room, writer, c.SetCardHold(on=False)) == "not_leader"
    assert refused(room, room.leader, c.ReleaseCards(card_ids=["c999"])) == "not_found"
    assert refused(room, room.leader, c.ReleaseCards()) == "bad_request"
    assert refused(room, room.leader, c.ReleaseCards(card_ids=[], all=False)) == "bad_request"
    assert refused(room, room.leader, c.ReleaseCards(card_ids=["c1"], all=True)) == "bad_request"


def test_release_payloads_are_decoded_strictly():
    assert decode("release_cards", {"card_ids": ["c1", "c2"]}) == c.ReleaseCards(card_ids=["c1", "c2"])
    assert decode("release_cards", {"all": True}) == c.ReleaseCards(all=True)
    assert decode("set_card_hold", {"on": True}) == c.SetCardHold(on=True)
    for event, payload in [("release_cards", {"card_ids": [1]}), ("release_cards", {"card_ids": "c1"}),
                           ("release_cards", {"all": "yes"}), ("set_card_hold", {}), ("set_card_hold", {"on": 1})]:
        with pytest.raises(DomainError) as err:
            decode(event, payload)
        assert err.value.code == "bad_request"


def test_a_hidden_card_is_told_to_its_author_only(room):
    writer, presenter = in_case(room, QUESTIONS)
    card = post(room, writer, "q1", kind="question", text="Why did you?")[0].data["card"]
    events = room.lead(c.HideCard(card_id=card))
    assert events[0].private_for == (writer,)
    public, lead, mine = views(room, writer)
    assert public["cards"] == [] and lead["cards"][0]["hidden"] is True
    assert mine["withheld"] == [{"id": card, "cid": "q1", "kind": "question", "text": "Why did you?", "hidden": True}]
    assert personal_view(room.session, Actor(person_id=presenter))["withheld"] == []
    room.lead(c.HideCard(card_id=card, hidden=False))
    assert personal_view(room.session, Actor(person_id=writer))["withheld"] == []


def test_a_new_phase_refreshes_the_own_view_of_withheld_authors(room):
    writer, presenter = in_case(room, QUESTIONS)
    card = post(room, writer, "q1", kind="question", text="?")[0].data["card"]
    room.lead(c.HideCard(card_id=card))
    events = room.lead(c.NextPhase())
    assert set(events[0].private_for) == {writer, presenter}


def test_hold_and_held_cards_survive_the_store(room):
    writer, _ = in_case(room, HYPOTHESES)
    room.lead(c.SetCardHold(on=True))
    post(room, writer, "h1")
    again = codec.load(codec.dump(room.session), room.session.format)
    assert again.card_hold is True and again.cards[0].held is True
    old = codec.dump(room.session)
    del old["card_hold"]
    for card in old["cards"]:
        del card["held"]
    for case in old["cases"]:
        del case["source"]
    before = codec.load(old, room.session.format)  # rooms stored before the hold existed
    assert before.card_hold is False and before.cards[0].held is False and before.cases[0].source is None


def test_how_each_case_was_chosen(room):
    a, b, v = room.people
    n1 = room.do(a, c.Nominate(client_id="1", title="One"))[0].data["nomination"]
    n2 = room.do(b, c.Nominate(client_id="2", title="Two"))[0].data["nomination"]
    n3 = room.do(v, c.Nominate(client_id="3", title="Three"))[0].data["nomination"]
    room.lead(c.OpenVote())
    room.do(a, c.CastVote(nomination_id=n1))
    room.do(b, c.CastVote(nomination_id=n1))
    room.do(v, c.CastVote(nomination_id=n2))
    room.lead(c.CloseVote())
    cases = room_view(room.session, PUBLIC, room.clock.now())["cases"]
    assert [(case["nomination"], case["source"]) for case in cases] == [(n1, "vote"), (n2, "runner_up")]
    room.lead(c.AssignCase(case=2, nomination_id=n3))  # the leader changes the runner-up
    assert room.session.cases[1].source == "leader" and room.session.cases[1].presenter_id == v


def test_a_broken_tie_says_so(room):
    a, b, _ = room.people
    n1 = room.do(a, c.Nominate(client_id="1", title="One"))[0].data["nomination"]
    n2 = room.do(b, c.Nominate(client_id="2", title="Two"))[0].data["nomination"]
    room.lead(c.OpenVote())
    room.do(a, c.CastVote(nomination_id=n1))
    room.do(b, c.CastVote(nomination_id=n2))
    room.lead(c.CloseVote())
    room.lead(c.BreakTie(nomination_id=n2))
    assert [case.source for case in room.session.cases] == ["tie", "runner_up"]


def test_leaders_see_who_has_not_voted_the_room_sees_counts(room):
    a, b, v = room.people
    n1 = room.do(a, c.Nominate(client_id="1", title="One"))[0].data["nomination"]
    room.join("Watcher", observer=True)
    room.lead(c.OpenVote())
    room.do(a, c.CastVote(nomination_id=n1))
    room.do(b, c.CastVote(nomination_id=n1))
    now = room.clock.now()
    public, lead = room_view(room.session, PUBLIC, now)["vote"], room_view(room.session, LEAD, now)["vote"]
    assert (public["voters"], public["eligible"]) == (2, 4)
    assert "not_voted" not in public
    assert lead["not_voted"] == [room.leader, v]
    room.lead(c.CloseVote())
    assert "not_voted" not in room_view(room.session, LEAD, room.clock.now())["vote"]
