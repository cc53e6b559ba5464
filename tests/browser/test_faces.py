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
    # A banner above everything, not a row at the bottom of the People list.
    door = console.by_id("c-door")
    expect(door).to_contain_text(tr("At the door: {name}", name=name))
    assert door.bounding_box()["y"] < console.locator(".c-now").bounding_box()["y"]
    expect(console.locator("#c-person-list")).not_to_contain_text(name)
    console.shot("latecomer-at-the-door")
    let_in.click()

    expect(phone.by_id("p-room")).to_be_visible()
    expect(phone.by_id("p-phase-title")).to_have_text(title)
    expect(door).to_be_hidden()
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


# ---------------------------------------------------------------- 2. the projected vote

LONG_TITLES = [
    "Пациентка, которая всегда опаздывает и каждый раз извиняется слишком долго",
    "Отец подростка, который кричит на меня в коридоре после каждой консультации",
    "Ученица, которая молчит на занятиях, а потом пишет длинные письма ночью",
    "Коллега, который всё знает лучше и поправляет меня при пациентах в палате",
    "Пожилой пациент, который отказывается от лечения и благодарит за заботу",
    "Мать, которая приводит взрослую дочь на приём и отвечает за неё на вопросы",
    "Студент, который сдаёт всё вовремя, но ни разу не посмотрел мне в глаза",
    "Супружеская пара, в которой каждый просит меня встать на его сторону",
    "Клиентка, которая дарит подарки и обижается, когда я их не принимаю",
    "Руководитель отделения, который назначает мне самых трудных пациентов",
    "Подросток, который приходит на сессии, но всё время сидит в телефоне",
    "Пациент после инсульта, который смеётся, когда рассказывает о потерях",
]
NAMES_12 = ["Лея", "Анна", "Борис", "Вера", "Глеб", "Дарья", "Евгений", "Жанна", "Зоя", "Игорь", "Кира", "Лев"]

IN_VIEW = """(selector) => Array.from(document.querySelectorAll(selector)).map((n) => {
  const r = n.getBoundingClientRect();
  const bar = n.querySelector('.tally-bar');
  const clipped = Array.from(n.querySelectorAll('*')).some((c) => c.scrollHeight > c.clientHeight + 1 && getComputedStyle(c).overflow !== 'visible');
  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, bar: !!bar,
          title: n.querySelector('.s-nom-title').firstChild.textContent, clipped,
          hidden: getComputedStyle(n).opacity === '0' || getComputedStyle(n).visibility === 'hidden'};
})"""


def screen_face(faces, server, room: dict, lang: str, **extra):
    screen = holding(faces.new("screen", "screen", lang, server.url, **extra), room["code"], screen=room["screen_token"])
    screen.goto(f"/s/{room['code']}?lang={lang}")
    return screen


def all_on_screen(screen, count: int) -> list[dict]:
    boxes = screen.page.evaluate(IN_VIEW, "#s-noms .s-nom")
    assert len(boxes) == count
    view = screen.page.evaluate("""() => { const r = document.getElementById('s-vote').getBoundingClientRect();
      const se = document.scrollingElement;
      return {top: r.top, bottom: r.bottom, scroll: se.scrollHeight - se.clientHeight, hscroll: se.scrollWidth - se.clientWidth}; }""")
    assert view["scroll"] <= 0 and view["hscroll"] <= 0, view
    for box in boxes:
        assert box["bar"], box
        assert not box["hidden"] and not box["clipped"], box
        assert box["left"] >= 0 and box["right"] <= 1920, box
        assert view["top"] <= box["top"] and box["bottom"] <= min(view["bottom"], 1080) + 0.5, (box, view)
    assert screen.locator("#s-vote .pager").count() == 0 or not screen.locator("#s-vote .pager").is_visible()
    return boxes


