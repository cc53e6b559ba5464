"""Connections that have not (yet) presented a valid token.

Opening an engine.io connection costs nothing to the opener and a socket, a queue and a ping
loop to the server, before any token is seen. So each address may hold only so many such
connections at once (``KRUG_PENDING_CONNECTIONS_PER_ADDRESS``; more are answered 401), and one
that has not connected the namespace with a valid token within
``KRUG_CONNECT_DEADLINE_SECONDS`` is closed. A browser connects its namespace in the same
breath as the connection, so neither touches a real device.

Hooked into python-socketio's engine.io handlers (``connect``/``disconnect``), which are public
attributes of its ``eio`` server; tests/test_transport_limits.py holds them to it.
"""
from __future__ import annotations

import logging
from collections import defaultdict

log = logging.getLogger("krug.realtime")

NAMESPACE = "/"


class Admission:
    def __init__(self, server, per_address: int, deadline_seconds: float) -> None:
        self.server = server
        self.per_address = per_address
        self.deadline = deadline_seconds
        self._pending: defaultdict[str, set[str]] = defaultdict(set)  # address -> engine.io sids
        self._address: dict[str, str] = {}
        eio = server.eio
        self._on_connect = eio.handlers["connect"]
        self._on_disconnect = eio.handlers["disconnect"]
        eio.on("connect", self.on_connect)
        eio.on("disconnect", self.on_disconnect)

    def admitted(self, eio_sid: str) -> bool:
        """The namespace is connected: the connect handler accepted a valid token."""
        return self.server.manager.sid_from_eio_sid(eio_sid, NAMESPACE) is not None

    def pending(self, address: str) -> int:
        waiting = self._pending.get(address)
        if not waiting:
            return 0
        for eio_sid in [s for s in waiting if self.admitted(s)]:
            self._forget(eio_sid)
        return len(self._pending.get(address, ()))

    def on_connect(self, eio_sid: str, environ: dict):
        address = environ.get("REMOTE_ADDR") or "?"
        if self.pending(address) >= self.per_address:
            log.info("refused connection: %d connections without a token from one address", self.per_address)
            return False  # engine.io answers 401
        self._pending[address].add(eio_sid)
        self._address[eio_sid] = address
        self.server.start_background_task(self._close_if_still_pending, eio_sid)
        return self._on_connect(eio_sid, environ)

    def on_disconnect(self, eio_sid: str, *args):
        self._forget(eio_sid)
        return self._on_disconnect(eio_sid, *args)

    def _forget(self, eio_sid: str) -> None:
        address = self._address.pop(eio_sid, None)
        waiting = self._pending.get(address)
        if waiting is not None:
            waiting.discard(eio_sid)
            if not waiting:
                del self._pending[address]

    def _close_if_still_pending(self, eio_sid: str) -> None:
        self.server.sleep(self.deadline)
        if eio_sid not in self._address:
            return
        if self.admitted(eio_sid):
            self._forget(eio_sid)
            return
        socket = self.server.eio.sockets.get(eio_sid)
        self._forget(eio_sid)
        if socket is not None and not socket.closed:
            log.info("closed connection: no valid token within %g s", self.deadline)
            # Not eio.disconnect(): that waits for the queue to drain, which an idle polling
            # client never does.
            socket.close(wait=False, reason=self.server.eio.reason.SERVER_DISCONNECT)


def install(server, per_address: int, deadline_seconds: float) -> Admission:
    return Admission(server, per_address, deadline_seconds)
