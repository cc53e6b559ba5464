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
  update, commit), building both views, encoding them, deflating one copy per receiver;
- sealing the stored state (persistence/room_keys.py): its JSON encoding, AES-256-GCM alone,
  opening it again, unwrapping a room key.

Only the pure engine and the store are used; nothing here changes the server.
"""
from __future__ import annotations

import hashlib
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

from facilitation.engine import (
    LEAD,
    PUBLIC,
    Actor,
    FakeClock,
    FormatLibrary,
    Session,
    dump,
    format_view,
    load,
    room_view,
)
from facilitation.engine import (
    commands as c,
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
            # Client ids as phones make them (static/krug.js clientId: 12 hex characters).
            cid = hashlib.sha256(f"{kind}-{n}".encode()).hexdigest()[:12]
            do(who, c.PostCard(client_id=cid, kind=kind, text=sentences[(n * 3) % len(sentences)]))
    return session, clock, ids


def escaped_json(obj: object) -> str:
    """python-socketio's default: stdlib json with ASCII escapes (Krug sent this until 2026-11-22)."""
    return json.dumps(obj, separators=(",", ":"))


def wire_json(obj: object) -> str:
    """What Krug puts on the wire (facilitation/realtime/wire.py): compact UTF-8."""
    from facilitation.realtime import wire as krug_json

    return krug_json.dumps(obj)


def utf8_json(obj: object) -> bytes:
    return wire_json(obj).encode()


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


def _without_client_ids(view: dict) -> dict:
    """What dropping every card's ``cid`` would save (phones need their own; see views.py)."""
    lean = json.loads(json.dumps(view))
    for card in lean.get("cards", []):
        card.pop("cid", None)
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
            "escaped_bytes": len(escaped_json(view).encode()),
            "deflated_bytes": deflated(wire),
            "without_cids_bytes": len(utf8_json(_without_client_ids(view))),
            "format_bytes": len(utf8_json(format_view(session, audience))),
            "visible_cards": len(view["cards"]),
            "card_text_utf8_bytes": sum(len(card["text"].encode()) for card in view["cards"]),
            "card_text_avg_chars": round(sum(len(card["text"]) for card in view["cards"]) / max(len(view["cards"]), 1)),
        }
    out["stored_state_bytes"] = len(utf8_json(dump(session)))
    return out


