"""Configuration classes, every value read from a ``KRUG_*`` environment variable.

Operators' scripts and the benchmark rely on these names; keep them stable and document any
new one in the README's configuration table.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("KRUG_INSTANCE_DIR", BASE_DIR / "instance"))


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {raw!r}")
    return value


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None


def async_mode() -> str:
    """Read before anything else is imported: ``app.py`` monkey-patches for eventlet first."""
    return _env("KRUG_ASYNC_MODE", "eventlet")


def instance_secret_key(instance_dir: Path) -> str:
    """A key generated once and kept in the instance folder (when KRUG_SECRET_KEY is not set).

    Called by the app factory, not by the config classes: building a config writes nothing.
    """
    return _generated_once(instance_dir / "secret_key")


def _generated_once(path: Path) -> str:
    """32 random bytes as hex, written to ``path`` the first time and read back ever after."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Created 0600 from the start: never readable by others, not even for a moment.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def instance_data_key(instance_dir: Path) -> str:
    """The server's data key (64 hex characters), generated once into the instance folder when
    KRUG_DATA_KEY is not set. It wraps every room's key and must never sit in the database:
    with several processes, give all of them the same KRUG_DATA_KEY instead."""
    path = instance_dir / "data_key"
    return _data_key(_generated_once(path), str(path))


def _data_key(value: str, source: str) -> str:
    try:
        if len(bytes.fromhex(value)) == 32:
            return value
    except ValueError:
        pass
    raise ValueError(f"{source} must be 64 hexadecimal characters (32 random bytes)")


class Config:
    """Settings for ``python app.py``: one process, SQLite in ``instance/``."""

    TESTING = False

    def __init__(self) -> None:
        self.INSTANCE_DIR = INSTANCE_DIR
        self.HOST = _env("KRUG_HOST", "127.0.0.1")
        self.PORT = _env_int("KRUG_PORT", 5000)
        self.PUBLIC_URL = _env("KRUG_PUBLIC_URL")
        self.DATABASE_URL = _env("KRUG_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'krug.sqlite3'}")
        self.MESSAGE_QUEUE = _env("KRUG_MESSAGE_QUEUE")
        # Processes of one deployment share a channel; separate deployments on one Redis must not.
        self.MESSAGE_QUEUE_CHANNEL = _env("KRUG_MESSAGE_QUEUE_CHANNEL", "krug")
        self.TIME_SCALE = _env_float("KRUG_TIME_SCALE", 1.0)
        self.RETENTION_HOURS = _env_float("KRUG_RETENTION_HOURS", 24.0)
        self.ASYNC_MODE = async_mode()
        # python app.py brings the schema to the newest migration first, unless this is 0.
        self.MIGRATE = _env("KRUG_MIGRATE", "1") != "0"
        # eventlet's default caps a process at 1 024 simultaneous connections.
        self.MAX_CONNECTIONS = _env_int("KRUG_MAX_CONNECTIONS", 10000)
        # permessage-deflate: shared | off | on (facilitation/realtime/ws_compression.py, docs/performance.md).
        self.WS_COMPRESSION = _env("KRUG_WS_COMPRESSION", "shared")
        # A phone that drops its socket is shown as "reconnecting" this long before "away".
        self.PRESENCE_GRACE_SECONDS = _env_float("KRUG_PRESENCE_GRACE_SECONDS", 90.0)
        # Several processes: heartbeat period, and silence after which a process counts as gone.
        self.PROCESS_HEARTBEAT_SECONDS = _env_float("KRUG_PROCESS_HEARTBEAT_SECONDS", 10.0)
        self.PROCESS_GONE_AFTER_SECONDS = _env_float("KRUG_PROCESS_GONE_AFTER_SECONDS", 45.0)
        self.LOG_LEVEL = _env("KRUG_LOG_LEVEL", "INFO")
        # Joins (and connections with unknown tokens) per client address per minute.
        self.JOIN_ATTEMPTS_PER_MINUTE = _env_int("KRUG_JOIN_ATTEMPTS_PER_MINUTE", 20)
        # Socket.IO events one device (token) may send per 10 seconds before being told to slow down.
        self.EVENTS_PER_10S = _env_int("KRUG_EVENTS_PER_10S", 150)
        # The same from one address: a whole group may share a venue's NAT (13 devices x 150).
        self.EVENTS_PER_ADDRESS_PER_10S = _env_int("KRUG_EVENTS_PER_ADDRESS_PER_10S", 2000)
        # One Socket.IO message (all its websocket fragments) or polling POST, in bytes.
        self.MAX_MESSAGE_BYTES = _env_int("KRUG_MAX_MESSAGE_BYTES", 64 * 1024)
        # Any other HTTP request body (Flask's MAX_CONTENT_LENGTH); the largest is an export note.
        self.MAX_BODY_BYTES = _env_int("KRUG_MAX_BODY_BYTES", 256 * 1024)
        # Connections from one address that have not yet presented a valid token.
        self.PENDING_CONNECTIONS_PER_ADDRESS = _env_int("KRUG_PENDING_CONNECTIONS_PER_ADDRESS", 50)
        # A connection that has not presented a valid token this long after opening is closed.
        self.CONNECT_DEADLINE_SECONDS = _env_float("KRUG_CONNECT_DEADLINE_SECONDS", 10.0)
        # Reverse proxies in front of Krug whose X-Forwarded-For may be trusted (nginx: 1).
        self.PROXY_COUNT = _env_int("KRUG_PROXY_COUNT", 0)
        # None: the app factory uses (or makes) instance/secret_key.
        self.SECRET_KEY = _env("KRUG_SECRET_KEY")
        # Wraps every room's key (docs/privacy.md). None: the app factory uses (or makes)
        # instance/data_key. Never put it in the database or its backups.
        data_key = _env("KRUG_DATA_KEY")
        self.DATA_KEY = _data_key(data_key, "KRUG_DATA_KEY") if data_key else None
        if self.MESSAGE_QUEUE and not self.DATA_KEY:
            # Each process would make its own instance/data_key and not open the others' rooms.
            raise ValueError("KRUG_DATA_KEY must be set, the same on every process, with KRUG_MESSAGE_QUEUE")


class TestConfig(Config):
    """In-process tests: threading mode (no eventlet in the test process), fast clock."""

    TESTING = True
    __test__ = False  # a config class, not a pytest test class

    def __init__(self, **overrides: object) -> None:
        super().__init__()
        self.ASYNC_MODE = "threading"
        self.SECRET_KEY = self.SECRET_KEY or "test-secret-key"
        self.DATA_KEY = self.DATA_KEY or "5e" * 32
        self.MESSAGE_QUEUE = None
        self.DATABASE_URL = "sqlite://"
        self.JOIN_ATTEMPTS_PER_MINUTE = 100000
        self.EVENTS_PER_10S = 100000
        self.EVENTS_PER_ADDRESS_PER_10S = 100000
        for key, value in overrides.items():
            setattr(self, key, value)


class ProductionConfig(Config):
    """Behind nginx/TLS: same variables, but a secret key must be given explicitly."""

    def __init__(self) -> None:
        super().__init__()
        if not _env("KRUG_SECRET_KEY"):
            raise RuntimeError("KRUG_SECRET_KEY must be set in production (KRUG_ENV=production)")


def from_environment() -> Config:
    return ProductionConfig() if _env("KRUG_ENV") == "production" else Config()
