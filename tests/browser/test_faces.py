"""Issue 14, the faces finished: a latecomer let in from the console, the projected vote with
every candidate on one screen, what a screen reader hears (the live region across a phase change
and the time marks), and the phone page at 200 % zoom.

Rooms are made over HTTP; a face that leads gets the leader's token in its storage, as the
device that created the room would have it.
"""
from __future__ import annotations

import re

import pytest

from .conftest import Tr, expect, join_over_http, ok, socket_client, start_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory, KRUG_TIME_SCALE="1")  # real minutes: nothing expires by itself
    yield srv
    srv.stop()


def room_with(server, leader: str, **extra) -> dict:
    return server.create_room(leader=leader, **extra)


def holding(face, code: str, **tokens: str):
    """This face's device holds the room's tokens (``token``, ``screen``) before any page loads."""
    script = "".join(f"window.localStorage.setItem('krug:{code}:{key}', {value!r});" for key, value in tokens.items())
    face.context.add_init_script(script)
    return face


def phone_joins(faces, server, code: str, name: str, lang: str, key: str = None, **extra):
    phone = faces.new(key or f"phone-{name}", "phone", lang, server.url, **extra)
    phone.goto(f"/j/{code}")
    phone.by_id("join-name").fill(name)
    phone.by_id("join-consent").check()
    phone.by_id("join-btn").click()
    return phone


# ---------------------------------------------------------------- 1. the latecomer


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_latecomer_let_in_from_the_console_sees_the_live_phase(server, faces, lang):
    tr = Tr(server, lang)
    room = room_with(server, "Лея" if lang == "ru" else "Lea")
    code = room["code"]
    lead = socket_client(server, room["token"])
    others = [socket_client(server, join_over_http(server, code, name)) for name in ("Анна", "Борис")]
    console = holding(faces.new("console", "console", lang, server.url), code, token=room["token"])
    console.goto(f"/c/{code}")
    expect(console.by_id("c-start")).to_be_enabled()
    console.by_id("c-start").click()
    state = lead.wait_for(lambda s: s["status"] == "running")
    title = tr.pick(lead.format["phases"][state["phase"]["index"]]["title"])
    expect(console.by_id("c-now-title")).to_have_text(title)

    name = "Дарья" if lang == "ru" else "Daria"
    phone = phone_joins(faces, server, code, name, lang)
    expect(phone.by_id("p-problem-title")).to_have_text(tr("Waiting for the leader"))
    phone.shot("at-the-door")

    let_in = console.page.get_by_role("button", name=tr("Let {name} in", name=name))
    expect(let_in).to_be_visible()
    console.shot("latecomer-at-the-door")
    let_in.click()

    expect(phone.by_id("p-room")).to_be_visible()
    expect(phone.by_id("p-phase-title")).to_have_text(title)
    expect(phone.by_id("p-step")).to_have_text(tr("Step {i} of {n}", i=1, n=len(lead.format["phases"])))
    expect(phone.by_id("p-clock")).to_be_visible()
    expect(phone.locator("#p-clock .cd-time")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(phone.by_id("p-compose")).to_be_visible()  # check-in words: the newcomer may write

    # Later updates reach the phone as well: the leader moves on.
    ok(lead.emit("next_phase"))
    nxt = lead.wait_for(lambda s: s["phase"]["index"] == 1)
    expect(phone.by_id("p-phase-title")).to_have_text(tr.pick(lead.format["phases"][nxt["phase"]["index"]]["title"]))
    phone.shot("let-in")
    for client in (lead, *others):
        client.close()
    faces.assert_clean()
