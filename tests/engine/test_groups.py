"""Small groups and the seeds' other methods, replayed on a fake clock: splits for 2..12 people,
the odd-number rules, rotations, roles, who may post, and every new format from start to end."""
from __future__ import annotations

from collections import Counter

import pytest

from facilitation.engine import PUBLIC, codec, customize, personal_view, room_view, session_plan
from facilitation.engine import commands as c
from facilitation.engine.entities import Actor
from facilitation.engine.rounds import FREE, group_sizes, odd_rule, split

from .conftest import refused


def me(room, who) -> dict:
    return personal_view(room.session, Actor(person_id=who))


def to_phase(room, kind):
    while room.session.phase.kind != kind:
        room.lead(c.NextPhase())


@pytest.mark.parametrize("size", [2, 3])
@pytest.mark.parametrize("people", range(2, 13))
def test_every_split_places_everyone_once_by_the_visible_rule(people, size):
    ids = [f"p{i}" for i in range(people)]
    groups = split(ids, size, seed="room:troika:1:0")
    assert sorted(pid for g in groups for pid in g) == sorted(ids)
    sizes = sorted(len(g) for g in groups)
    assert sizes == sorted(group_sizes(people, size))
    if size == 2:
        assert sizes.count(3) == people % 2 and set(sizes) <= {2, 3}
    elif people >= 3:
        assert {3: 0, 1: sizes.count(4), 2: sizes.count(2)}.get(people % 3, 0) == (1 if people % 3 else 0)
        assert set(sizes) <= {2, 3, 4} and sizes.count(3) >= len(sizes) - 1
    assert odd_rule(people, size) == ("even" if all(s == size for s in sizes) else odd_rule(people, size))
    # Deterministic: the same seed gives the same groups; another draw usually another.
    assert split(ids, size, seed="room:troika:1:0") == groups


def test_odd_rules_by_name():
    assert (group_sizes(7, 2), odd_rule(7, 2)) == ([2, 2, 3], "one_trio")
    assert (group_sizes(7, 3), odd_rule(7, 3)) == ([3, 4], "one_four")
    assert (group_sizes(8, 3), odd_rule(8, 3)) == ([3, 3, 2], "one_pair")
    assert (group_sizes(9, 3), odd_rule(9, 3)) == ([3, 3, 3], "even")
    assert group_sizes(2, 3) == [2] and group_sizes(1, 2) == []


def test_troika_of_nine_three_trios_three_rounds(make_room):
    room = make_room(format_id="troika", people=10)  # the leader and nine people
    s = room.session
    room.lead(c.Start())
    assert s.phase.key == "silence"
    room.lead(c.NextPhase())
    assert s.phase.kind == "small_groups" and s.group_forming
    assert [len(g) for g in s.groups] == [3, 3, 3] and room.leader not in {p for g in s.groups for p in g}
    assert s.timer.duration == 60  # a minute to find one's trio
    view = room_view(s, PUBLIC, room.clock.now())["groups"]
    assert view["forming"] and view["rounds"] == 3 and view["rule"] == "even" and view["list"][0]["roles"] == {}
    anna = room.people[0]
    assert refused(room, anna, c.PostCard(client_id="x", kind="advice", text="Too soon")) == "groups_forming"

    # The leader swaps two people of different trios, then starts the rounds.
    a, b = s.groups[0][0], s.groups[1][0]
    room.lead(c.SwapPeople(person_id=a, other_id=b))
    assert s.groups[0][0] == b and s.groups[1][0] == a
    assert refused(room, anna, c.SwapPeople(person_id=a, other_id=b)) == "not_leader"
    room.lead(c.NextPhase())
    assert (s.group_round, s.group_step) == (0, 0) and s.timer.duration == 120
    assert refused(room, room.leader, c.SwapPeople(person_id=a, other_id=b)) == "groups_started"
    assert refused(room, room.leader, c.SplitGroups(size=2)) == "groups_started"

    clients = Counter()
    everyone = {p for g in s.groups for p in g}
    for round_index in range(3):
        for step in ["tell", "ask", "consult", "respond"]:
            assert s.group_step_spec.key == step and s.group_round == round_index
            for members in s.groups:
                roles = {pid: s.group_role(pid) for pid in members}
                client = [pid for pid, role in roles.items() if role == "client"]
                assert len(client) == 1 and list(roles.values()).count("consultant") == 2
                client = client[0]
                consultant = next(pid for pid in members if pid != client)
                mine = me(room, client)["group"]
                assert mine["members"] == members and mine["role"] == "client"
                if step == "consult":
                    clients[client] += 1
                    assert mine["listening"] is True
                    assert refused(room, client, c.PostCard(client_id=f"{client}-{round_index}", kind="advice",
                                                           text="But I...")) == "listening_in_group"
                    room.do(consultant, c.PostCard(client_id=f"{consultant}-{round_index}", kind="advice",
                                                   text="Try asking the team first."))
                if step == "ask":
                    assert refused(room, consultant, c.PostCard(client_id="adv", kind="advice", text="Do X")) == "phase_closed"
                if step == "respond":
                    room.do(client, c.PostCard(client_id=f"r-{client}-{round_index}", kind="response", text="The team idea."))
            if (round_index, step) == (2, "respond"):
                # Each trio's cards reach its own members only, never the screen.
                assert room_view(s, PUBLIC, room.clock.now())["cards"] == []
                member = s.groups[0][0]
                own = me(room, member)["group"]["cards"]
                assert all(card["kind"] in ("advice", "response") for card in own)
                assert len(own) == 3 + 3  # three rounds: one consultant's advice, the client's response
            room.clock.advance(s.timer.duration)
            room.lead(c.NextPhase())
    assert set(clients) == everyone and set(clients.values()) == {1}
    assert s.phase.key == "circle" and "groups" not in room_view(s, PUBLIC, room.clock.now())
    assert me(room, member)["group"] is None
    room.lead(c.EndSession())
    assert s.cards == [] and s.groups == []


