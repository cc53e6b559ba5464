"""The loops ``python app.py`` starts beside the server. Nothing in the package imports this
module: the loops call inward (retention, presence) and survive a bad round, logging no content.
"""
from __future__ import annotations

import logging

from .engine import DomainError, commands
from .persistence.database import UNAVAILABLE, describe
from .persistence.retention import purge_expired
from .realtime.broadcast import broadcast
from .realtime.presence import presence_round, store_unsaved_disconnects
from .services import services

log = logging.getLogger("krug.background")


def forget_old_connections(app) -> int:
    """A lone process starting again: nobody is connected yet, whatever the rooms remember.

    Only for a single process; with several, a live process's connections must stay.
    """
    with app.app_context():
        return len(services().rooms.execute_in_every_room(commands.ResetPresence()))


def run_retention_job(app, socketio, interval_seconds: float = 300.0) -> None:
    """Every few minutes: expire rooms past the retention window, drop kept sessions of rooms
    other processes erased."""
    while True:
        socketio.sleep(interval_seconds)
        with app.app_context():
            try:
                # Devices still connected hear "ended" and forget the room.
                purge_expired(services().rooms, app.config["RETENTION_HOURS"], announce=broadcast)
                services().rooms.forget_erased()
            except Exception as exc:  # noqa: BLE001 — the loop must outlive a bad round
                _failed("retention purge", exc)


def run_presence_job(app, socketio) -> None:
    """With several processes: a heartbeat, and forgetting the connections of processes gone."""
    while True:
        try:
            presence_round(app)
        except Exception as exc:  # noqa: BLE001
            _failed("presence round", exc)
        socketio.sleep(app.config["PROCESS_HEARTBEAT_SECONDS"])


def run_unsaved_disconnects_job(app, socketio, interval_seconds: float = 2.0) -> None:
    """Disconnects seen while the database failed are stored once it takes writes again."""
    while True:
        socketio.sleep(interval_seconds)
        try:
            store_unsaved_disconnects(app)
        except Exception as exc:  # noqa: BLE001
            _failed("storing waiting disconnects", exc)


def _failed(what: str, exc: Exception) -> None:
    """A database that cannot serve is one line each round, not a traceback."""
    if isinstance(exc, UNAVAILABLE) or (isinstance(exc, DomainError) and exc.code == "unavailable"):
        log.warning("%s: database unavailable (%s)", what, describe(exc.__cause__ or exc))
    else:
        log.exception("%s failed", what)
