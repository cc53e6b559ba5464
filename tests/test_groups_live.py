"""A troika of nine through a real server: three trios side by side, three rounds, each person
the client once; the client with their back turned cannot post; each trio's cards reach only
its members; then the circle comes back together."""
from __future__ import annotations

from collections import Counter

from .live import ok

MARKER = "TROIKA-5150"  # in every card; must never reach the server log
NAMES = ["Anna", "Boris", "Vera", "Gleb", "Dasha", "Egor", "Zoya", "Ilya", "Kira"]


def test_troika_of_nine_in_three_trios(live_server, clients):
    server = live_server(KRUG_TIME_SCALE="0.01")
    room = server.create_room("Lea", "troika")
    leader = clients(server, room["token"]).connect()
    screen = clients(server, room["screen_token"]).connect()
    phones = [clients(server, server.join(room["code"], name).json()["token"]).connect() for name in NAMES]
    by_person = {}
    for phone in phones:
        phone.wait_me(lambda m: m.get("person"))
        by_person[phone.me["person"]] = phone
    leader.wait_for(lambda s: len(s["people"]) == 10 and all(p["online"] for p in s["people"]))

    ok(leader.emit("start"))
    ok(leader.emit("next_phase"))
    split = screen.wait_for(lambda s: s["groups"] is not None)["groups"]
    assert split["forming"] and split["size"] == 3 and split["rule"] == "even" and split["rounds"] == 3
    assert sorted(len(g["members"]) for g in split["list"]) == [3, 3, 3]
    assert set(by_person) == {pid for g in split["list"] for pid in g["members"]}
    assert [s["kind"] for s in screen.format["phases"]][1] == "small_groups"
    assert [step["key"] for step in screen.format["phases"][1]["groups"]["steps"]] == ["tell", "ask", "consult", "respond"]

    # The leader swaps two people of different trios before the first round.
    a, b = split["list"][0]["members"][0], split["list"][1]["members"][0]
    refused = by_person[a].emit("swap_people", {"person_id": a, "other_id": b})
    assert refused["error"]["code"] == "not_leader"
    ok(leader.emit("swap_people", {"person_id": a, "other_id": b}))
    split = screen.wait_for(lambda s: s["groups"]["list"][0]["members"][0] == b)["groups"]
    for index, group in enumerate(split["list"]):
        for pid in group["members"]:
            mine = by_person[pid].wait_me(lambda m, group=group: m["group"] and m["group"]["members"] == group["members"])["group"]
            assert mine["index"] == index and mine["role"] is None

    ok(leader.emit("next_phase"))  # round 1, first step
    clients_seen = Counter()
    for round_index in range(3):
        for step_index, step in enumerate(["tell", "ask", "consult", "respond"]):
            state = screen.wait_for(lambda s, r=round_index, i=step_index: not s["groups"]["forming"]
                                    and (s["groups"]["round"], s["groups"]["step"]) == (r, i))
            groups = state["groups"]["list"]
            for group in groups:
                roles = group["roles"]
                assert sorted(roles.values()) == ["client", "consultant", "consultant"]
                client = next(pid for pid, role in roles.items() if role == "client")
                consultant = next(pid for pid, role in roles.items() if role == "consultant")
                me = by_person[client].wait_me(lambda m, r=round_index, i=step_index: m["group"]["role"] == "client")
                if step == "consult":
                    clients_seen[client] += 1
                    assert me["group"]["listening"] is True and me["group"]["posts"] == []
                    refused = by_person[client].emit("post_card", {"client_id": f"c{round_index}", "kind": "advice", "text": "But"})
                    assert refused["error"]["code"] == "listening_in_group"
                    ok(by_person[consultant].emit("post_card", {
                        "client_id": f"adv-{round_index}", "kind": "advice", "text": f"Ask the team first {MARKER}"}))
            if (round_index, step) != (2, "respond"):
                ok(leader.emit("next_phase"))
    assert set(clients_seen) == set(by_person) and set(clients_seen.values()) == {1}

    # Each trio sees its own three advice cards; the screen sees none.
    last = screen.state
    assert last["cards"] == []
    for group in last["groups"]["list"]:
        member = by_person[group["members"][0]]
        cards = member.wait_me(lambda m: len(m["group"]["cards"]) == 3)["group"]["cards"]
        assert {c["by"] for c in cards} <= set(group["members"])

    ok(leader.emit("next_phase"))  # the circle comes back together
    back = screen.wait_for(lambda s: s["phase"]["kind"] == "closing")
    assert "groups" not in back
    assert all(phone.wait_me(lambda m: m["group"] is None)["group"] is None for phone in phones)
    ok(leader.emit("end_session"))
    screen.wait_for(lambda s: s["status"] == "ended")
    log = server.log()
    assert "event=swap_people" in log and "event=post_card" in log and MARKER not in log
