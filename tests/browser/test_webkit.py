"""Issue 14 item 22: the phone page in WebKit, the engine of every iPhone browser.

Debian's ``webkit2gtk-driver`` (``WebKitWebDriver``, which drives WebKitGTK's MiniBrowser)
under its own ``Xvfb``, through Selenium. A Russian phone joins a real ``python app.py``
(name + consent), sees the meeting start and its countdown run, posts a check-in card that the
leader's client receives, reloads and is the same person again (its card still marked as its
own, no second person in the room), and follows the next phase change on the reconnected socket.

Without ``WebKitWebDriver`` or ``Xvfb`` the test skips (``bash .ci/setup --test`` installs
both); with ``CI=true`` it fails instead.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from bench.live import free_port

from ..conftest import require_service
from ..live import Client
from .conftest import CLOCK_TEXT, SCREENS, Tr, join_over_http, ok, parse_clock, start_server

try:
    from selenium import webdriver
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        TimeoutException,
        WebDriverException,
    )
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.client_config import ClientConfig
    from selenium.webdriver.remote.remote_connection import RemoteConnection
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # the webkit fixture says so: a skip, or a failure in CI
    webdriver = None

pytestmark = pytest.mark.browser

SCALE = 0.1  # KRUG_TIME_SCALE: the 10-minute check-in lasts 60 s, longer than the test needs
PHASES = 16  # balint-classic
WAIT = 10.0  # seconds for anything the page should show
DRIVER = os.environ.get("KRUG_WEBKIT_DRIVER", "WebKitWebDriver")

# Uncaught errors of the page since it loaded: WebKitWebDriver gives no console log, so the page
# records its own (installed after every load; an error during the load shows as a page that
# never gets to the expected state).
RECORD_ERRORS = """
if (!window.__krugErrors) {
  window.__krugErrors = [];
  window.addEventListener('error', function (e) { window.__krugErrors.push(String(e.message)); });
  window.addEventListener('unhandledrejection', function (e) { window.__krugErrors.push('unhandled: ' + String(e.reason)); });
}
return true;
"""


def executable(name: str) -> str | None:
    return shutil.which(name) or next((p for p in (f"/usr/bin/{name}", f"/usr/sbin/{name}") if os.access(p, os.X_OK)), None)


def start_xvfb() -> tuple[subprocess.Popen, str]:
    """Xvfb on a display it picks itself (``-displayfd``): free, whatever else runs here."""
    read_end, write_end = os.pipe()
    proc = subprocess.Popen([executable("Xvfb"), "-displayfd", str(write_end), "-screen", "0", "1280x1024x24",
                             "-nolisten", "tcp"], pass_fds=(write_end,), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    os.close(write_end)
    number = b""
    deadline = time.monotonic() + 10
    try:
        while not number.endswith(b"\n") and time.monotonic() < deadline:
            chunk = os.read(read_end, 16)
            if not chunk:
                break
            number += chunk
    finally:
        os.close(read_end)
    if not number.strip().isdigit():
        stop(proc)
        raise RuntimeError(f"Xvfb did not report its display (exit code {proc.poll()})")
    return proc, f":{number.decode().strip()}"


def start_webdriver(display: str, log: Path) -> tuple[subprocess.Popen, int]:
    """WebKitWebDriver on a free port, with the browser it starts drawing on ``display``."""
    for _ in range(3):  # another process may take the free port first
        port = free_port()
        proc = subprocess.Popen([executable(DRIVER), f"--port={port}"], env={**os.environ, "DISPLAY": display},
                                stdout=log.open("a"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                requests.get(f"http://127.0.0.1:{port}/status", timeout=1)
                return proc, port
            except requests.RequestException:
                time.sleep(0.05)
        stop(proc)
    raise RuntimeError(f"WebKitWebDriver did not start:\n{log.read_text()}")


def stop(proc: subprocess.Popen) -> None:
    """Ends the process group we started (the driver's MiniBrowser and web processes with it)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, 15)
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(5)
        except ProcessLookupError:
            pass


@pytest.fixture(scope="module")
def webkit(tmp_path_factory):
    """One WebKit browser session (a phone-sized window) for the module."""
    missing = [name for name in (DRIVER, "Xvfb") if not executable(name)]
    if webdriver is None:
        missing.append("selenium")
    if missing:
        require_service("WebKit", f"missing {', '.join(missing)}: bash .ci/setup --test installs them "
                                  "(Debian's webkit2gtk-driver and xvfb, selenium from requirements-test.txt)")
    log = tmp_path_factory.mktemp("webkit") / "webkitwebdriver.log"
    xvfb, display = start_xvfb()
    driver_proc = None
    try:
        driver_proc, port = start_webdriver(display, log)
        try:
            connection = RemoteConnection(client_config=ClientConfig(f"http://127.0.0.1:{port}", timeout=30))
            driver = webdriver.Remote(connection, options=webdriver.WebKitGTKOptions())
        except WebDriverException as exc:
            raise RuntimeError(f"no WebKit session: {exc}\n{log.read_text()}") from exc
        try:
            driver.set_window_size(390, 844)
            yield driver
        finally:
            driver.quit()
    finally:
        if driver_proc:
            stop(driver_proc)
        stop(xvfb)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory, KRUG_TIME_SCALE=str(SCALE))
    yield srv
    srv.stop()


