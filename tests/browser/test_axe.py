"""Issue 14: axe-core (from npm, pinned in package.json) finds no WCAG 2.1 A/AA violation on any
face in any state, in the light and the dark theme, in Russian and in English.

One short classic meeting per language: the landing page (phase editor open), a code without a room
page, the console, the screen, the presenter's phone, a latecomer's phone and a device without a
token in the browser; three more people (one of them away) and the leader's commands through
python-socketio clients. At every state each face is audited in both
themes (the phone and the console follow the system's colour scheme, the screen its own
``data-theme`` switch), so one meeting covers both without driving it twice. Every violation
(rule, impact, element, face and state) is collected and the test fails with the whole list.

axe comes in as an init script: Playwright hands it to the page through the DevTools protocol,
outside the pages' Content-Security-Policy, which stays in force for everything else. The
faces prefer reduced motion, so no colour is measured halfway through a transition.
"""
from __future__ import annotations

import re
import time
from collections import defaultdict

import pytest

from bench.live import ROOT

from .conftest import Tr, expect, join_over_http, socket_client, start_server

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
THEMES = ("light", "dark")
SCALE = 0.02
GRACE = 2
FPS = 5
# A theme changes colours only (custom properties), never the DOM or the layout: in the second
# theme only the rules that read colours run again.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
RUN_AXE = """([type, values]) => axe.run(document, {
  runOnly: { type, values }, resultTypes: ['violations'],
}).then((r) => r.violations.map((v) => ({
  id: v.id, impact: v.impact, help: v.help,
  nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
})))"""

