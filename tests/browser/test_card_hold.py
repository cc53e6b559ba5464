"""Issue 14 (6, 7, 12, 13) in the pages, in Russian: the card hold on the console and the phones,
a hidden card told to its author (after a reload too), who has not voted yet, and case 2 given
to the runner-up said on the console and the screen."""
from __future__ import annotations

import re

import pytest

from .conftest import Tr, expect, join_over_http, ok, socket_client, start_server

pytestmark = pytest.mark.browser

LANG = "ru"
ADVICE = "Вам стоило сразу направить её к психиатру"
IMAGE = "Образ: закрытая дверь и ключ"
RESPONSE = "Я увидела свою тревогу иначе"
THOUGHT = "Молчание как способ защиты"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory)
    yield srv
    srv.stop()


def open_face(faces, server, name: str, kind: str, code: str, key: str, token: str, path: str):
    """A device that already holds its token, as after joining."""
    face = faces.new(name, kind, LANG, server.url, fps=10)
    face.context.add_init_script(f"window.localStorage.setItem({f'krug:{code}:{key}'!r}, {token!r});")
    face.goto(path)
    return face


def test_hold_release_hide_and_who_has_not_voted(server, faces):
    tr = Tr(server, LANG)
    room = server.create_room("Лея")
    code = room["code"]
    tokens = {name: join_over_http(server, code, name) for name in ("Анна", "Борис", "Вера")}
    lea = socket_client(server, room["token"])
    boris = socket_client(server, tokens["Борис"])
    vera = socket_client(server, tokens["Вера"])
    truth = socket_client(server, room["screen_token"])

    console = open_face(faces, server, "console", "console", code, "token", room["token"], f"/c/{code}")
    anna = open_face(faces, server, "phone-anna", "phone", code, "token", tokens["Анна"], f"/j/{code}")
    boris_phone = open_face(faces, server, "phone-boris", "phone", code, "token", tokens["Борис"], f"/j/{code}")
    screen = open_face(faces, server, "screen", "screen", code, "screen", room["screen_token"], f"/s/{code}")
    expect(console.by_id("c-room")).to_be_visible()
    expect(anna.by_id("p-room")).to_be_visible()

    # ---- 13: the console says how many of the circle have voted, and who has not yet
    mine = ok(boris.emit("nominate", {"client_id": "n1", "title": "Пациентка, которая молчит"}))["nomination"]
    second = ok(vera.emit("nominate", {"client_id": "n2", "title": "Отец, который кричит"}))["nomination"]
    third = ok(lea.emit("nominate", {"client_id": "n3", "title": "Ученик, который опаздывает"}))["nomination"]
    ok(lea.emit("open_vote"))
    anna.locator(f"[data-fk='cast-{mine}']").click()
    expect(console.by_id("c-vote-status")).to_have_text(tr("Vote for case {n} is open: {v} of {total} have voted.", n=1, v=1, total=4))
    expect(console.by_id("c-vote-note")).to_have_text(tr("Not voted yet: {names}", names="Лея, Борис, Вера"))
    console.shot("vote-open-who-has-not-voted")
    for face in (anna, screen):  # the names reach leaders only
        assert all("not_voted" not in (s.get("vote") or {}) for s in face.events("room_state")), face.name
    ok(boris.emit("cast_vote", {"nomination_id": mine}))
    ok(vera.emit("cast_vote", {"nomination_id": second}))
    expect(console.by_id("c-vote-note")).to_have_text(tr("Not voted yet: {names}", names="Лея"))
    ok(lea.emit("close_vote"))
    ok(lea.emit("reveal_vote"))

    # ---- 12: case 2 went to the runner-up without a word: now the console says so
    runner_up = tr("Case {n}: “{title}”, the runner-up of the vote.", n=2, title="Отец, который кричит")
    expect(console.by_id("c-vote-note")).to_contain_text(runner_up)

    # ---- 6: the hold, turned on from the console's settings, in the silent hypotheses
    ok(lea.emit("start"))
    ok(lea.emit("jump_to_phase", {"index": 5}))
    console.by_id("c-hold").check()
    truth.wait_for(lambda s: s["settings"]["card_hold"])
    expect(anna.by_id("compose-text")).to_be_visible()
    anna.by_id("compose-text").fill(ADVICE)
    anna.by_id("compose-btn").click()
    waiting = anna.locator("#p-withheld li")
    expect(waiting).to_have_count(1)
    expect(waiting.locator(".card-text")).to_have_text(ADVICE)
    expect(waiting.locator(".card-meta")).to_have_text(
        tr("Waiting for the leader: the screen and the others see it once it is released."))
    held = console.locator("#c-card-list li.c-card.is-held")
    expect(held).to_have_count(1)
    expect(console.by_id("c-release")).to_contain_text(tr("Cards waiting for your release: {n}", n=1))
    expect(screen.by_id("s-wall-track")).to_contain_text(tr("Cards written on the phones appear here."))
    expect(boris_phone.by_id("p-silent")).to_be_visible()
    for face in (screen, boris_phone):
        assert not any(ADVICE in str(s) for s in face.events("room_state") + face.events("me")), face.name
    console.by_id("c-release").scroll_into_view_if_needed()
    console.shot("card-held")
    waiting.scroll_into_view_if_needed()
    anna.shot("card-waiting")

    held.get_by_role("button", name=re.compile("^" + tr("Release"))).click()
    expect(screen.locator("#s-wall-track .wall-text")).to_have_text([ADVICE])
    expect(anna.by_id("p-withheld")).to_be_hidden()
    expect(anna.locator("#p-card-list .card-text")).to_have_text([ADVICE])
    expect(console.by_id("c-release")).to_be_hidden()

    anna.by_id("compose-text").fill(IMAGE)
    anna.by_id("compose-btn").click()
    expect(console.by_id("c-release")).to_be_visible()
    console.by_id("c-release").get_by_role("button", name=tr("Release all")).click()
    expect(screen.locator("#s-wall-track .wall-text")).to_have_count(2)
    screen.shot("released")

    # ---- 7: a hidden card stays on its author's phone, marked, also after a reload
    card = console.locator("#c-card-list li.c-card").filter(has_text=ADVICE)
    card.get_by_role("button", name=re.compile("^" + tr("Hide"))).click()
    expect(screen.locator("#s-wall-track .wall-text")).to_have_text([IMAGE])
    hidden = anna.locator("#p-withheld li")
    expect(hidden.locator(".card-text")).to_have_text(ADVICE)
    expect(hidden.locator(".card-meta")).to_have_text(
        tr("Hidden by the leader: only the leaders see it. No need to send it again."))
    expect(anna.locator("#p-card-list .card-text")).to_have_text([IMAGE])
    anna.page.reload()  # the mark comes from the server, not from the page's memory
    expect(hidden.locator(".card-text")).to_have_text(ADVICE)
    hidden.scroll_into_view_if_needed()
    anna.shot("card-hidden-after-reload")
    assert not any(ADVICE in str(s) for s in boris_phone.events("room_state")[-1:]), "the hidden card reached the presenter"

    # ---- 5: back in the circle, the presenter's response leads the phones, above later thoughts
    ok(lea.emit("jump_to_phase", {"index": 7}))
    expect(boris_phone.by_id("compose-text")).to_be_visible()
    boris_phone.by_id("compose-text").fill(RESPONSE)
    boris_phone.by_id("compose-btn").click()
    truth.wait_for(lambda s: any(c["text"] == RESPONSE for c in s["cards"]))
    ok(vera.emit("post_card", {"client_id": "t1", "kind": "thought", "text": THOUGHT}))
    expect(anna.locator("#p-card-list .card-text")).to_have_text([RESPONSE, THOUGHT])
    anna.locator("#p-card-list").scroll_into_view_if_needed()
    anna.shot("return-response-first")

    # ---- 12 on the projector: the break names case 2 and how it came
    ok(lea.emit("jump_to_phase", {"index": 8}))
    expect(screen.by_id("s-next-case")).to_have_text(runner_up)
    screen.shot("break-runner-up")
    expect(console.by_id("c-vote-note")).to_contain_text(runner_up)
    console.by_id("c-vote-title").scroll_into_view_if_needed()
    console.shot("break-runner-up")
    ok(lea.emit("assign_case", {"case": 2, "nomination_id": third}))  # the leader changes it
    expect(screen.by_id("s-next-case")).to_have_text(
        tr("Case {n}: “{title}”, chosen by the leader.", n=2, title="Ученик, который опаздывает"))
    for client in (lea, boris, vera, truth):
        client.close()
