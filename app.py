"""Entry point: ``python app.py`` serves Krug; ``flask --app app <command>`` runs its CLI.

This is the only module that knows about eventlet: monkey-patching must come before every
other import (eventlet patches the standard library in place), and the listening socket is made here so TCP_NODELAY is set.
"""
import os

from config import async_mode

ASYNC_MODE = async_mode()
if ASYNC_MODE == "eventlet":
    import warnings

    # Known and planned for (KRUG_ASYNC_MODE keeps the move to gevent one setting away);
    # the banner on every start would only alarm operators.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet
    import eventlet.wsgi

    eventlet.monkey_patch()
    # psycopg 3 would otherwise block the whole hub for the length of every PostgreSQL query.
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import gc
import logging
import socket

from config import from_environment
from facilitation import create_app
from facilitation.background import forget_old_connections, run_presence_job, run_retention_job
from facilitation.extensions import socketio
from facilitation.persistence.schema import upgrade_database
from facilitation.realtime.ws_compression import install as install_ws_compression
from facilitation.web.network import public_url

app = create_app(from_environment())
log = logging.getLogger("krug")


def serve() -> None:
    config = app.config
    if config["MIGRATE"]:
        upgrade_database(config["DATABASE_URL"])
    host, port = config["HOST"], config["PORT"]
    log.info("Krug listening on http://%s:%s (phones join via %s)", host, port,
             public_url(config, f"http://{host}:{port}"))
    if ASYNC_MODE != "eventlet":
        socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)
        return
    if not config["MESSAGE_QUEUE"]:
        forget_old_connections(app)
    else:
        socketio.start_background_task(run_presence_job, app, socketio)
    socketio.start_background_task(run_retention_job, app, socketio)
    install_ws_compression(config["WS_COMPRESSION"])
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = eventlet.listen((host, port), family=family)
    # Sparse events in a quiet room otherwise wait ~40 ms for Nagle + delayed ACKs.
    # Accepted sockets inherit the option on Linux.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # Start-up leaves ~130 000 long-lived objects (modules, formats, catalogues); frozen, the
    # collector stops re-scanning them in every full collection (bench: pauses about halved).
    gc.collect()
    gc.freeze()
    print(f"KRUG_READY http://{host}:{listener.getsockname()[1]}", flush=True)
    eventlet.wsgi.server(listener, app, log_output=False, max_size=config["MAX_CONNECTIONS"])


if __name__ == "__main__":
    serve()
