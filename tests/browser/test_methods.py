"""Issue "the seeds' other methods" in Chromium, in Russian: a tutorial whose group work runs in
trios (the screen shows who is with whom as small rings; each phone its group, its role this
round and the round's clock), a troika whose client listens with their back turned, and a
«запуск маршрута» meeting of tutor support that ends with the teacher downloading the route
card and opening it again on the phone. Screenshots of the screen during the split and of a
phone in each role are kept in test-artifacts/screens/."""
from __future__ import annotations

import re

import pytest

from ..live import with_format
from .conftest import Tr, expect, join_over_http, socket_client, start_server

pytestmark = pytest.mark.browser

SCALE = 0.05  # a 5-minute round lasts 15 s
FPS = 10
LANG = "ru"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory, KRUG_TIME_SCALE=str(SCALE))
    yield srv
    srv.stop()


class Room:
    """A console, a screen, browser phones and socket-client phones in one room."""

    def __init__(self, server, faces, format_id: str, lang: str = LANG) -> None:
        self.server, self.faces, self.tr, self.lang = server, faces, Tr(server, lang), lang
        console = self.console = faces.new("console", "console", lang, server.url, fps=FPS)
        console.goto(f"/?lang={lang}")
        console.by_id("leader-name").fill("Лея")
        console.locator(f'input[name="format_id"][value="{format_id}"]').check()
        console.by_id("create-btn").click()
        console.page.wait_for_url(re.compile(r"/c/[A-Z0-9]+$"))
        self.code = console.page.evaluate("document.documentElement.dataset.code")
        self.truth = socket_client(server, console.storage(f"krug:{self.code}:screen"))
        self.lead = socket_client(server, console.storage(f"krug:{self.code}:token"))
        screen = self.screen = faces.new("screen", "screen", lang, server.url, fps=FPS)
        screen.goto(console.by_id("c-open-screen").get_attribute("href"))
        expect(screen.by_id("s-lobby")).to_be_visible()
        self.phones: dict[str, object] = {}
        self.sockets: dict[str, object] = {}

    def join_phone(self, name: str):
        phone = self.faces.new(f"phone-{len(self.phones) + 1}", "phone", self.lang, self.server.url, fps=FPS)
        phone.goto(f"/j/{self.code}")
        phone.by_id("join-name").fill(name)
        phone.by_id("join-consent").check()
        phone.by_id("join-btn").click()
        expect(phone.by_id("p-lobby-title")).to_have_text(self.tr("You are in, {name}.", name=name))
        self.phones[name] = phone
        return phone

    def join_socket(self, name: str):
        self.sockets[name] = socket_client(self.server, join_over_http(self.server, self.code, name))
        return self.sockets[name]

    def state(self, predicate=lambda s: True) -> dict:
        return with_format(self.truth.wait_for(predicate, timeout=8), self.truth.format)

    def ids(self) -> dict[str, str]:
        return {p["name"]: p["id"] for p in self.truth.state["people"]}

    def next(self, expected_title: str | None = None) -> None:
        self.console.by_id("c-next").click()
        if expected_title is not None:
            expect(self.console.by_id("confirm-text")).to_have_text(self.tr("Move on to “{title}”?", title=expected_title))
        self.console.by_id("confirm-ok").click()
        expect(self.console.by_id("confirm-dialog")).to_be_hidden()


def role_label(tr: Tr, state: dict, role: str) -> str:
    if role == "free":
        return tr("Your group has finished its rounds: sit quietly and note what you take away.")
    spec = state["phase"]["groups"]
    return tr.pick(spec["steps"][state["groups"]["step"]]["roles"][role]["label"])