def test_leader_changes_the_size_and_may_join(make_room):
    room = make_room(format_id="troika", people=8)
    s = room.session
    room.lead(c.Start())
    room.lead(c.NextPhase())
    assert sorted(len(g) for g in s.groups) == [3, 4]  # seven people: one group of four
    assert room_view(s, PUBLIC, room.clock.now())["groups"]["rule"] == "one_four"
    room.lead(c.SplitGroups(size=2))
    assert sorted(len(g) for g in s.groups) == [2, 2, 3]
    assert room_view(s, PUBLIC, room.clock.now())["groups"]["rule"] == "one_trio"
    room.lead(c.SplitGroups(size=3, with_leader=True))
    assert [len(g) for g in s.groups] == [3, 3, 2] and room.leader in {p for g in s.groups for p in g}
    assert refused(room, room.leader, c.SplitGroups(size=5)) == "bad_request"
    room.lead(c.NextPhase())
    pair = next(g for g in s.groups if len(g) == 2)
    # A pair in a troika: one client, one consultant; it sits out the third round.
    for _ in range(4 * 2):
        room.lead(c.NextPhase())
    assert s.group_round == 2 and {s.group_role(p) for p in pair} == {FREE}
    assert refused(room, pair[0], c.PostCard(client_id="f", kind="advice", text="x")) == "listening_in_group"


def test_split_only_in_a_small_group_phase(make_room):
    room = make_room(format_id="troika", people=4)
    room.lead(c.Start())
    assert refused(room, room.leader, c.SplitGroups()) == "not_group_phase"
    assert refused(room, room.people[0], c.SplitGroups()) == "not_leader"


def test_pairs_with_an_odd_number_rotate_and_the_trio_gets_three_rounds(make_room):
    room = make_room(format_id="pair-intervision", people=8)  # seven people in pairs
    s = room.session
    room.lead(c.Start())
    room.lead(c.NextPhase())
    assert sorted(len(g) for g in s.groups) == [2, 2, 3] and s.group_rounds == 3
    room.lead(c.NextPhase())
    presented = Counter()
    for round_index in range(3):
        for step in ["present", "questions", "analysis", "respond"]:
            assert s.group_step_spec.key == step
            for members in s.groups:
                roles = {pid: s.group_role(pid) for pid in members}
                if round_index >= len(members):
                    assert set(roles.values()) == {FREE}
                    continue
                presenter = next(pid for pid, role in roles.items() if role == "presenter")
                analyst = next(pid for pid, role in roles.items() if role == "analyst")
                if step == "present":
                    presented[presenter] += 1
                if step == "analysis":
                    assert refused(room, presenter, c.PostCard(client_id="p", kind="hypothesis", text="x")) == "listening_in_group"
                    room.do(analyst, c.PostCard(client_id=f"h{round_index}{analyst}", kind="hypothesis", text="Perhaps..."))
            room.lead(c.NextPhase())
    assert set(presented.values()) == {1} and len(presented) == 7
    assert s.phase.kind == "closing"


