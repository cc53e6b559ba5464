"""Krug: live facilitation for intervision and Balint groups.

The layers, from the centre out (``tests/test_architecture.py`` holds them to it):

- ``engine/``: the session state machine, pure Python;
- ``persistence/``: the database, the room store, saved formats, retention, process rows;
- ``services.py``, ``extensions.py``, ``rate_limit.py``: what the shells share;
- ``realtime/`` (Socket.IO) and ``web/`` (HTTP): the shells;
- ``background.py``: the loops ``python app.py`` starts; nothing else imports them.
"""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from .engine import SystemClock
from .extensions import babel, db, socketio
from .persistence.room_keys import DataKey
from .persistence.rooms import RoomStore
from .persistence.saved_formats import FormatStore
from .rate_limit import RateLimits
from .realtime import admission, wire
from .realtime.relay import RedisRelay
from .realtime.resync import resync_connections
from .services import Services
from .web.i18n import compile_catalogues, select_locale

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None, clock=None) -> Flask:
    """Create and configure an instance of Krug."""
    if config is None:
        from config import from_environment

        config = from_environment()
    app = Flask(
        __name__,
        instance_path=str(config.INSTANCE_DIR),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_object(config)
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_BODY_BYTES"]
    if not app.config.get("SECRET_KEY"):
        from config import instance_secret_key

        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    if not app.config.get("DATA_KEY"):
        from config import instance_data_key

        app.config["DATA_KEY"] = instance_data_key(Path(app.instance_path))
    _configure_logging(app)

    compile_catalogues()
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    db.init_app(app)
    relay = None
    if app.config["MESSAGE_QUEUE"]:
        # Always given (None without a queue): the one SocketIO object keeps its options.
        relay = RedisRelay(app.config["MESSAGE_QUEUE"], channel=app.config.get("MESSAGE_QUEUE_CHANNEL", "krug"),
                           on_gap_closed=lambda: resync_connections(app))
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        client_manager=relay,
        # Also eventlet's limit per websocket frame, and Krug's per whole message (ws_limits.py).
        max_http_buffer_size=app.config["MAX_MESSAGE_BYTES"],
        json=wire,
        serializer=wire.KrugPacket,
        # A phone switching apps should not churn presence: the grace tuple adds 5 s to the timeout.
        ping_interval=(25, 5),
        ping_timeout=20,
        logger=False,
        engineio_logger=False,
    )
    clock = clock or SystemClock()
    app.extensions["krug"] = Services(
        db=db, rooms=RoomStore(db, clock, DataKey.from_hex(app.config["DATA_KEY"])), formats=FormatStore(db),
        clock=clock, limits=RateLimits(app.config), relay=relay,
    )
    wire.refuse_malformed_packets(socketio.server)
    admission.install(socketio.server, app.config["PENDING_CONNECTIONS_PER_ADDRESS"],
                      app.config["CONNECT_DEADLINE_SECONDS"])
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    # Registration imports, as in flaskr: the shells attach themselves to this app.
    from .cli import register_cli
    from .realtime import handlers  # noqa: F401 — registers the Socket.IO handlers
    from .web import register_web

    register_web(app)
    register_cli(app)
    return app


def _configure_logging(app: Flask) -> None:
    level = getattr(logging, str(app.config.get("LOG_LEVEL", "INFO")).upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app.logger.setLevel(level)
    # Werkzeug's and engine.io's request logs would print URLs and payload sizes per packet.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
