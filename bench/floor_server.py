"""The floor: a minimal Flask-SocketIO server on eventlet that does only the room broadcast.

Same transport as Krug (``app.py``): eventlet, a listener with TCP_NODELAY, ``max_size`` 10 000,
Flask-SocketIO with the same ``max_http_buffer_size``, ping settings and UTF-8 JSON, the same
websocket compression policy (``KRUG_WS_COMPRESSION``, default ``shared``), ``gc.freeze()``
after start-up. No database, no engine, no views, no logging.

Protocol (for bench/loadgen.js): connect with ``auth = {room}``; the event ``act`` bumps the
room's version and broadcasts ``room_state`` = the payload template with ``v`` and ``server_now``
to everyone in the room, then acknowledges ``{ok: true, v}``.

Environment: ``KRUG_HOST``/``KRUG_PORT`` as for Krug; ``BENCH_FLOOR_PAYLOAD`` a JSON file with the
snapshot to broadcast (the harness passes a real Krug ``room_state`` captured mid-run, so both
servers serialise and compress the same bytes); ``KRUG_MAX_CONNECTIONS``; and the bench switches
of ``bench/tuning.py`` (``BENCH_GC_*``, ``BENCH_NODELAY``).
"""
import eventlet
import eventlet.wsgi

eventlet.monkey_patch()

import gc
import json
import os
import socket
import sys
import time
from pathlib import Path

from flask import Flask, jsonify, request
from flask_socketio import SocketIO, join_room

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import tuning

from facilitation.realtime import wire as wire_json
from facilitation.realtime.ws_compression import install as install_ws_compression

app = Flask(__name__)
socketio = SocketIO(app, async_mode="eventlet", max_http_buffer_size=64 * 1024, json=wire_json,
                    ping_interval=(25, 5), ping_timeout=20, logger=False, engineio_logger=False)

_payload_path = os.environ.get("BENCH_FLOOR_PAYLOAD")
TEMPLATE: dict = json.loads(Path(_payload_path).read_text()) if _payload_path else {"status": "running"}
versions: dict[str, int] = {}
room_of: dict[str, str] = {}


@app.get("/healthz")
def healthz():
    return jsonify({"ok": True, "database": "none"})


@socketio.on("connect")
def on_connect(auth):
    room = str(auth.get("room")) if isinstance(auth, dict) else None
    if not room:
        return False
    room_of[request.sid] = room
    join_room(room)


@socketio.on("disconnect")
def on_disconnect(reason=None):
    room_of.pop(request.sid, None)


@socketio.on("act")
def on_act(_payload=None):
    room = room_of[request.sid]
    v = versions[room] = versions.get(room, 0) + 1
    state = dict(TEMPLATE)
    state["v"] = v
    state["server_now"] = time.time()
    socketio.emit("room_state", state, to=room)
    return {"ok": True, "v": v}


def serve() -> None:
    host = os.environ.get("KRUG_HOST", "127.0.0.1")
    port = int(os.environ.get("KRUG_PORT", "5000"))
    max_size = int(os.environ.get("KRUG_MAX_CONNECTIONS", "10000"))
    tuning.apply(app)
    install_ws_compression(os.environ.get("KRUG_WS_COMPRESSION", "shared"))
    listener = eventlet.listen((host, port))
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    gc.collect()
    gc.freeze()
    tuning.after_listen(listener)
    print(f"KRUG_READY http://{host}:{listener.getsockname()[1]}", flush=True)
    eventlet.wsgi.server(listener, app, log_output=False, max_size=max_size)


if __name__ == "__main__":
    serve()
