"""SQLite on a disk that fills or turns read-only (a tmpfs the test mounts), and start-up on
damaged storage: every event gets an answer, nothing is half-accepted, and an operator reads one
line saying what is wrong and what to do."""
from __future__ import annotations

import os
import subprocess
import time

import pytest
import requests

from bench.live import PYTHON, ROOT, LiveServer, free_port

from ..live import ok, person, try_connect


def healthz(server) -> tuple[int, dict]:
    response = requests.get(f"{server.url}/healthz", timeout=10)
    return response.status_code, response.json()


@pytest.mark.services
def test_a_full_disk_every_event_is_answered_and_everyone_comes_back(small_disk, clients):
    server = LiveServer(small_disk.path, KRUG_TIME_SCALE="0.05").start()
    try:
        room = server.create_room("Lea")
        leader = clients(server, room["token"]).connect()
        anna = clients(server, server.join(room["code"], "Anna").json()["token"], reconnection=False).connect()
        boris_token = server.join(room["code"], "Boris").json()["token"]
        ok(leader.emit("start"))
        leader.wait_for(lambda s: person(s, "Anna")["online"])

        small_disk.fill()
        ack = anna.emit("post_card", {"client_id": "lift", "kind": "checkin", "text": "Written on a full disk"})
        assert ack["ok"] is False and ack["error"]["code"] == "unavailable", ack  # retryable, not server_error
        code, body = healthz(server)
        assert code == 503 and body["writes"] is False, body
        assert try_connect(server, boris_token)["code"] == "unavailable"
        anna.close()  # her disconnect cannot be stored now
        time.sleep(1)

        small_disk.free()
        deadline = time.monotonic() + 15
        while try_connect(server, boris_token) is not None:  # the browser retries with backoff
            assert time.monotonic() < deadline, "Boris never got in"
            time.sleep(0.5)
        boris = clients(server, boris_token).connect()
        leader.wait_for(lambda s: not person(s, "Anna")["online"] and person(s, "Boris")["online"], timeout=15)
        assert boris.state["status"] == "running"
        deadline = time.monotonic() + 15
        while healthz(server)[0] != 200:
            assert time.monotonic() < deadline, healthz(server)
            time.sleep(0.2)
        assert "Traceback" not in server.log()
    finally:
        server.stop()


def start_once(workdir, **env: str) -> subprocess.CompletedProcess:
    """``python app.py`` as an operator starts it; returns when it exits (or fails the test)."""
    server = LiveServer(workdir, **env)
    return subprocess.run([PYTHON, "app.py"], cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=60)


def one_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode != 0, done
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    assert lines[0].startswith("krug: cannot start: ")
    return lines[0]


@pytest.mark.services
def test_start_on_a_full_disk_says_so_in_one_line(small_disk):
    small_disk.fill()
    line = one_line(start_once(small_disk.path))
    assert "is full" in line and str(small_disk.path) in line and "free some space" in line


@pytest.mark.services
def test_start_on_a_folder_left_read_only_after_a_crash_says_so_in_one_line(small_disk, clients, tmp_path):
    on_disk = {"KRUG_DATABASE_URL": f"sqlite:///{small_disk.path / 'krug.sqlite3'}",
               "KRUG_INSTANCE_DIR": str(small_disk.path / "instance")}
    server = LiveServer(tmp_path, **on_disk).start()  # its log stays off the small disk
    room = server.create_room("Lea")
    clients(server, room["token"]).connect()
    server.kill()  # a crash: the write-ahead log and its index stay behind
    assert {"krug.sqlite3-wal", "krug.sqlite3-shm"} <= set(os.listdir(small_disk.path))
    small_disk.read_only()
    line = one_line(start_once(tmp_path, **on_disk))
    assert "cannot be written" in line and "read-only" in line and "make it writable" in line


def test_start_with_an_unreachable_database_says_so_in_one_line(tmp_path):
    url = f"postgresql+psycopg://krug:secret@127.0.0.1:{free_port()}/krug"
    line = one_line(start_once(tmp_path, KRUG_DATABASE_URL=url))
    assert "does not answer" in line and "secret" not in line and "KRUG_DATABASE_URL" in line


def test_start_with_a_read_only_instance_folder_without_a_key_says_so_in_one_line(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    os.chmod(instance, 0o555)
    if os.access(instance, os.W_OK):  # root writes anyway: the mount test above covers root
        pytest.skip("this user can write to a read-only folder")
    line = one_line(start_once(tmp_path, KRUG_SECRET_KEY=""))
    assert "cannot be written" in line
