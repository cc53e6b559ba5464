"""Browser tests: Debian's Chromium driven by Playwright against a real ``python app.py``.

One browser per test module, one browser context per face (screen, console, each phone), so
every face has its own localStorage like a separate device. Every face records what must
never happen — uncaught page errors, console errors, requests to any host but 127.0.0.1 —
and :meth:`Faces.assert_clean` (also run at teardown) fails the test on any of them, except
network failures a test caused on purpose and declared with :meth:`Face.tolerate`.

The pages' Content-Security-Policy forbids eval: ``page.wait_for_function`` must get a function
(``"(arg) => ..."`` with ``arg=``), never an expression string, which Playwright would eval.

Screenshots go to ``test-artifacts/screens/<test>/<NN>-<face>-<phase>-<lang>.png`` (git-ignored).
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from bench.live import ROOT, LiveServer

from ..live import Client

playwright_api = pytest.importorskip("playwright.sync_api")
sync_playwright = playwright_api.sync_playwright
expect = playwright_api.expect

CHROMIUM = Path(os.environ.get("KRUG_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENS = ROOT / "test-artifacts" / "screens"
LOCALES = {"ru": "ru-RU", "en": "en-US"}

KINDS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True},
    "screen": {"viewport": {"width": 1920, "height": 1080}},
    "console": {"viewport": {"width": 1280, "height": 900}},
}

# What Chromium logs when a request or a websocket fails at the network level.
NETWORK_FAILURE = (
    r"Failed to load resource: net::ERR_[A-Z_]+"
    r"|WebSocket connection to 'ws://127\.0\.0\.1:\d+/socket\.io/[^']*' failed.*"
)

expect.set_options(timeout=5000)

# A page's animation frames at ``fps`` instead of the display's 60: for tests that keep many
# pages open with compressed time, where every face would repaint its emptying ring on every
# frame and the two cores would spend the test rendering. Like a slow phone; timing logic in
# the pages is unchanged (it reads the clock, never counts frames).
FRAME_RATE = """
(() => {
  const interval = 1000 / %d;
  window.requestAnimationFrame = (callback) => window.setTimeout(() => callback(performance.now()), interval);
  window.cancelAnimationFrame = (id) => window.clearTimeout(id);
})();
"""


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Chromium is required in CI but {CHROMIUM} is missing")
    pytest.skip(f"no Chromium at {CHROMIUM} (set KRUG_CHROMIUM)")


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the whole module."""
    require_chromium()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def start_server(tmp_path_factory, **env: str) -> LiveServer:
    return LiveServer(tmp_path_factory.mktemp("krug-browser"), **env).start()


