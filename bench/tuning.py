"""Bench-only switches applied to a server process from outside, by environment variable.

Used by ``bench/krug_variant.py`` (Krug's ``app.py`` unchanged, imported the way it runs) and by
``bench/floor_server.py``, so the effect of a server change can be measured before anyone makes
it. With no variable set, nothing changes.

- ``BENCH_GC_FREEZE=1``: ``gc.freeze()`` just before serving (after start-up: app, migrations,
  formats, listener), so start-up objects leave the collector's generations for good.
- ``BENCH_GC_THRESHOLDS=50000,20,100``: ``gc.set_threshold(...)``.
- ``BENCH_GC_DISABLE=1``: no cyclic collection at all (a diagnostic, never a recommendation).
- ``BENCH_NODELAY=0``: clear TCP_NODELAY on the listener (accepted sockets inherit it on Linux),
  i.e. the eventlet default.
- ``BENCH_DEFLATE=off``: never agree to permessage-deflate (the client's offer is declined);
  ``BENCH_DEFLATE=no-context``: agree, but with ``server_no_context_takeover`` — a compressor per
  message instead of one kept per connection.
- ``BENCH_PACKET=lean``: Socket.IO packets as Krug could configure them with
  ``SocketIO(serializer=...)``: ``uses_binary_events = False`` (no recursive scan of every
  snapshot for bytes, which Krug never sends) and UTF-8 JSON (``ensure_ascii=False``: a Cyrillic
  letter is 2 bytes instead of a 6-byte ASCII escape).
- ``BENCH_STATE_JSON=utf8``: the rooms' JSON column written with ``ensure_ascii=False`` and compact
  separators (``create_engine(json_serializer=...)``).
- ``BENCH_CODEC=vars``: the engine's codec copies its flat dataclasses with a shallow ``vars()``
  copy instead of ``dataclasses.asdict`` (a recursive deep copy); same document, checked at start.
- ``BENCH_PROFILE=1``: run the server under cProfile from the start of serving;
  ``GET /_bench/profile?path=FILE`` writes the statistics (pstats format) and starts again.
- ``BENCH_GC_STATS=1``: time every collection (``gc.callbacks``); ``GET /_bench/gc`` answers
  ``{gen: {count, total_ms, max_ms, over_10ms}}`` and ``?reset=1`` starts again.
"""
from __future__ import annotations

import gc
import os
import socket
import time


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false", "no")


def describe() -> dict:
    return {k: v for k, v in os.environ.items() if k.startswith("BENCH_") and k != "BENCH_FLOOR_PAYLOAD"}


# ---------------------------------------------------------------- compression policy

def _patch_deflate(policy: str) -> None:
    from eventlet import websocket

    original = websocket.WebSocketWSGI._negotiate_permessage_deflate

    def declined(self, extensions):
        return None

    def no_context(self, extensions):
        agreed = original(self, extensions)
        if agreed is not None:
            agreed["server_no_context_takeover"] = True
        return agreed

    if policy == "off":
        websocket.WebSocketWSGI._negotiate_permessage_deflate = declined
    elif policy == "no-context":
        websocket.WebSocketWSGI._negotiate_permessage_deflate = no_context
    elif policy not in ("", "on"):
        raise SystemExit(f"BENCH_DEFLATE must be off, no-context or on, not {policy!r}")


# ---------------------------------------------------------------- serialisation


def _utf8_dumps(obj, **kwargs):
    import json

    kwargs.setdefault("ensure_ascii", False)
    return json.dumps(obj, **kwargs)


class _Utf8Json:
    """A json module for python-socketio: UTF-8 out, engineio's safe loads in."""

    dumps = staticmethod(_utf8_dumps)

    @staticmethod
    def loads(*args, **kwargs):
        from engineio import json as engineio_json

        return engineio_json.loads(*args, **kwargs)


def _patch_packet(policy: str) -> None:
    if policy == "lean":
        from socketio import packet

        packet.Packet.uses_binary_events = False
        packet.Packet.json = _Utf8Json
    elif policy:
        raise SystemExit(f"BENCH_PACKET must be lean, not {policy!r}")


