"""Issue "confidentiality": whatever people type — markup, script, bidi overrides, zero-width
characters — as a name, a card, a case title and pitch or a request is shown as text on the
screen, the console and the phones, literally, and never runs. The pages forbid inline script
through their Content-Security-Policy.
"""
from __future__ import annotations

import re

import pytest
import requests

from .conftest import Tr, expect, socket_client, start_server

pytestmark = pytest.mark.browser

IMG = "<img src=x onerror=window.__pwned=1>"
SCRIPT = "<script>window.__pwned=1</script>"
RLO = "\u202eevil\u202c"
ZW = "a\u200bb"
BIDI = f"{RLO} {ZW}"
REQUEST = f"{IMG} {SCRIPT} {RLO} {ZW}"
PITCH_A = f"{SCRIPT} {RLO}"
PITCH_B = IMG

NAMES = {"a": IMG, "b": SCRIPT, "c": BIDI}
FPS = 10  # five pages with a fast-emptying ring (compressed time): see conftest.FRAME_RATE


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory, KRUG_TIME_SCALE="0.02")
    yield srv
    srv.stop()


def texts(face, selector: str) -> list[str]:
    """textContent (not innerText: nothing normalised) of every match."""
    return face.page.evaluate("(sel) => Array.from(document.querySelectorAll(sel), (n) => n.textContent)", selector)


def shows(face, selector: str, raw: str) -> None:
    """Some element matching ``selector`` carries ``raw`` literally in its text."""
    face.page.wait_for_function(
        "([sel, raw]) => Array.from(document.querySelectorAll(sel)).some((n) => n.textContent.includes(raw))",
        arg=[selector, raw], timeout=5000)
    assert any(raw in t for t in texts(face, selector))


def nothing_ran(face) -> None:
    """No payload executed, and it added no element: only the page's own images (the screen's QR
    code) and scripts (all from files)."""
    images = 1 if face.kind == "screen" else 0
    result = face.page.evaluate("""() => ({
        pwned: typeof window.__pwned,
        images: document.querySelectorAll('img').length,
        inlineScripts: Array.from(document.scripts).filter((s) => !s.src).length,
        handlers: Array.from(document.querySelectorAll('*')).filter(
            (n) => Array.from(n.attributes).some((a) => a.name.startsWith('on'))).length,
    })""")
    assert result == {"pwned": "undefined", "images": images, "inlineScripts": 0, "handlers": 0}, (face.name, result)


def join(phone, code: str, name: str) -> None:
    phone.goto(f"/j/{code}")
    phone.by_id("join-name").fill(name)
    phone.by_id("join-consent").check()
    phone.by_id("join-btn").click()
    expect(phone.by_id("p-lobby")).to_be_visible()


def next_phase(console) -> None:
    console.by_id("c-next").click()
    console.by_id("confirm-ok").click()
    expect(console.by_id("confirm-dialog")).to_be_hidden()


