"""A size limit on whole websocket messages, and unmasking at C speed, on eventlet's server.

Eventlet checks its ``max_frame_length`` (python-engineio passes ``KRUG_MAX_MESSAGE_BYTES``) per
frame only: a message sent as many small fragments is gathered whole, every byte unmasked in
a Python loop on the one event loop, and only then measured by engine.io. Measured before this
patch: a 32 MiB message in 64 KiB fragments stalled every other client for seconds and a
64 MiB one added 130 MB of memory. Here each fragment's bytes are counted as they arrive, and
the connection is failed with 1009 (message too big) as soon as the message's total passes
the limit: at most one frame beyond the limit is ever read.

Unmasking: eventlet XORs byte by byte in Python (measured 97 ms for a 64 KiB frame); here the
frame is XORed as one big integer (0.6 ms).

A text message that is not an Engine.IO packet (empty, or not starting with a packet type a
client sends) made python-engineio's websocket loop raise: eventlet then wrote an HTTP 500
into the websocket stream and the connection's disconnect never ran. Such a message now ends
the connection as a close from the client would, with one log line.

This patches eventlet's private ``RFC6455WebSocket`` internals, so eventlet is pinned in
requirements.txt and tests/test_transport_limits.py fails if an upgrade changes them.
"""
from __future__ import annotations

import logging

log = logging.getLogger("krug.realtime")

_INSTALLED = "_krug_message_limit"
ENGINEIO_CLIENT_TYPES = "123456"  # close, ping, pong, message, upgrade, noop


def unmask(data: bytes, mask, length: int | None = None, offset: int = 0) -> bytes:
    """What eventlet's ``_apply_mask`` computes: ``data[i] ^ mask[(offset + i) % 4]``."""
    if length is None:
        length = len(data)
    if not length:
        return b""
    key = bytes(mask[(offset + i) % 4] for i in range(4))
    stream = (key * (length // 4 + 1))[:length]
    return (int.from_bytes(data[:length], "big") ^ int.from_bytes(stream, "big")).to_bytes(length, "big")


def install() -> None:
    """Limit every message of eventlet's websocket server to its ``max_frame_length``."""
    from eventlet import websocket

    socket_class = websocket.RFC6455WebSocket
    message_class = socket_class.Message
    if getattr(message_class, _INSTALLED, False):
        return
    push = message_class.push

    def push_within_limit(self, data, final=False):
        self.received = getattr(self, "received", 0) + len(data)
        if self.received > self.max_frame_length:
            log.info("refused websocket message: over %d bytes; connection closed", self.max_frame_length)
            raise websocket.FailedConnectionError(
                1009, f"Message above the limit of {self.max_frame_length} bytes.")
        return push(self, data, final=final)

    wait = socket_class.wait

    def wait_for_engineio_packet(self):
        message = wait(self)
        if isinstance(message, str) and (not message or message[0] not in ENGINEIO_CLIENT_TYPES):
            log.info("refused websocket message: not an Engine.IO packet; connection closed")
            # Only the close frame: engine.io closes the socket itself once wait() says None.
            self._send_closing_frame(ignore_send_errors=True, close_data=(1002, "Not an Engine.IO packet."))
            return None
        return message

    message_class.push = push_within_limit
    socket_class.wait = wait_for_engineio_packet
    setattr(message_class, _INSTALLED, True)
    socket_class._apply_mask = staticmethod(unmask)
