"""How Krug's websockets compress (permessage-deflate, RFC 7692), on eventlet's server.

Browsers always offer permessage-deflate. Eventlet, agreeing as it is, keeps one compressor
per socket for the socket's whole life (~130 KB each: 2 600 sockets took 550 MB) and
compresses every message once per receiver, although a room's 13 receivers get the very same
bytes. Policies (``KRUG_WS_COMPRESSION``):

- ``shared`` (default): agree with ``server_no_context_takeover``, so each message is compressed
  on its own; then one message compressed once serves every receiver that agreed to the same
  window, and no compressor is kept per socket. Messages under ``MIN_BYTES`` (acks, time
  samples) go uncompressed: the RFC lets a sender choose per message.
- ``off``: decline; phones then receive every snapshot raw (5-20 KB instead of 2-4 KB).
- ``on``: eventlet's own behaviour (a compressor per socket), for comparison.

Measured with ``bench/run.py`` (docs/performance.md). This patches eventlet's private
``RFC6455WebSocket`` methods, so eventlet is pinned in requirements.txt.
"""
from __future__ import annotations

import struct
import zlib
from collections import OrderedDict

POLICIES = ("shared", "off", "on")
MIN_BYTES = 256
_KEEP = 32  # recent messages; a broadcast reaches all its receivers within a few sends


class SharedDeflate:
    """Compressed bodies of recent messages, keyed by (window bits, the exact bytes)."""

    def __init__(self, keep: int = _KEEP) -> None:
        self.keep = keep
        self._bodies: OrderedDict[tuple[int, bytes], bytes] = OrderedDict()
        self.compressed = 0  # messages actually deflated (the rest were served from here)

    def body(self, data: bytes, wbits: int) -> bytes:
        key = (wbits, data)
        body = self._bodies.get(key)
        if body is not None:
            self._bodies.move_to_end(key)
            return body
        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -wbits)
        body = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
        body = body[:-4]  # RFC 7692 7.2.1: drop the empty block's 00 00 ff ff tail
        self.compressed += 1
        self._bodies[key] = body
        if len(self._bodies) > self.keep:
            self._bodies.popitem(last=False)
        return body


def frame(payload: bytes, text: bool, compressed: bool) -> bytes:
    """One unmasked, final frame (a server never masks, RFC 6455 5.1)."""
    first = 0x80 | (0x1 if text else 0x2) | (0x40 if compressed else 0)
    length = len(payload)
    if length > 65535:
        head = struct.pack("!BBQ", first, 127, length)
    elif length > 125:
        head = struct.pack("!BBH", first, 126, length)
    else:
        head = struct.pack("!BB", first, length)
    return head + payload


def install(policy: str) -> SharedDeflate | None:
    """Apply ``policy`` to eventlet's websocket server; returns the shared cache for ``shared``."""
    if policy not in POLICIES:
        raise ValueError(f"KRUG_WS_COMPRESSION must be one of {', '.join(POLICIES)}, not {policy!r}")
    if policy == "on":
        return None
    from eventlet import websocket

    socket_class = websocket.RFC6455WebSocket
    server_class = websocket.WebSocketWSGI
    negotiate = server_class._negotiate_permessage_deflate

    if policy == "off":
        server_class._negotiate_permessage_deflate = lambda self, extensions: None
        return None

    def negotiate_per_message(self, extensions):
        agreed = negotiate(self, extensions)
        if agreed is not None:
            agreed["server_no_context_takeover"] = True
        return agreed

    shared = SharedDeflate()
    pack = socket_class._pack_message

    def pack_shared(self, message, masked=False, continuation=False, final=True, control_code=None):
        options = self.extensions.get("permessage-deflate")
        if self.client or options is None or control_code or continuation or not final:
            return pack(self, message, masked=masked, continuation=continuation, final=final,
                        control_code=control_code)
        text = isinstance(message, str)
        data = message.encode("utf-8") if text else message
        if len(data) < MIN_BYTES:
            return frame(data, text, compressed=False)
        return frame(shared.body(data, options.get("server_max_window_bits", zlib.MAX_WBITS)), text, compressed=True)

    server_class._negotiate_permessage_deflate = negotiate_per_message
    socket_class._pack_message = pack_shared
    return shared
