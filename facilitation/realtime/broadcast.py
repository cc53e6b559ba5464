"""From one stored change to what every connection of the room receives.

Each room has one Socket.IO room per audience (``public``: the circle, observers and the
screen; ``lead``: leaders, who also see hidden cards and the door) and one per person for
their own view (``me``).
"""
from __future__ import annotations

from flask import current_app

from ..engine import LEAD, PUBLIC, Actor, personal_view, room_view
from ..extensions import socketio
from ..persistence.rooms import Outcome
from ..services import services


def audience_room(room_id: int, audience: str) -> str:
    return f"r{room_id}:{audience}"


def person_room(room_id: int, person_id: str) -> str:
    return f"r{room_id}:p:{person_id}"


def stamped_view(session, audience: str, version: int, code: str, now: float | None = None) -> dict:
    now = services().clock.now() if now is None else now
    view = room_view(session, audience, now)
    view.update(v=version, code=code, server_now=now, grace=current_app.config["PRESENCE_GRACE_SECONDS"])
    return view


def broadcast(outcome: Outcome) -> None:
    """Send the new state to every audience of the room, and personal views where they changed."""
    if not outcome.events:
        return
    for target, event, payload in messages(outcome):
        socketio.emit(event, payload, to=target)


def messages(outcome: Outcome) -> list[tuple[str | list[str], str, dict]]:
    """Every payload of one change, built before the first is sent: sending yields to other
    green threads, and the store's kept session may take the next command meanwhile."""
    session = outcome.session
    now = services().clock.now()  # one instant for both, or they would never be equal
    public = stamped_view(session, PUBLIC, outcome.version, outcome.code, now)
    lead = stamped_view(session, LEAD, outcome.version, outcome.code, now)
    if lead == public:
        # Most changes look the same to both audiences (no hidden card, nobody at the door, no
        # closed vote): one emit then encodes and compresses the snapshot once for everyone.
        out = [([audience_room(outcome.room_id, PUBLIC), audience_room(outcome.room_id, LEAD)], "room_state", public)]
    else:
        out = [(audience_room(outcome.room_id, PUBLIC), "room_state", public),
                    (audience_room(outcome.room_id, LEAD), "room_state", lead)]
    changed = {pid for event in outcome.events for pid in event.private_for}
    for person_id in changed:
        out.append((person_room(outcome.room_id, person_id), "me",
                         personal_view(session, Actor(person_id=person_id))))
    return out
