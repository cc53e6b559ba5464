"""Shared fixtures: the app in-process (as in flask's tutorial), live servers, clients, and the
service gate for PostgreSQL/Redis tests."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.live import LiveServer
from config import TestConfig
from facilitation import create_app
from facilitation.persistence.schema import upgrade_database

from .live import Client


@pytest.fixture
def database_path(tmp_path) -> Path:
    """The test's own SQLite file."""
    return tmp_path / "krug.sqlite3"


@pytest.fixture
def database_url(database_path) -> str:
    """The test's SQLite file, migrated to the newest schema."""
    url = f"sqlite:///{database_path}"
    upgrade_database(url)
    return url


@pytest.fixture
def make_app(database_url):
    """Build the app on the test's database; keyword arguments override settings of the test
    configuration."""

    def make(**overrides: object):
        return create_app(TestConfig(DATABASE_URL=database_url, **overrides))

    return make


@pytest.fixture
def app(make_app):
    """The app with the test configuration; a module may override this fixture for its settings."""
    return make_app()


@pytest.fixture
def client(app):
    """Flask's test client of ``app``."""
    return app.test_client()


@pytest.fixture
def live_server(tmp_path_factory):
    """A fresh Krug process with its own SQLite file, stopped after the test."""
    servers: list[LiveServer] = []

    def start(**env: str) -> LiveServer:
        server = LiveServer(tmp_path_factory.mktemp("krug"), **env).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One Krug process for a module whose tests each make their own rooms."""
    server = LiveServer(tmp_path_factory.mktemp("krug-shared"), KRUG_TIME_SCALE="0.01").start()
    yield server
    server.stop()


@pytest.fixture
def clients():
    made: list[Client] = []

    def make(server: LiveServer, token: str | None, **kw) -> Client:
        client = Client(server, token, **kw)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def require_service(name: str, reason: str) -> None:
    """Skip on a laptop without the service; in CI a missing service is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{name} is required in CI but unavailable: {reason}")
    pytest.skip(f"{name} unavailable ({reason}); start PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (README, Tests) to run this test")