class Phone:
    """The WebKit page, with waits that say what they waited for."""

    def __init__(self, driver) -> None:
        self.driver = driver

    def until(self, what, condition, timeout: float = WAIT):
        """``condition()`` within ``timeout``; else fails saying ``what`` (a callable is asked then)."""
        # The page rebuilds lists and the clock as states arrive: an element read half-way may go.
        wait = WebDriverWait(self.driver, timeout, poll_frequency=0.1,
                             ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
        try:
            return wait.until(lambda d: condition())
        except TimeoutException:
            pytest.fail(f"WebKit phone, after {timeout} s: {what() if callable(what) else what}")

    def el(self, element_id: str):
        return self.driver.find_element(By.ID, element_id)

    def text(self, element_id: str) -> str:
        return self.el(element_id).text.strip()

    def shows(self, element_id: str, text: str) -> None:
        self.until(lambda: f"#{element_id} should show {text!r}, shows {self.text(element_id)!r}",
                   lambda: self.el(element_id).is_displayed() and self.text(element_id) == text)

    def watch_errors(self) -> None:
        self.driver.execute_script(RECORD_ERRORS)

    def assert_no_errors(self) -> None:
        errors = self.driver.execute_script("return window.__krugErrors || []")
        assert not errors, f"uncaught errors in WebKit: {errors}"

    def storage(self, key: str) -> str | None:
        return self.driver.execute_script("return window.localStorage.getItem(arguments[0])", key)

    def clock(self) -> int | None:
        """Seconds left on the countdown; None before it shows a time (its placeholder is –:––)."""
        text = self.driver.find_element(By.CSS_SELECTOR, "#p-clock .cd-time").text
        return parse_clock(text) if CLOCK_TEXT.match(text.strip()) else None

    def clock_below(self, seconds: float) -> bool:
        left = self.clock()
        return left is not None and 0 < left < seconds

    def my_cards(self) -> list[tuple[str, str]]:
        return [(li.find_element(By.CLASS_NAME, "card-text").text, li.find_element(By.CLASS_NAME, "card-meta").text)
                for li in self.driver.find_elements(By.CSS_SELECTOR, "#p-card-list li.card.is-mine:not(.is-pending)")]

    def shot(self, name: str) -> None:
        SCREENS.joinpath("webkit").mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SCREENS / "webkit" / f"{name}.png"))


