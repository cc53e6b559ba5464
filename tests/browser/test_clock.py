"""The server owns the clock: the countdown on the screen and on a phone agree with the server
within half a second — also on a phone whose own clock is minutes off, from the start or
jumping while the page is open (and the phone then wakes up).

The displayed countdown has one-second steps (``ceil``), so agreement to 0.5 s is checked at the
second boundaries: a MutationObserver in the page notes the real time at which the digits change
(the moment the page's idea of the remaining time crosses a whole second), and that is compared
with the server's remaining time at that instant. The page's ``Krug.serverNow()`` is compared
directly as well. The phone's skew is an init script offsetting ``Date`` and
``performance.timeOrigin``; it keeps the unskewed clock as ``window.__realNow`` for the probes.
"""
from __future__ import annotations

import re
import time

import pytest

from .conftest import expect, join_over_http, ok, parse_clock, socket_client, start_server

pytestmark = pytest.mark.browser

SKEW_MS = 7 * 60 * 1000

CLOCK_SKEW = """
(() => {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  window.__realNow = realNow;
  window.__skewMs = %d;
  function SkewedDate(...args) {
    if (!new.target) return new RealDate(realNow() + window.__skewMs).toString();
    return args.length ? new RealDate(...args) : new RealDate(realNow() + window.__skewMs);
  }
  SkewedDate.prototype = RealDate.prototype;
  SkewedDate.now = () => realNow() + window.__skewMs;
  SkewedDate.UTC = RealDate.UTC;
  SkewedDate.parse = RealDate.parse;
  window.Date = SkewedDate;
  const origin = performance.timeOrigin;
  Object.defineProperty(Performance.prototype, 'timeOrigin', {
    configurable: true, get() { return origin + window.__skewMs; } });
})();
"""

WATCH_DIGITS = """(selector) => {
  const node = document.querySelector(selector);
  window.__ticks = [];
  new MutationObserver(() => window.__ticks.push([window.__realNow(), node.textContent]))
    .observe(node, { childList: true, characterData: true, subtree: true });
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory, KRUG_TIME_SCALE="1")  # a real 10-minute phase: nothing expires
    yield srv
    srv.stop()


def server_offset(client) -> float:
    """server clock − this machine's clock, from the time_sync with the shortest round trip."""
    best = None
    for _ in range(7):
        t0 = time.time()
        ack = ok(client.emit("time_sync"))
        t1 = time.time()
        if best is None or t1 - t0 < best[0]:
            best = (t1 - t0, ack["server_now"] - (t0 + t1) / 2)
    assert best[0] < 0.2, f"time_sync round trip too slow to measure: {best[0]:.3f} s"
    return best[1]


def boundary_errors(face, selector: str, ends_at: float, offset: float, count: int = 2) -> list[float]:
    """Displayed seconds minus the server's remaining time, at each of the next ``count`` changes
    of the digits (measured on the unskewed clock)."""
    face.page.evaluate(WATCH_DIGITS, selector)
    face.page.wait_for_function("(n) => window.__ticks.length >= n", arg=count, timeout=(count + 3) * 1000)
    ticks = face.page.evaluate("window.__ticks")
    errors = []
    for real_ms, text in ticks[:count]:
        server_remaining = ends_at - (real_ms / 1000 + offset)
        errors.append(parse_clock(text) - server_remaining)
    return errors


def page_clock_error(face, offset: float) -> float:
    """Krug.serverNow() minus the server's time at the same instant."""
    page_server_now, real = face.page.evaluate("[Krug.serverNow(), window.__realNow() / 1000]")
    return page_server_now - (real + offset)


def check_agreement(face, selector: str, timer: dict, offset: float) -> None:
    errors = boundary_errors(face, selector, timer["ends_at"], offset)
    assert all(abs(e) < 0.5 for e in errors), f"{face.name}: display − server at the second boundaries: {errors}"
    assert abs(page_clock_error(face, offset)) < 0.5
    # Any moment: the digits are the server's remaining time, ± the display's one-second step.
    before = timer["ends_at"] - (time.time() + offset)
    shown = parse_clock(face.locator(f"{selector}").inner_text())
    after = timer["ends_at"] - (time.time() + offset)
    assert after - 1 <= shown <= before + 1, (face.name, shown, before, after)


def test_countdown_agrees_with_the_server_on_screen_and_on_a_skewed_phone(server, faces):
    room = server.create_room("Lea")
    code = room["code"]
    leader = socket_client(server, room["token"])
    try:
        join_over_http(server, code, "Boris")

        screen = faces.new("screen", "screen", "en", server.url)
        screen.context.add_init_script(CLOCK_SKEW % 0)
        screen.goto(f"/s/{code}#{room['screen_token']}")
        expect(screen.by_id("s-lobby")).to_be_visible()

        phone = faces.new("phone-skewed", "phone", "ru", server.url)
        phone.context.add_init_script(CLOCK_SKEW % SKEW_MS)
        phone.goto(f"/j/{code}")
        phone.by_id("join-name").fill("Анна")
        phone.by_id("join-consent").check()
        phone.by_id("join-btn").click()
        expect(phone.by_id("p-lobby")).to_be_visible()
        skew = phone.page.evaluate("[Date.now() - window.__realNow(), new Date().getTime() - window.__realNow()]")
        assert all(abs(s - SKEW_MS) < 100 for s in skew), skew  # the phone's clock really is 7 minutes ahead

        ok(leader.emit("start"))
        timer = leader.wait_for(lambda s: s["status"] == "running")["timer"]
        assert timer["duration"] == 600
        offset = server_offset(leader)
        for face, selector in ((screen, "#s-clock .cd-time"), (phone, "#p-clock .cd-time")):
            expect(face.locator(selector)).to_have_text(re.compile(r"^9:\d\d$"))
            check_agreement(face, selector, timer, offset)
        phone.shot("check-in-skewed")
        screen.shot("check-in")

        # The server moves the end (+5 min): both follow, the skewed phone included.
        ok(leader.emit("extend", {"minutes": 5}))
        timer = leader.wait_for(lambda s: s["timer"]["ends_at"] > timer["ends_at"] + 200)["timer"]
        for face, selector in ((screen, "#s-clock .cd-time"), (phone, "#p-clock .cd-time")):
            expect(face.locator(selector)).to_have_text(re.compile(r"^14:\d\d$"))
            check_agreement(face, selector, timer, offset)

        # The phone's clock jumps 12 minutes back while the page is open (7 ahead → 5 behind);
        # when the phone wakes up (visibilitychange) it shows the server's time again.
        phone.page.evaluate("window.__skewMs = -5 * 60 * 1000")
        phone.page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        phone.page.wait_for_function(
            "(offset) => Math.abs(Krug.serverNow() - (window.__realNow() / 1000 + offset)) < 0.5", arg=offset, timeout=5000)
        check_agreement(phone, "#p-clock .cd-time", timer, offset)
        check_agreement(screen, "#s-clock .cd-time", timer, offset)
    finally:
        leader.close()
    faces.assert_clean()
