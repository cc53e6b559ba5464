"""What ``/healthz`` checks, each within a deadline.

Every check runs in its own green thread and the answer waits at most ``DEADLINE_SECONDS``
for all of them: a stalled PostgreSQL (or Redis) makes the answer a 503 naming it, never a
request that hangs. A check still running from an earlier request is not started again (a
stall would otherwise take one pool connection per request); it counts as stalled.
"""
from __future__ import annotations

import logging
import queue
import threading
import time

import redis

from ..extensions import socketio
from ..persistence.database import describe
from ..persistence.processes import write_probe

log = logging.getLogger("krug.health")

DEADLINE_SECONDS = 3.0
REDIS_TIMEOUT_SECONDS = 2.0
RECENT_WRITE_FAILURE_SECONDS = 10.0

_running: set[str] = set()
_running_lock = threading.Lock()


def _start(name: str, check, results: queue.Queue) -> bool:
    with _running_lock:
        if name in _running:
            return False
        _running.add(name)

    def run() -> None:
        try:
            check()
            results.put((name, None))
        except Exception as exc:  # noqa: BLE001 — any failure is the answer
            results.put((name, describe(exc)))
        finally:
            with _running_lock:
                _running.discard(name)

    socketio.start_background_task(run)
    return True


def readiness(svc, queue_url: str | None) -> tuple[bool, dict]:
    """(ok, body) for /healthz. ``body["problems"]`` names each failure in plain words."""
    checks = {"database": svc.db.ping, "writes": lambda: write_probe(svc.db)}
    if queue_url:
        checks["message_queue"] = lambda: _ping_redis(queue_url)
    results: queue.Queue = queue.Queue()
    started = {name for name, check in checks.items() if _start(name, check, results)}
    answers: dict[str, str | None] = {}
    deadline = time.monotonic() + DEADLINE_SECONDS
    while len(answers) < len(started):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            name, error = results.get(timeout=remaining)
        except queue.Empty:
            break
        answers[name] = error
    body: dict = {"ok": True}
    problems: list[str] = []
    for name in checks:
        if name not in answers:
            problems.append(f"{_WORDS[name]} did not answer within {DEADLINE_SECONDS:g} s (stalled)")
        elif answers[name] is not None:
            log.warning("health check %s failed: %s", name, answers[name])
            problems.append(_FAILED[name])
        body[name] = name in answers and answers[name] is None
    failed_at = svc.db.write_failed_at
    if failed_at is not None and time.monotonic() - failed_at < RECENT_WRITE_FAILURE_SECONDS:
        # A probe can pass where a room's write fails (SQLite reuses its log's space); the
        # store's own failures count for a while after the last one.
        problems.append("a write to the database failed in the last "
                        f"{RECENT_WRITE_FAILURE_SECONDS:g} s: {svc.db.write_error or 'unknown error'}")
        body["writes"] = False
    elif body["writes"]:
        svc.db.wrote()  # the probe's write was committed: the database takes writes again
    relay = svc.relay
    if relay is not None:
        body["listening"] = bool(relay.listening)
        if not relay.listening:
            problems.append("not listening to the message queue: broadcasts of other processes do not arrive")
        if not relay.publishing:
            problems.append("cannot publish to the message queue")
    body["ok"] = not problems
    if problems:
        body["problems"] = problems
    return body["ok"], body


def _ping_redis(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                                  socket_timeout=REDIS_TIMEOUT_SECONDS)
    try:
        client.ping()
    finally:
        client.close()


_WORDS = {"database": "the database", "writes": "a write to the database", "message_queue": "the message queue"}
_FAILED = {"database": "the database is unreachable", "writes": "the database refuses writes",
           "message_queue": "the message queue is unreachable"}
