"""The browser faces while the database cannot write (SQLite on a 2 MiB tmpfs the test fills):
a phone's card waits in its outbox and is sent again with backoff, never given back; a phone
opened meanwhile is refused as ``unavailable``, keeps trying and gets in once the disk has room."""
from __future__ import annotations

import json
import time

import pytest

from bench.live import LiveServer

from ..services.conftest import SmallDisk, small_disk  # noqa: F401 — the fixture, shared
from .conftest import expect, socket_client

pytestmark = pytest.mark.browser


def join_on_page(phone, code: str, name: str) -> None:
    phone.goto(f"/j/{code}?lang=en")
    phone.by_id("join-name").fill(name)
    phone.by_id("join-consent").check()
    phone.by_id("join-btn").click()
    expect(phone.by_id("p-lobby-title")).to_have_text(f"You are in, {name}.")


def sent(face, event: str) -> int:
    return sum(1 for frame in face.sent if frame.startswith("42") and json.loads(frame[2:].lstrip("0123456789"))[0] == event)


def test_outbox_and_connection_retry_while_the_disk_is_full(small_disk: SmallDisk, faces, tmp_path):  # noqa: F811
    server = LiveServer(tmp_path, KRUG_TIME_SCALE="0.05",
                        KRUG_DATABASE_URL=f"sqlite:///{small_disk.path / 'krug.sqlite3'}",
                        KRUG_INSTANCE_DIR=str(small_disk.path / "instance")).start()
    try:
        room = server.create_room("Lea")
        code = room["code"]
        leader = socket_client(server, room["token"])
        anna = faces.new("phone-anna", "phone", "en", server.url)
        boris = faces.new("phone-boris", "phone", "en", server.url)
        join_on_page(anna, code, "Anna")
        join_on_page(boris, code, "Boris")
        boris.page.goto("about:blank")  # Boris puts his phone away
        leader.wait_for(lambda s: [p["online"] for p in s["people"] if p["name"] == "Boris"] == [False])
        assert leader.emit("start")["ok"]
        expect(anna.by_id("compose-text")).to_be_visible()

        small_disk.fill()
        anna.by_id("compose-text").fill("Written on a full disk")
        anna.by_id("compose-btn").click()
        pending = anna.locator("#p-card-list li.is-pending")
        expect(pending).to_have_count(1)
        deadline = time.monotonic() + 20
        while sent(anna, "post_card") < 3:  # answered unavailable, sent again with backoff
            assert time.monotonic() < deadline, f"the outbox did not retry: {sent(anna, 'post_card')} sends"
            anna.page.wait_for_timeout(100)
        expect(pending).to_have_count(1)
        expect(anna.by_id("compose-text")).to_have_value("")  # not given back: it is still on its way
        assert not leader.emit("sync")["state"]["cards"]

        refusals: list[str] = []
        boris.page.on("websocket", lambda ws: ws.on(
            "framereceived", lambda frame: refusals.append(frame) if str(frame).startswith("44") else None))
        boris.goto(f"/j/{code}?lang=en")
        deadline = time.monotonic() + 20
        while len(refusals) < 2:  # refused with a clear code, and tried again
            assert time.monotonic() < deadline, f"no retried connection: {refusals}"
            boris.page.wait_for_timeout(100)
        assert all('"code":"unavailable"' in frame for frame in refusals), refusals
        expect(boris.by_id("conn-banner")).to_be_visible()

        small_disk.free()
        state = leader.wait_for(lambda s: len(s["cards"]) == 1 and
                                [p["online"] for p in s["people"] if p["name"] == "Boris"] == [True], timeout=30)
        assert state["cards"][0]["text"] == "Written on a full disk"
        expect(pending).to_have_count(0, timeout=10_000)
        anna.page.wait_for_function(
            "(key) => JSON.parse(localStorage.getItem(key) || '[]').length === 0", arg=f"krug:{code}:outbox")
        expect(boris.by_id("conn-banner")).to_be_hidden(timeout=10_000)
        expect(boris.by_id("compose-text")).to_be_visible()
        leader.close()
    finally:
        server.stop()


def frames(face, event: str) -> list:
    out = []
    for frame in face.sent:
        if frame.startswith("42"):
            body = json.loads(frame[2:].lstrip("0123456789"))
            if body[0] == event:
                out.append(body[1] if len(body) > 1 else None)
    return out


def test_console_moves_carry_what_they_act_on_and_move_once_through_a_failure(small_disk: SmallDisk, faces, tmp_path):  # noqa: F811
    server = LiveServer(tmp_path, KRUG_TIME_SCALE="0.05",
                        KRUG_DATABASE_URL=f"sqlite:///{small_disk.path / 'krug.sqlite3'}",
                        KRUG_INSTANCE_DIR=str(small_disk.path / "instance")).start()
    try:
        console = faces.new("console", "console", "en", server.url)
        console.goto("/?lang=en")
        console.by_id("leader-name").fill("Lea")
        console.by_id("create-btn").click()
        expect(console.by_id("c-room")).to_be_visible()
        code = console.page.evaluate("document.documentElement.dataset.code")
        anna = faces.new("phone-anna", "phone", "en", server.url)
        join_on_page(anna, code, "Anna")
        truth = socket_client(server, console.storage(f"krug:{code}:screen"))
        console.by_id("c-start").click()
        truth.wait_for(lambda s: s["status"] == "running")

        small_disk.fill()
        console.by_id("c-next").click()
        console.by_id("confirm-ok").click()
        deadline = time.monotonic() + 20
        while len(frames(console, "next_phase")) < 2:  # answered unavailable: the same press again
            assert time.monotonic() < deadline, "the console did not retry"
            console.page.wait_for_timeout(100)
        presses = frames(console, "next_phase")
        assert presses[0]["expect_phase"] == 0 and presses[0]["command_id"]
        assert all(p == presses[0] for p in presses), presses  # one press: the same id every time
        small_disk.free()
        moved = truth.wait_for(lambda s: s["phase"]["index"] == 1, timeout=30)
        # The same press sent once more (as after a lost answer) is answered, and moves nothing.
        leader = socket_client(server, console.storage(f"krug:{code}:token"))
        repeat = leader.emit("next_phase", presses[0])
        assert repeat["ok"] and repeat["duplicate"] is True and repeat["v"] == moved["v"]
        assert leader.emit("sync")["state"]["phase"]["index"] == 1
        for control in ("c-pause", "c-plus1"):
            console.by_id(control).click()
        truth.wait_for(lambda s: s["timer"]["paused_remaining"] is not None)
        assert frames(console, "pause")[0]["command_id"] and frames(console, "extend")[0]["command_id"]
        truth.close()
        leader.close()
    finally:
        server.stop()
