"""Issue "three faces": a whole classic Balint meeting (two cases, 16 phases) in one browser —
the projector screen, the leader's console, a co-leader's phone that opens the console, and
four phones — once in Russian and once in English.

What each face shows is asserted at every step: phase title, rule card, countdown, cards, the
vote (tallies hidden until revealed), the presenter outside the circle. Along the way: a tie
broken in the console, pause and +1/+5 min, a phone reloaded mid-phase, a phone offline with
a queued card, case 2 from the runner-up (ru) or from a new vote in the break (en), the
closing round's reflection prompts, and the end of the session with its confirmation.
"""
from __future__ import annotations

import math
import re
import time

import pytest

from ..live import with_format
from .conftest import Tr, expect, parse_clock, socket_client, start_server

pytestmark = pytest.mark.browser

SCALE = 0.02  # KRUG_TIME_SCALE: a 10-minute phase lasts 12 s; +1 min adds 1.2 s
FPS = 10  # seven pages repainting a fast-emptying ring at 60 fps would swamp two cores
PHASES = 16

NAMES = {
    "ru": {"leader": "Лея", "coleader": "Дина", "anna": "Анна", "boris": "Борис", "vera": "Вера", "gleb": "Глеб"},
    "en": {"leader": "Lea", "coleader": "Dina", "anna": "Anna", "boris": "Boris", "vera": "Vera", "gleb": "Gleb"},
}
TEXT = {
    "ru": {
        "A": "Пациентка, которая всегда опаздывает", "A_pitch": "Она приходит на двадцать минут позже. Я злюсь и молчу.",
        "B": "Отец, который кричит", "C": "Ученик, который молчит", "D": "Коллега, который всё знает",
        "checkin": "Устала, но рада быть здесь", "request": "Помогите понять, почему я замираю, когда она входит.",
        "why": "Почему вы не сказали ей об этом?", "q_boris": "Сколько длится терапия?", "q_vera": "Что вы почувствовали в тот момент?",
        "h_boris": "Мне кажется, она проверяет, выдержите ли вы её", "h_gleb": "Образ: закрытая дверь и ключ",
        "t_vera": "Опоздание как способ контролировать встречу", "response": "Я увидела свою злость иначе",
        "q2": "Сколько ему лет?", "h2": "Гнев отца как страх", "reflection": "Уношу с собой спокойствие", "note": "ЛИЧНАЯ-ЗАМЕТКА-7741",
    },
    "en": {
        "A": "The patient who always comes late", "A_pitch": "She arrives twenty minutes late. I get angry and say nothing.",
        "B": "The father who shouts", "C": "The pupil who is silent", "D": "The colleague who knows everything",
        "checkin": "Tired but glad to be here", "request": "Help me see why I freeze when she walks in.",
        "why": "Why didn't you tell her?", "q_boris": "How long has the therapy lasted?", "q_vera": "What did you feel at that moment?",
        "h_boris": "I sense she is testing whether you can bear her", "h_gleb": "An image: a closed door and a key",
        "t_vera": "Coming late as a way to control the hour", "response": "I now see my anger differently",
        "q2": "How old is he?", "h2": "The father's anger as fear", "reflection": "I take calm away with me", "note": "PRIVATE-NOTE-7741",
    },
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory, KRUG_TIME_SCALE=str(SCALE))
    yield srv
    srv.stop()


def fmt_clock(sec: float) -> str:
    """krug.js formatClock, for a paused timer whose value is exact."""
    if -1 < sec <= 0:
        sec = 0
    if sec >= 0:
        up = math.ceil(sec - 0.001)
        return f"{up // 60}:{up % 60:02d}"
    over = math.floor(-sec)
    return f"+{over // 60}:{over % 60:02d}"