def test_projected_vote_shows_all_twelve_candidates_winner_first_ties_together(server, faces):
    lang = "ru"
    tr = Tr(server, lang)
    room = room_with(server, NAMES_12[0])
    code = room["code"]
    lead = socket_client(server, room["token"])
    people = [lead] + [socket_client(server, join_over_http(server, code, name)) for name in NAMES_12[1:]]
    ok(lead.emit("start"))
    noms = {}
    for i, (client, title) in enumerate(zip(people, LONG_TITLES)):
        noms[title] = ok(client.emit("nominate", {"client_id": f"n{i}", "title": title}))["nomination"]
    ok(lead.emit("next_phase"))
    ok(lead.emit("open_vote", {"case": 1}))
    # 3 · 3 (a tie) · 2 · 1 · 1 · 1 · 1 · 0 …
    plan = [0, 0, 0, 1, 1, 1, 2, 2, 3, 4, 5, 6]
    for client, which in zip(people, plan):
        ok(client.emit("cast_vote", {"nomination_id": noms[LONG_TITLES[which]]}))
    console = holding(faces.new("console", "console", lang, server.url), code, token=room["token"])
    console.goto(f"/c/{code}")
    expect(console.by_id("c-vote-status")).to_have_text(tr("Vote for case {n} is open: {v} of {total} have voted.", n=1, v=12, total=12))
    screen = screen_face(faces, server, room, lang)
    expect(screen.locator("#s-noms .s-nom")).to_have_count(12)
    screen.page.wait_for_timeout(300)
    screen.shot("vote-open-12")
    before = screen.page.evaluate(IN_VIEW, "#s-noms .s-nom")
    assert all(b["bottom"] <= 1080 for b in before), before

    ok(lead.emit("close_vote"))
    ok(lead.emit("reveal_vote"))
    expect(screen.by_id("s-vote-head")).to_have_text(tr("A tie: the leader decides."))
    expect(screen.locator("#s-noms .s-nom .tally-bar")).to_have_count(12)
    screen.page.wait_for_timeout(300)
    screen.shot("vote-tie-12")
    boxes = all_on_screen(screen, 12)
    assert {boxes[0]["title"], boxes[1]["title"]} == {LONG_TITLES[0], LONG_TITLES[1]}  # the tied ones, together, first
    expect(screen.locator("#s-noms .s-nom.is-tied")).to_have_count(2)
    assert boxes[2]["title"] == LONG_TITLES[2]

    ok(lead.emit("break_tie", {"nomination_id": noms[LONG_TITLES[1]]}))
    expect(screen.by_id("s-vote-head")).to_have_text(tr("Case {n}: {title}", n=1, title=LONG_TITLES[1]))
    expect(screen.locator("#s-noms .s-nom").first).to_have_class(re.compile(r"\bis-winner\b"))
    screen.page.wait_for_timeout(300)
    screen.shot("vote-winner-12")
    boxes = all_on_screen(screen, 12)
    readable_from_the_back(screen)
    assert [b["title"] for b in boxes[:3]] == [LONG_TITLES[1], LONG_TITLES[0], LONG_TITLES[2]]
    screen.page.mouse.move(300, 300)  # the corner tools fade when idle; a move brings them back
    screen.by_id("theme-btn").click()  # the light theme lays out the same
    expect(screen.page.locator("html")).to_have_attribute("data-theme", "light")
    screen.shot("vote-winner-12-light")
    all_on_screen(screen, 12)
    for client in people:
        client.close()


# ---------------------------------------------------------------- 3. what a screen reader hears

# Every line added to a live region (aria-live, or a role that implies one), as the page adds it.
RECORD_LIVE = """
window.__said = [];
document.addEventListener('DOMContentLoaded', () => {
  const regions = document.querySelectorAll('[aria-live]:not([aria-live="off"]), [role=status], [role=alert], [role=log]');
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'characterData') { window.__said.push(r.target.textContent.trim()); continue; }
      for (const node of r.addedNodes) {
        const text = (node.textContent || '').trim();
        if (text) window.__said.push(text);
      }
    }
  });
  regions.forEach((region) => observer.observe(region, { childList: true, subtree: true, characterData: true }));
});
"""


def said(face) -> list[str]:
    return face.page.evaluate("window.__said")


def wait_said(face, text: str) -> None:
    face.page.wait_for_function("(text) => window.__said.includes(text)", arg=text, timeout=5000)


def spoken_label(face, selector: str) -> str:
    return face.page.locator(f"{selector} .countdown").get_attribute("aria-label")