def test_tutorial_in_russian_with_trios(server, faces):
    room = Room(server, faces, "tutorial")
    tr = room.tr
    for name in ("Анна", "Борис", "Вера"):
        room.join_phone(name)
    for name in ("Глеб", "Дарья", "Егор"):
        room.join_socket(name)
    room.state(lambda s: len(s["people"]) == 7)
    room.console.by_id("c-start").click()
    state = room.state(lambda s: s["status"] == "running")
    expect(room.screen.by_id("s-title")).to_have_text("Начало. Знакомство (вхождение в деятельность)")
    anna = room.phones["Анна"]
    anna.by_id("compose-text").fill("Я учитель математики, мне интересны проекты")
    anna.by_id("compose-btn").click()
    expect(room.screen.locator("#s-wall-track .wall-text")).to_have_text(["Я учитель математики, мне интересны проекты"])

    room.next("Начало. «Размораживание»")
    room.next("Развитие. Организация изучения")
    expect(room.screen.by_id("s-title")).to_have_text("Развитие. Организация изучения")
    room.next("Развитие. Организация групповой работы")

    # The split: two trios as small rings on the screen; the console may swap people.
    state = room.state(lambda s: s.get("groups") is not None)
    assert [len(g["members"]) for g in state["groups"]["list"]] == [3, 3]
    screen = room.screen
    expect(screen.by_id("s-groups")).to_be_visible()
    expect(screen.by_id("s-groups-head")).to_have_text(tr("Find your group"))
    expect(screen.locator("#s-group-rings .group-ring")).to_have_count(2)
    expect(screen.locator("#s-group-rings .group-name")).to_have_count(6)
    expect(screen.by_id("s-groups-rule")).to_have_text(tr("{n} groups: {kind}", n=2, kind=tr("trios")))
    names = {pid: name for name, pid in room.ids().items()}
    first, second = state["groups"]["list"][0]["members"][0], state["groups"]["list"][1]["members"][0]
    console = room.console
    expect(console.by_id("c-groups")).to_be_visible()
    console.locator("#c-group-list .chip-btn").filter(has_text=names[first]).click()
    console.locator("#c-group-list .chip-btn").filter(has_text=names[second]).click()
    state = room.state(lambda s: s["groups"]["list"][0]["members"][0] == second)
    for phone in room.phones.values():
        expect(phone.by_id("p-group")).to_be_visible()
        expect(phone.by_id("p-group-role")).to_have_text(tr("Find your group: the people below."))
    room.screen.shot("split-forming")
    console.shot("console-split")

    # Three rounds: each phone shows its role in this round, and the round's clock.
    room.next(tr("Round {i} of {n}", i=1, n=3))  # one step a round: no step title
    shot_roles: set[str] = set()
    for round_index in range(3):
        state = room.state(lambda s, r=round_index: not s["groups"]["forming"] and s["groups"]["round"] == r)
        roles = {pid: role for g in state["groups"]["list"] for pid, role in g["roles"].items()}
        expect(screen.by_id("s-groups-head")).to_have_text(tr("Round {i} of {n}", i=round_index + 1, n=3))
        expect(screen.locator("#s-group-rings .group-role")).to_have_count(6)
        expect(screen.by_id("s-rule")).to_have_text(tr.pick(state["phase"]["groups"]["steps"][0]["rule"]))
        if round_index == 0:
            screen.shot("split-round")
        ids = room.ids()
        for name, phone in room.phones.items():
            role = roles[ids[name]]
            expect(phone.by_id("p-group-role")).to_have_text(role_label(tr, state, role))
            expect(phone.by_id("p-group-kicker")).to_contain_text(tr("Round {i} of {n}", i=round_index + 1, n=3))
            expect(phone.locator("#p-clock .cd-time")).to_be_visible()
            if role == "teller":
                expect(phone.by_id("group-form")).to_be_hidden()  # the teller talks; nothing to write
            else:
                expect(phone.by_id("group-form")).to_be_visible()
            if role == "asker":
                phone.by_id("group-text").fill(f"Что для тебя важно? ({round_index + 1})")
                phone.by_id("group-btn").click()
                expect(phone.locator("#p-group-cards .card-text").first).to_have_text(f"Что для тебя важно? ({round_index + 1})")
            if role not in shot_roles:
                shot_roles.add(role)
                phone.shot(f"role-{role}")
        if round_index < 2:
            room.next(tr("Round {i} of {n}", i=round_index + 2, n=3))
    assert shot_roles == {"teller", "asker", "listener"}
    # A group's cards stay in the group: the screen's state never carries them.
    assert room.truth.state["cards"] == []

    room.next("Развитие. Организация индивидуальной работы")
    expect(screen.by_id("s-groups")).to_be_hidden()
    for phone in room.phones.values():
        expect(phone.by_id("p-group")).to_be_hidden()
    room.next("Завершение. Организация обратной связи (рефлексия)")
    state = room.state(lambda s: s["phase"]["kind"] == "closing")
    assert state["phase"]["reflection_kind"] == "product"
    expect(screen.locator("#s-prompts li")).to_have_count(3)
    expect(screen.locator("#s-prompts li").first).to_have_text("Оценка результатов: насколько они соответствуют поставленным целям?")
    screen.shot("reflection-product")
    console.by_id("c-end").click()
    console.by_id("confirm-ok").click()
    expect(screen.by_id("s-ended")).to_be_visible()