def test_tutorial_in_trios_from_start_to_end(make_room):
    room = make_room(format_id="tutorial", people=7)  # six tutees: two trios
    s = room.session
    anna = room.people[0]
    room.lead(c.Start())
    assert [p.kind for p in s.format.phases] == ["check_in", "check_in", "study", "small_groups", "study", "closing"]
    room.do(anna, c.PostCard(client_id="hi", kind="checkin", text="I teach maths"))
    room.lead(c.NextPhase())
    assert refused(room, anna, c.PostCard(client_id="uf", kind="checkin", text="x")) == "phase_closed"
    room.lead(c.NextPhase())
    room.do(anna, c.PostCard(client_id="q", kind="question", text="Where do I start?"))
    room.lead(c.NextPhase())
    assert [len(g) for g in s.groups] == [3, 3]
    room.lead(c.NextPhase())
    for round_index in range(3):
        for members in s.groups:
            roles = {s.group_role(pid): pid for pid in members}
            assert set(roles) == {"teller", "asker", "listener"}
            assert me(room, roles["teller"])["group"]["listening"] is True
            room.do(roles["asker"], c.PostCard(client_id=f"a{round_index}{roles['asker']}", kind="question", text="What for?"))
            room.do(roles["listener"], c.PostCard(client_id=f"l{round_index}{roles['listener']}", kind="thought", text="Heard: curiosity"))
        room.lead(c.NextPhase())
    assert s.phase.key == "individual"
    room.do(anna, c.PostCard(client_id="step", kind="plan_step", text="Read one chapter"))
    room.lead(c.NextPhase())
    assert s.phase.reflection_kind == "product" and len(s.phase.reflection) == 3
    assert "соответствия поставленным целям" in s.phase.rule["ru"]
    room.do(anna, c.PostCard(client_id="r", kind="reflection", text="It matched my goal"))
    room.lead(c.EndSession())


def _focus_meeting(room, statements: dict[str, list[str]]):
    """Run a tutor-support meeting: the leader names the teacher, who writes the statements."""
    s = room.session
    teacher, colleague = room.people[0], room.people[1]
    room.lead(c.AssignPresenter(case=1, person_id=teacher))
    room.lead(c.Start())
    assert s.format.focus == {"ru": "педагог", "en": "teacher"}
    while True:
        phase = s.phase
        for kind in statements.get(phase.key, []):
            room.do(teacher, c.PostCard(client_id=f"{phase.key}-{kind}", kind=kind, text=f"My {kind}"))
            assert refused(room, colleague, c.PostCard(client_id="no", kind=kind, text="x")) == "not_presenter"
        if "resource" in phase.posts:
            room.do(colleague, c.PostCard(client_id=f"{phase.key}-res", kind="resource", text="A methods seminar"))
            assert refused(room, teacher, c.PostCard(client_id="own", kind="resource", text="x")) == "phase_closed"
        if s.phase_index + 1 >= len(s.format.phases):
            break
        room.clock.advance(s.timer.duration)
        room.lead(c.NextPhase())
    return teacher


def test_route_start_stages_one_to_four(make_room):
    room = make_room(format_id="tutor-route-start", people=3)
    teacher = _focus_meeting(room, {"interest": ["interest"], "edu_question": ["edu_question"], "goal": ["goal"],
                                    "plan": ["plan_step"]})
    s = room.session
    assert [p.title["ru"][:7] for p in s.format.phases[1:5]] == ["Этап 1.", "Этап 2.", "Этап 3.", "Этап 4."]
    assert s.phase.reflection_kind == "prognostic" and "всё учтено? А дальше?" in s.phase.reflection[-1]["ru"]
    kinds = [card.kind for card in s.cards if card.author_id == teacher]
    assert kinds == ["interest", "edu_question", "goal", "plan_step"]