@pytest.mark.parametrize("lang", ["ru"])
def test_live_region_announces_phase_changes_time_marks_and_new_cards_once(server, faces, lang):
    tr = Tr(server, lang)
    # A two-minute vote phase: the one-minute mark is one "−1 min" away, zero another.
    room = room_with(server, "Лея", phases=[{"key": k, "minutes": 2 if k == "vote" else 10} for k in (
        "check_in", "vote", "case1_presentation", "case1_request", "case1_questions", "case1_hypotheses",
        "case1_discussion", "case1_return", "break", "case2_presentation", "case2_request", "case2_questions",
        "case2_hypotheses", "case2_discussion", "case2_return", "closing")])
    code = room["code"]
    lead = socket_client(server, room["token"])
    boris = socket_client(server, join_over_http(server, code, "Борис"))
    console = holding(faces.new("console", "console", lang, server.url), code, token=room["token"])
    console.context.add_init_script(RECORD_LIVE)
    console.goto(f"/c/{code}")
    phone = faces.new("phone-vera", "phone", lang, server.url)
    phone.context.add_init_script(RECORD_LIVE)
    phone.goto(f"/j/{code}")
    phone.by_id("join-name").fill("Вера")
    phone.by_id("join-consent").check()
    phone.by_id("join-btn").click()
    expect(phone.by_id("p-lobby-title")).to_have_text(tr("You are in, {name}.", name="Вера"))

    ok(lead.emit("start"))
    phases = lead.format["phases"]
    check_in, vote = tr.pick(phases[0]["title"]), tr.pick(phases[1]["title"])
    for face in (phone, console):
        wait_said(face, tr("Now: {title}", title=check_in))

    # Cards: each new one from someone else is said once; the list keeps the items it has.
    ok(boris.emit("post_card", {"client_id": "b1", "kind": "checkin", "text": "Устал, но рад"}))
    first = tr("Check-in") + ": Устал, но рад — Борис"
    wait_said(phone, first)
    item = phone.locator("#p-card-list li.card").first
    expect(item).to_have_text("Устал, но рад — Борис")  # text and author apart (a hidden " — ")
    item.evaluate("(node) => { node.__kept = true; }")
    ok(boris.emit("post_card", {"client_id": "b2", "kind": "checkin", "text": "Хочу тишины"}))
    wait_said(phone, tr("Check-in") + ": Хочу тишины — Борис")
    phone.by_id("compose-text").fill("Я здесь")
    phone.by_id("compose-btn").click()
    expect(phone.locator("#p-card-list li.card:not(.is-pending)")).to_have_count(3)
    kept = phone.page.evaluate("() => Array.from(document.querySelectorAll('#p-card-list li.card')).map((n) => !!n.__kept)")
    assert kept == [False, False, True], kept  # newest first; the first card's item is the same node

    ok(lead.emit("next_phase"))
    for face in (phone, console):
        wait_said(face, tr("Now: {title}", title=vote))
    ok(lead.emit("extend", {"minutes": -1}))  # 2:00 → 0:59: the one-minute mark
    for face in (phone, console):
        wait_said(face, tr("One minute left."))
    label = spoken_label(phone, "#p-clock")
    m = re.fullmatch(tr("{n} s left", n=r"(\d+)"), label)
    assert m and 50 <= int(m.group(1)) <= 60, label  # seconds, never "0 min"
    ok(lead.emit("pause"))
    for face in (phone, console):
        wait_said(face, tr("The timer is paused."))
    expect(phone.locator("#p-clock .countdown")).to_have_attribute(
        "aria-label", re.compile("^" + re.escape(tr("Paused: {time}", time="")) + re.escape(tr("{n} s left", n="X")).replace("X", r"\d+") + "$"))
    ok(lead.emit("resume"))
    wait_said(phone, tr("The timer runs again."))
    ok(lead.emit("extend", {"minutes": -1}))  # 0:5x → overtime: time is up
    for face in (phone, console):
        wait_said(face, tr("Time is up. Overtime begins."))
    expect(phone.locator("#p-clock .countdown")).to_have_attribute(
        "aria-label", re.compile("^" + re.escape(tr("Overtime: {n} s", n="X")).replace("X", r"\d+") + "$"))
    phone.page.wait_for_timeout(1500)

    expected_phone = [tr("Now: {title}", title=check_in), first, tr("Check-in") + ": Хочу тишины — Борис",
                      tr("Now: {title}", title=vote), tr("One minute left."), tr("The timer is paused."),
                      tr("The timer runs again."), tr("Time is up. Overtime begins.")]
    lines = said(phone)
    for text in expected_phone:
        assert lines.count(text) == 1, (text, lines)
    assert not any("Я здесь" in line for line in lines), lines  # one's own card is not read back
    assert sum("Устал, но рад" in line for line in lines) == 1, lines  # the list is not re-read
    lines = said(console)
    for text in expected_phone[:1] + expected_phone[3:]:
        assert lines.count(text) == 1, (text, lines)
    phone.shot("live-region-overtime")
    for client in (lead, boris):
        client.close()


# ---------------------------------------------------------------- 4. 200 % zoom on a phone

ZOOM_200 = {"viewport": {"width": 195, "height": 422}, "device_scale_factor": 4}  # a 390 px phone at 200 %

SIDEWAYS = """() => {
  const se = document.scrollingElement;
  const width = se.clientWidth;
  const out = [];
  for (const node of document.body.querySelectorAll('*')) {
    if (!node.getClientRects().length || node.closest('.visually-hidden, .skip-link, [hidden], dialog:not([open]), details:not([open]) > :not(summary)')) continue;
    const r = node.getBoundingClientRect();
    if (r.width && (r.right > width + 1 || r.left < -1)) out.push(`${node.tagName}#${node.id}.${node.className}: ${Math.round(r.left)}..${Math.round(r.right)}`);
  }
  return {scroll: se.scrollWidth - se.clientWidth, out: out.slice(0, 8)};
}"""


