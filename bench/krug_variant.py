"""Krug exactly as ``python app.py`` runs it, plus the bench switches of ``bench/tuning.py``.

Imports ``app`` (whose first lines monkey-patch eventlet, as in production), applies the
switches, and calls ``app.serve()``. The listener is made inside ``serve()``; the wrapper sees it
by wrapping ``eventlet.wsgi.server`` (called last in ``serve()``), which is also the moment
"after start-up" for ``gc.freeze()``. With no ``BENCH_*`` variable set it is ``python app.py``.

Run from the repository root: ``python bench/krug_variant.py`` with the usual ``KRUG_*`` variables.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(1, os.path.join(ROOT, "bench"))

import tuning

import app as krug

if __name__ == "__main__":
    tuning.apply(krug.app)
    if krug.ASYNC_MODE == "eventlet":
        import eventlet.wsgi

        _server = eventlet.wsgi.server

        def _server_after_start_up(listener, *args, **kwargs):
            tuning.after_listen(listener)
            return _server(listener, *args, **kwargs)

        eventlet.wsgi.server = _server_after_start_up
    krug.serve()
