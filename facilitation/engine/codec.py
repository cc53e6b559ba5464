"""Session <-> plain JSON-ready dicts, for the store.

A room keeps its (possibly customized) format beside its state, written once at creation:
the format never changes during a session, so it is not re-encoded with every command, and
editing format files never changes a running room.
"""
from __future__ import annotations

from dataclasses import fields

from .entities import Card, Case, Nomination, Person, PhaseRun
from .formats import Format
from .rules import Role
from .session import Session
from .timer import Timer
from .vote import Vote

# 2: the format lives beside the state (1 carried it inside; load still reads that).
SCHEMA = 2


def _names(cls) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


_PERSON, _NOMINATION, _CASE, _CARD, _RUN = (
    _names(Person), _names(Nomination), _names(Case), _names(Card), _names(PhaseRun))


def _record(obj, names: tuple[str, ...]) -> dict:
    """A flat record as a dict. Lists are copied, so a dump is a snapshot that later commands
    cannot change (``dataclasses.asdict`` deep-copies too, but costs ~8x as much on a busy room)."""
    out = {}
    for name in names:
        value = getattr(obj, name)
        out[name] = list(value) if isinstance(value, list) else value
    return out


def dump_format(fmt: Format) -> dict:
    return fmt.to_dict()


def load_format(data: dict) -> Format:
    return Format.from_dict(data)


def dump(session: Session) -> dict:
    """The session's changing state, without its format (see ``dump_format``)."""
    people = []
    for p in session.people.values():
        record = _record(p, _PERSON)
        record["role"] = p.role.value
        people.append(record)
    return {
        "schema": SCHEMA,
        "format_id": session.format.id,
        "created_at": session.created_at,
        "time_scale": session.time_scale,
        "status": session.status,
        "phase_index": session.phase_index,
        "timer": session.timer.to_dict() if session.timer else None,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
        "people": people,
        "nominations": [_record(n, _NOMINATION) for n in session.nominations.values()],
        "vote": session.vote.to_dict() if session.vote else None,
        "cases": [_record(case, _CASE) for case in session.cases],
        "cards": [_record(card, _CARD) for card in session.cards],
        "history": [_record(run, _RUN) for run in session.history],
        "anonymous": sorted(session.anonymous),
        "vote_budget": session.vote_budget,
        "allow_observers": session.allow_observers,
        "locked": session.locked,
        "admit_each": session.admit_each,
        "card_hold": session.card_hold,
        "counter": session.counter,
        "groups": [list(members) for members in session.groups],
        "group_size": session.group_size,
        "group_shuffle": session.group_shuffle,
        "group_round": session.group_round,
        "group_step": session.group_step,
        "group_with_leader": session.group_with_leader,
        "answered": {key: dict(answer) for key, answer in session.answered.items()},
    }


def load(data: dict, fmt: Format | None = None) -> Session:
    """Rebuild a session from ``dump``'s document and the room's format.

    A schema-1 document carries its own format, and ``fmt`` may then be omitted.
    """
    schema = data.get("schema")
    if schema == 1:
        fmt = fmt or Format.from_dict(data["format"])
    elif schema != SCHEMA:
        raise ValueError(f"unsupported session schema {schema!r}")
    if fmt is None:
        raise ValueError("the room's format is needed to load its session")
    people = {}
    for raw in data["people"]:
        person = Person(**{**raw, "role": Role(raw["role"]), "connections": list(raw["connections"])})
        people[person.id] = person
    return Session(
        format=fmt,
        created_at=data["created_at"],
        time_scale=data["time_scale"],
        status=data["status"],
        phase_index=data["phase_index"],
        timer=Timer.from_dict(data["timer"]) if data["timer"] else None,
        started_at=data["started_at"],
        ended_at=data["ended_at"],
        people=people,
        nominations={n["id"]: Nomination(**n) for n in data["nominations"]},
        vote=Vote.from_dict(data["vote"]) if data["vote"] else None,
        cases=[Case(**case) for case in data["cases"]],
        # Cards stored before anonymity was kept per card take the room's setting of then.
        cards=[Card(**{"anonymous": card["kind"] in data["anonymous"], **card}) for card in data["cards"]],
        history=[PhaseRun(**run) for run in data["history"]],
        anonymous=set(data["anonymous"]),
        vote_budget=data["vote_budget"],
        allow_observers=data["allow_observers"],
        locked=data.get("locked", False),
        admit_each=data.get("admit_each", False),
        card_hold=data.get("card_hold", False),
        counter=data["counter"],
        groups=[list(members) for members in data.get("groups", [])],
        group_size=data.get("group_size"),
        group_shuffle=data.get("group_shuffle", 0),
        group_round=data.get("group_round", -1),
        group_step=data.get("group_step", 0),
        group_with_leader=data.get("group_with_leader", False),
        answered={key: dict(answer) for key, answer in data.get("answered", {}).items()},
    )