class Meeting:
    def __init__(self, server, faces, lang: str) -> None:
        self.server = server
        self.faces = faces
        self.lang = lang
        self.tr = Tr(server, lang)
        self.names = NAMES[lang]
        self.text = TEXT[lang]
        self.truth = None        # a python-socketio client with the screen token: the public state
        self.lead_truth = None   # ... and one with the leader's token: the lead state
        self.phones: dict = {}   # role name -> Face (anna, boris, vera, gleb)
        self.shot_phone = None

    # ---- setup

    def open_room(self) -> None:
        tr = self.tr
        console = self.console = self.faces.new("console", "console", self.lang, self.server.url, fps=FPS)
        console.goto(f"/?lang={self.lang}")
        console.by_id("leader-name").fill(self.names["leader"])
        console.by_id("create-btn").click()
        console.page.wait_for_url(re.compile(r"/c/[A-Z0-9]+$"))
        self.code = console.page.evaluate("document.documentElement.dataset.code")
        expect(console.by_id("c-room")).to_be_visible()
        screen_token = console.storage(f"krug:{self.code}:screen")
        self.truth = socket_client(self.server, screen_token)
        self.lead_truth = socket_client(self.server, console.storage(f"krug:{self.code}:token"))

        screen = self.screen = self.faces.new("screen", "screen", self.lang, self.server.url, fps=FPS)
        screen.goto(console.by_id("c-open-screen").get_attribute("href"))
        expect(screen.by_id("s-lobby")).to_be_visible()

        for key in ("anna", "boris", "vera", "gleb", "coleader"):
            phone = self.faces.new("coleader" if key == "coleader" else f"phone-{key}", "phone", self.lang, self.server.url, fps=FPS)
            phone.goto(f"/j/{self.code}")
            phone.by_id("join-name").fill(self.names[key])
            phone.by_id("join-consent").check()
            phone.by_id("join-btn").click()
            expect(phone.by_id("p-lobby-title")).to_have_text(tr("You are in, {name}.", name=self.names[key]))
            if key == "coleader":
                self.coleader = phone
            else:
                self.phones[key] = phone
        self.shot_phone = self.phones["vera"]
        everyone = [self.names[k] for k in ("leader", "anna", "boris", "vera", "gleb", "coleader")]
        expect(screen.by_id("s-lobby-ring").locator(".seat-name")).to_have_text(everyone)
        expect(screen.by_id("s-count")).to_have_text(tr("In the circle: {n}", n=6))
        self.ids = {p["name"]: p["id"] for p in self.truth.wait_for(lambda s: len(s["people"]) == 6)["people"]}

        # The leader makes Dina co-leader; her phone offers the console, which opens phone-sized.
        person = console.locator("#c-person-list li.c-person").filter(has_text=self.names["coleader"])
        person.locator("summary").click()
        person.get_by_role("button", name=tr("Make co-leader")).click()
        link = self.coleader.by_id("p-console-link")
        expect(link).to_have_text(tr("You lead this session: open the leader console"))
        link.click()
        self.coleader.page.wait_for_url(re.compile(rf"/c/{self.code}$"))
        expect(self.coleader.by_id("c-room")).to_be_visible()
        expect(self.coleader.by_id("c-start")).to_be_visible()
        self.coleader.wait_event("me", lambda me: me["role"] == "coleader")
        self.screen.shot("lobby")
        self.shot_phone.shot("lobby")
        self.coleader.shot("console-lobby")

    # ---- helpers

    def state(self, predicate=lambda s: True, timeout: float = 5.0) -> dict:
        return with_format(self.truth.wait_for(predicate, timeout=timeout), self.truth.format)

    def phase_state(self, index: int) -> dict:
        return self.state(lambda s: s["status"] == "running" and s["phase"]["index"] == index)

    def move_on(self, index: int) -> dict:
        """The leader's "Next" with its confirmation; returns the new public state."""
        tr = self.tr
        self.console.by_id("c-next").click()
        dialog = self.console.by_id("confirm-dialog")
        expect(dialog).to_be_visible()
        title = tr.pick(self.state()["plan"]["phases"][index]["title"])
        expect(self.console.by_id("confirm-text")).to_have_text(tr("Move on to “{title}”?", title=title))
        self.console.by_id("confirm-ok").click()
        expect(dialog).to_be_hidden()
        return self.check_phase(index)

    def check_phase(self, index: int) -> dict:
        """Title, step, rule and a running countdown on the screen, every phone and the console."""
        tr = self.tr
        state = self.phase_state(index)
        phase = state["phase"]
        title, rule = tr.pick(phase["title"]), tr.pick(phase["rule"])
        step = tr("Step {i} of {n}", i=index + 1, n=PHASES)
        if phase["case"]:
            step = tr("Case {n}", n=phase["case"]) + " · " + step
        screen = self.screen
        expect(screen.by_id("s-run")).to_be_visible()
        expect(screen.by_id("s-title")).to_have_text(title)
        expect(screen.by_id("s-step")).to_have_text(step)
        expect(screen.by_id("s-rule")).to_have_text(rule)
        expect(screen.locator("#s-plan .plan-seg")).to_have_count(PHASES)
        expect(screen.locator("#s-plan .plan-seg").nth(index)).to_have_class(re.compile(r"\bis-current\b"))
        self.check_countdown(screen, "#s-clock", state)
        silent = self.presenter_key(state) if phase["silent"] else None
        for key, phone in self.phones.items():
            expect(phone.by_id("p-phase-title")).to_have_text(title)
            expect(phone.by_id("p-step")).to_have_text(step)
            expect(phone.by_id("p-clock")).to_be_visible()
            if key == silent:
                expect(phone.by_id("p-rule")).to_be_hidden()
            else:
                expect(phone.by_id("p-rule")).to_have_text(rule)
        self.check_countdown(self.phones["vera"], "#p-clock", state)
        lead = with_format(self.lead_truth.wait_for(lambda s: s["status"] == "running" and s["phase"]["index"] == index),
                           self.lead_truth.format)
        for face in (self.console, self.coleader):
            expect(face.by_id("c-now-title")).to_have_text(title)
            expect(face.by_id("c-prompt")).to_have_text(tr.pick(lead["phase"]["prompt"]))
        self.assert_no_prompt_leaked()
        return state

    def assert_no_prompt_leaked(self) -> None:
        """The leader's hint never reaches a phone or the screen."""
        for face in (self.screen, *self.phones.values()):
            for state in face.events("room_state"):
                assert not state.get("phase") or "prompt" not in state["phase"], face.name
            for fmt in face.events("room_format"):
                assert not any("prompt" in phase for phase in fmt["phases"]), face.name

    def check_countdown(self, face, where: str, state: dict) -> None:
        clock = face.locator(f"{where} .cd-time")
        expect(clock).to_have_text(re.compile(r"^\+?\d+:\d\d$"))
        timer = state["timer"]
        if timer["paused_remaining"] is not None:
            expect(clock).to_have_text(fmt_clock(timer["paused_remaining"]))
            return
        before = timer["ends_at"] - time.time()
        shown = parse_clock(clock.inner_text())
        after = timer["ends_at"] - time.time()
        assert math.floor(after) - 1 <= shown <= math.ceil(before) + 1, (face.name, shown, before, after)

    def presenter_key(self, state: dict) -> str | None:
        case = next((c for c in state["cases"] if c["number"] == state["phase"]["case"]), None)
        if not case or not case["presenter"]:
            return None
        return next(k for k, v in self.names.items() if self.ids.get(v) == case["presenter"])

    def shots(self, phase: str) -> None:
        self.screen.shot(phase)
        self.shot_phone.shot(phase)

    def post(self, phone, text: str) -> None:
        phone.by_id("compose-text").fill(text)
        phone.by_id("compose-btn").click()
        expect(phone.by_id("compose-text")).to_have_value("")
        expect(phone.locator("#p-card-list .card-text").filter(has_text=text)).to_have_count(1)

    def wall(self, text: str):
        return self.screen.locator("#s-wall-track .wall-text").filter(has_text=text)

    def nominate(self, phone, title: str, pitch: str = "") -> None:
        phone.by_id("p-nominate-open").click()
        phone.by_id("nom-title").fill(title)
        if pitch:
            phone.by_id("nom-pitch").fill(pitch)
        phone.locator("#nominate-form button[type=submit]").click()
        expect(phone.locator("#p-my-noms .nom-title").filter(has_text=title)).to_have_count(1)

    def vote(self, phone, title: str) -> None:
        item = phone.locator("#p-ballot li.ballot-item").filter(has_text=title)
        item.get_by_role("button", name=self.tr("Vote for this case")).click()
        expect(item.locator(".my-vote")).to_have_text(self.tr("Your vote"))

    def lead_button(self, label: str):
        return self.console.by_id("c-vote-actions").get_by_role("button", name=label, exact=True)

    def assert_no_tallies(self) -> None:
        expect(self.screen.locator("#s-noms .tally")).to_have_count(0)
        for phone in self.phones.values():
            expect(phone.locator("#p-ballot .tally")).to_have_count(0)
        self.assert_tallies_never_leaked()

    def assert_tallies_never_leaked(self) -> None:
        """No room_state a phone or the screen received carried tallies before the reveal."""
        for face in (self.screen, *self.phones.values()):
            for state in face.events("room_state"):
                vote = state.get("vote") or {}
                assert "tallies" not in vote or vote["revealed"], (face.name, vote)
        for state in [self.truth.state]:
            vote = state.get("vote") or {}
            assert "tallies" not in vote or vote["revealed"]

    # ---- the silent presenter

    def check_silent(self, key: str, title_of_case: str) -> None:
        tr = self.tr
        phone = self.phones[key]
        expect(phone.by_id("p-silent")).to_be_visible()
        expect(phone.by_id("p-silent")).to_contain_text(tr("You are outside the circle: listen."))
        expect(phone.by_id("p-compose")).to_be_hidden()
        expect(phone.by_id("compose-btn")).to_be_hidden()
        expect(phone.by_id("p-note")).to_be_visible()
        expect(phone.by_id("p-cards")).to_be_visible()  # the listening view: the cards arrive
        phone.wait_event("me", lambda me: me["silent"] is True)
        # The page's own socket client, with this phone's token: the server refuses the post.
        ack = phone.page.evaluate("""([code, kind]) => new Promise((resolve) => {
            const token = localStorage.getItem('krug:' + code + ':token');
            const s = io({ auth: { token }, transports: ['websocket'], forceNew: true, reconnection: false });
            s.on('connect_error', (e) => resolve({ connect_error: String(e) }));
            s.on('connect', () => s.timeout(5000).emit('post_card',
                { client_id: 'silent-try-' + kind, kind, text: 'Let me explain' },
                (err, ack) => { s.disconnect(); resolve(err ? { timeout: true } : ack); }));
        })""", [self.code, "hypothesis" if "hypotheses" in self.state()["phase"]["key"] else "thought"])
        assert ack["ok"] is False and ack["error"]["code"] == "presenter_is_silent", ack
        # The screen: presenter outside the circle, their seat empty, their name outside the ring.
        expect(self.screen.by_id("s-badge-outside")).to_be_visible()
        expect(self.screen.by_id("s-badge-outside")).to_have_text(tr("Presenter is outside the circle"))
        expect(self.screen.locator("#s-run-ring .seat.is-empty")).to_have_count(1)
        expect(self.screen.locator("#s-run-ring .seat-outside .seat-name")).to_have_text(self.names[key])
        expect(self.screen.by_id("s-case")).to_contain_text(title_of_case)
        for other, p in self.phones.items():
            if other != key:
                expect(p.by_id("p-silent")).to_be_hidden()
                expect(p.by_id("p-compose")).to_be_visible()

    def check_not_silent(self) -> None:
        expect(self.screen.by_id("s-badge-outside")).to_be_hidden()
        expect(self.screen.locator("#s-run-ring .seat.is-empty")).to_have_count(0)
        for phone in self.phones.values():
            expect(phone.by_id("p-silent")).to_be_hidden()

    # ---- the timer controls

    def expect_all_clocks(self, text: str) -> None:
        for face, where in [(self.screen, "#s-clock"), (self.console, "#c-clock"), (self.coleader, "#c-clock")] + \
                [(p, "#p-clock") for p in self.phones.values()]:
            expect(face.locator(f"{where} .cd-time")).to_have_text(text)

    def pause_and_extend(self) -> None:
        tr = self.tr
        console = self.console
        expect(console.by_id("c-pause")).to_have_text(tr("Pause"))
        console.by_id("c-pause").click()
        paused = self.state(lambda s: s["timer"]["paused_remaining"] is not None)["timer"]["paused_remaining"]
        expect(self.screen.by_id("s-badge-paused")).to_be_visible()
        expect(self.screen.locator("#s-clock .cd-sub")).to_have_text(tr("Paused"))
        for phone in self.phones.values():
            expect(phone.locator("#p-clock .cd-sub")).to_have_text(tr("Paused"))
        self.expect_all_clocks(fmt_clock(paused))
        self.shots("paused")
        # +1 min and +5 min, while paused: every face shows exactly the new remaining time.
        console.by_id("c-plus1").click()
        plus1 = self.state(lambda s: s["timer"]["paused_remaining"] > paused + 30 * SCALE)["timer"]["paused_remaining"]
        assert plus1 == pytest.approx(paused + 60 * SCALE)
        self.expect_all_clocks(fmt_clock(plus1))
        console.by_id("c-plus5").click()
        plus5 = self.state(lambda s: s["timer"]["paused_remaining"] > plus1 + 150 * SCALE)["timer"]["paused_remaining"]
        assert plus5 == pytest.approx(plus1 + 300 * SCALE)
        self.expect_all_clocks(fmt_clock(plus5))
        shown = parse_clock(fmt_clock(plus5)) - parse_clock(fmt_clock(paused))
        assert abs(shown - 360 * SCALE) <= 1, shown  # 6 minutes more, as the faces show it
        self.shots("extended")
        # The co-leader keeps time: she resumes from the console on her phone.
        co = self.coleader
        expect(co.by_id("c-pause")).to_have_text(tr("Resume"))
        co.by_id("c-pause").click()
        running = self.state(lambda s: s["timer"]["paused_remaining"] is None)
        expect(self.screen.by_id("s-badge-paused")).to_be_hidden()
        expect(console.by_id("c-pause")).to_have_text(tr("Pause"))
        assert running["timer"]["ends_at"] - running["server_now"] == pytest.approx(plus5, abs=0.5)
        # Running again: the clocks move on from the extended time.
        frozen = fmt_clock(plus5)
        expect(self.screen.locator("#s-clock .cd-time")).not_to_have_text(frozen)
        self.check_countdown(self.screen, "#s-clock", running)
        self.check_countdown(self.phones["boris"], "#p-clock", running)
        # +1 min while running moves ends_at by a minute (scaled).
        console.by_id("c-plus1").click()
        later = self.state(lambda s: s["timer"]["ends_at"] > running["timer"]["ends_at"] + 30 * SCALE)
        assert later["timer"]["ends_at"] == pytest.approx(running["timer"]["ends_at"] + 60 * SCALE)
        self.check_countdown(self.screen, "#s-clock", later)

    def run_into_overtime(self) -> None:
        """Paused, −1 min at a time: the last minute shows as a warning, past zero as overtime (on
        every face, to the second); resumed, the overtime counts up."""
        tr = self.tr
        faces = [(self.screen, "#s-clock"), (self.console, "#c-clock")] + [(p, "#p-clock") for p in self.phones.values()]
        self.console.by_id("c-pause").click()
        left = self.state(lambda s: s["timer"]["paused_remaining"] is not None)["timer"]["paused_remaining"]

        def minus_one() -> float:
            self.console.by_id("c-minus1").click()
            return self.state(lambda s: s["timer"]["paused_remaining"] < left - 30 * SCALE)["timer"]["paused_remaining"]

        while left > 60:
            left = minus_one()
        if left >= 0:
            for face, where in faces[:3]:
                expect(face.locator(f"{where} .countdown")).to_have_class(re.compile(r"\bis-warning\b"))
        while left > -1:
            left = minus_one()
        for face, where in faces:
            expect(face.locator(f"{where} .countdown")).to_have_class(re.compile(r"\bis-over\b"))
            expect(face.locator(f"{where} .cd-time")).to_have_text(fmt_clock(left))
            expect(face.locator(f"{where} .cd-sub")).to_have_text(tr("Paused"))
        assert fmt_clock(left).startswith("+")
        self.coleader.by_id("c-pause").click()
        over = self.state(lambda s: s["timer"]["paused_remaining"] is None)
        for face, where in faces:
            expect(face.locator(f"{where} .cd-sub")).to_have_text(tr("overtime"))
            expect(face.locator(f"{where} .countdown")).to_have_class(re.compile(r"\bis-over\b"))
        # It counts up.
        clock = self.screen.locator("#s-clock .cd-time")
        first = parse_clock(clock.inner_text())
        expect(clock).not_to_have_text(fmt_clock(first))
        assert parse_clock(clock.inner_text()) < first
        self.check_countdown(self.screen, "#s-clock", over)
        self.check_countdown(self.phones["vera"], "#p-clock", over)
        self.shots("closing-overtime")

    # ---- the vote

    def run_vote(self, number: int, nominations: list[tuple[str, str, str]], ballots: list[tuple[str, str]],
                 tie: bool, pick: str | None = None, new_vote: bool = False) -> dict:
        tr = self.tr
        console, screen = self.console, self.screen
        for key, title, pitch in nominations:
            self.nominate(self.phones[key], title, pitch)
        for _, title, _ in nominations:
            if not new_vote:  # in the break the screen shows the ballot once the new vote opens
                expect(screen.locator("#s-noms .s-nom-title").filter(has_text=title)).to_have_count(1)
            expect(console.locator("#c-noms .c-nom-title").filter(has_text=title)).to_have_count(1)
        self.shots(f"nominations-{number}")
        if new_vote:
            expect(console.by_id("c-vote-case")).to_have_value(str(number))
            self.lead_button(tr("Open a new vote")).click()
        else:
            self.lead_button(tr("Open the vote")).click()
        state = self.state(lambda s: s["vote"] and s["vote"]["open"] and s["vote"]["case"] == number)
        candidates = {n["title"]: n["id"] for n in state["nominations"] if n["id"] in state["vote"]["candidates"]}
        for title in candidates:
            expect(screen.locator("#s-noms .s-nom-title").filter(has_text=title)).to_have_count(1)
        for phone in self.phones.values():
            expect(phone.by_id("p-vote")).to_be_visible()
            expect(phone.locator("#p-ballot li.ballot-item")).to_have_count(len(candidates))
        for phone in self.phones.values():
            # protocol: `me` is sent whenever a person's own votes change, and a new vote starts empty.
            try:
                phone.wait_event("me", lambda me: me["votes"] == [], timeout=3)
            except AssertionError:
                raise AssertionError(
                    f"{phone.name} still holds its ballots of the previous vote in `me` ({phone.last('me')['votes']}): "
                    "the server sent no fresh `me` when the vote opened, so the phone's ballot counts them against "
                    "the vote budget and the person cannot vote") from None
        for i, (key, title) in enumerate(ballots):
            self.vote(self.phones[key], title)
            expect(screen.by_id("s-vote-head")).to_have_text(tr("The vote is open · {n} people have voted", n=i + 1))
            self.assert_no_tallies()
        self.shots(f"vote-{number}-open")
        # Closing: the leaders see the tallies, the group does not.
        self.lead_button(tr("Close the vote")).click()
        closed = self.state(lambda s: s["vote"] and not s["vote"]["open"])
        expect(screen.by_id("s-vote-head")).to_have_text(tr("The vote is closed · {n} people voted", n=len(ballots)))
        for phone in self.phones.values():
            expect(phone.by_id("p-vote-budget")).to_have_text(tr("The vote is closed. The leader will show the results."))
        self.assert_no_tallies()
        expect(console.locator("#c-noms .tag-tally").first).to_be_visible()
        if tie:
            assert closed["vote"]["winner"] is None
            expect(console.by_id("c-vote-status")).to_have_text(tr("Vote for case {n}: a tie. Choose the case.", n=number))
            for co_or_leader in (console, self.coleader):
                expect(co_or_leader.locator('#c-vote-actions [data-fk^="tie-"]')).to_have_count(2)
            console.shot(f"tie-{number}")
            self.lead_button(tr("Choose “{title}”", title=pick)).click()
            self.state(lambda s: s["vote"]["winner"] == candidates[pick])
            self.assert_no_tallies()
        self.lead_button(tr("Reveal the results")).click()
        revealed = self.state(lambda s: s["vote"]["revealed"])
        winner = revealed["vote"]["winner"]
        winner_title = next(t for t, i in candidates.items() if i == winner)
        expect(screen.by_id("s-vote-head")).to_have_text(tr("Case {n}: {title}", n=number, title=winner_title))
        expect(screen.locator("#s-noms .tally")).to_have_count(len(candidates))
        expect(screen.locator("#s-noms .s-nom.is-winner .s-nom-title")).to_contain_text(winner_title)
        for phone in self.phones.values():
            expect(phone.locator("#p-ballot .tally")).to_have_count(len(candidates))
        tallies = revealed["vote"]["tallies"]
        assert tallies == {i: sum(1 for _, t in ballots if candidates[t] == i) for i in candidates.values()}
        self.shots(f"vote-{number}-revealed")
        return revealed

    # ---- the meeting

    def run(self) -> None:
        tr, text, names = self.tr, self.text, self.names
        self.open_room()
        console, screen, phones = self.console, self.screen, self.phones
        anna, boris, vera, gleb = (phones[k] for k in ("anna", "boris", "vera", "gleb"))
        console.by_id("c-start").click()

        # 1 · check-in: everyone may write a check-in word
        self.check_phase(0)
        self.post(vera, text["checkin"])
        expect(self.wall(text["checkin"])).to_have_count(1)
        expect(screen.locator("#s-wall-track .wall-by")).to_have_text([names["vera"]])
        self.shots("check-in")
        console.shot("check-in")

        # 2 · nomination and vote: a tie the leader breaks; the runner-up is offered for case 2
        self.move_on(1)
        expect(screen.by_id("s-vote-head")).to_have_text(tr("Who has a case? Put it forward from your phone."))
        self.run_vote(
            1, [("anna", text["A"], text["A_pitch"]), ("boris", text["B"], ""), ("vera", text["C"], "")],
            [("anna", text["B"]), ("boris", text["A"]), ("vera", text["A"]), ("gleb", text["B"])],
            tie=True, pick=text["A"])
        expect(anna.by_id("p-vote-result")).to_contain_text(tr("This is your case. You will present it."))
        expect(boris.by_id("p-vote-result")).not_to_contain_text(tr("This is your case. You will present it."))
        cases = console.locator("#c-case-list li")
        expect(cases.nth(0)).to_contain_text(text["A"])
        expect(cases.nth(0)).to_contain_text(tr("Presenter: {name}", name=names["anna"]))
        expect(cases.nth(1)).to_contain_text(text["B"])  # the runner-up
        expect(cases.nth(1)).to_contain_text(tr("Presenter: {name}", name=names["boris"]))

        # 3 · case 1: presentation
        self.move_on(2)
        expect(screen.by_id("s-case")).to_contain_text(text["A"])
        expect(screen.by_id("s-case")).to_contain_text(tr("Presenter: {name}", name=names["anna"]))
        expect(anna.locator("#p-case .p-case-who")).to_have_text(tr("Your case"))
        expect(boris.locator("#p-case .p-case-who")).to_have_text(tr("Presenter: {name}", name=names["anna"]))
        for phone in phones.values():
            expect(phone.by_id("p-compose")).to_be_hidden()
        self.check_not_silent()
        self.shots("case1-presentation")

        # 4 · the presenter's request
        self.move_on(3)
        expect(screen.by_id("s-case")).to_contain_text(tr("The request will appear here."))
        expect(anna.by_id("p-request")).to_be_visible()
        for key in ("boris", "vera", "gleb"):
            expect(phones[key].by_id("p-request")).to_be_hidden()
        anna.shot("case1-request-writing")
        anna.by_id("request-text").fill(text["request"])
        anna.by_id("request-btn").click()
        expect(anna.by_id("request-saved")).to_have_text(tr("Saved. It is on the screen."))
        expect(screen.locator("#s-case .s-request-text")).to_have_text(text["request"])
        expect(vera.locator("#p-case .p-case-request")).to_contain_text(text["request"])
        expect(console.locator("#c-case-list .c-case-request").first).to_contain_text(text["request"])
        self.shots("case1-request")

        # 5 · questions of fact; a reload mid-phase; pause, +1, +5 and resume
        self.move_on(4)
        self.pause_and_extend()
        expect(anna.by_id("p-compose")).to_be_hidden()  # questions come from the circle
        boris.by_id("compose-text").fill(text["why"])
        expect(boris.by_id("compose-nudge")).to_be_visible()
        self.post(boris, text["q_boris"])
        self.post(vera, text["q_vera"])
        expect(self.wall(text["q_boris"])).to_have_count(1)
        expect(self.wall(text["q_vera"])).to_have_count(1)
        expect(screen.locator("#s-wall-track .wall-card").filter(has_text=text["q_vera"]).locator(".wall-by")).to_have_text(names["vera"])
        expect(screen.by_id("s-case")).to_contain_text(text["request"])  # the request stays in view
        vera.page.reload()
        expect(vera.by_id("p-room")).to_be_visible()
        expect(vera.by_id("p-join")).to_be_hidden()
        state = self.check_phase(4)
        mine = vera.locator("#p-card-list li.card.is-mine").filter(has_text=text["q_vera"])
        expect(mine).to_have_count(1)
        expect(mine.locator(".card-meta")).to_have_text(tr("you"))
        expect(vera.by_id("p-compose")).to_be_visible()
        expect(vera.by_id("compose-label")).to_have_text(tr("Your question of fact"))
        vera.wait_event("me", lambda me: me["person"] == self.ids[names["vera"]] and me["role"] == "participant")
        self.shots("case1-questions")

        # 6 · hypotheses: Anna is outside the circle; Gleb's phone loses the network with a card queued
        self.move_on(5)
        state = self.phase_state(5)
        assert state["presenter_outside"] is True
        self.check_silent("anna", text["A"])
        anna.by_id("note-text").fill(text["note"])
        anna.shot("case1-hypotheses-silent")
        self.post(boris, text["h_boris"])
        expect(self.wall(text["h_boris"])).to_have_count(1)
        expect(screen.locator("#s-wall-track .wall-card.card-hypothesis .wall-by")).to_have_count(0)  # anonymous
        expect(anna.locator("#p-card-list .card-text").filter(has_text=text["h_boris"])).to_have_count(1)

        gleb.tolerate()  # the failed reconnection attempts while offline
        gleb.context.set_offline(True)
        expect(gleb.by_id("conn-banner")).to_be_visible()
        expect(gleb.by_id("conn-banner")).to_have_text(tr("Reconnecting…"))
        gleb.by_id("compose-text").fill(text["h_gleb"])
        gleb.by_id("compose-btn").click()
        pending = gleb.locator("#p-card-list li.is-pending")
        expect(pending).to_have_count(1)
        expect(pending.locator(".card-meta")).to_have_text(tr("Sending…"))
        gleb.shot("case1-hypotheses-offline")
        # A while without network: the phone tries to reconnect, twice in vain.
        failed_before = len([m for m in gleb.tolerated_seen if m.startswith("WebSocket")])
        deadline = time.monotonic() + 15
        while len([m for m in gleb.tolerated_seen if m.startswith("WebSocket")]) < failed_before + 2:
            assert time.monotonic() < deadline, f"no reconnection attempts seen: {gleb.tolerated_seen}"
            gleb.page.wait_for_timeout(100)
        expect(pending).to_have_count(1)
        assert not [c for c in self.state()["cards"] if c["text"] == text["h_gleb"]]
        expect(self.wall(text["h_gleb"])).to_have_count(0)
        gleb.context.set_offline(False)
        expect(self.wall(text["h_gleb"])).to_have_count(1, timeout=15_000)
        expect(gleb.by_id("conn-banner")).to_be_hidden()
        expect(pending).to_have_count(0)
        gleb.page.wait_for_function(
            "(key) => JSON.parse(localStorage.getItem(key) || '[]').length === 0", arg=f"krug:{self.code}:outbox")
        expect(gleb.locator("#p-card-list .card-text").filter(has_text=text["h_gleb"])).to_have_count(1)
        expect(self.wall(text["h_gleb"])).to_have_count(1)
        expect(console.locator("#c-card-list .c-card-text").filter(has_text=text["h_gleb"])).to_have_count(1)
        assert len([c for c in self.state()["cards"] if c["text"] == text["h_gleb"]]) == 1
        self.shots("case1-hypotheses")

        # 7 · discussion: Anna still outside; her private note stays on her phone
        self.move_on(6)
        self.check_silent("anna", text["A"])
        expect(anna.by_id("note-text")).to_have_value(text["note"])
        self.post(vera, text["t_vera"])
        expect(self.wall(text["t_vera"])).to_have_count(1)
        expect(self.wall(text["h_boris"])).to_have_count(0)  # the wall shows this phase's kind only
        self.shots("case1-discussion")

        # 8 · the presenter returns and answers
        self.move_on(7)
        self.check_not_silent()
        expect(anna.by_id("p-compose")).to_be_visible()
        expect(anna.by_id("compose-label")).to_have_text(tr("What struck you, what you now see differently"))
        self.post(anna, text["response"])
        expect(self.wall(text["response"])).to_have_count(1)
        expect(boris.by_id("compose-label")).to_have_text(tr("A thought, a link, what you notice"))
        self.shots("case1-return")

        # 9 · break: case 2 from the runner-up (ru) or from a new vote (en)
        self.move_on(8)
        for phone in phones.values():
            expect(phone.by_id("p-compose")).to_be_hidden()
        if self.lang == "en":
            revealed = self.run_vote(
                2, [("gleb", text["D"], "")],
                [("anna", text["D"]), ("boris", text["D"]), ("vera", text["C"])], tie=False, new_vote=True)
            assert revealed["cases"][1]["presenter"] == self.ids[names["gleb"]]
            # Boris, the runner-up, lost case 2 to the new vote: his phone must learn it.
            try:
                boris.wait_event("me", lambda me: me["presenter_of"] == [], timeout=3)
            except AssertionError:
                raise AssertionError(
                    f"Boris still has presenter_of={boris.last('me')['presenter_of']} in `me` after case 2 went to "
                    "another nomination: the server sent no fresh `me` on close_vote, so his phone acts as the "
                    "presenter of case 2 (no compose box in its phases, the export panel)") from None
            gleb.wait_event("me", lambda me: me["presenter_of"] == [2])
            presenter2, title2 = "gleb", text["D"]
        else:
            presenter2, title2 = "boris", text["B"]
            self.shots("break")
        expect(console.locator("#c-case-list li").nth(1)).to_contain_text(title2)
        expect(console.locator("#c-case-list li").nth(1)).to_contain_text(tr("Presenter: {name}", name=names[presenter2]))

        # 10-15 · case 2
        p2 = phones[presenter2]
        self.move_on(9)
        expect(screen.by_id("s-case")).to_contain_text(title2)
        expect(screen.by_id("s-case")).to_contain_text(tr("Presenter: {name}", name=names[presenter2]))
        expect(p2.locator("#p-case .p-case-who")).to_have_text(tr("Your case"))
        self.shots("case2-presentation")
        self.move_on(10)
        p2.by_id("request-text").fill(text["request"] + " 2")
        p2.by_id("request-btn").click()
        expect(screen.locator("#s-case .s-request-text")).to_have_text(text["request"] + " 2")
        self.shots("case2-request")
        self.move_on(11)
        self.post(anna, text["q2"])
        expect(self.wall(text["q2"])).to_have_count(1)
        expect(self.wall(text["q_vera"])).to_have_count(0)  # case 1's cards are gone from the wall
        self.shots("case2-questions")
        self.move_on(12)
        self.check_silent(presenter2, title2)
        self.post(vera, text["h2"])
        expect(self.wall(text["h2"])).to_have_count(1)
        self.shots("case2-hypotheses")
        self.move_on(13)
        self.check_silent(presenter2, title2)
        self.shots("case2-discussion")
        self.move_on(14)
        self.check_not_silent()
        expect(p2.by_id("p-compose")).to_be_visible()
        self.shots("case2-return")

        # 16 · closing round with the reflection prompts
        state = self.move_on(15)
        prompts = [tr.pick(p) for p in state["phase"]["reflection"]]
        assert len(prompts) == 3
        expect(screen.locator("#s-prompts li")).to_have_text(prompts)
        for phone in phones.values():
            expect(phone.locator("#p-prompts li")).to_have_text(prompts)
            expect(phone.by_id("p-compose")).to_be_visible()
        self.post(anna, text["reflection"])
        expect(self.wall(text["reflection"])).to_have_count(1)
        expect(console.by_id("c-next")).to_be_disabled()
        self.shots("closing")
        self.run_into_overtime()
        console.shot("closing")
        self.assert_tallies_never_leaked()

        # The end: a confirmation first (cancel changes nothing), then everything is gone.
        console.by_id("c-end").click()
        expect(console.by_id("confirm-dialog")).to_be_visible()
        expect(console.by_id("confirm-text")).to_have_text(tr(
            "End the session? All case content (names, titles, requests, cards) will be deleted for everyone. This cannot be undone."))
        expect(console.by_id("confirm-ok")).to_have_text(tr("End and delete"))
        console.by_id("confirm-cancel").click()
        expect(console.by_id("confirm-dialog")).to_be_hidden()
        assert self.state()["status"] == "running"
        expect(screen.by_id("s-run")).to_be_visible()
        console.by_id("c-end").click()
        console.by_id("confirm-ok").click()
        ended = self.state(lambda s: s["status"] == "ended")
        assert ended["cards"] == [] and ended["nominations"] == []
        expect(screen.by_id("s-ended")).to_be_visible()
        expect(screen.by_id("s-ended")).to_contain_text(tr("The session has ended"))
        for phone in phones.values():
            expect(phone.by_id("p-ended")).to_be_visible()
            expect(phone.by_id("p-room")).to_be_hidden()
        expect(console.by_id("c-ended")).to_be_visible()
        expect(self.coleader.by_id("c-ended")).to_be_visible()
        for face in (*phones.values(), console, self.coleader):
            face.page.wait_for_function("(key) => localStorage.getItem(key) === null", arg=f"krug:{self.code}:token")
        assert anna.storage(f"krug:{self.code}:note") is None
        # The room's view is gone from the page, the note with it (nothing stays on a device).
        expect(anna.by_id("note-text")).to_have_count(0)
        assert text["note"] not in anna.page.content()
        # The private note never left Anna's phone.
        assert not [f for f in anna.sent if text["note"] in f]
        self.shots("ended")
        # A reload after the end still shows the end, not a join form.
        vera.page.reload()
        expect(vera.by_id("p-ended")).to_be_visible()


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_whole_classic_meeting(server, faces, lang):
    meeting = Meeting(server, faces, lang)
    try:
        meeting.run()
    finally:
        for client in (meeting.truth, meeting.lead_truth):
            if client:
                client.close()
    faces.assert_clean()
