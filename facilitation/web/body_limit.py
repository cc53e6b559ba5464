"""Request bodies too large are refused before anyone reads them: 413 with a JSON error and
``Connection: close`` (else eventlet would read the rest of the body to keep the connection).

- Engine.IO long-polling POSTs (``/socket.io/``): over ``KRUG_MAX_MESSAGE_BYTES``, or of unknown
  length. python-engineio would leave such a POST unanswered for good, its connection slot
  held; here it is answered and its engine.io session closed.
- Every other route: over ``KRUG_MAX_BODY_BYTES`` by its Content-Length (Flask's
  ``MAX_CONTENT_LENGTH`` says the same, should a request get past this).
- A chunked body (no length announced; browsers never send one) is refused with 411 on every
  route: eventlet would otherwise read all of it, however long, to throw it away.
"""
from __future__ import annotations

import io
import json
import logging
from urllib.parse import parse_qs

from flask import Flask, jsonify
from werkzeug.exceptions import RequestEntityTooLarge

from ..engine import DomainError
from ..extensions import socketio

log = logging.getLogger("krug.web")

SOCKETIO_PATH = "/socket.io"
PACKET_SEPARATOR = "\x1e"
ENGINEIO_CLIENT_TYPES = "123456b"  # close, ping, pong, message, upgrade, noop; b: base64 binary


def refusal(limit: int) -> dict:
    return DomainError("too_long", f"The request body is too large (at most {limit} bytes).", limit=limit).as_ack()


class BodyLimit:
    """WSGI middleware, outermost but for a proxy fix."""

    def __init__(self, app, eio, body_bytes: int, message_bytes: int) -> None:
        self.app = app
        self.eio = eio
        self.body_bytes = body_bytes
        self.message_bytes = message_bytes

    def __call__(self, environ, start_response):
        polling = environ.get("PATH_INFO", "").startswith(SOCKETIO_PATH) and environ.get("REQUEST_METHOD") == "POST"
        limit = self.message_bytes if polling else self.body_bytes
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = limit + 1
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if length <= limit and not chunked:
            if polling and length:
                return self._polling_post(environ, start_response, length)
            return self.app(environ, start_response)
        if polling:
            self._close_session(environ)
        kind = "polling" if polling else "http"
        if chunked:
            log.info("refused request body: no length announced (%s)", kind)
            status, answer = "411 Length Required", DomainError("bad_request", "Send a Content-Length.").as_ack()
        else:
            log.info("refused request body: %d bytes over the limit of %d (%s)", length, limit, kind)
            status, answer = "413 Request Entity Too Large", refusal(limit)
        body = json.dumps(answer).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                ("Connection", "close")])
        return [body]

    def _polling_post(self, environ, start_response, length: int):
        """python-engineio decodes a POST's body unchecked and logs a traceback (and answers
        ok) for bytes that are not UTF-8 or packets that are not Engine.IO's: checked here."""
        body = environ["wsgi.input"].read(length)
        try:
            packets = body.decode("utf-8").split(PACKET_SEPARATOR)
        except UnicodeDecodeError:
            packets = None
        if packets is None or not all(p[:1] and p[0] in ENGINEIO_CLIENT_TYPES for p in packets):
            self._close_session(environ)
            log.info("refused polling post: not Engine.IO packets; session closed")
            return self._answer(start_response, "400 Bad Request",
                                DomainError("bad_request", "Malformed Engine.IO payload.").as_ack())
        environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)

    @staticmethod
    def _answer(start_response, status: str, answer: dict):
        body = json.dumps(answer).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                ("Connection", "close")])
        return [body]

    def _close_session(self, environ) -> None:
        sid = parse_qs(environ.get("QUERY_STRING", "")).get("sid", [None])[0]
        socket = self.eio.sockets.get(sid) if sid else None
        if socket is not None and not socket.closed:
            # Not eio.disconnect(): that waits for a GET to drain the queue.
            socket.close(wait=False, reason=self.eio.reason.TRANSPORT_ERROR)


def register_body_limit(app: Flask) -> None:
    app.wsgi_app = BodyLimit(app.wsgi_app, socketio.server.eio, app.config["MAX_BODY_BYTES"],
                             app.config["MAX_MESSAGE_BYTES"])

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_exc):
        limit = app.config["MAX_CONTENT_LENGTH"]
        log.info("refused request body: over the limit of %d (http, read)", limit)
        response = jsonify(refusal(limit))
        response.headers["Connection"] = "close"
        return response, 413
