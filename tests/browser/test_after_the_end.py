"""After the end, in Chromium: a phone asleep through the end forgets everything of the room the
moment it wakes; the leader's console leads to the content-free debrief (chart, print, PNG)."""
from __future__ import annotations

import pytest
import requests

from .conftest import Tr, expect, join_over_http, ok, start_server

pytestmark = pytest.mark.browser

NOTE = "NOTE-7719 what I could not say"
CARD = "CARD-7719 a thought"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory, KRUG_TIME_SCALE="0.02")
    yield srv
    srv.stop()


def phase_index(server, kind: str, format_id: str = "balint-classic") -> int:
    formats = requests.get(f"{server.url}/api/formats", timeout=5).json()["formats"]
    phases = next(f for f in formats if f["id"] == format_id)["phases"]
    return next(i for i, p in enumerate(phases) if p["kind"] == kind)


def open_with_token(face, path: str, key: str, token: str) -> None:
    """A device that joined before: its token is in its own storage."""
    face.goto(path)
    face.page.evaluate("([k, v]) => localStorage.setItem(k, v)", [key, token])
    face.page.reload()


def room_keys(face, code: str) -> list[str]:
    return face.page.evaluate(
        "(prefix) => Object.keys(localStorage).filter(k => k.startsWith(prefix))", f"krug:{code}:")


def test_a_phone_asleep_through_the_end_forgets_the_room(server, faces, clients):
    tr = Tr(server, "ru")
    room = server.create_room("Лея")
    code = room["code"]
    leader = clients(server, room["token"]).connect()
    anna_token = join_over_http(server, code, "Анна")
    clients(server, join_over_http(server, code, "Борис")).connect()
    anna_elsewhere = clients(server, anna_token).connect()  # Anna's own identity, to nominate quickly
    nomination = ok(anna_elsewhere.emit("nominate", {"client_id": "n", "title": "Случай"}))["nomination"]
    anna_elsewhere.close()
    ok(leader.emit("assign_case", {"case": 1, "nomination_id": nomination}))
    ok(leader.emit("start"))
    ok(leader.emit("jump_to_phase", {"index": phase_index(server, "hypotheses")}))

    phone = faces.new("phone-anna", "phone", "ru", server.url)
    open_with_token(phone, f"/j/{code}", f"krug:{code}:token", anna_token)
    expect(phone.by_id("p-note")).to_be_visible()
    phone.by_id("note-text").fill(NOTE)
    phone.page.wait_for_function("(k) => localStorage.getItem(k) !== null", arg=f"krug:{code}:note")

    # The phone sleeps (no network); meanwhile the leader ends the session.
    phone.tolerate()
    phone.context.set_offline(True)
    expect(phone.by_id("conn-banner")).to_be_visible()
    ok(leader.emit("end_session"))
    phone.page.wait_for_timeout(500)
    phone.context.set_offline(False)

    expect(phone.by_id("p-ended")).to_be_visible(timeout=15_000)
    expect(phone.by_id("p-ended")).to_contain_text(tr("The session has ended"))
    assert room_keys(phone, code) == [f"krug:{code}:ended"]
    assert phone.by_id("note-text").count() == 0 or phone.by_id("note-text").input_value() == ""
    assert NOTE not in phone.page.content()
    phone.shot("ended-after-sleep")

    phone.page.reload()  # and it stays so: the end, not a join form
    expect(phone.by_id("p-ended")).to_be_visible()
    expect(phone.by_id("p-join")).to_be_hidden()
    assert NOTE not in phone.page.content()


def test_the_console_leads_to_the_debrief(server, faces, clients):
    tr = Tr(server, "en")
    room = server.create_room("Lea")
    code = room["code"]
    boris = clients(server, join_over_http(server, code, "Boris")).connect()
    console = faces.new("console", "console", "en", server.url)
    open_with_token(console, f"/c/{code}?lang=en", f"krug:{code}:token", room["token"])
    expect(console.by_id("c-room")).to_be_visible()
    leader = clients(server, room["token"]).connect()
    ok(leader.emit("start"))
    ok(boris.emit("post_card", {"client_id": "b1", "kind": "checkin", "text": CARD}))
    expect(console.locator("#c-card-list")).to_contain_text(CARD)
    ok(leader.emit("next_phase"))
    ok(leader.emit("end_session"))

    expect(console.by_id("c-ended")).to_be_visible()
    assert CARD not in console.page.content()
    assert room_keys(console, code) == [f"krug:{code}:ended"]
    assert console.storage(f"krug-debrief:{code}") == room["token"]
    console.by_id("c-debrief").click()
    console.page.wait_for_url(f"**/d/{code}")

    expect(console.by_id("d-report")).to_be_visible()
    phases = len(requests.get(f"{server.url}/api/formats", timeout=5).json()["formats"][0]["phases"])
    expect(console.locator("#d-table tbody tr")).to_have_count(phases)
    expect(console.locator("#d-chart svg rect")).not_to_have_count(0)
    expect(console.by_id("d-facts")).to_contain_text(tr("People in the circle"))
    assert CARD not in console.page.content() and "Boris" not in console.page.content()
    console.shot("debrief", full_page=True)

    with console.page.expect_download() as download:
        console.by_id("d-png").click()
    path = download.value.path()
    assert download.value.suggested_filename == f"krug-{code}-debrief.png"
    with open(path, "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"

    # Another device, without the leader's token, sees only that the debrief is the leaders'.
    stranger = faces.new("stranger", "phone", "en", server.url)
    stranger.goto(f"/d/{code}?lang=en")
    expect(stranger.by_id("d-problem")).to_be_visible()


def test_the_leader_removes_a_person_whose_phone_forgets_the_room(server, faces, clients):
    tr = Tr(server, "ru")
    room = server.create_room("Лея")
    code = room["code"]
    clients(server, join_over_http(server, code, "Борис")).connect()
    dasha_token = join_over_http(server, code, "Дарья")
    console = faces.new("console", "console", "ru", server.url)
    open_with_token(console, f"/c/{code}?lang=ru", f"krug:{code}:token", room["token"])
    phone = faces.new("phone-dasha", "phone", "ru", server.url)
    open_with_token(phone, f"/j/{code}", f"krug:{code}:token", dasha_token)
    expect(phone.by_id("p-room")).to_be_visible()
    phone.page.evaluate("([k, v]) => localStorage.setItem(k, v)", [f"krug:{code}:note", NOTE])

    person = console.locator("#c-person-list li").filter(has_text="Дарья")
    person.locator("summary").click()
    person.get_by_role("button", name=tr("Remove from the room")).click()
    expect(console.by_id("confirm-dialog")).to_contain_text(
        tr("Remove from the room: {name}? Their device forgets the room; their cards stay, without a name.", name="Дарья"))
    console.shot("remove-confirm")
    console.by_id("confirm-ok").click()

    expect(phone.by_id("p-problem")).to_be_visible()
    expect(phone.by_id("p-problem")).to_contain_text(
        tr("A leader has removed you from the room. Nothing of it stays on this phone."))
    assert room_keys(phone, code) == []
    phone.shot("removed")
    expect(console.locator("#c-person-list li").filter(has_text="Дарья")).to_have_count(0)
    # Its token opens nothing any more: a reload offers to join again, with nothing of before.
    phone.page.reload()
    expect(phone.by_id("p-join")).to_be_visible()
    assert NOTE not in phone.page.content()
