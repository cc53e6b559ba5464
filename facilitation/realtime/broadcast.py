"""From one stored change to what every connection of the room receives.

Each room has one Socket.IO room per audience (``public``: the circle, observers and the
screen; ``lead``: leaders, who also see hidden cards and the door; ``waiting``: people at the
door, who get no snapshots) and one per person for their own view (``me``).

A change of role or membership moves that person's connections between audience rooms before
anything of the change is sent, so the next snapshot already follows the new role, whatever
the client does. Connections live on any process: a connection id is ``"<process>:<sid>"``,
and python-socketio's message-queue manager carries room moves and disconnects for sids of
other processes over the same queue (and in the same order) as the emits.
"""
from __future__ import annotations

from flask import current_app

from ..engine import LEAD, PUBLIC, WAITING, Actor, audience_of, format_view, personal_view, room_view
from ..extensions import socketio
from ..persistence.rooms import Outcome
from ..services import services

AUDIENCES = (PUBLIC, LEAD, WAITING)
NAMESPACE = "/"
# Events after which someone's audience may differ; ``private_for`` names who.
_RESEATING = ("roles", "admitted")
# Events after which someone is out of the room; ``data["connections"]`` were theirs.
_DEPARTING = ("left", "removed")
# A removed person's connection gets its notice, then is closed (the notice travels first).
CLOSE_AFTER_SECONDS = 1.0


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
    out = messages(outcome)
    notices = reseat(outcome)  # before the first send: nobody hears this change in an old role
    for target, event, payload in notices + out:
        socketio.emit(event, payload, to=target)
    if any(e.name == "ended" for e in outcome.events):
        rooms = [audience_room(outcome.room_id, audience) for audience in AUDIENCES]
        socketio.emit("ended", {"reason": "ended"}, to=rooms)
    closing = [target for target, event, _ in notices if event == "removed"]
    if closing:
        socketio.start_background_task(_close_later, closing)


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
        person = session.people.get(person_id)
        if person is None or person.left:
            continue  # gone: they hear only their notice
        out.append((person_room(outcome.room_id, person_id), "me",
                    personal_view(session, Actor(person_id=person_id))))
    return out


def reseat(outcome: Outcome) -> list[tuple[str, str, dict]]:
    """Move the connections of people whose role or membership changed; returns what to send
    each of those connections first (``room_format`` for a new audience, ``removed``)."""
    session, room_id = outcome.session, outcome.room_id
    sends: list[tuple[str, str, dict]] = []
    for event in outcome.events:
        if event.name in _DEPARTING:
            person_id = event.data["person"]
            reason = event.data.get("reason", "left")
            for sid in _live_sids(event.data["connections"]):
                for audience in AUDIENCES:
                    _leave(sid, audience_room(room_id, audience))
                _leave(sid, person_room(room_id, person_id))
                _mark(sid, gone=reason)
                sends.append((sid, "removed", {"reason": reason}))
        elif event.name in _RESEATING:
            for person_id in event.private_for:
                person = session.people.get(person_id)
                if person is None or person.left:
                    continue
                audience = audience_of(session, Actor(person_id=person_id))
                fmt = format_view(session, audience)
                for sid in _live_sids(person.connections):
                    _seat(sid, room_id, audience)
                    if fmt is not None:
                        sends.append((sid, "room_format", fmt))
    return sends


def _live_sids(connection_ids) -> list[str]:
    """Socket ids of connections that may still be open: this process's own that it holds, and
    (with a message queue) the other processes'; a lone process's ids of before a restart are
    long closed."""
    svc = services()
    queue = bool(current_app.config.get("MESSAGE_QUEUE"))
    sids = []
    for connection_id in connection_ids:
        process, _, sid = connection_id.partition(":")
        if (process == svc.process_id and sid in svc.connections) or (process != svc.process_id and queue):
            sids.append(sid)
    return sids


def _seat(sid: str, room_id: int, audience: str) -> None:
    for other in AUDIENCES:
        if other != audience:
            _leave(sid, audience_room(room_id, other))
    socketio.server.enter_room(sid, audience_room(room_id, audience), namespace=NAMESPACE)
    _mark(sid, audience=audience)


def _leave(sid: str, room: str) -> None:
    socketio.server.leave_room(sid, room, namespace=NAMESPACE)


def _mark(sid: str, **changes) -> None:
    conn = services().connections.get(sid)
    if conn is not None:
        for key, value in changes.items():
            setattr(conn, key, value)


def _close_later(sids: list[str]) -> None:
    socketio.sleep(CLOSE_AFTER_SECONDS)
    for sid in sids:
        socketio.server.disconnect(sid, namespace=NAMESPACE)