NAMES = {
    "ru": {"leader": "Лея", "anna": "Анна", "boris": "Борис", "vera": "Вера", "gleb": "Глеб", "late": "Ира"},
    "en": {"leader": "Lea", "anna": "Anna", "boris": "Boris", "vera": "Vera", "gleb": "Gleb", "late": "Ira"},
}
TEXT = {
    "ru": {"A": "Пациентка, которая всегда опаздывает", "A_pitch": "Она приходит на двадцать минут позже.",
           "B": "Отец, который кричит", "C": "Ученик, который молчит", "checkin": "Устала, но рада быть здесь",
           "request": "Помогите понять, почему я замираю.", "q1": "Сколько длится терапия?", "q2": "Как часто вы встречаетесь?",
           "hyp": "Мне кажется, она проверяет вас", "thought": "Опоздание как контроль", "note": "Моя заметка", "why": "Почему вы ей не сказали?",
           "response": "Я увидела свою злость иначе", "reflection": "Уношу спокойствие"},
    "en": {"A": "The patient who always comes late", "A_pitch": "She arrives twenty minutes late.",
           "B": "The father who shouts", "C": "The pupil who is silent", "checkin": "Tired but glad to be here",
           "request": "Help me see why I freeze.", "q1": "How long has the therapy lasted?", "q2": "How often do you meet?",
           "hyp": "I sense she is testing you", "thought": "Coming late as control", "note": "My note", "why": "Why didn't you tell her?",
           "response": "I see my anger differently", "reflection": "I take calm away with me"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (bash .ci/setup --test)")
    # A short grace: someone who lost the connection shows as away within the meeting.
    srv = start_server(tmp_path_factory, KRUG_TIME_SCALE=str(SCALE), KRUG_PRESENCE_GRACE_SECONDS=str(GRACE))
    yield srv
    srv.stop()


class Audit:
    """axe on one face in both themes; what it finds, and which states it looked at."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.theme: dict[str, str] = {}
        self.violations: list[dict] = []
        self.states: list[str] = []

    def set_theme(self, face, theme: str) -> None:
        face.page.emulate_media(color_scheme=theme)
        # The projector has its own switch (static/krug.js themeButton), the other faces follow the
        # system; a mouse move shows its corner tools, which hide after 3.5 s without one.
        face.page.evaluate("""(theme) => {
          if (document.documentElement.dataset.face !== 'screen') return;
          document.documentElement.setAttribute('data-theme', theme);
          document.dispatchEvent(new MouseEvent('mousemove'));
        }""", theme)
        self.theme[face.name] = theme

    def __call__(self, face, state: str) -> None:
        current = self.theme.get(face.name, THEMES[0])
        order = [current] + [t for t in THEMES if t != current]
        self.states.append(f"{face.name}: {state}")
        for theme in order:
            self.set_theme(face, theme)
            found = face.page.evaluate(RUN_AXE, ["tag", TAGS] if theme == order[0] else ["rule", COLOUR_RULES])
            for rule in found:
                for node in rule["nodes"]:
                    self.violations.append({
                        "where": f"{self.lang}/{theme} {face.name}: {state}", "rule": rule["id"],
                        "impact": rule["impact"], "help": rule["help"], "target": node["target"],
                        "summary": node["summary"]})

    def report(self) -> str:
        """One line per rule and element, with every face and state where it was seen."""
        seen: dict[tuple, list[str]] = defaultdict(list)
        detail: dict[tuple, dict] = {}
        for v in self.violations:
            key = (v["rule"], v["target"])
            seen[key].append(v["where"])
            detail.setdefault(key, v)
        lines = []
        for key, wheres in seen.items():
            v = detail[key]
            summary = re.sub(r"\s+", " ", v["summary"] or "")[:300]
            lines.append(f"- {v['rule']} ({v['impact']}) {v['target']}: {v['help']}\n    {summary}\n"
                         f"    seen in {len(wheres)}: {'; '.join(wheres[:6])}{' …' if len(wheres) > 6 else ''}")
        return "\n".join(lines)


class Meeting:
    def __init__(self, server, faces, lang: str) -> None:
        self.server = server
        self.faces = faces
        self.lang = lang
        self.tr = Tr(server, lang)
        self.names = NAMES[lang]
        self.text = TEXT[lang]
        self.audit = Audit(lang)
        self.clients: list = []

    def new_face(self, name: str, kind: str):
        face = self.faces.new(name, kind, self.lang, self.server.url, fps=FPS,
                              color_scheme=THEMES[0], reduced_motion="reduce")
        face.context.add_init_script(path=str(AXE))
        return face

    def client(self, token: str):
        made = socket_client(self.server, token)
        self.clients.append(made)
        return made

    def lead(self, event: str, payload: dict | None = None) -> dict:
        ack = self.leader.emit(event, payload or {})
        assert ack["ok"] is True, (event, ack)
        return ack

    def state(self, predicate, timeout: float = 5.0) -> dict:
        return self.leader.wait_for(predicate, timeout=timeout)

    def at_phase(self, index: int) -> dict:
        return self.state(lambda s: s["status"] == "running" and s["phase"]["index"] == index)

    def next_phase(self, index: int) -> None:
        self.lead("next_phase")
        self.at_phase(index)
        self.faces_show_phase(index)

    def faces_show_phase(self, index: int) -> None:
        step = re.compile(re.escape(self.tr("Step {i} of {n}", i=index + 1, n=16)) + "$")
        expect(self.screen.by_id("s-step")).to_have_text(step)
        expect(self.phone.by_id("p-step")).to_have_text(step)
        expect(self.console.by_id("c-step")).to_have_text(step)

    def everywhere(self, state: str) -> None:
        for face in (self.phone, self.console, self.screen):
            self.audit(face, state)

    def post(self, who, kind: str, text: str) -> None:
        ack = who.emit("post_card", {"client_id": f"{kind}-{len(text)}-{who.token[:6]}", "kind": kind, "text": text})
        assert ack["ok"] is True, ack

    # ---- the meeting

    def run(self) -> None:
        tr, names, text, audit = self.tr, self.names, self.text, self.audit

        # The landing page: the phase editor open with a phase skipped, both forms with their errors.
        console = self.console = self.new_face("console", "console")
        console.goto(f"/?lang={self.lang}&bad_code=1")
        expect(console.by_id("code-error")).to_be_visible()
        console.locator("#adjust > summary").click()
        console.locator("#phase-editor li input[type=checkbox]").nth(4).uncheck()
        expect(console.locator("#phase-editor li.is-off")).to_have_count(1)
        console.by_id("create-btn").click()
        expect(console.by_id("create-error")).to_be_visible()
        audit(console, "landing: phase editor open, a phase skipped, both forms' errors")

        # The leader starts a room; the screen opens from the console.
        console.goto(f"/?lang={self.lang}")
        console.by_id("leader-name").fill(names["leader"])
        console.by_id("create-btn").click()
        console.page.wait_for_url(re.compile(r"/c/[A-Z0-9]+$"))
        expect(console.by_id("c-room")).to_be_visible()
        self.code = code = console.page.evaluate("document.documentElement.dataset.code")
        self.leader = self.client(console.storage(f"krug:{code}:token"))
        screen = self.screen = self.new_face("screen", "screen")
        screen.goto(console.by_id("c-open-screen").get_attribute("href"))
        expect(screen.by_id("s-lobby")).to_be_visible()

        # A device without a token of this room: a code that opens no room (its page looks like any
        # other: pages do not tell live codes from dead ones), the console and the screen refuse it.
        visitor = self.new_face("visitor", "phone")
        response = visitor.goto("/j/ABC234")
        assert response.status == 200
        audit(visitor, "phone page of a code without a room")
        visitor.goto(f"/c/{code}")
        expect(visitor.by_id("c-problem")).to_be_visible()
        audit(visitor, "console without a leader's token")
        visitor.goto(f"/s/{code}")
        expect(visitor.by_id("s-problem")).to_be_visible()
        audit(visitor, "screen without its link")
        visitor.context.close()
        self.faces.all.remove(visitor)

        # Anna's phone: the join form, its error, then the lobby.
        phone = self.phone = self.new_face("phone", "phone")
        phone.goto(f"/j/{code}")
        expect(phone.by_id("p-join")).to_be_visible()
        audit(phone, "join form")
        phone.by_id("join-btn").click()
        expect(phone.by_id("join-error")).to_have_text(tr("Please write your name."))
        audit(phone, "join error")
        phone.by_id("join-name").fill(names["anna"])
        phone.by_id("join-consent").check()
        phone.by_id("join-btn").click()
        expect(phone.by_id("p-lobby-title")).to_have_text(tr("You are in, {name}.", name=names["anna"]))
        anna = self.client(phone.storage(f"krug:{code}:token"))
        boris = self.client(join_over_http(self.server, code, names["boris"]))
        # Gleb's phone loses the network for good: away on every face from now on (the phone and
        # the screen see it with the next room_state: Vera's joining).
        socket_client(self.server, join_over_http(self.server, code, names["gleb"])).close()
        self.state(lambda s: any(not p["online"] for p in s["people"]))
        time.sleep(GRACE + 0.5)
        vera = self.client(join_over_http(self.server, code, names["vera"]))
        self.state(lambda s: len(s["people"]) == 5)
        expect(screen.by_id("s-count")).to_have_text(tr("In the circle: {n}", n=5))
        expect(phone.locator("#p-people .chip-away")).to_have_count(1)
        expect(screen.locator("#s-lobby-ring .seat-away")).to_have_count(1)
        expect(console.locator("#c-person-list .presence-away")).to_have_count(1)
        expect(console.by_id("c-start")).to_be_enabled()
        console.locator("#c-person-list li.c-person").filter(has_text=names["boris"]).locator("summary").click()
        self.everywhere("lobby")

        # 1 · check-in
        console.by_id("c-start").click()
        self.at_phase(0)
        self.faces_show_phase(0)
        self.post(boris, "checkin", text["checkin"])
        expect(phone.locator("#p-card-list .card-text").filter(has_text=text["checkin"])).to_have_count(1)
        self.everywhere("check-in")

        # A latecomer waits at the door; the console shows them; they are turned away.
        late = self.new_face("latecomer", "phone")
        late.goto(f"/j/{code}")
        late.by_id("join-name").fill(names["late"])
        late.by_id("join-consent").check()
        late.by_id("join-btn").click()
        expect(late.by_id("p-problem-title")).to_have_text(tr("Waiting for the leader"))
        waiting = next(p for p in self.state(lambda s: any(p.get("waiting") for p in s["people"]))["people"]
                       if p.get("waiting"))
        expect(console.locator(f'[data-fk="admit-{waiting["id"]}"]')).to_be_visible()
        audit(late, "waiting at the door")
        audit(console, "a latecomer at the door")
        self.lead("admit", {"person_id": waiting["id"], "admit": False})
        late.context.close()
        self.faces.all.remove(late)

        # The leader's "Next" asks first.
        console.by_id("c-next").click()
        expect(console.by_id("confirm-dialog")).to_be_visible()
        audit(console, "confirm dialog")
        console.by_id("confirm-ok").click()
        expect(console.by_id("confirm-dialog")).to_be_hidden()

        # 2 · nominations and the vote
        self.at_phase(1)
        self.faces_show_phase(1)
        for who, title, pitch in ((anna, text["A"], text["A_pitch"]), (boris, text["B"], ""), (vera, text["C"], "")):
            ack = who.emit("nominate", {"client_id": f"nom-{who.token[:8]}", "title": title, "pitch": pitch})
            assert ack["ok"] is True, ack
        expect(screen.locator("#s-noms .s-nom-title")).to_have_count(3)
        expect(phone.locator("#p-my-noms .nom-title")).to_have_count(3)
        phone.by_id("p-nominate-open").click()
        expect(phone.by_id("nom-title")).to_be_visible()
        self.everywhere("vote: nominations")
        self.lead("open_vote")
        expect(phone.locator("#p-ballot li.ballot-item")).to_have_count(3)
        item = phone.locator("#p-ballot li.ballot-item").filter(has_text=text["A"])
        item.get_by_role("button", name=tr("Vote for this case")).click()
        expect(item.locator(".my-vote")).to_have_text(tr("Your vote"))
        noms = {n["title"]: n["id"] for n in self.leader.state["nominations"]}
        for who in (boris, vera):
            assert who.emit("cast_vote", {"nomination_id": noms[text["A"]]})["ok"]
        expect(screen.by_id("s-vote-head")).to_have_text(tr("The vote is open · {n} people have voted", n=3))
        self.everywhere("vote open")
        self.lead("close_vote")
        expect(phone.by_id("p-vote-budget")).to_have_text(tr("The vote is closed. The leader will show the results."))
        expect(console.locator("#c-noms .tag-tally").first).to_be_visible()
        self.everywhere("vote closed")
        self.lead("reveal_vote")
        expect(screen.locator("#s-noms .tally")).to_have_count(3)
        expect(phone.locator("#p-ballot .tally")).to_have_count(3)
        self.everywhere("vote revealed")

        # 3 · presentation, 4 · request (Anna presents case 1)
        self.next_phase(2)
        expect(phone.locator("#p-case .p-case-who")).to_have_text(tr("Your case"))
        self.everywhere("case 1: presentation")
        self.next_phase(3)
        expect(phone.by_id("p-request")).to_be_visible()
        phone.by_id("request-text").fill(text["request"])
        phone.by_id("request-btn").click()
        expect(phone.by_id("request-saved")).to_be_visible()
        expect(screen.locator("#s-case .s-request-text")).to_have_text(text["request"])
        self.everywhere("case 1: request")

        # 5 · questions; the leader hides one card
        self.next_phase(4)
        self.post(boris, "question", text["q1"])
        self.post(vera, "question", text["q2"])
        expect(screen.locator("#s-wall-track .wall-text")).to_have_count(2)
        self.everywhere("case 1: questions")
        card = next(c for c in self.leader.state["cards"] if c["text"] == text["q2"])
        self.lead("hide_card", {"card_id": card["id"]})
        expect(console.locator("#c-card-list li.is-hidden")).to_have_count(1)
        expect(screen.locator("#s-wall-track .wall-text")).to_have_count(1)
        audit(console, "case 1: questions, a hidden card")

        # 6 · hypotheses, 7 · discussion: Anna is outside the circle, with her note; the leaders
        # hold new cards for their release
        self.lead("set_card_hold", {"on": True})
        self.next_phase(5)
        expect(phone.by_id("p-silent")).to_be_visible()
        expect(screen.by_id("s-badge-outside")).to_be_visible()
        phone.by_id("note-text").fill(text["note"])
        self.post(boris, "hypothesis", text["hyp"])
        expect(console.locator("#c-card-list li.is-held")).to_have_count(1)
        expect(console.by_id("c-release")).to_be_visible()
        audit(console, "case 1: hypotheses, a card held for release")
        self.lead("release_cards", {"all": True})
        expect(phone.locator("#p-card-list .card-text").filter(has_text=text["hyp"])).to_have_count(1)
        self.everywhere("case 1: hypotheses, presenter outside")
        self.next_phase(6)
        self.post(vera, "thought", text["thought"])
        self.state(lambda s: any(c.get("held") for c in s["cards"]))
        self.lead("release_cards", {"all": True})
        expect(phone.locator("#p-card-list .card-text").filter(has_text=text["thought"])).to_have_count(1)
        self.everywhere("case 1: discussion, presenter outside")

        # 8 · the presenter's return, 9 · break
        self.next_phase(7)
        expect(phone.by_id("p-compose")).to_be_visible()
        self.post(anna, "response", text["response"])
        expect(screen.locator("#s-wall-track .wall-text").filter(has_text=text["response"])).to_have_count(1)
        self.everywhere("case 1: return")
        self.next_phase(8)
        self.everywhere("break")

        # Case 2 (Anna in the circle): a question while offline waits on her phone, a "why" brings
        # the nudge; hypotheses are anonymous.
        self.lead("jump_to_phase", {"index": 11})
        self.at_phase(11)
        self.faces_show_phase(11)
        expect(phone.by_id("compose-label")).to_have_text(tr("Your question of fact"))
        phone.tolerate()  # the reconnection attempts while offline
        phone.context.set_offline(True)
        expect(phone.by_id("conn-banner")).to_be_visible()
        phone.by_id("compose-text").fill(text["q1"])
        phone.by_id("compose-btn").click()
        expect(phone.locator("#p-card-list li.is-pending")).to_have_count(1)
        phone.by_id("compose-text").fill(text["why"])
        expect(phone.by_id("compose-nudge")).to_be_visible()
        audit(phone, "case 2: questions, offline with a card waiting, the nudge")
        phone.context.set_offline(False)
        expect(phone.locator("#p-card-list li.is-pending")).to_have_count(0, timeout=15_000)
        expect(phone.by_id("conn-banner")).to_be_hidden()
        phone.by_id("compose-text").fill("")
        def her_question(state: dict) -> list[dict]:
            return [c for c in state["cards"] if c["text"] == text["q1"] and c["kind"] == "question"]

        card = her_question(self.state(her_question))[0]
        self.lead("hide_card", {"card_id": card["id"]})
        expect(phone.locator("#p-withheld li.is-hidden-mine")).to_have_count(1)
        audit(phone, "case 2: questions, her card hidden by the leader")
        self.next_phase(12)
        expect(phone.by_id("compose-label")).to_have_text(tr("A feeling, a fantasy, an image"))
        phone.by_id("compose-text").fill(text["hyp"])
        phone.by_id("compose-btn").click()
        expect(phone.locator("#p-withheld li.is-held")).to_have_count(1)
        audit(phone, "case 2: hypotheses, her card held for release")

        # 16 · closing, paused and then in overtime; the end
        self.lead("jump_to_phase", {"index": 15})
        self.at_phase(15)
        self.faces_show_phase(15)
        self.post(vera, "reflection", text["reflection"])
        expect(screen.locator("#s-prompts li")).to_have_count(3)
        self.lead("pause")
        expect(screen.by_id("s-badge-paused")).to_be_visible()
        self.lead("extend", {"minutes": -10})
        expect(screen.locator("#s-clock .countdown")).to_have_class(re.compile(r"\bis-over\b"))
        expect(phone.locator("#p-clock .countdown")).to_have_class(re.compile(r"\bis-over\b"))
        self.everywhere("closing, paused in overtime")
        self.lead("end_session")
        expect(screen.by_id("s-ended")).to_be_visible()
        expect(phone.by_id("p-ended")).to_be_visible()
        expect(console.by_id("c-ended")).to_be_visible()
        self.everywhere("ended")
        # The leaders' debrief, from the ended console.
        console.by_id("c-debrief").click()
        console.page.wait_for_url(re.compile(rf"/d/{code}"))
        expect(console.by_id("d-report")).to_be_visible()
        expect(console.locator("#d-table tbody tr").first).to_be_visible()
        audit(console, "debrief")

    def close(self) -> None:
        for made in self.clients:
            made.close()


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_no_wcag_violations_on_any_face(server, faces, lang):
    meeting = Meeting(server, faces, lang)
    try:
        meeting.run()
    finally:
        meeting.close()
    audit = meeting.audit
    print(f"\naxe ({lang}) looked at {len(audit.states)} face states in {len(THEMES)} themes:")
    print("\n".join(f"  {s}" for s in audit.states))
    assert not audit.violations, f"{len(audit.violations)} WCAG 2.1 A/AA violations ({lang}):\n{audit.report()}"
    faces.assert_clean()