def no_sideways_scroll(face) -> None:
    result = face.page.evaluate(SIDEWAYS)
    assert result["scroll"] <= 0 and not result["out"], result


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_phone_pages_at_200_percent_zoom_do_not_scroll_sideways(server, faces, lang):
    tr = Tr(server, lang)
    landing = faces.new("landing", "phone", lang, server.url, **ZOOM_200)
    landing.goto(f"/?lang={lang}")
    expect(landing.by_id("leader-name")).to_be_visible()
    landing.shot("landing-200")
    no_sideways_scroll(landing)

    room = room_with(server, "Лея")
    code = room["code"]
    lead = socket_client(server, room["token"])
    phone = phone_joins(faces, server, code, "Константин-Александр", lang, key="phone-zoomed", **ZOOM_200)
    expect(phone.by_id("p-lobby-title")).to_be_visible()
    no_sideways_scroll(phone)
    phone.shot("lobby-200")
    ok(lead.emit("start"))
    title = phone.by_id("p-phase-title")
    expect(title).to_have_text(tr.pick(lead.format["phases"][0]["title"]))
    expect(phone.by_id("p-compose")).to_be_visible()
    phone.shot("phase-200")
    no_sideways_scroll(phone)
    # The title has the width of the page, not a sliver beside the countdown.
    boxes = phone.page.evaluate("""() => ({
      title: document.getElementById('p-phase-title').getBoundingClientRect().toJSON(),
      clock: document.getElementById('p-clock').getBoundingClientRect().toJSON(),
      width: document.scrollingElement.clientWidth})""")
    assert boxes["title"]["width"] >= boxes["width"] * 0.6, boxes
    assert boxes["title"]["bottom"] <= boxes["clock"]["top"] + 1 or boxes["clock"]["bottom"] <= boxes["title"]["top"] + 1, boxes
    ok(lead.emit("next_phase"))  # the vote, with a ballot
    expect(title).to_have_text(tr.pick(lead.format["phases"][1]["title"]))
    no_sideways_scroll(phone)
    lead.close()


# ---------------------------------------------------------------- accessibility details (issue 14, item 18)

def _rgb(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in re.findall(r"[\d.]+", text)[:3])


