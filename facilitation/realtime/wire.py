"""Socket.IO packets as Krug reads and writes them.

JSON: UTF-8 as it is, not \\u-escaped. The standard encoder escapes every non-ASCII character,
which doubles a Russian room's snapshot on the wire (measured: 42 KB escaped, 22 KB as UTF-8,
bench/snapshot.py).

Reading: python-socketio decodes whatever arrives and lets the errors fly (each logged with a
traceback, twice), takes an array or an object for an event name, and dispatches events
named ``connect`` or ``disconnect`` to the real connect and disconnect handlers. Here every
packet a client may send is checked as it is decoded; a malformed one is answered with an
error acknowledgement when it asked for one on a connected namespace, else its connection is
closed (so also after ``ANSWERED_PER_CONNECTION`` answered ones); either way one log line names
the fault, never the content.
"""
from __future__ import annotations

import json
import logging

from socketio import packet

from ..engine import DomainError

log = logging.getLogger("krug.realtime")

loads = json.loads
JSONDecodeError = json.JSONDecodeError

# Names python-socketio dispatches to its own handlers, whatever a client meant by them.
RESERVED_EVENTS = frozenset({"connect", "connect_error", "disconnect", "__disconnect_final"})
CLIENT_PACKETS = frozenset({packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK})
# Malformed events answered on one connection before the next closes it: a client with a bug
# learns what is wrong; a client sending nothing else is cut off.
ANSWERED_PER_CONNECTION = 20


def dumps(obj, *args, **kwargs) -> str:
    kwargs.setdefault("ensure_ascii", False)
    kwargs.setdefault("separators", (",", ":"))
    return json.dumps(obj, *args, **kwargs)


class MalformedPacket(ValueError):
    """A packet no Krug client sends. ``reason`` is a fixed phrase, safe to log."""

    def __init__(self, reason: str, ack_id: int | None = None, namespace: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.ack_id = ack_id
        self.namespace = namespace


class KrugPacket(packet.Packet):
    """Socket.IO packets without the recursive search for binary data in every payload:
    Krug sends only JSON, and that search walked every card of every snapshot (bench profile:
    ~7 % of the server's time under load). Decoding refuses what no Krug client sends."""

    uses_binary_events = False

    def decode(self, encoded_packet):
        if not isinstance(encoded_packet, str):
            raise MalformedPacket("binary message")
        try:
            attachments = super().decode(encoded_packet)
        except RecursionError:
            raise MalformedPacket("JSON nested too deep") from None
        except ValueError:  # invalid JSON, integers past Python's digit limit, bad ids
            raise MalformedPacket("invalid packet") from None
        if self.packet_type not in CLIENT_PACKETS:
            raise MalformedPacket("packet type not accepted from clients")
        if self.packet_type == packet.CONNECT and self.data is not None and not isinstance(self.data, dict):
            raise MalformedPacket("connect data is not an object")
        if self.packet_type == packet.ACK and not isinstance(self.data, list):
            raise MalformedPacket("ack data is not an array")
        if self.packet_type == packet.EVENT:
            if not isinstance(self.data, list) or not self.data:
                raise MalformedPacket("event is not a non-empty array", self.id, self.namespace)
            if not isinstance(self.data[0], str):
                raise MalformedPacket("event name is not text", self.id, self.namespace)
            if self.data[0] in RESERVED_EVENTS:
                raise MalformedPacket("reserved event name", self.id, self.namespace)
        return attachments


def refuse_malformed_packets(server) -> None:
    """Answer or close on a malformed packet instead of python-socketio's traceback."""
    handle = server.eio.handlers["message"]

    def on_message(eio_sid, data):
        try:
            if not data:  # python-socketio would take it for an event without a name
                raise MalformedPacket("empty packet")
            return handle(eio_sid, data)
        except MalformedPacket as fault:
            refuse(server, eio_sid, fault)

    server.eio.on("message", on_message)


def refuse(server, eio_sid: str, fault: MalformedPacket) -> None:
    socket = server.eio.sockets.get(eio_sid)
    if socket is None or socket.closed:
        return  # packets still buffered behind the one that closed it: already said
    namespace = fault.namespace or "/"
    # Answered ones too are bounded per connection, and with them the log lines they cost.
    socket.krug_refused = getattr(socket, "krug_refused", 0) + 1
    answerable = fault.ack_id is not None and server.manager.sid_from_eio_sid(eio_sid, namespace) is not None
    if answerable and socket.krug_refused <= ANSWERED_PER_CONNECTION:
        log.info("refused packet: %s", fault.reason)
        error = DomainError("bad_request", f"Malformed event: {fault.reason}.")
        server._send_packet(eio_sid, server.packet_class(packet.ACK, namespace=namespace, id=fault.ack_id,
                                                         data=[error.as_ack()]))
        return
    log.info("refused packet: %s; connection closed", fault.reason)
    socket.close(wait=False, reason=server.eio.reason.SERVER_DISCONNECT)