TROIKA = {
    "ru": {"phones": ("Анна", "Борис", "Вера"), "sockets": ("Глеб", "Дарья", "Егор"),
           "back": "Вы слушаете, сидя спиной к группе", "consult": "Вы советуетесь между собой",
           "advice": "Спросить команду, прежде чем решать самой"},
    "en": {"phones": ("Anna", "Boris", "Vera"), "sockets": ("Gleb", "Dasha", "Egor"),
           "back": "You listen with your back turned", "consult": "You consult among yourselves",
           "advice": "Ask the team before deciding alone"},
}


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_troika_client_listens_with_back_turned(server, faces, lang):
    room = Room(server, faces, "troika", lang)
    tr, words = room.tr, TROIKA[lang]
    for name in words["phones"]:
        room.join_phone(name)
    for name in words["sockets"]:
        room.join_socket(name)
    room.state(lambda s: len(s["people"]) == 7)
    room.console.by_id("c-start").click()
    room.state(lambda s: s["status"] == "running")
    room.next()
    state = room.state(lambda s: s.get("groups") is not None)
    # Put the three browser phones in one trio, so the shots show its three seats.
    ids = room.ids()
    browser_ids = [ids[n] for n in room.phones]
    groups = state["groups"]["list"]
    for pid in browser_ids:
        state = room.state()
        groups = state["groups"]["list"]
        target = next(i for i, g in enumerate(groups) if browser_ids[0] in g["members"])
        if pid in groups[target]["members"]:
            continue
        other = next(m for m in groups[target]["members"] if m not in browser_ids)
        assert room.lead.emit("swap_people", {"person_id": pid, "other_id": other})["ok"]
        room.state(lambda s, pid=pid: any(browser_ids[0] in g["members"] and pid in g["members"] for g in s["groups"]["list"]))
    room.next()  # round 1: tell
    room.next()  # ask
    room.next()  # consult
    state = room.state(lambda s: not s["groups"]["forming"] and s["groups"]["step"] == 2)
    roles = {pid: role for g in state["groups"]["list"] for pid, role in g["roles"].items()}
    client = next(name for name in room.phones if roles[ids[name]] == "client")
    consultant = next(name for name in room.phones if roles[ids[name]] == "consultant")
    phone = room.phones[client]
    expect(phone.by_id("p-group-role")).to_have_text(tr.pick(
        state["phase"]["groups"]["steps"][2]["roles"]["client"]["label"]))
    expect(phone.by_id("p-group-role")).to_have_text(words["back"])
    expect(phone.by_id("p-rule")).to_be_hidden()  # the step's rule is in the group panel
    expect(phone.by_id("group-form")).to_be_hidden()
    expect(phone.by_id("p-note")).to_be_visible()  # notes for themselves, as the method allows
    phone.shot("role-client-back-turned")
    advisor = room.phones[consultant]
    expect(advisor.by_id("p-group-role")).to_have_text(words["consult"])
    advisor.by_id("group-text").fill(words["advice"])
    advisor.by_id("group-btn").click()
    expect(phone.locator("#p-group-cards .card-text")).to_have_text([words["advice"]])
    advisor.shot("role-consultant")
    client_seat = room.screen.locator("#s-group-rings .group-seat.is-back-turned")
    expect(client_seat).to_have_count(2)  # one client in each trio
    expect(client_seat.filter(has_text=client).locator(".group-back")).to_have_text(tr("back turned, listening"))
    room.screen.shot("troika-consult")
    # The server refuses the listening client, whatever a client sends.
    refused = room.lead.emit("post_card", {"client_id": "x", "kind": "advice", "text": "x"})
    assert refused["ok"] is False  # the leader is not in a trio
    assert refused["error"]["code"] == "not_in_group"


