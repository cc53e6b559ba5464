"""Session <-> plain JSON-ready dicts, for the store. The room is self-contained: it carries
its (possibly customized) format, so editing format files never changes a running room."""
from __future__ import annotations

from dataclasses import asdict

from .formats import Format
from .rules import Role
from .session import Card, Case, Nomination, Person, PhaseRun, Session
from .timer import Timer
from .vote import Vote

SCHEMA = 1


def dump(session: Session) -> dict:
    return {
        "schema": SCHEMA,
        "format": session.format.to_dict(),
        "created_at": session.created_at,
        "time_scale": session.time_scale,
        "status": session.status,
        "phase_index": session.phase_index,
        "timer": session.timer.to_dict() if session.timer else None,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
        "people": [{**asdict(p), "role": p.role.value} for p in session.people.values()],
        "nominations": [asdict(n) for n in session.nominations.values()],
        "vote": session.vote.to_dict() if session.vote else None,
        "cases": [asdict(case) for case in session.cases],
        "cards": [asdict(card) for card in session.cards],
        "history": [asdict(run) for run in session.history],
        "anonymous": sorted(session.anonymous),
        "vote_budget": session.vote_budget,
        "allow_observers": session.allow_observers,
        "locked": session.locked,
        "counter": session.counter,
    }


def load(data: dict) -> Session:
    if data.get("schema") != SCHEMA:
        raise ValueError(f"unsupported session schema {data.get('schema')!r}")
    people = {}
    for raw in data["people"]:
        person = Person(**{**raw, "role": Role(raw["role"])})
        people[person.id] = person
    return Session(
        format=Format.from_dict(data["format"]),
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
        cards=[Card(**card) for card in data["cards"]],
        history=[PhaseRun(**run) for run in data["history"]],
        anonymous=set(data["anonymous"]),
        vote_budget=data["vote_budget"],
        allow_observers=data["allow_observers"],
        locked=data.get("locked", False),
        counter=data["counter"],
    )
