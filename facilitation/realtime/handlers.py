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

from ..engine import (
    CLIENT_COMMANDS,
    DomainError,
    audience_of,
    commands,
    decode,
    format_view,
    personal_view,
    refuse_invalid_text,
)
from ..extensions import socketio
from ..persistence.database import UNAVAILABLE, describe
from ..services import services
from .broadcast import AUDIENCES, audience_room, broadcast, messages, person_room, stamped_view
from .connections import Connection
from .presence import store_disconnect

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
    (never issued, or revoked: the person left or was removed), with {code: session_ended}
    (details {debrief: true} for the room's leaders) once the room is over, and with {code:
    unavailable} while the database fails (the browser tries again with backoff). On success the
    server emits ``me``, ``room_format`` (not to people at the door) and ``room_state`` to this
    connection."""
    try:
        _accept(auth)
    except DomainError as err:
        if err.code == "unavailable":
            log.warning("connect refused: database unavailable")
        _refuse(err)
    except ConnectionRefusedError:
        raise
    except Exception as exc:  # an error left to the default handler would be taken as an accept
        if isinstance(exc, UNAVAILABLE):
            log.warning("connect refused: database unavailable (%s)", describe(exc))
            _refuse(DomainError("unavailable"))
        current_app.logger.exception("connect failed: %s", type(exc).__name__)
        _refuse(DomainError("server_error"))


def _accept(auth) -> None:
    svc = services()
    auth = auth if isinstance(auth, dict) else {}
    refuse_invalid_text(auth)
    token = auth.get("token")
    identity = svc.rooms.identify(token) if isinstance(token, str) else None
    if identity is None:
        wait = svc.limits.hit_join(_address())
        if wait is not None:
            raise DomainError("rate_limited", f"Too many attempts; wait {wait} s.", retry_after=wait)
        raise DomainError("not_authenticated", reason="token_refused")
    if identity.after_end:
        raise DomainError("session_ended", debrief=identity.after_end == "debrief")
    previous = auth.get("previous") if isinstance(auth.get("previous"), str) else None
    outcome = svc.rooms.execute(identity.room_id, identity.actor,
                                commands.Connected(connection=svc.connection_id(request.sid), replaces=previous))
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
    """Not sent by clients. The person shows as "reconnecting" until the grace period passes.
    While the database fails, the disconnect waits in ``unsaved_disconnects`` and is stored
    by the presence loop once it can be, so nobody stays "online" for good."""
    svc = services()
    conn = svc.connections.pop(request.sid, None)
    if conn is None:
        return
    log.info("disconnect room=%s", conn.room_id)
    store_disconnect(svc, svc.connection_id(request.sid), conn, broadcast)


def _address() -> str:
    return request.remote_addr or "?"


def _within_budget() -> None:
    """Every event counts, per device and per address: a flood is answered, not served (the
    room stays usable for others)."""
    conn = services().connections.get(request.sid)
    device = f"{conn.room_id}:{conn.actor.person_id or 'screen'}" if conn is not None else None
    wait = services().limits.hit_event(device, _address())
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
    try:
        _within_budget()
    except DomainError as err:
        return err.as_ack()
    return {"ok": True, "server_now": time.time()}


@socketio.on("sync")
def on_sync(_payload=None):
    """Ask for a fresh snapshot (after visibilitychange, or when ``me`` says the role changed).
    Ack: {ok, me, format, state}; ``format`` is null at the door."""
    try:
        conn = _connection()
        _within_budget()
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
    for event_obj in outcome.events:
        for key in ("card", "nomination", "v"):
            if key in event_obj.data:
                ack[key] = event_obj.data[key]
    if duplicate:
        ack["duplicate"] = True  # a repeat: answered as the first, nothing changed
    if event in ("cast_vote", "retract_vote") and outcome.session.vote is not None:
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
    """Any other event name: refused with unknown_event (and counted like any event)."""
    try:
        _within_budget()
    except DomainError as err:
        return err.as_ack()
    log.info("refused unknown event")
    return DomainError("unknown_event").as_ack()


@socketio.on_error_default
def on_error(exc):
    """An unexpected failure: logged (without payload) and acknowledged as an error; a database
    that cannot serve is ``unavailable`` (the client tries again), anything else ``server_error``."""
    if isinstance(exc, UNAVAILABLE):
        log.warning("database unavailable: %s", describe(exc))
        return DomainError("unavailable").as_ack()
    current_app.logger.exception("handler failed: %s", type(exc).__name__)
    return DomainError("server_error").as_ack()
