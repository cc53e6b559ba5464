"""Bench-only switches applied to a server process from outside, by environment variable.

Used by ``bench/krug_variant.py`` (Krug's ``app.py`` unchanged, imported the way it runs) and by
``bench/floor_server.py``, so the effect of a server change can be measured before anyone makes
it. With no variable set, nothing changes.

- ``BENCH_GC_UNFREEZE=1``: undo the ``gc.freeze()`` that ``app.py`` does after start-up, i.e.
  the collector as Python starts it.
- ``BENCH_GC_THRESHOLDS=50000,20,100``: ``gc.set_threshold(...)``.
- ``BENCH_GC_DISABLE=1``: no cyclic collection at all (a diagnostic, never a recommendation).
- ``BENCH_NODELAY=0``: clear TCP_NODELAY on the listener (accepted sockets inherit it on Linux),
  i.e. the eventlet default.
- ``KRUG_WS_COMPRESSION=shared|off|on`` is Krug's own setting (facilitation/realtime/ws_compression.py);
  the floor server honours it too, so both run the same transport.
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
    """Before the listener exists: GC statistics and profile routes."""
    if _flag("BENCH_GC_STATS"):
        gc.callbacks.append(_gc_callback)
        _add_gc_route(app)
    if _flag("BENCH_PROFILE"):
        _add_profile_route(app)


def after_listen(listener) -> None:
    """Right before serving (after app.py's gc.freeze()): TCP_NODELAY policy, then the collector."""
    if os.environ.get("BENCH_NODELAY", "1") == "0":
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
    thresholds = os.environ.get("BENCH_GC_THRESHOLDS")
    if thresholds:
        gc.set_threshold(*(int(x) for x in thresholds.split(",")))
    if _flag("BENCH_GC_UNFREEZE"):
        gc.unfreeze()
    if _flag("BENCH_GC_DISABLE"):
        gc.disable()
    if _flag("BENCH_PROFILE"):
        import cProfile

        _profiler[0] = cProfile.Profile()
        _profiler[0].enable()
