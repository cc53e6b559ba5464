"""Socket.IO handlers: decode -> authorize -> engine -> store -> broadcast.

Every client event is acknowledged with ``{ok: true, ...}`` or
``{ok: false, error: {code, message}}``. Identity comes only from the token presented in the
connection's ``auth``; payloads never say who is speaking. Handlers log event names, room ids
and timings, never what people typed.
"""
from __future__ import annotations

import logging
import time

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, join_room, leave_room

from ..engine import CLIENT_COMMANDS, DomainError, audience_of, commands, decode, format_view, personal_view
from ..extensions import socketio
from ..services import services
from .broadcast import AUDIENCES, audience_room, broadcast, messages, person_room, stamped_view
from .connections import Connection

log = logging.getLogger("krug.realtime")


def _enter_rooms(sid: str, conn: Connection, session) -> None:
    # Every other audience room, not only the one remembered here: another process may have
    # moved this connection meanwhile (broadcast.reseat).
    audience = audience_of(session, conn.actor)
    for other in AUDIENCES:
        if other != audience:
            leave_room(audience_room(conn.room_id, other), sid=sid)
    conn.audience = audience
    join_room(audience_room(conn.room_id, audience), sid=sid)


def _refuse(err: DomainError) -> None:
    """Refuse a connection; JS clients read ``err.data.code`` in their connect_error handler."""
    raise ConnectionRefusedError(err.message, err.as_ack()["error"])


@socketio.on("connect")
def on_connect(auth):
    """Connect with ``auth = {token, previous?}`` (``previous``: this device's last connection id,
    so one that died with a crashed process stops counting as online). Refused with
    {code: not_authenticated, details: {reason: "token_refused"}} when the token opens no room
    (never issued, or revoked: the person left or was removed), and with {code: session_ended}
    (details {debrief: true} for the room's leaders) once the room is over. On success the server emits ``me``, ``room_format`` (not to people at the door) and
    ``room_state`` to this connection."""
    svc = services()
    token = auth.get("token") if isinstance(auth, dict) else None
    identity = svc.rooms.identify(token)
    if identity is None:
        wait = svc.join_attempts.hit(request.remote_addr or "?")
        if wait is not None:
            _refuse(DomainError("rate_limited", f"Too many attempts; wait {wait} s.", retry_after=wait))
        _refuse(DomainError("not_authenticated", reason="token_refused"))
    if identity.after_end:
        _refuse(DomainError("session_ended", debrief=identity.after_end == "debrief"))
    previous = auth.get("previous") if isinstance(auth.get("previous"), str) else None
    try:
        outcome = svc.rooms.execute(identity.room_id, identity.actor,
                                    commands.Connected(connection=svc.connection_id(request.sid), replaces=previous))
    except DomainError as err:
        _refuse(err)
    conn = Connection(identity.room_id, identity.code, identity.actor, audience_of(outcome.session, identity.actor))
    svc.connections[request.sid] = conn
    log.info("connect room=%s screen=%s", conn.room_id, identity.actor.screen)
    changes = messages(outcome) if outcome.events else []
    me = personal_view(outcome.session, conn.actor)
    own = stamped_view(outcome.session, conn.audience, outcome.version, conn.code)
    fmt = format_view(outcome.session, conn.audience)
    # Joined before anything is sent: a role change while this runs then moves it too.
    join_room(audience_room(conn.room_id, conn.audience))
    if identity.actor.person_id:
        join_room(person_room(conn.room_id, identity.actor.person_id))
    for target, event, payload in changes:  # this connection gets its own just below
        socketio.emit(event, payload, to=target, skip_sid=request.sid)
    socketio.emit("me", me, to=request.sid)
    if fmt is not None:
        socketio.emit("room_format", fmt, to=request.sid)
    socketio.emit("room_state", own, to=request.sid)