def test_support_meeting_and_results(make_room):
    room = make_room(format_id="tutor-route-meeting", people=3)
    _focus_meeting(room, {"implementation": ["difficulty", "result"], "correction": ["plan_step"]})
    assert room.session.phase.reflection_kind == "process"
    assert "кто? что? как ещё?" in room.session.phase.reflection[-1]["ru"]
    room = make_room(format_id="tutor-route-results", people=3)
    _focus_meeting(room, {"analysis": ["analysis", "result"], "new_goal": ["goal", "perspective"]})
    phases = room.session.format.phases
    assert "выбор формы и уровня анализа" not in phases[1].rule["ru"] and "Форму и уровень анализа" in phases[1].rule["ru"]
    assert len(phases[2].reflection) == 3 and room.session.phase.reflection_kind == "product"


def test_group_reflection_and_the_closing_of_any_format(make_room, library):
    room = make_room(format_id="group-reflection", people=3)
    room.lead(c.Start())
    room.lead(c.NextPhase())
    assert room.session.phase.kind == "reflection" and room.session.phase.reflection_kind == "product"
    room.do(room.people[0], c.PostCard(client_id="r1", kind="reflection", text="+ the plan, - the time"))
    card = room_view(room.session, PUBLIC, room.clock.now())["cards"][0]
    assert "by" not in card  # written reflection is anonymous in this format

    fmt = library.get("balint-single")
    keys = [{"key": p.key} for p in fmt.phases]
    keys[-1]["reflection_kind"] = "prognostic"
    changed = customize(fmt, keys, primitives=library.primitives)
    assert changed.phases[-1].reflection_kind == "prognostic" and len(changed.phases[-1].reflection) == 4
    with pytest.raises(Exception, match="reflection_kind"):
        customize(fmt, [{**k, "reflection_kind": "product"} if k["key"] == "vote" else k for k in keys],
                  primitives=library.primitives)


def test_leader_adds_phases_from_the_library(make_room, library):
    fmt = library.get("balint-single")
    phases = [{"key": p.key} for p in fmt.phases]
    phases.insert(1, {"kind": "small_groups", "minutes": 16})
    phases.append({"kind": "reflection", "minutes": 5, "reflection_kind": "process"})
    changed = customize(fmt, phases, primitives=library.primitives)
    added = changed.phases[1]
    assert added.key == "added-1" and added.groups.size == 3 and added.minutes == 16
    assert added.groups.total_minutes() == pytest.approx(16)
    assert changed.phases[-1].key == "added-2" and changed.phases[-1].reflection_kind == "process"
    assert added.rule == library.primitives["small_groups"]["rule"]  # with its rule card
    for bad, field in [({"kind": "gossip"}, "phases[0].kind"), ({"kind": "questions", "case": 3}, "phases[0].case"),
                       ({"kind": "focus", "minutes": 0}, "phases[0].minutes")]:
        with pytest.raises(Exception) as err:
            customize(fmt, [bad] + phases, primitives=library.primitives)
        assert err.value.field == field
    with pytest.raises(Exception, match="cannot be added"):
        customize(fmt, phases)


def test_rounds_survive_the_store(make_room):
    room = make_room(format_id="troika", people=7)
    s = room.session
    room.lead(c.Start())
    room.lead(c.NextPhase())
    room.lead(c.SplitGroups(size=2))
    room.lead(c.NextPhase())
    room.lead(c.NextPhase())
    again = codec.load(codec.dump(s), codec.load_format(codec.dump_format(s.format)))
    assert again.groups == s.groups and (again.group_round, again.group_step, again.group_size) == (0, 1, 2)
    assert room_view(again, PUBLIC, room.clock.now()) == room_view(s, PUBLIC, room.clock.now())


def test_the_plan_counts_the_rounds_ahead(make_room):
    room = make_room(format_id="troika", people=10)
    s = room.session
    room.lead(c.Start())
    room.lead(c.NextPhase())
    forming = session_plan(s, room.clock.now())
    assert forming.rest_seconds == pytest.approx((3 * 10 + 4) * 60)


def test_a_customized_split_survives_saving_as_the_groups_own_format(library):
    fmt = library.get("troika")
    changed = customize(fmt, [{"key": "silence"}, {"key": "troika", "minutes": 40},
                              {"kind": "reflection", "reflection_kind": "process"}], primitives=library.primitives)
    assert [s.minutes for s in changed.phases[1].groups.steps] == [2.6, 2.6, 6.5, 1.3]
    document = {**changed.to_dict(), "id": "own-tuesday"}
    again = library.parse(document)
    assert again.to_dict() == document and again.phases[1].groups.steps[2].roles["client"].back_turned
