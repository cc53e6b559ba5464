"""The database: one SQLAlchemy 2 engine and a session factory per app, SQLite or PostgreSQL."""
from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool

from ..engine import DomainError

# The database cannot serve just now (refused, unreachable, full, read-only, timed out): a
# retry later may succeed, unlike a bug (IntegrityError, ProgrammingError). InternalError is
# PostgreSQL's "read-only transaction" (a standby after a failover), among others.
UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.InternalError, sa_exc.TimeoutError)
# PostgreSQL: a query that waits this long (a stalled lock, a stuck disk) fails instead of
# holding its green thread and its pool connection for ever; connecting gives up sooner.
STATEMENT_TIMEOUT_MS = 15000
CONNECT_TIMEOUT_S = 5


class Database:
    """Plain SQLAlchemy 2: one engine and a session factory per app.

    Units of work are short and explicit (``with db.session() as s``), because socket handlers
    and background tasks live outside Flask's request cycle.
    """

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._factory: sessionmaker[DbSession] | None = None
        # monotonic time of the last write that failed for unavailability, None once one succeeds
        # again: /healthz reports it (a probe alone misses SQLite's full disk, found at commit).
        self.write_failed_at: float | None = None
        self.write_error: str | None = None

    def init_app(self, app) -> None:
        self.connect(app.config["DATABASE_URL"])

    def connect(self, url: str) -> None:
        # Room states as compact UTF-8: a Russian room's document is ~45% smaller than with
        # \u-escapes, and every command writes it.
        options: dict = {"future": True, "json_serializer": _compact_json}
        if url.startswith("sqlite"):
            keep_private(url)
            options["connect_args"] = {"check_same_thread": False}
            if url in ("sqlite://", "sqlite:///:memory:"):
                options["poolclass"] = StaticPool
        else:
            options["pool_pre_ping"] = True
            options["pool_timeout"] = CONNECT_TIMEOUT_S
            if url.startswith("postgresql"):
                options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S,
                                           "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"}
        self.engine = create_engine(url, **options)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> DbSession:
        assert self._factory is not None, "Database.init_app was not called"
        return self._factory()

    @contextmanager
    def writing(self):
        """Around a write: unavailability becomes ``DomainError("unavailable")`` (clients retry)
        and is remembered until a write succeeds again (``wrote``)."""
        try:
            yield
        except UNAVAILABLE as exc:
            self.write_failed_at = time.monotonic()
            self.write_error = describe(exc)
            raise DomainError("unavailable") from exc

    def wrote(self) -> None:
        """A write was committed: the database takes writes again."""
        self.write_failed_at = self.write_error = None

    @contextmanager
    def reading(self):
        try:
            yield
        except UNAVAILABLE as exc:
            raise DomainError("unavailable") from exc

    def ping(self) -> None:
        """Raises unless the database answers."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def compact(self, vacuum: bool = True) -> None:
        """Make sure erased text is not left in the SQLite file or its write-ahead log.

        secure_delete (set on every connection) zeroes freed pages; the checkpoint folds the log,
        which still holds old page images, back into the file and truncates it. A reader holding
        an old snapshot keeps the log from being truncated: what it keeps is sealed content whose
        room key is gone (room_keys.py). On PostgreSQL, vacuuming the key table lets it reuse the
        space of the deleted keys' dead rows instead of keeping them until autovacuum comes by.
        """
        if self.engine is None:
            return
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM room_keys")
            return
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            if vacuum:
                connection.execute(text("VACUUM"))


def describe(exc: BaseException) -> str:
    """The driver's first line (e.g. "database or disk is full"), without SQL or parameters."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return f"{type(original).__name__}: {lines[0] if lines else ''}"[:200]


def keep_private(url: str) -> None:
    """A SQLite file readable by its owner only, made so before SQLite first opens it: SQLite
    gives its -wal and -shm files the mode of the database file."""
    if not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        return
    path = Path(url.removeprefix("sqlite:///"))
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            os.chmod(file, 0o600)


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