def test_route_start_meeting_ends_with_the_route_card(server, faces, tmp_path):
    room = Room(server, faces, "tutor-route-start")
    tr = room.tr
    teacher = room.join_phone("Ольга")
    colleague = room.join_phone("Пётр")
    room.state(lambda s: len(s["people"]) == 3)
    console = room.console
    person = console.locator("#c-person-list li.c-person").filter(has_text="Ольга")
    person.locator("summary").click()
    person.get_by_role("button", name=tr("Presenter of case {n}", n=1)).click()
    room.state(lambda s: s["cases"][0]["presenter"] is not None)
    console.by_id("c-start").click()
    room.state(lambda s: s["status"] == "running")
    expect(room.screen.by_id("s-title")).to_have_text("Начало встречи")

    statements = [
        ("Этап 1. Познавательный интерес", "interest", "Как дети учатся задавать вопросы"),
        ("Этап 2. Образовательный вопрос", "edu_question", "Каких приёмов мне не хватает, чтобы вопросы задавали сами дети?"),
        ("Этап 3. Цель — образ ожидаемого результата", "goal", "На моих уроках половина вопросов — от детей"),
        ("Этап 4. Ресурсы и план", "plan_step", "Посетить два урока коллеги в марте"),
    ]
    for title, kind, text in statements:
        room.next(title)
        expect(room.screen.by_id("s-title")).to_have_text(title)
        expect(teacher.by_id("p-phase-title")).to_have_text(title)
        expect(teacher.by_id("compose-label")).to_be_visible()
        teacher.by_id("compose-text").fill(text)
        teacher.by_id("compose-btn").click()
        expect(room.screen.locator("#s-wall-track .wall-text").first).to_have_text(text)
        if kind == "plan_step":
            colleague.by_id("compose-text").fill("Семинар «Вопрос как инструмент»")
            colleague.by_id("compose-btn").click()
            expect(room.screen.locator("#s-wall-track .wall-text").first).to_have_text("Семинар «Вопрос как инструмент»")
            room.screen.shot("route-plan")
            teacher.shot("route-teacher-plan")
        else:
            expect(colleague.by_id("compose-label")).not_to_have_text(tr("What interests me, what I want to understand"))
    expect(room.screen.locator("#s-case")).to_contain_text(tr("In focus: {name}", name="Ольга"))

    room.next("Прогностическая рефлексия — рефлексия постановки целей")
    expect(room.screen.locator("#s-prompts li")).to_have_count(4)
    expect(room.screen.locator("#s-prompts li").last).to_have_text("Отбор способов достижения: всё учтено? А дальше?")

    # The teacher downloads the route card; the colleague has no such button.
    expect(teacher.by_id("route-download")).to_be_visible()
    expect(colleague.by_id("route-download")).to_be_hidden()
    with teacher.page.expect_download() as caught:
        teacher.by_id("route-download").click()
    download = caught.value
    assert download.suggested_filename == f"krug-{room.code}-route.md"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    card = saved.read_text(encoding="utf-8")
    for _, _, text in statements:
        assert text in card
    assert "## Мой познавательный интерес" in card and "Семинар «Вопрос как инструмент»" in card
    teacher.shot("route-download")

    # At the next meeting the file opens on the phone itself: nothing is sent.
    sent_before = len(teacher.sent)
    teacher.by_id("route-file").set_input_files(str(saved))
    expect(teacher.locator("#route-view .route-heading").first).to_contain_text("Моя карта маршрута")
    expect(teacher.locator("#route-view li")).to_contain_text(["Как дети учатся задавать вопросы"])
    assert not any("Как дети" in frame for frame in teacher.sent[sent_before:])
    teacher.shot("route-opened")
    console.by_id("c-end").click()
    console.by_id("confirm-ok").click()
    expect(room.screen.by_id("s-ended")).to_be_visible()