class Face:
    """One device: a browser context with one page, and everything it did wrong."""

    def __init__(self, faces: Faces, name: str, kind: str, lang: str, context, base_url: str) -> None:
        self.faces = faces
        self.name = name
        self.kind = kind
        self.lang = lang
        self.context = context
        self.base_url = base_url
        self.problems: list[str] = []
        self.tolerated: list[re.Pattern] = []
        self.tolerated_seen: list[str] = []   # the expected failures that did happen
        self.hosts: list[str] = []
        self.received: list[tuple[float, str, object]] = []   # (time, event, data) from the websocket
        self.sent: list[str] = []
        context.on("console", self._on_console)
        context.on("weberror", lambda err: self.problems.append(f"pageerror: {err.error}"))
        context.on("request", lambda req: self._check_host(req.url))
        context.on("page", self._watch_page)
        self.page = context.new_page()

    # ---- recording

    def _watch_page(self, page) -> None:
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, ws) -> None:
        self._check_host(ws.url)
        ws.on("framereceived", self._on_frame)
        ws.on("framesent", lambda payload: self.sent.append(payload if isinstance(payload, str) else ""))

    def _on_frame(self, payload) -> None:
        if isinstance(payload, str) and payload.startswith("42"):
            try:
                event, *data = json.loads(payload[2:])
            except ValueError:
                return
            self.received.append((time.time(), event, data[0] if data else None))

    def _on_console(self, msg) -> None:
        if msg.type != "error":
            return
        text = msg.text
        if any(p.fullmatch(text) for p in self.tolerated):
            self.tolerated_seen.append(text)
            return
        self.problems.append(f"console error: {text} @ {msg.location.get('url', '')}")

    def _check_host(self, url: str) -> None:
        parsed = urlparse(url)
        if parsed.scheme in ("data", "blob", "about"):
            return
        self.hosts.append(url)
        if parsed.scheme not in ("http", "https", "ws", "wss") or parsed.hostname != "127.0.0.1":
            self.problems.append(f"request to a foreign host: {url}")

    # ---- use

    def tolerate(self, pattern: str = NETWORK_FAILURE) -> None:
        """Accept console errors matching ``pattern`` on this face from now on (a failure the
        test causes on purpose, such as going offline or a refused join)."""
        self.tolerated.append(re.compile(pattern))

    def goto(self, path: str, **kw):
        return self.page.goto(self.base_url + path, **kw)

    def locator(self, selector: str, **kw):
        return self.page.locator(selector, **kw)

    def by_id(self, element_id: str):
        return self.page.locator(f"#{element_id}")

    def storage(self, key: str) -> str | None:
        return self.page.evaluate("k => window.localStorage.getItem(k)", key)

    def last(self, event: str):
        for _, name, data in reversed(self.received):
            if name == event:
                return data
        return None

    def wait_event(self, event: str, predicate=lambda data: True, timeout: float = 5.0, since: int = 0):
        """The newest ``event`` this page received (after ``received[since]``), once it satisfies
        ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            data = next((d for _, name, d in reversed(self.received[since:]) if name == event), None)
            if data is not None and predicate(data):
                return data
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: no {event} as expected; last: {data}")
            self.page.wait_for_timeout(50)  # lets Playwright deliver the websocket frames

    def events(self, event: str) -> list:
        return [data for _, name, data in self.received if name == event]

    def shot(self, phase: str, full_page: bool = False) -> Path:
        return self.faces.shot(self, phase, full_page)

    def assert_clean(self) -> None:
        assert not self.problems, f"{self.name}: " + "\n".join(self.problems)


class Faces:
    """The devices of one test, its screenshots, and the end-of-test checks."""

    def __init__(self, browser, test_name: str) -> None:
        self.browser = browser
        self.all: list[Face] = []
        self.count = 0
        self.dir = SCREENS / re.sub(r"[^\w.-]+", "_", test_name).strip("_")
        if self.dir.exists():
            shutil.rmtree(self.dir)

    def new(self, name: str, kind: str, lang: str, base_url: str, fps: int | None = None, **extra) -> Face:
        options = {**KINDS[kind], "locale": LOCALES[lang], **extra}
        context = self.browser.new_context(**options)
        context.set_default_timeout(10_000)
        if fps:
            context.add_init_script(FRAME_RATE % fps)
        face = Face(self, name, kind, lang, context, base_url)
        self.all.append(face)
        return face

    def shot(self, face: Face, phase: str, full_page: bool = False) -> Path:
        self.count += 1
        self.dir.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^\w-]+", "-", phase).strip("-")
        path = self.dir / f"{self.count:02d}-{face.name}-{slug}-{face.lang}.png"
        face.page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        return path

    def assert_clean(self) -> None:
        problems = [f"{f.name}: {p}" for f in self.all for p in f.problems]
        assert not problems, "\n".join(problems)

    def close(self) -> None:
        for face in self.all:
            with contextlib.suppress(Exception):  # a context that already went away
                face.context.close()


@pytest.fixture
def faces(browser, request):
    made = Faces(browser, request.node.name)
    yield made
    made.close()
    made.assert_clean()


# ---------------------------------------------------------------- helpers for the tests


def ok(ack: dict) -> dict:
    assert ack["ok"] is True, ack
    return ack


def join_over_http(server: LiveServer, code: str, name: str) -> str:
    response = server.join(code, name)
    assert response.status_code == 201, response.text
    return response.json()["token"]


def socket_client(server: LiveServer, token: str) -> Client:
    return Client(server, token).connect()


def i18n(server: LiveServer, lang: str) -> dict[str, str]:
    """The catalogue the pages use, so expectations name the English msgid."""
    return requests.get(f"{server.url}/i18n/{lang}.json", timeout=5).json()["messages"]


class Tr:
    """``tr("Step {i} of {n}", i=1, n=17)`` in the face's language, as ``t()`` in krug.js does."""

    def __init__(self, server: LiveServer, lang: str) -> None:
        self.lang = lang
        self.catalogue = i18n(server, lang) if lang != "en" else {}

    def __call__(self, msgid: str, **params) -> str:
        text = self.catalogue.get(msgid) or msgid
        return re.sub(r"\{(\w+)\}", lambda m: str(params[m.group(1)]) if m.group(1) in params else m.group(0), text)

    def pick(self, text: dict | str) -> str:
        if isinstance(text, str):
            return text
        return text.get(self.lang) or text.get("en") or ""


CLOCK_TEXT = re.compile(r"^(\+?)(\d+):(\d\d)$")


def parse_clock(text: str) -> int:
    """'12:05' -> 725 seconds left; '+0:07' (overtime) -> -7."""
    m = CLOCK_TEXT.match(text.strip())
    assert m, f"not a countdown: {text!r}"
    seconds = int(m.group(2)) * 60 + int(m.group(3))
    return -seconds if m.group(1) else seconds
