"""Snapshot size and the per-command cost of a busy room, measured in-process (no sockets).

A *busy room*: balint-classic, 12 people in the circle (leader + 11), started, case 1 chosen
by nomination, 60 cards on the table (30 questions + 30 hypotheses of case 1, realistic
Russian or English sentences), 12 check-in cards and 3 nominations behind them.

What it prints (``python bench/snapshot.py``, or ``--json``):

- the JSON size of the ``room_state`` snapshot per audience, as it goes over the wire today
  (python-socketio's ``json.dumps`` with ``ensure_ascii=True``: every Cyrillic letter becomes a
  6-byte ``\\u041b``-style escape), as UTF-8 (``ensure_ascii=False``), deflated (what
  permessage-deflate sends), and without the parts a client already knows (the format's texts);
- the cost of one command on that room: the engine alone, the store's one transaction
  (SQLite file, WAL: read the row, decode JSON, rebuild the Session, apply, dump, encode,
  update, commit), building both views, encoding them, deflating one copy per receiver.

Only the pure engine and the store are used; nothing here changes the server.
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from facilitation.engine import (  # noqa: E402
    LEAD, PUBLIC, Actor, FakeClock, FormatLibrary, Session, commands as c, dump, load, room_view,
)

FORMATS = ROOT / "facilitation" / "formats"

NAMES = {
    "ru": ["Анна Петрова", "Борис Смирнов", "Вера Кузнецова", "Глеб Попов", "Дарья Васильева",
           "Егор Соколов", "Жанна Михайлова", "Захар Новиков", "Ирина Фёдорова", "Кирилл Морозов",
           "Лариса Волкова", "Максим Алексеев"],
    "en": ["Anna Peterson", "Boris Smith", "Vera Cooper", "Gleb Porter", "Dasha Vaughan",
           "Egor Sokol", "Jane Mitchell", "Zach Newman", "Irene Fowler", "Kirill Morris",
           "Laura Wolf", "Max Alexander"],
}
SENTENCES = {
    "ru": [
        "Как давно вы наблюдаете этого пациента и что изменилось за последний год?",
        "Мне кажется, отец чувствует собственное бессилие и переносит злость на врача, потому что больше её некуда деть.",
        "Что вы почувствовали в тот момент, когда он повысил голос?",
        "Возможно, пациентка боится, что её перестанут принимать всерьёз, если она скажет о главной жалобе.",
        "Кто ещё в семье участвует в решениях о лечении?",
        "У меня возникает образ закрытой двери: врач стучит, а внутри делают вид, что никого нет дома.",
        "Было ли что-то похожее в вашей практике раньше, и чем тогда закончилось?",
        "Похоже, доктор взял на себя роль спасателя, и от этого ему так тяжело каждый раз, когда звонит телефон.",
    ],
    "en": [
        "How long have you been seeing this patient, and what changed over the last year?",
        "It seems to me the father feels powerless and turns his anger on the doctor because it has nowhere else to go.",
        "What did you feel at the moment he raised his voice?",
        "Perhaps the patient fears she will not be taken seriously if she names her main complaint.",
        "Who else in the family takes part in decisions about treatment?",
        "An image comes to me of a closed door: the doctor knocks, and inside they pretend nobody is home.",
        "Has something similar happened in your practice before, and how did it end?",
        "It looks as if the doctor took on the rescuer's role, and that is why every phone call weighs so much.",
    ],
}


def busy_room(lang: str = "ru", cards: int = 60, people: int = 12) -> tuple[Session, FakeClock, list[str]]:
    """A started balint-classic room with ``people`` in the circle and ``cards`` visible cards."""
    library = FormatLibrary(FORMATS)
    clock = FakeClock()
    names, sentences = NAMES[lang], SENTENCES[lang]
    session, leader = Session.create(library.get("balint-classic"), names[0], clock.now())
    ids = [leader]

    def do(who, command):
        clock.advance(7.3)
        return session.apply(command, Actor(person_id=who), clock.now())

    for name in names[1:people]:
        events = session.apply(c.Join(name_text=name), Actor.system(), clock.now())
        ids.append(events[0].data["person"])
    for n, pid in enumerate(ids):
        session.apply(c.Connected(connection=f"sid-{n}"), Actor(person_id=pid), clock.now())
    do(leader, c.Start())
    for n, pid in enumerate(ids):
        do(pid, c.PostCard(client_id=f"ci-{n}", kind="checkin", text=sentences[n % len(sentences)][:60]))
    nominations = [
        do(ids[1 + k], c.Nominate(client_id=f"n{k}", title=sentences[k][:70], pitch=sentences[k + 3]))[0].data["nomination"]
        for k in range(3)
    ]
    do(leader, c.AssignCase(case=1, nomination_id=nominations[0]))
    presenter = ids[1]
    keys = [p.key for p in session.format.phases]
    do(leader, c.JumpToPhase(index=keys.index("case1_request")))
    do(presenter, c.SetRequest(text=sentences[5]))
    posters = [pid for pid in ids if pid != presenter]
    half = cards // 2
    for phase_key, kind, count in (("case1_questions", "question", half), ("case1_hypotheses", "hypothesis", cards - half)):
        do(leader, c.JumpToPhase(index=keys.index(phase_key)))
        for n in range(count):
            who = posters[n % len(posters)]
            do(who, c.PostCard(client_id=f"{kind}-{n}", kind=kind, text=sentences[(n * 3) % len(sentences)]))
    return session, clock, ids


def wire_json(obj: object) -> str:
    """What python-socketio puts on the wire: stdlib json, compact separators, ASCII escapes."""
    return json.dumps(obj, separators=(",", ":"))


def utf8_json(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def deflated(data: bytes) -> int:
    """Bytes of one permessage-deflate message from a fresh context (no takeover)."""
    z = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
    return len(z.compress(data) + z.flush(zlib.Z_SYNC_FLUSH)) - 4


def _timed(fn, repeat: int) -> float:
    """Median milliseconds of ``fn()`` over ``repeat`` runs."""
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def _lean(view: dict) -> dict:
    """The view without what the client could hold once per session (the format's titles, rules
    and prompts: /api/formats has them), without other people's card client ids (only the
    author needs one, and gets it in the ack), with card times to 0.1 s."""
    lean = json.loads(json.dumps(view))
    if lean.get("phase"):
        for key in ("title", "rule", "prompt", "reflection"):
            lean["phase"].pop(key, None)
    for phase in (lean.get("plan") or {}).get("phases", []):
        phase.pop("title", None)
    for card in lean.get("cards", []):
        card.pop("cid", None)
        if isinstance(card.get("at"), float):
            card["at"] = round(card["at"], 1)
    return lean


def sizes(lang: str = "ru", cards: int = 60) -> dict:
    session, clock, _ids = busy_room(lang, cards)
    out = {"lang": lang, "cards": cards}
    for audience in (PUBLIC, LEAD):
        view = room_view(session, audience, clock.now())
        view.update(v=123, code="K7M2QX", server_now=clock.now(), grace=90.0)
        wire = wire_json(view).encode()
        out[audience] = {
            "wire_bytes": len(wire),
            "utf8_bytes": len(utf8_json(view)),
            "deflated_bytes": deflated(wire),
            "lean_utf8_bytes": len(utf8_json(_lean(view))),
            "visible_cards": len(view["cards"]),
            "card_text_utf8_bytes": sum(len(card["text"].encode()) for card in view["cards"]),
            "card_text_avg_chars": round(sum(len(card["text"]) for card in view["cards"]) / max(len(view["cards"]), 1)),
        }
    out["stored_state_bytes"] = len(json.dumps(dump(session)).encode())
    out["stored_state_utf8_bytes"] = len(json.dumps(dump(session), ensure_ascii=False).encode())
    return out


def command_costs(lang: str = "ru", repeat: int = 200) -> dict:
    """Per-command cost on the busy room, in milliseconds (medians)."""
    from facilitation.engine import SystemClock
    from facilitation.extensions import Database
    from facilitation.models import Base, Room
    from facilitation.store import RoomStore

    session, clock, ids = busy_room(lang)
    leader = ids[0]
    card_id = session.cards[-1].id
    state_text = json.dumps(dump(session))
    toggle = [True]

    def hide_cmd():
        toggle[0] = not toggle[0]
        return c.HideCard(card_id=card_id, hidden=toggle[0])

    def engine_only():
        s = load(json.loads(state_text))
        s.apply(hide_cmd(), Actor(person_id=leader), clock.now())
        json.dumps(dump(s))

    views = {}

    def build_views():
        for audience in (PUBLIC, LEAD):
            views[audience] = room_view(session, audience, clock.now())

    build_views()
    encoded = {a: wire_json(v) for a, v in views.items()}
    out = {
        "engine_load_apply_dump_ms": _timed(engine_only, repeat),
        "json_loads_state_ms": _timed(lambda: json.loads(state_text), repeat),
        "codec_load_ms": _timed(lambda: load(json.loads(state_text)), repeat),
        "codec_dump_and_encode_ms": _timed(lambda: json.dumps(dump(session)), repeat),
        "room_view_both_audiences_ms": _timed(build_views, repeat),
        "encode_both_views_ms": _timed(lambda: [wire_json(v) for v in views.values()], repeat),
        "deflate_one_public_copy_ms": _timed(
            lambda: (lambda z: z.compress(encoded[PUBLIC].encode()) + z.flush(zlib.Z_SYNC_FLUSH))(
                zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)), repeat),
    }
    # The store: one transaction per command on a SQLite file (WAL, synchronous=NORMAL).
    with tempfile.TemporaryDirectory() as tmp:
        app = SimpleNamespace(config={"DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3"}, extensions={})
        db = Database()
        db.init_app(app)
        Base.metadata.create_all(db.engine)
        store = RoomStore(db, SystemClock())
        library = FormatLibrary(FORMATS)
        store.create_room(library.get("balint-classic"), "Leader", 1.0)
        with db.session() as s, s.begin():
            room = s.get(Room, 1)
            room.state = dump(session)
        out["store_execute_ms"] = _timed(lambda: store.execute(1, Actor(person_id=leader), hide_cmd()), repeat)
        out["store_load_only_ms"] = _timed(lambda: store.load(1), repeat)
        # The same transaction with two cheap changes: UTF-8 compact JSON in the column, and
        # flat dataclasses copied with vars() instead of dataclasses.asdict (a deep copy).
        with _lean_codec(db):
            out["store_execute_lean_json_ms"] = _timed(
                lambda: store.execute(1, Actor(person_id=leader), hide_cmd()), repeat)
            # What a leaner store would cost (a sketch of the recommended change, not Krug's code):
            # Core statements instead of the ORM, the Session kept in memory per room and reused
            # while the stored version is unchanged (one SELECT of the version instead of reading
            # and decoding the whole document), the same version check on the UPDATE.
            cache: dict = {}
            out["store_execute_core_cached_ms"] = _timed(
                lambda: _lean_execute(db, cache, 1, Actor(person_id=leader), hide_cmd(), keep_format=True), repeat)
            # ... and the format (35 % of the document, never changed by a command) stored once per
            # room instead of in every state.
            out["store_execute_core_cached_no_format_ms"] = _timed(
                lambda: _lean_execute(db, cache, 1, Actor(person_id=leader), hide_cmd(), keep_format=False), repeat)
        db.engine.dispose()
    state = dump(session)
    without_format = {k: v for k, v in state.items() if k != "format"}
    out["format_share_of_state_pct"] = round(100 * len(json.dumps(state["format"])) / len(json.dumps(state)), 1)
    out["encode_state_ascii_ms"] = _timed(lambda: json.dumps(state), repeat)
    out["encode_state_utf8_ms"] = _timed(lambda: json.dumps(state, ensure_ascii=False, separators=(",", ":")), repeat)
    out["encode_state_utf8_without_format_ms"] = _timed(
        lambda: json.dumps(without_format, ensure_ascii=False, separators=(",", ":")), repeat)
    out["format_to_dict_ms"] = _timed(session.format.to_dict, repeat)
    out["codec_dump_ms"] = _timed(lambda: dump(session), repeat)
    with _lean_codec(None):
        out["codec_dump_vars_ms"] = _timed(lambda: dump(session), repeat)
    out["per_receiver_deflate_13_ms"] = out["deflate_one_public_copy_ms"] * 13
    return out


class _lean_codec:
    """Temporarily: codec.asdict -> a shallow vars() copy (the engine's records are flat
    dataclasses), and the database's JSON column written as compact UTF-8. Checked to give the
    same document as the real codec before it is timed."""

    def __init__(self, db) -> None:
        self.db = db

    def __enter__(self):
        from facilitation.engine import codec

        self.codec = codec
        self.saved = getattr(codec, "asdict", None)
        session, _, _ = busy_room("en", cards=4)
        reference = json.dumps(dump(session), sort_keys=True)
        if self.saved is not None:
            codec.asdict = _flat_asdict
            if json.dumps(dump(session), sort_keys=True) != reference:
                codec.asdict = self.saved  # the engine changed shape: time the real thing
        if self.db is not None:
            self.serializer = self.db.engine.dialect._json_serializer
            self.db.engine.dialect._json_serializer = lambda o: json.dumps(o, ensure_ascii=False, separators=(",", ":"))
        return self

    def __exit__(self, *exc) -> None:
        if self.saved is not None:
            self.codec.asdict = self.saved
        if self.db is not None:
            self.db.engine.dialect._json_serializer = self.serializer


def _lean_execute(db, cache: dict, room_id: int, actor, command, keep_format: bool) -> int:
    """One command in one transaction, the lean way (see command_costs); returns the new version."""
    from sqlalchemy import select, update

    from facilitation.models import Room

    rooms = Room.__table__
    with db.engine.begin() as conn:
        version = conn.execute(select(rooms.c.version).where(rooms.c.id == room_id)).scalar_one()
        cached = cache.get(room_id)
        if cached is not None and cached[0] == version:
            session = cached[1]
        else:
            session = load(conn.execute(select(rooms.c.state).where(rooms.c.id == room_id)).scalar_one())
        try:
            session.apply(command, actor, time.time())
        except Exception:
            cache.pop(room_id, None)  # a refused command may have touched the cached session
            raise
        state = dump(session)
        if not keep_format:
            state["format"] = {"id": session.format.id}
        stored = conn.execute(update(rooms).where(rooms.c.id == room_id, rooms.c.version == version)
                              .values(state=state, version=version + 1)).rowcount
        if stored != 1:
            cache.pop(room_id, None)
            raise RuntimeError("version conflict")
        cache[room_id] = (version + 1, session)
        return version + 1


def _flat_asdict(obj) -> dict:
    return {k: (list(v) if isinstance(v, list) else v) for k, v in vars(obj).items()}


def report(repeat: int = 200) -> dict:
    return {"ru": sizes("ru"), "en": sizes("en"), "costs_ru": command_costs("ru", repeat)}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(argv)
    data = report(args.repeat)
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    print(format_report(data))
    return 0


def format_report(data: dict) -> str:
    lines = [f"Busy room: 12 people, 60 visible cards averaging {data['ru'][PUBLIC]['card_text_avg_chars']} characters "
             f"(Russian) / {data['en'][PUBLIC]['card_text_avg_chars']} (English); balint-classic, case 1 hypotheses phase", "",
             "| text | audience | on the wire today (ASCII-escaped JSON) | UTF-8 JSON | deflated (permessage-deflate) "
             "| UTF-8, lean (no format texts, no others' client ids) | of which card texts |",
             "|---|---|---|---|---|---|---|"]
    for lang in ("ru", "en"):
        for audience in (PUBLIC, LEAD):
            s = data[lang][audience]
            lines.append(f"| {lang} | {audience} | {s['wire_bytes'] / 1024:.1f} KB | {s['utf8_bytes'] / 1024:.1f} KB | "
                         f"{s['deflated_bytes'] / 1024:.1f} KB | {s['lean_utf8_bytes'] / 1024:.1f} KB "
                         f"| {s['card_text_utf8_bytes'] / 1024:.1f} KB |")
    lines.append("")
    lines.append(f"Stored state per room (JSON column, ru): {data['ru']['stored_state_bytes'] / 1024:.1f} KB "
                 f"({data['ru']['stored_state_utf8_bytes'] / 1024:.1f} KB as UTF-8)")
    lines.append("")
    lines.append("Cost of one command on the busy room (median ms, in-process):")
    for key, value in data["costs_ru"].items():
        lines.append(f"  {key:34s} {value:7.3f}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