def test_twelve_in_six_pairs_fit_the_projector(server, faces):
    """The largest split: six pairs (the leader takes part) are legible at 1920x1080: every seat
    inside the screen, below the headline, and no two seats on top of each other."""
    room = Room(server, faces, "pair-intervision")
    names = ["Александра", "Борис", "Вера", "Глеб", "Дарья", "Егор", "Зоя", "Илья", "Кира", "Лев", "Мария"]
    for name in names:
        room.join_socket(name)
    room.state(lambda s: len(s["people"]) == 12)
    room.console.by_id("c-start").click()
    room.state(lambda s: s["status"] == "running")
    room.next()
    room.state(lambda s: s.get("groups") is not None)
    room.console.by_id("c-group-leader").check()
    state = room.state(lambda s: s["groups"]["with_leader"])
    assert [len(g["members"]) for g in state["groups"]["list"]] == [2] * 6
    room.next()
    room.state(lambda s: not s["groups"]["forming"])
    screen = room.screen
    seats = screen.locator("#s-group-rings .group-seat")
    expect(seats).to_have_count(12)
    expect(screen.locator("#s-group-rings .group-role")).to_have_count(12)
    screen.shot("six-pairs")
    head = screen.by_id("s-groups-head").bounding_box()
    boxes = [seats.nth(i).bounding_box() for i in range(12)]
    for box in boxes:
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1920 and box["y"] + box["height"] <= 1080
        assert box["y"] >= head["y"] + head["height"] - 2
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            apart = (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                     or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])
            assert apart, (a, b)
    name_size = float(screen.page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('#s-group-rings .group-name')).fontSize)"))
    assert name_size >= 30  # legible from the back of a room at 1080p


def test_landing_shelves_and_adding_phases_from_the_library(server, faces):
    """The landing page groups the formats on three shelves with a line on when to use each;
    the phase editor adds a small-group phase from the library (its rule card shown) and sets
    the closing phase's kind of reflection; the room runs with both."""
    page = faces.new("landing", "console", "en", server.url)
    tr = Tr(server, "en")
    page.goto("/?lang=en")
    expect(page.locator(".format-shelf")).to_have_text(
        [tr("Balint groups"), tr("Intervision and consultation"), tr("Tutoring and reflection")])
    expect(page.locator(".format-option").filter(has_text="Troika Consulting").locator(".format-when")).to_have_text(
        "Quick mutual help: everyone has a work challenge, half an hour to spare.")
    page.by_id("leader-name").fill("Lea")
    page.locator('input[name="format_id"][value="balint-single"]').check()
    page.locator("#adjust summary").click()
    page.by_id("add-kind").select_option("small_groups")
    expect(page.by_id("add-rule")).to_contain_text("The circle splits into small groups.")
    page.by_id("add-btn").click()
    expect(page.locator("#phase-editor .phase-row").last).to_contain_text("Work in small groups")
    page.locator("#phase-editor .phase-row").filter(has_text="Closing round").locator("select").select_option("process")
    expect(page.locator("#phase-editor .phase-row .phase-title").filter(has_text="Process reflection")).to_have_count(1)
    page.shot("landing-editor", full_page=True)
    page.by_id("create-btn").click()
    page.page.wait_for_url(re.compile(r"/c/[A-Z0-9]+$"))
    code = page.page.evaluate("document.documentElement.dataset.code")
    truth = socket_client(server, page.storage(f"krug:{code}:token"))
    phases = truth.format["phases"]
    assert phases[-1]["kind"] == "small_groups" and phases[-1]["key"] == "added-1" and phases[-1]["groups"]["size"] == 3
    closing = next(p for p in phases if p["kind"] == "closing")
    assert closing["reflection_kind"] == "process" and len(closing["reflection"]) == 2