def _patch_state_json(app, policy: str) -> None:
    if policy == "utf8":
        db = app.extensions.get("krug_db")
        if db is None or db.engine is None:
            return
        db.engine.dialect._json_serializer = lambda obj: _utf8_dumps(obj, separators=(",", ":"))
    elif policy:
        raise SystemExit(f"BENCH_STATE_JSON must be utf8, not {policy!r}")


def _flat_asdict(obj) -> dict:
    return {k: (list(v) if isinstance(v, list) else v) for k, v in vars(obj).items()}


def _patch_codec(policy: str) -> None:
    if policy == "vars":
        from facilitation.engine import codec

        codec.asdict = _flat_asdict
    elif policy:
        raise SystemExit(f"BENCH_CODEC must be vars, not {policy!r}")


# ---------------------------------------------------------------- garbage collector statistics

_gc_stats: dict[int, dict] = {}
_gc_started = [0.0]


def _gc_callback(phase: str, info: dict) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
        return
    ms = (time.perf_counter() - _gc_started[0]) * 1000
    entry = _gc_stats.setdefault(info["generation"], {"count": 0, "total_ms": 0.0, "max_ms": 0.0, "over_10ms": 0})
    entry["count"] += 1
    entry["total_ms"] += ms
    entry["max_ms"] = max(entry["max_ms"], ms)
    if ms > 10:
        entry["over_10ms"] += 1


def _add_gc_route(app) -> None:
    from flask import jsonify, request

    def bench_gc():
        data = {str(gen): {**entry, "total_ms": round(entry["total_ms"], 1), "max_ms": round(entry["max_ms"], 2)}
                for gen, entry in sorted(_gc_stats.items())}
        if request.args.get("reset"):
            _gc_stats.clear()
        return jsonify({"ok": True, "gc": data, "thresholds": gc.get_threshold(),
                        "frozen": gc.get_freeze_count(), "enabled": gc.isenabled()})

    app.add_url_rule("/_bench/gc", "bench_gc", bench_gc)


# ---------------------------------------------------------------- profiling

_profiler = [None]


def _add_profile_route(app) -> None:
    import cProfile

    from flask import jsonify, request

    def bench_profile():
        profiler = _profiler[0]
        if profiler is None:
            return jsonify({"ok": False})
        profiler.disable()
        profiler.dump_stats(request.args["path"])
        _profiler[0] = cProfile.Profile()
        _profiler[0].enable()
        return jsonify({"ok": True})

    app.add_url_rule("/_bench/profile", "bench_profile", bench_profile)


# ---------------------------------------------------------------- entry points

def apply(app) -> None:
    """Before the listener exists: compression policy, GC statistics route."""
    _patch_deflate(os.environ.get("BENCH_DEFLATE", ""))
    _patch_packet(os.environ.get("BENCH_PACKET", ""))
    _patch_state_json(app, os.environ.get("BENCH_STATE_JSON", ""))
    _patch_codec(os.environ.get("BENCH_CODEC", ""))
    if _flag("BENCH_GC_STATS"):
        gc.callbacks.append(_gc_callback)
        _add_gc_route(app)
    if _flag("BENCH_PROFILE"):
        _add_profile_route(app)


def after_listen(listener) -> None:
    """Right before serving: TCP_NODELAY policy, then the collector settings."""
    if os.environ.get("BENCH_NODELAY", "1") == "0":
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
    thresholds = os.environ.get("BENCH_GC_THRESHOLDS")
    if thresholds:
        gc.set_threshold(*(int(x) for x in thresholds.split(",")))
    if _flag("BENCH_GC_FREEZE"):
        gc.collect()
        gc.freeze()
    if _flag("BENCH_GC_DISABLE"):
        gc.disable()
    if _flag("BENCH_PROFILE"):
        import cProfile

        _profiler[0] = cProfile.Profile()
        _profiler[0].enable()
