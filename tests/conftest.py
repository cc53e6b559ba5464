"""Shared fixtures: live servers, clients, and the service gate for PostgreSQL/Redis tests."""
from __future__ import annotations

import os

import pytest

from bench.live import LiveServer

from .live import Client


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
    pytest.skip(f"{name} unavailable ({reason}); set it up as in ENGINEERING.md to run this test")
