"""Entry point: ``python app.py`` serves Krug; ``flask --app app <command>`` runs its CLI.

This is the only module that knows about eventlet: monkey-patching must come before every
other import (ENGINEERING.md), and the listening socket is made here so TCP_NODELAY is set.
"""
import os

ASYNC_MODE = os.environ.get("KRUG_ASYNC_MODE", "eventlet")
if ASYNC_MODE == "eventlet":
    import warnings

    # Known and planned for (ENGINEERING.md: async_mode is one setting away from gevent);
    # the banner on every start would only alarm operators.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet
    import eventlet.wsgi

    eventlet.monkey_patch()
    # psycopg 3 would otherwise block the whole hub for the length of every PostgreSQL query.
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import gc  # noqa: E402
import logging  # noqa: E402
import socket  # noqa: E402

from config import from_environment  # noqa: E402
from facilitation import create_app  # noqa: E402
from facilitation.cli import upgrade_database  # noqa: E402
from facilitation.extensions import socketio  # noqa: E402
from facilitation.network import public_url  # noqa: E402
from facilitation.presence import run_presence_job  # noqa: E402
from facilitation.privacy import run_retention_job  # noqa: E402
from facilitation.services import services  # noqa: E402
from facilitation.ws_compression import install as install_ws_compression  # noqa: E402

app = create_app(from_environment())
log = logging.getLogger("krug")


def serve() -> None:
    config = app.config
    if os.environ.get("KRUG_MIGRATE", "1") != "0":
        upgrade_database(config["DATABASE_URL"])
    host, port = config["HOST"], config["PORT"]
    log.info("Krug listening on http://%s:%s (phones join via %s)", host, port,
             public_url(config, f"http://{host}:{port}"))
    if ASYNC_MODE != "eventlet":
        socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)
        return
    if not config["MESSAGE_QUEUE"]:
        with app.app_context():
            services().rooms.reset_presence()
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