def command_costs(lang: str = "ru", repeat: int = 200) -> dict:
    """Per-command cost on the busy room, in milliseconds (medians), with Krug's own store."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from sqlalchemy import update

    from facilitation.engine import SystemClock, dump_format, load_format
    from facilitation.persistence.database import Database
    from facilitation.persistence.models import Base, Room, RoomKeyRow
    from facilitation.persistence.room_keys import DataKey
    from facilitation.persistence.rooms import RoomStore

    session, clock, ids = busy_room(lang)
    leader = ids[0]
    card_id = session.cards[-1].id
    state_text = wire_json(dump(session))
    format_doc = dump_format(session.format)
    toggle = [True]

    def hide_cmd():
        toggle[0] = not toggle[0]
        return c.HideCard(card_id=card_id, hidden=toggle[0])

    def engine_only():
        s = load(json.loads(state_text), load_format(format_doc))
        s.apply(hide_cmd(), Actor(person_id=leader), clock.now())
        wire_json(dump(s))

    views = {}

    def build_views():
        for audience in (PUBLIC, LEAD):
            views[audience] = room_view(session, audience, clock.now())

    build_views()
    encoded = {a: wire_json(v) for a, v in views.items()}
    out = {
        "engine_load_apply_dump_ms": _timed(engine_only, repeat),
        "json_loads_state_ms": _timed(lambda: json.loads(state_text), repeat),
        "codec_load_ms": _timed(lambda: load(json.loads(state_text), session.format), repeat),
        "codec_dump_ms": _timed(lambda: dump(session), repeat),
        "codec_dump_and_encode_ms": _timed(lambda: wire_json(dump(session)), repeat),
        "room_view_both_audiences_ms": _timed(build_views, repeat),
        "encode_both_views_ms": _timed(lambda: [wire_json(v) for v in views.values()], repeat),
        "encode_both_views_escaped_ms": _timed(lambda: [escaped_json(v) for v in views.values()], repeat),
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
        data_key = DataKey(bytes(32))
        store = RoomStore(db, SystemClock(), data_key)
        store.create_room(session.format, "Leader", 1.0)
        room_key, wrapped = data_key.new_room_key(1)
        with db.session() as s, s.begin():
            s.execute(update(RoomKeyRow.__table__).where(RoomKeyRow.room_id == 1).values(wrapped=wrapped))
            s.execute(update(Room.__table__).where(Room.id == 1).values(sealed=room_key.seal(dump(session)), version=2))
        store = RoomStore(db, SystemClock(), data_key)  # a fresh process: no key kept yet
        actor = Actor(person_id=leader)
        # As it runs: the process keeps the room's session between commands.
        out["store_execute_ms"] = _timed(lambda: store.execute(1, actor, hide_cmd()), repeat)

        def after_another_process():
            with db.session() as s, s.begin():  # another process wrote: the kept session is stale
                s.execute(update(Room.__table__).where(Room.id == 1).values(version=Room.version + 1))
            t = time.perf_counter()
            store.execute(1, actor, hide_cmd())
            return time.perf_counter() - t

        out["store_execute_reload_ms"] = statistics.median(after_another_process() * 1000 for _ in range(repeat))
        out["store_load_only_ms"] = _timed(lambda: store.load(1), repeat)
        db.engine.dispose()
    state = dump(session)
    # Sealing at rest (persistence/room_keys.py): the state's JSON, then AES-256-GCM over it.
    data_key = DataKey(bytes(32))
    room_key, wrapped = data_key.new_room_key(1)
    sealed = room_key.seal(state)
    out["state_json_utf8_ms"] = _timed(lambda: json.dumps(state, ensure_ascii=False, separators=(",", ":")).encode(), repeat)
    out["seal_state_ms"] = _timed(lambda: room_key.seal(state), repeat)
    # The encryption alone (what sealing adds to the JSON encoding every command did before).
    plain = json.dumps(state, ensure_ascii=False, separators=(",", ":")).encode()
    aead, nonce = AESGCM(bytes(32)), bytes(12)
    out["aes_gcm_encrypt_state_ms"] = _timed(lambda: aead.encrypt(nonce, plain, b"krug room 1"), repeat)
    out["open_state_ms"] = _timed(lambda: room_key.open(sealed), repeat)
    out["unwrap_room_key_ms"] = _timed(lambda: data_key.room_key(wrapped, 1), repeat)
    out["format_bytes_utf8"] = len(wire_json(format_doc).encode())
    out["encode_state_ms"] = _timed(lambda: wire_json(state), repeat)
    out["per_receiver_deflate_13_ms"] = out["deflate_one_public_copy_ms"] * 13
    return out


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
             "| text | audience | room_state as sent (UTF-8 JSON) | ASCII-escaped | deflated (permessage-deflate) "
             "| without card client ids | of which card texts | room_format, once per connection |",
             "|---|---|---|---|---|---|---|---|"]
    for lang in ("ru", "en"):
        for audience in (PUBLIC, LEAD):
            s = data[lang][audience]
            lines.append(f"| {lang} | {audience} | {s['wire_bytes'] / 1024:.1f} KB | {s['escaped_bytes'] / 1024:.1f} KB | "
                         f"{s['deflated_bytes'] / 1024:.1f} KB | {s['without_cids_bytes'] / 1024:.1f} KB "
                         f"| {s['card_text_utf8_bytes'] / 1024:.1f} KB | {s['format_bytes'] / 1024:.1f} KB |")
    lines.append("")
    lines.append(f"Stored state per room (JSON column, ru, UTF-8, without the format): "
                 f"{data['ru']['stored_state_bytes'] / 1024:.1f} KB")
    lines.append("")
    lines.append("Cost of one command on the busy room (median ms, in-process):")
    for key, value in data["costs_ru"].items():
        lines.append(f"  {key:34s} {value:7.3f}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