def contrast(a: str, b: str) -> float:
    def lum(rgb):
        def ch(c):
            c /= 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        r, g, b_ = (ch(c) for c in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_
    la, lb = sorted((lum(_rgb(a)), lum(_rgb(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


UNNAMED_ROLE = "() => Array.from(document.querySelectorAll('div[aria-label]:not([role]), span[aria-label]:not([role]), p[aria-label]:not([role])')).map((n) => n.outerHTML.slice(0, 80))"


@pytest.mark.parametrize("lang", ["ru"])
def test_accessibility_details(server, faces, lang):
    tr = Tr(server, lang)
    room = room_with(server, "Лея")
    code = room["code"]
    lead = socket_client(server, room["token"])
    anna = socket_client(server, join_over_http(server, code, "Анна"))

    # The join form: an error marks its field invalid and describes it.
    phone = faces.new("phone", "phone", lang, server.url)
    phone.goto(f"/j/{code}")
    phone.by_id("join-btn").click()
    name = phone.by_id("join-name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_attribute("aria-describedby", "join-error")
    expect(phone.by_id("join-error")).to_have_text(tr("Please write your name."))
    # The focus ring of an input stands out from the page at 3:1 at least.
    name.focus()
    ring = name.evaluate("(n) => { const s = getComputedStyle(n); return {color: s.outlineColor, width: parseFloat(s.outlineWidth), style: s.outlineStyle,"
                         " bg: getComputedStyle(document.body).backgroundColor}; }")
    assert ring["style"] != "none" and ring["width"] >= 2 and contrast(ring["color"], ring["bg"]) >= 3, ring
    name.fill("Вера")
    expect(name).not_to_have_attribute("aria-invalid", "true")
    phone.by_id("join-consent").check()
    phone.by_id("join-btn").click()
    expect(phone.by_id("p-lobby-title")).to_be_visible()

    screen = screen_face(faces, server, room, lang)
    expect(screen.by_id("s-lobby")).to_be_visible()
    expect(screen.page.get_by_role("heading", level=1)).to_have_text(tr("Join from your phone"))
    expect(screen.page.get_by_role("main")).to_have_count(1)
    readable_from_the_back(screen)

    console = holding(faces.new("console", "console", lang, server.url), code, token=room["token"])
    console.goto(f"/c/{code}")
    console.by_id("c-start").click()
    expect(console.by_id("c-next")).to_be_focused()  # Start goes away; the focus is not lost
    for key, minutes in (("c-minus1", "−1"), ("c-plus1", "+1"), ("c-plus5", "+5")):
        button = console.by_id(key)
        assert button.get_attribute("aria-label") is None
        expect(console.page.get_by_role("button", name=f"{minutes} {tr('min')}", exact=True)).to_have_count(1)
    pause = console.by_id("c-pause")
    assert pause.get_attribute("aria-pressed") is None
    pause.click()
    expect(pause).to_have_text(tr("Resume"))
    assert pause.get_attribute("aria-pressed") is None

    # The phone's countdown caption is readable; no aria-label on an element with no role.
    expect(phone.by_id("p-clock")).to_be_visible()
    size = phone.locator("#p-clock .cd-sub").evaluate("(n) => parseFloat(getComputedStyle(n).fontSize)")
    assert size >= 12, size
    ok(lead.emit("next_phase"))
    ok(lead.emit("assign_presenter", {"case": 1, "person_id": anna.me["person"]}))
    for _ in range(4):
        ok(lead.emit("next_phase"))  # presentation, request, questions, hypotheses: Anna outside the circle
    expect(screen.locator("#s-run-ring .seat.is-empty")).to_have_count(1)
    for face in (screen, phone, console):
        assert face.page.evaluate(UNNAMED_ROLE) == [], face.name
    for client in (lead, anna):
        client.close()


# ---------------------------------------------------------------- the presenter outside the circle (item 10)

OVERLAPS = """() => {
  const box = (n) => n.getBoundingClientRect();
  const hit = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const label = document.querySelector('#s-run-ring .seat-outside');
  const ring = document.getElementById('s-run-ring').getBoundingClientRect();
  const seats = Array.from(document.querySelectorAll('#s-run-ring .seat')).map((s) => Array.from(s.children).map(box));
  const clock = document.querySelector('#s-run-ring .countdown').getBoundingClientRect();
  const l = box(label);
  return {overlaps: seats.flat().filter((b) => hit(b, l)).length, clock: hit(l, clock),
          inside: l.left >= ring.left - 40 && l.right <= ring.right + 40, label: l.toJSON()};
}"""


SMALL_TEXT = """() => {
  const out = [];
  for (const node of document.querySelectorAll('#main *')) {
    if (!node.getClientRects().length || node.closest('.visually-hidden, [hidden]')) continue;
    const own = Array.from(node.childNodes).some((c) => c.nodeType === 3 && c.textContent.trim());
    const size = parseFloat(getComputedStyle(node).fontSize);
    if (own && size < 24) out.push(`${node.className}: ${size}px ${node.textContent.trim().slice(0, 30)}`);
  }
  return out;
}"""


def readable_from_the_back(screen) -> None:
    """Item 11: no text on the projector under 24 px (its corner tools aside, outside #main)."""
    small = screen.page.evaluate(SMALL_TEXT)
    assert not small, small


@pytest.mark.parametrize("size,seat", [(4, 1), (4, 3), (12, 3), (12, 9)])
def test_outside_the_circle_label_never_covers_a_seat(server, faces, size, seat):
    lang = "ru"
    room = room_with(server, NAMES_12[0])
    code = room["code"]
    lead = socket_client(server, room["token"])
    people = [lead] + [socket_client(server, join_over_http(server, code, name)) for name in NAMES_12[1:size]]
    ok(lead.emit("start"))
    ok(lead.emit("next_phase"))
    presenter = people[seat].me["person"]
    ok(lead.emit("assign_presenter", {"case": 1, "person_id": presenter}))
    for _ in range(4):
        ok(lead.emit("next_phase"))  # → hypotheses: the presenter outside the circle
    screen = screen_face(faces, server, room, lang)
    expect(screen.locator("#s-run-ring .seat-outside")).to_have_count(1)
    screen.page.wait_for_timeout(200)
    screen.shot(f"outside-{size}-{seat}")
    result = screen.page.evaluate(OVERLAPS)
    assert result["overlaps"] == 0 and not result["clock"] and result["inside"], result
    readable_from_the_back(screen)
    for client in people:
        client.close()


# ---------------------------------------------------------------- battery and render blocking (items 19, 20)

COUNT_FRAMES = """
window.__frames = 0;
const realRaf = window.requestAnimationFrame.bind(window);
window.requestAnimationFrame = (callback) => { window.__frames += 1; return realRaf(callback); };
"""


def frames_in(face, ms: int) -> int:
    before = face.page.evaluate("window.__frames")
    face.page.wait_for_timeout(ms)
    return face.page.evaluate("window.__frames") - before


def test_pages_animate_only_while_a_timer_runs_and_load_scripts_deferred(server, faces):
    room = room_with(server, "Лея")
    code = room["code"]
    lead = socket_client(server, room["token"])
    phone = phone_joins(faces, server, code, "Вера", "ru")
    phone.context.add_init_script(COUNT_FRAMES)
    phone.page.reload()
    expect(phone.by_id("p-lobby-title")).to_be_visible()
    screen = screen_face(faces, server, room, "ru")
    screen.context.add_init_script(COUNT_FRAMES)
    screen.page.reload()
    expect(screen.by_id("s-lobby")).to_be_visible()
    for face in (phone, screen):
        scripts = face.page.evaluate("() => Array.from(document.scripts).map((s) => [s.src, s.defer])")
        assert scripts and all(defer for _, defer in scripts), scripts  # socket.io included: never blocks rendering
    phone.page.wait_for_timeout(300)
    assert frames_in(phone, 2000) <= 1  # the lobby: nothing moves
    assert frames_in(screen, 2000) <= 1

    ok(lead.emit("start"))
    expect(phone.by_id("p-clock")).to_be_visible()
    clock = phone.locator("#p-clock .cd-time")
    first = clock.text_content()
    for face in (phone, screen):
        n = frames_in(face, 3000)
        assert 2 <= n <= 6, (face.name, n)  # a running countdown: about once a second
    assert clock.text_content() != first  # ... and it does count down

    ok(lead.emit("pause"))
    expect(phone.locator("#p-clock .countdown")).to_have_class(re.compile(r"\bis-paused\b"))
    phone.page.wait_for_timeout(300)
    assert frames_in(phone, 2500) <= 1  # paused: still
    lead.close()


# ---------------------------------------------------------------- the leader on a phone (items 9, 14)

def test_leader_console_and_own_phone_view_on_a_390_px_phone(server, faces):
    lang = "ru"
    tr = Tr(server, lang)
    room = room_with(server, "Леопольдина-Анастасия")
    code = room["code"]
    lead = socket_client(server, room["token"])
    people = [socket_client(server, join_over_http(server, code, name)) for name in ("Анна", "Борис", "Вера")]
    # The leader's own phone view (the same device): no "wait for the leader".
    own = holding(faces.new("leader-phone", "phone", lang, server.url), code, token=room["token"])
    own.goto(f"/j/{code}")
    expect(own.by_id("p-lobby-wait")).to_have_text(tr("You lead this session: start it from the console when everyone is here."))
    expect(own.by_id("p-console-link")).to_be_visible()

    console = holding(faces.new("console-phone", "phone", lang, server.url), code, token=room["token"])
    console.goto(f"/c/{code}")
    expect(console.by_id("c-start")).to_be_enabled()
    no_sideways_scroll(console)
    ok(lead.emit("start"))
    ok(people[0].emit("post_card", {"client_id": "a1", "kind": "checkin",
                                     "text": "Длинное-предлинное-слово-без-пробелов-которое-не-помещается-в-строку"}))
    ok(people[1].emit("nominate", {"client_id": "n1", "title": "Пациентка, которая всегда опаздывает и каждый раз извиняется"}))
    join_over_http(server, code, "Константин-Александр")
    expect(console.by_id("c-door")).to_be_visible()
    expect(console.by_id("c-now-title")).to_have_text(tr.pick(lead.format["phases"][0]["title"]))
    console.page.wait_for_timeout(300)
    console.shot("console-390")
    console.shot("console-390-all", full_page=True)
    no_sideways_scroll(console)
    for client in (lead, *people):
        client.close()


# ---------------------------------------------------------------- the projector's start (items 15, 21)

NO_WAKE_LOCK = "delete Navigator.prototype.wakeLock;"  # as over plain http on a LAN (no secure context)


def test_screen_starts_with_one_click_and_says_when_it_cannot_stay_awake(server, faces):
    lang = "ru"
    tr = Tr(server, lang)
    room = room_with(server, "Лея")
    screen = holding(faces.new("screen", "screen", lang, server.url), room["code"], screen=room["screen_token"])
    screen.context.add_init_script(NO_WAKE_LOCK)
    screen.goto(f"/s/{room['code']}?lang={lang}")
    expect(screen.by_id("s-lobby")).to_be_visible()
    expect(screen.by_id("s-wake")).to_be_visible()
    expect(screen.by_id("s-wake")).to_have_text(tr("This screen may go dark: without https the browser cannot keep it awake. "
                                                   "Turn off the screen saver and display sleep, or open Krug over https."))
    readable_from_the_back(screen)
    start = screen.page.get_by_role("button", name=tr("Start the screen: sound and full screen"))
    expect(start).to_be_visible()
    screen.shot("lobby-before-start")
    start.click()
    expect(start).to_be_hidden()
    screen.page.wait_for_function("() => !!document.fullscreenElement")
    assert screen.page.evaluate("() => window.Krug.sound.muted") is False
    assert screen.page.evaluate("() => window.Krug.sound.ready()") is True
    sound = screen.by_id("sound-btn")
    expect(sound).to_have_attribute("aria-pressed", "false")
    # Muted again, the sound button stays in sight after the corner tools fade (3.5 s idle).
    sound.click()
    expect(sound).to_have_attribute("aria-pressed", "true")
    screen.page.mouse.move(10, 500)
    screen.page.evaluate("() => document.activeElement && document.activeElement.blur()")
    screen.page.wait_for_function("() => document.body.classList.contains('is-idle')", timeout=6000)
    seen = sound.evaluate("(n) => { const s = getComputedStyle(n); return s.visibility === 'visible' && "
                          "parseFloat(getComputedStyle(n.parentNode).opacity) > 0.3; }")
    assert seen
    screen.shot("lobby-started")


def test_landing_fetches_the_formats_only_when_the_phase_editor_opens(server, faces):
    landing = faces.new("landing", "console", "ru", server.url)
    asked = []
    landing.page.on("request", lambda req: asked.append(req.url) if "/api/formats" in req.url else None)
    landing.goto("/?lang=ru")
    expect(landing.by_id("leader-name")).to_be_visible()
    landing.page.wait_for_timeout(500)
    assert asked == []
    landing.locator("#adjust > summary").click()
    expect(landing.locator("#phase-editor li.phase-row")).to_have_count(16)
    assert len(asked) == 1


def test_presenter_response_leads_the_wall_when_they_return(server, faces):
    room = room_with(server, "Лея")
    code = room["code"]
    lead = socket_client(server, room["token"])
    anna = socket_client(server, join_over_http(server, code, "Анна"))
    boris = socket_client(server, join_over_http(server, code, "Борис"))
    ok(lead.emit("start"))
    ok(lead.emit("next_phase"))
    ok(lead.emit("assign_presenter", {"case": 1, "person_id": anna.me["person"]}))
    for _ in range(5):
        ok(lead.emit("next_phase"))  # → discussion
    for i in range(5):
        ok(boris.emit("post_card", {"client_id": f"t{i}", "kind": "thought", "text": f"Мысль из обсуждения номер {i}"}))
    ok(lead.emit("next_phase"))  # → the presenter returns
    ok(anna.emit("post_card", {"client_id": "r1", "kind": "response", "text": "Я увидела свою злость иначе"}))
    ok(boris.emit("post_card", {"client_id": "t9", "kind": "thought", "text": "Отклик после возвращения"}))
    screen = screen_face(faces, server, room, "ru")
    first = screen.locator("#s-wall-track .wall-card").first
    expect(first).to_contain_text("Я увидела свою злость иначе")
    expect(first).to_have_class(re.compile(r"\bis-response\b"))
    screen.shot("return-response-first")
    readable_from_the_back(screen)
    for client in (lead, anna, boris):
        client.close()


# ---------------------------------------------------------------- the presenter's phone (items 7, 16)

def test_hidden_card_is_explained_to_its_author_and_the_presenter_keeps_the_note(server, faces):
    lang = "ru"
    tr = Tr(server, lang)
    room = room_with(server, "Лея")
    code = room["code"]
    lead = socket_client(server, room["token"])
    boris = socket_client(server, join_over_http(server, code, "Борис"))
    anna = phone_joins(faces, server, code, "Анна", lang)
    expect(anna.by_id("p-lobby-title")).to_be_visible()
    ok(lead.emit("start"))
    expect(anna.by_id("p-compose")).to_be_visible()
    anna.by_id("compose-text").fill("Сегодня я не в ресурсе")
    anna.by_id("compose-btn").click()
    mine = anna.locator("#p-card-list li.card.is-mine:not(.is-pending)")
    expect(mine).to_have_count(1)
    card = next(c for c in lead.wait_for(lambda s: len(s["cards"]) == 1)["cards"])
    ok(lead.emit("hide_card", {"card_id": card["id"], "hidden": True}))
    hidden = anna.locator("#p-withheld li.is-hidden-mine")
    expect(hidden).to_contain_text("Сегодня я не в ресурсе")
    expect(hidden).to_contain_text(tr("Hidden by the leader: only the leaders see it. No need to send it again."))
    expect(anna.locator("#toasts")).to_contain_text(tr("A leader has hidden your card. Only the leaders see it now."))
    anna.shot("card-hidden")
    ok(lead.emit("hide_card", {"card_id": card["id"], "hidden": False}))
    expect(hidden).to_have_count(0)
    expect(mine).to_have_count(1)

    # Anna presents case 1: no "download my case" while she presents; her note stays at hand after.
    ok(lead.emit("next_phase"))
    anna_id = lead.wait_for(lambda s: any(p["name"] == "Анна" for p in s["people"]))["people"]
    anna_id = next(p["id"] for p in anna_id if p["name"] == "Анна")
    ok(lead.emit("assign_presenter", {"case": 1, "person_id": anna_id}))
    ok(lead.emit("next_phase"))  # presentation
    expect(anna.by_id("p-phase-title")).to_have_text(tr.pick(lead.format["phases"][2]["title"]))
    expect(anna.by_id("p-export")).to_be_hidden()
    for _ in range(3):
        ok(lead.emit("next_phase"))  # request, questions → hypotheses: silent
    expect(anna.by_id("p-note")).to_be_visible()
    expect(anna.by_id("p-export")).to_be_hidden()
    anna.by_id("note-text").fill("ЛИЧНАЯ ЗАМЕТКА")
    for _ in range(2):
        ok(lead.emit("next_phase"))  # discussion → the presenter returns
    expect(anna.by_id("p-phase-title")).to_have_text(tr.pick(lead.format["phases"][7]["title"]))
    expect(anna.by_id("p-note")).to_be_visible()
    expect(anna.by_id("note-text")).to_have_value("ЛИЧНАЯ ЗАМЕТКА")
    expect(anna.by_id("p-export")).to_be_visible()
    expect(anna.by_id("export-note-row")).to_be_visible()
    anna.shot("presenter-returns")
    for client in (lead, boris):
        client.close()


def test_console_first_card_hide_is_a_few_tab_stops_away(server, faces):
    lang = "ru"
    tr = Tr(server, lang)
    room = room_with(server, "Лея")
    code = room["code"]
    lead = socket_client(server, room["token"])
    boris = socket_client(server, join_over_http(server, code, "Борис"))
    ok(lead.emit("start"))
    ok(boris.emit("post_card", {"client_id": "c1", "kind": "checkin", "text": "Рад всех видеть"}))
    console = holding(faces.new("console", "console", lang, server.url), code, token=room["token"])
    console.goto(f"/c/{code}")
    hide = console.locator("#c-card-list .c-card button").first
    expect(hide).to_be_visible()
    presses = 0
    while console.page.evaluate("() => document.activeElement.textContent.trim()") != tr("Cards"):
        console.page.keyboard.press("Tab")
        presses += 1
        assert presses <= 10, console.page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
    console.page.keyboard.press("Enter")
    console.page.keyboard.press("Tab")
    expect(hide).to_be_focused()
    assert presses + 2 <= 12
    console.shot("console-jump")
    for client in (lead, boris):
        client.close()


# ---------------------------------------------------------------- the break says what comes next (item 12)

def test_break_shows_the_next_case_and_its_presenter(server, faces):
    lang = "ru"
    tr = Tr(server, lang)
    room = room_with(server, "Лея")
    code = room["code"]
    lead = socket_client(server, room["token"])
    anna = socket_client(server, join_over_http(server, code, "Анна"))
    boris = socket_client(server, join_over_http(server, code, "Борис"))
    ok(lead.emit("start"))
    a = ok(anna.emit("nominate", {"client_id": "na", "title": "Пациентка, которая опаздывает"}))["nomination"]
    b = ok(boris.emit("nominate", {"client_id": "nb", "title": "Отец, который кричит"}))["nomination"]
    ok(lead.emit("next_phase"))
    ok(lead.emit("open_vote", {"case": 1}))
    for client, choice in ((lead, a), (anna, a), (boris, b)):
        ok(client.emit("cast_vote", {"nomination_id": choice}))
    ok(lead.emit("close_vote"))
    ok(lead.emit("reveal_vote"))
    ok(lead.emit("jump_to_phase", {"index": 8}))  # the break
    state = lead.wait_for(lambda s: s["phase"]["index"] == 8)
    case2 = next(c for c in state["cases"] if c["number"] == 2)
    screen = screen_face(faces, server, room, lang)
    phone = holding(faces.new("phone", "phone", lang, server.url), code, token=room["token"])
    phone.goto(f"/j/{code}")
    box = screen.by_id("s-case")
    expect(box).to_contain_text(tr("After the break"))
    if case2["title"]:
        title = tr("Case {n}: {title}", n=2, title=case2["title"])
        who = tr("Presenter: {name}", name="Борис")
    else:
        title, who = tr("Case {n}", n=2), tr("The leaders choose the case.")
    expect(box).to_contain_text(title)
    expect(box).to_contain_text(who)
    expect(phone.by_id("p-case")).to_contain_text(tr("After the break"))
    expect(phone.by_id("p-case")).to_contain_text(title)
    screen.shot("break-next-case")
    phone.shot("break-next-case")
    readable_from_the_back(screen)
    for client in (lead, anna, boris):
        client.close()