@socketio.on("disconnect")
def on_disconnect(reason=None):
    """Not sent by clients. The person shows as "reconnecting" until the grace period passes."""
    svc = services()
    conn = svc.connections.pop(request.sid, None)
    if conn is None:
        return
    try:
        outcome = svc.rooms.execute(conn.room_id, conn.actor, commands.Disconnected(connection=svc.connection_id(request.sid)))
    except DomainError:
        return
    log.info("disconnect room=%s", conn.room_id)
    broadcast(outcome)


def _within_budget() -> None:
    """A flood from one connection is answered, not served (the room stays usable for others)."""
    wait = services().event_budget.hit(request.sid)
    if wait is not None:
        raise DomainError("rate_limited", f"Too many events; wait {wait} s.", retry_after=wait)


def _connection() -> Connection:
    conn = services().connections.get(request.sid)
    if conn is None:
        raise DomainError("not_authenticated", reason="token_refused")
    if conn.gone:
        raise DomainError("not_authenticated", reason=conn.gone)
    return conn


@socketio.on("time_sync")
def on_time_sync(_payload=None):
    """Clock sample. Ack: {ok, server_now} (epoch seconds). Clients take several samples and keep
    the one with the lowest round trip."""
    return {"ok": True, "server_now": time.time()}


@socketio.on("sync")
def on_sync(_payload=None):
    """Ask for a fresh snapshot (after visibilitychange, or when ``me`` says the role changed).
    Ack: {ok, me, format, state}; ``format`` is null at the door."""
    try:
        conn = _connection()
        session, version, _code = services().rooms.load(conn.room_id)
        person = session.people.get(conn.actor.person_id) if conn.actor.person_id else None
        if person is not None and person.left:
            raise DomainError("not_authenticated", reason="removed" if person.removed else "left")
    except DomainError as err:
        return err.as_ack()
    _enter_rooms(request.sid, conn, session)
    return {"ok": True, "me": personal_view(session, conn.actor), "format": format_view(session, conn.audience),
            "state": stamped_view(session, conn.audience, version, conn.code)}


def _command(event: str, payload) -> dict:
    """The one path every session command takes."""
    started = time.perf_counter()
    try:
        conn = _connection()
        _within_budget()
        command = decode(event, payload)
        outcome = services().rooms.execute(conn.room_id, conn.actor, command)
    except DomainError as err:
        log.info("refused event=%s code=%s", event, err.code)
        return err.as_ack()
    duplicate = any(e.name == "duplicate" for e in outcome.events)
    ack: dict = {"ok": True, "v": outcome.version}
    if duplicate:
        ack["duplicate"] = True
    for event_obj in outcome.events:
        for key in ("card", "nomination"):
            if key in event_obj.data:
                ack[key] = event_obj.data[key]
    if event in ("cast_vote", "retract_vote"):
        ack["votes"] = outcome.session.vote.ballots_of(conn.actor.person_id)
    if not duplicate:
        broadcast(outcome)
    log.info("event=%s room=%s v=%s ms=%.1f", event, outcome.room_id, outcome.version,
             (time.perf_counter() - started) * 1000)
    return ack


def _register(event: str) -> None:
    command_cls = CLIENT_COMMANDS[event]

    def handler(payload=None):
        return _command(event, payload)

    handler.__name__ = f"on_{event}"
    handler.__doc__ = f"Command ``{event}`` ({command_cls.__name__}); see docs/protocol.md."
    socketio.on_event(event, handler)


for _event in CLIENT_COMMANDS:
    _register(_event)


@socketio.on("*")
def on_unknown(event, *_args):
    """Any other event name: refused with unknown_event."""
    log.info("refused unknown event")
    return DomainError("unknown_event").as_ack()


@socketio.on_error_default
def on_error(exc):
    """An unexpected failure: logged (without payload) and acknowledged as an error."""
    current_app.logger.exception("handler failed: %s", type(exc).__name__)
    return DomainError("server_error").as_ack()
