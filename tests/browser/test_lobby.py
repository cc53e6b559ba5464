"""Issue "foundation": a room is created on the landing page, phones join with a name and the
confidentiality consent, the screen and the console show them at once, a reload keeps the
identity, and the 13th person is told the circle is full."""
from __future__ import annotations

import re

import pytest
import requests

from .conftest import Tr, expect, join_over_http, start_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory, KRUG_TIME_SCALE="0.02")
    yield srv
    srv.stop()


def join_requests(face) -> list[str]:
    return [u for u in face.hosts if re.search(r"/api/rooms/\w+/join$", u)]


def test_lobby_create_join_reload_and_full_room(server, faces):
    en = Tr(server, "en")
    ru = Tr(server, "ru")

    # ---- the leader creates the room on the landing page (English)
    console = faces.new("console", "console", "en", server.url)
    console.goto("/?lang=en")
    console.by_id("leader-name").fill("Lea")
    expect(console.locator('input[name="format_id"][value="balint-classic"]')).to_be_checked()
    console.by_id("create-btn").click()
    console.page.wait_for_url(re.compile(r"/c/[A-Z0-9]+$"))
    code = console.page.evaluate("document.documentElement.dataset.code")
    assert re.fullmatch(r"[A-Z0-9]{4,12}", code)
    assert console.storage(f"krug:{code}:token")
    screen_token = console.storage(f"krug:{code}:screen")
    assert screen_token
    expect(console.by_id("c-room")).to_be_visible()
    expect(console.by_id("c-person-list")).to_contain_text("Lea")
    expect(console.by_id("c-start")).to_be_disabled()  # fewer than two in the circle

    # ---- the projector opens the screen link the console offers (token in the fragment)
    href = console.by_id("c-open-screen").get_attribute("href")
    assert href == f"/s/{code}?lang=en#{screen_token}"
    screen = faces.new("screen", "screen", "en", server.url)
    screen.goto(href)
    expect(screen.by_id("s-lobby")).to_be_visible()
    assert "#" not in screen.page.url  # the token left the address bar for localStorage
    assert screen.storage(f"krug:{code}:screen") == screen_token
    expect(screen.locator(".s-code")).to_have_text(code)
    expect(screen.by_id("s-count")).to_have_text(en("In the circle: {n}", n=1))
    expect(screen.by_id("s-lobby-ring").locator(".seat-name")).to_have_text(["Lea"])
    assert screen.page.locator("img.s-qr").evaluate("img => img.complete && img.naturalWidth > 0")

    # ---- a Russian phone: consent is required
    anna = faces.new("phone-anna", "phone", "ru", server.url)
    anna.goto(f"/j/{code}")
    expect(anna.by_id("p-join")).to_be_visible()
    assert anna.page.evaluate("document.documentElement.lang") == "ru"
    assert anna.by_id("join-consent").get_attribute("required") is not None
    anna.by_id("join-name").fill("Анна")
    anna.by_id("join-btn").click()
    expect(anna.by_id("join-error")).to_have_text(
        ru("Please confirm that you will keep what is said here confidential."))
    expect(anna.by_id("join-consent")).to_be_focused()
    expect(anna.by_id("p-join")).to_be_visible()
    expect(anna.by_id("p-room")).to_be_hidden()
    assert join_requests(anna) == [], "the phone tried to join without consent"
    assert anna.storage(f"krug:{code}:token") is None
    anna.shot("join-consent-error")
    # ... and the server refuses a join without consent on its own
    refused = requests.post(f"{server.url}/api/rooms/{code}/join", json={"name": "Sneaky", "consent": False}, timeout=5)
    assert refused.status_code == 400 and refused.json()["error"]["details"]["field"] == "consent"
    expect(screen.by_id("s-count")).to_have_text(en("In the circle: {n}", n=1))

    anna.by_id("join-consent").check()
    anna.by_id("join-btn").click()
    # On the screen and the console within two seconds of pressing "Join".
    expect(screen.by_id("s-lobby-ring").locator(".seat-name")).to_have_text(["Lea", "Анна"], timeout=2000)
    expect(console.by_id("c-person-list")).to_contain_text("Анна", timeout=2000)
    expect(anna.by_id("p-room")).to_be_visible()
    expect(anna.by_id("p-lobby-title")).to_have_text(ru("You are in, {name}.", name="Анна"))
    expect(anna.locator("#p-people .chip.is-me")).to_contain_text("Анна")

    # ---- an English phone
    boris = faces.new("phone-boris", "phone", "en", server.url)
    boris.goto(f"/j/{code}")
    boris.by_id("join-name").fill("Boris")
    boris.by_id("join-consent").check()
    boris.by_id("join-btn").click()
    # How fast a join reaches the screen is measured by bench/, not asserted here.
    expect(screen.by_id("s-lobby-ring").locator(".seat-name")).to_have_text(["Lea", "Анна", "Boris"])
    expect(screen.by_id("s-count")).to_have_text(en("In the circle: {n}", n=3))
    expect(console.by_id("c-person-list")).to_contain_text("Boris")
    expect(boris.by_id("p-lobby-title")).to_have_text(en("You are in, {name}.", name="Boris"))
    expect(console.by_id("c-start")).to_be_enabled()
    expect(anna.locator("#p-people .chip")).to_have_count(3)

    # ---- a reload keeps the identity
    token = anna.storage(f"krug:{code}:token")
    person = anna.wait_event("me", lambda me: me["name"] == "Анна")["person"]
    assert person
    frames_before = len(anna.received)
    anna.page.reload()
    expect(anna.by_id("p-room")).to_be_visible()
    expect(anna.by_id("p-join")).to_be_hidden()
    expect(anna.by_id("p-lobby-title")).to_have_text(ru("You are in, {name}.", name="Анна"))
    expect(anna.locator("#p-people .chip.is-me")).to_contain_text("Анна")
    assert anna.storage(f"krug:{code}:token") == token
    me_after = anna.wait_event("me", since=frames_before)  # what the server told the reloaded page
    assert me_after["person"] == person and me_after["role"] == "participant" and me_after["name"] == "Анна"
    expect(screen.by_id("s-count")).to_have_text(en("In the circle: {n}", n=3))
    expect(console.locator("#c-person-list .c-person")).to_have_count(3)

    anna.shot("lobby")
    screen.shot("lobby")

    # ---- fill the circle to 12 over HTTP; the 13th, in the browser, is told it is full
    for i in range(12 - 3):
        join_over_http(server, code, f"Guest {i + 1}")
    expect(screen.by_id("s-count")).to_have_text(en("In the circle: {n}", n=12))
    late = faces.new("phone-late", "phone", "en", server.url)
    late.goto(f"/j/{code}")
    late.by_id("join-name").fill("Thirteen")
    late.by_id("join-consent").check()
    late.tolerate(r"Failed to load resource: the server responded with a status of 409 \(CONFLICT\)")
    late.by_id("join-btn").click()
    expect(late.by_id("join-error")).to_have_text(
        en("The circle is full (12 people).") + " " + en("You can still join as an observer in the outer circle."))
    expect(late.by_id("join-error")).to_be_visible()
    expect(late.by_id("p-join")).to_be_visible()
    expect(late.by_id("join-as-observer")).to_be_visible()
    assert late.storage(f"krug:{code}:token") is None
    late.shot("room-full")
    expect(screen.by_id("s-count")).to_have_text(en("In the circle: {n}", n=12))

    # The offered way in: the outer circle, which does not count toward the 12.
    late.by_id("join-as-observer").click()
    expect(late.by_id("p-observer")).to_be_visible()
    expect(screen.by_id("s-lobby-observers")).to_have_text(en("Outer circle: {names}", names="Thirteen"))
    expect(screen.by_id("s-count")).to_have_text(en("In the circle: {n}", n=12))
    expect(late.by_id("p-nominate")).to_be_hidden()  # observers never post

    # ---- the same views in the other language, through the language switch
    screen.page.mouse.move(200, 200)  # wakes the corner tools
    screen.shot("lobby-full")
    screen.locator('a[data-lang-link="ru"]').click()
    screen.page.wait_for_url(re.compile(r"lang=ru"))
    expect(screen.by_id("s-count")).to_have_text(ru("In the circle: {n}", n=12))
    assert screen.page.evaluate("document.documentElement.lang") == "ru"
    screen.lang = "ru"
    screen.shot("lobby-full")

    anna.shot("lobby-full")
    anna.locator('a[data-lang-link="en"]').click()
    anna.page.wait_for_url(re.compile(r"lang=en"))
    expect(anna.by_id("p-lobby-title")).to_have_text(en("You are in, {name}.", name="Анна"))
    anna.lang = "en"
    anna.shot("lobby-full")

    faces.assert_clean()