def test_typed_markup_and_tricks_show_literally_and_never_run(server, faces):
    en = Tr(server, "en")
    room = server.create_room("Lea")
    code = room["code"]
    truth = socket_client(server, room["screen_token"])
    try:
        console = faces.new("console", "console", "en", server.url, fps=FPS)
        console.goto(f"/c/{code}")
        console.page.evaluate("([k, v, sk, sv]) => { localStorage.setItem(k, v); localStorage.setItem(sk, sv); }",
                              [f"krug:{code}:token", room["token"], f"krug:{code}:screen", room["screen_token"]])
        console.page.reload()
        expect(console.by_id("c-room")).to_be_visible()
        screen = faces.new("screen", "screen", "en", server.url, fps=FPS)
        screen.goto(f"/s/{code}#{room['screen_token']}")
        expect(screen.by_id("s-lobby")).to_be_visible()
        phones = {}
        for key, name in NAMES.items():
            phones[key] = faces.new(f"phone-{key}", "phone", "en", server.url, fps=FPS)
            join(phones[key], code, name)
        a, b, c = phones["a"], phones["b"], phones["c"]
        everyone = [console, screen, a, b, c]

        # Names, in the lobby
        for name in NAMES.values():
            shows(screen, "#s-lobby-ring .seat-name", name)
            shows(console, "#c-person-list .c-person-name", name)
            shows(c, "#p-people .chip", name)
        assert sorted(p["name"] for p in truth.wait_for(lambda s: len(s["people"]) == 4)["people"]) == sorted(["Lea", *NAMES.values()])
        for face in everyone:
            nothing_ran(face)
        screen.shot("lobby")

        # Cards, with their authors' names (check-in words are not anonymous)
        console.by_id("c-start").click()
        cards = {"a": IMG, "b": SCRIPT, "c": BIDI}
        for key, text in cards.items():
            phones[key].by_id("compose-text").fill(text)
            phones[key].by_id("compose-btn").click()
        truth.wait_for(lambda s: len(s["cards"]) == 3)
        assert sorted(card["text"] for card in truth.state["cards"]) == sorted(cards.values())
        for key, text in cards.items():
            shows(screen, "#s-wall-track .wall-text", text)
            shows(screen, "#s-wall-track .wall-by", NAMES[key])
            shows(console, "#c-card-list .c-card-text", text)
            shows(console, "#c-card-list .c-card-meta", NAMES[key])
            shows(c, "#p-card-list .card-text", text)
            shows(c, "#p-card-list .card-meta", NAMES[key] if key != "c" else en("you"))
            shows(screen, "#s-run-ring .seat-name", NAMES[key])
        for face in everyone:
            nothing_ran(face)
        screen.shot("cards")
        c.shot("cards")

        # Case titles and pitches, through a vote
        next_phase(console)
        for phone, title, pitch in ((a, IMG, PITCH_A), (b, SCRIPT, PITCH_B)):
            phone.by_id("p-nominate-open").click()
            phone.by_id("nom-title").fill(title)
            phone.by_id("nom-pitch").fill(pitch)
            phone.locator("#nominate-form button[type=submit]").click()
            shows(phone, "#p-my-noms .nom-title", title)
        console.by_id("c-vote-actions").get_by_role("button", name=en("Open the vote")).click()
        item = c.locator("#p-ballot li.ballot-item").filter(has=c.locator(".ballot-title", has_text=IMG))
        expect(c.locator("#p-ballot li.ballot-item")).to_have_count(2)
        for title, pitch, by in ((IMG, PITCH_A, NAMES["a"]), (SCRIPT, PITCH_B, NAMES["b"])):
            shows(c, "#p-ballot .ballot-title", title)
            shows(c, "#p-ballot .ballot-pitch", pitch)
            shows(c, "#p-ballot .ballot-by", by)
            shows(screen, "#s-noms .s-nom-title", title)
            shows(screen, "#s-noms .s-nom-pitch", pitch)
            shows(screen, "#s-noms .s-nom-by", by)
            shows(console, "#c-noms .c-nom-title", title)
            shows(console, "#c-noms .c-nom-pitch", pitch)
            shows(console, "#c-noms .c-nom-by", by)
        item.get_by_role("button", name=en("Vote for this case")).click()
        expect(item.locator(".my-vote")).to_have_count(1)
        console.by_id("c-vote-actions").get_by_role("button", name=en("Close the vote")).click()
        console.by_id("c-vote-actions").get_by_role("button", name=en("Reveal the results")).click()
        truth.wait_for(lambda s: s["vote"] and s["vote"]["revealed"])
        shows(screen, "#s-vote-head", IMG)
        shows(c, "#p-vote-result", IMG)
        for face in everyone:
            nothing_ran(face)
        screen.shot("vote")
        c.shot("vote")

        # The request, written by the presenter (whose name is markup too)
        next_phase(console)
        next_phase(console)
        a.by_id("request-text").fill(REQUEST)
        a.by_id("request-btn").click()
        assert truth.wait_for(lambda s: s["cases"][0]["request"])["cases"][0]["request"] == REQUEST
        shows(screen, "#s-case .s-case-title", IMG)
        shows(screen, "#s-case .s-case-who", IMG)
        shows(screen, "#s-case .s-request-text", REQUEST)
        shows(console, "#c-case-list .c-case-request", REQUEST)
        shows(console, "#c-case", IMG)
        for phone in (b, c):
            shows(phone, "#p-case .p-case-title", IMG)
            shows(phone, "#p-case .p-case-who", IMG)
            shows(phone, "#p-case .p-case-request", REQUEST)
        for face in everyone:
            nothing_ran(face)
        screen.shot("request")
        c.shot("request")
    finally:
        truth.close()
    faces.assert_clean()


CSP_PAGES = ["/", "/j/{code}", "/s/{code}", "/c/{code}", "/j/ZZZZZZ", "/?lang=ru"]


def test_pages_forbid_inline_script(server, faces):
    code = server.create_room("Lea")["code"]
    for path in CSP_PAGES:
        response = requests.get(server.url + path.format(code=code), timeout=5)
        assert response.headers["Content-Type"].startswith("text/html"), path
        csp = response.headers.get("Content-Security-Policy", "")
        directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, (path, csp)
        assert directives.get("script-src") == ["'self'"], (path, csp)
        assert directives.get("default-src") == ["'self'"], (path, csp)
        assert directives.get("object-src") == ["'none'"], (path, csp)
        assert directives.get("base-uri") == ["'none'"], (path, csp)
        assert directives.get("frame-ancestors") == ["'none'"], (path, csp)
        assert response.headers.get("X-Content-Type-Options") == "nosniff", path
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text), f"inline script in {path}"
        assert not re.search(r"\son[a-z]+\s*=", response.text), f"inline event handler in {path}"
    # ... and the browser gets the same policy with the page it loads.
    phone = faces.new("phone", "phone", "en", server.url)
    response = phone.goto(f"/j/{code}")
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # The policy is in force: an inline script the page did not ship does not run.
    phone.tolerate(r"(?s).*Content Security Policy.*")
    phone.page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.__pwned = 1'; document.body.appendChild(s); }""")
    expect(phone.by_id("p-join")).to_be_visible()
    assert phone.page.evaluate("typeof window.__pwned") == "undefined"
    faces.assert_clean()