def test_phone_in_webkit_joins_posts_sees_phases_and_countdown_and_survives_a_reload(webkit, server):
    started = time.monotonic()
    tr = Tr(server, "ru")
    room = server.create_room("Lea")
    code = room["code"]
    leader = Client(server, room["token"]).connect()
    try:
        # Someone else is in already: the phone's card must be told apart from theirs.
        join_over_http(server, code, "Boris")
        phone = Phone(webkit)
        webkit.get(f"{server.url}/j/{code}?lang=ru")
        phone.watch_errors()
        phone.until("the join form", lambda: phone.el("p-join").is_displayed())
        agent = webkit.execute_script("return navigator.userAgent")
        assert "AppleWebKit" in agent and "Chrome" not in agent, agent

        # ---- join: name + the confidentiality consent
        phone.el("join-name").send_keys("Анна")
        phone.el("join-consent").click()
        phone.el("join-btn").click()
        phone.shows("p-lobby-title", tr("You are in, {name}.", name="Анна"))
        token = phone.storage(f"krug:{code}:token")
        assert token
        lobby = leader.wait_for(lambda s: any(p["name"] == "Анна" and p["online"] for p in s["people"]))
        anna = next(p for p in lobby["people"] if p["name"] == "Анна")
        assert len(lobby["people"]) == 3
        phone.shot("01-lobby-ru")

        # ---- the leader starts: the phone shows the check-in and its countdown runs
        ok(leader.emit("start"))
        titles = [tr.pick(p["title"]) for p in leader.format["phases"]]
        phone.shows("p-phase-title", titles[0])
        phone.shows("p-step", tr("Step {i} of {n}", i=1, n=PHASES))
        assert phone.el("p-lobby").is_displayed() is False
        phone.until("a countdown", lambda: phone.el("p-clock").is_displayed() and phone.clock_below(600 * SCALE + 1))
        first = phone.clock()  # the check-in: 10 minutes, scaled
        assert first, "the countdown went blank"
        phone.until(f"the countdown moves on from {first}", lambda: phone.clock_below(first), timeout=3)

        # ---- a check-in card from the phone reaches the leader, signed with the phone's person
        text = "Устала, но рада быть здесь"
        phone.until("the compose box", lambda: phone.el("p-compose").is_displayed())
        phone.el("compose-text").send_keys(text)
        phone.el("compose-btn").click()
        state = leader.wait_for(lambda s: any(c["text"] == text for c in s["cards"]))
        card = next(c for c in state["cards"] if c["text"] == text)
        assert card["kind"] == "checkin" and card["by"] == anna["id"], card
        phone.until("its own card, sent", lambda: phone.my_cards() == [(text, tr("you"))])
        phone.shot("02-check-in-ru")
        phone.assert_no_errors()

        # ---- a reload: the same person again, its card still its own, nobody new in the room
        webkit.refresh()
        phone.watch_errors()
        phone.shows("p-phase-title", titles[0])
        phone.until("its own card after the reload", lambda: phone.my_cards() == [(text, tr("you"))])
        assert not phone.el("p-join").is_displayed()
        assert phone.storage(f"krug:{code}:token") == token
        after = leader.wait_for(lambda s: any(p["id"] == anna["id"] and p["online"] for p in s["people"]))
        assert sorted(p["name"] for p in after["people"]) == ["Boris", "Lea", "Анна"]
        assert [p["name"] for p in after["people"] if p["id"] == anna["id"]] == ["Анна"]
        assert [c["text"] for c in after["cards"]] == [text]
        phone.until("the countdown after the reload", lambda: phone.clock_below(first))

        # ---- the next phase reaches the reconnected page
        ok(leader.emit("next_phase"))
        phone.shows("p-phase-title", titles[1])
        phone.shows("p-step", tr("Step {i} of {n}", i=2, n=PHASES))
        phone.until("the vote phase's countdown", lambda: phone.clock_below(600 * SCALE + 1))
        phone.shot("03-vote-ru")
        phone.assert_no_errors()
    finally:
        leader.close()
    assert time.monotonic() - started < 60
