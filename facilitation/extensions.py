"""Extensions, created unbound and bound to an app in ``create_app``."""
from __future__ import annotations

import json

from flask_babel import Babel
from flask_socketio import SocketIO
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

socketio = SocketIO()
babel = Babel()


class Database:
    """Plain SQLAlchemy 2: one engine and a session factory per app.

    Units of work are short and explicit (``with db.session() as s``), because socket handlers
    and background tasks live outside Flask's request cycle.
    """

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._factory: sessionmaker[DbSession] | None = None

    def init_app(self, app) -> None:
        url = app.config["DATABASE_URL"]
        # Room states as compact UTF-8: a Russian room's document is ~45% smaller than with
        # \u-escapes, and every command writes it.
        options: dict = {"future": True, "json_serializer": _compact_json}
        if url.startswith("sqlite"):
            options["connect_args"] = {"check_same_thread": False}
            if url in ("sqlite://", "sqlite:///:memory:"):
                options["poolclass"] = StaticPool
        else:
            options["pool_pre_ping"] = True
        self.engine = create_engine(url, **options)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        app.extensions["krug_db"] = self

    def session(self) -> DbSession:
        assert self._factory is not None, "Database.init_app was not called"
        return self._factory()


def _compact_json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL keeps readers and the writer apart; secure_delete overwrites erased case content.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


db = Database()
