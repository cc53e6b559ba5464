"""docs/deploy.md's nginx configuration, as written, in front of two Krug processes: TLS,
websocket upgrades, long-polling held on one process by ip_hash, the health check."""
from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
import socketio

from bench.live import free_port

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"
pytestmark = pytest.mark.services


def nginx_config_from_the_guide(tmp: Path, https_port: int, http_port: int, backends: list[int]) -> Path:
    block = re.search(r"```nginx\n(.*?)```", DEPLOY.read_text(encoding="utf-8"), re.S).group(1)
    block = block.replace("server 127.0.0.1:5001;", f"server 127.0.0.1:{backends[0]};")
    block = block.replace("server 127.0.0.1:5002;", f"server 127.0.0.1:{backends[1]};")
    block = block.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    block = block.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    block = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {tmp / 'cert.pem'};", block)
    block = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {tmp / 'key.pem'};", block)
    conf = tmp / "nginx.conf"
    conf.write_text(f"""
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{}}
http {{
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
{block}
}}
""")
    return conf


def test_the_documented_nginx_setup(cluster, tmp_path, clients):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        from ..conftest import require_service

        require_service("nginx", "not installed (bash .ci/setup --test installs it)")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")], check=True, capture_output=True)
    https_port, http_port = free_port(), free_port()
    public = f"https://127.0.0.1:{https_port}"
    a, b = cluster(KRUG_PUBLIC_URL=public, KRUG_PROXY_COUNT="1")
    conf = nginx_config_from_the_guide(tmp_path, https_port, http_port, [a.port, b.port])
    proc = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                if requests.get(f"{public}/healthz", verify=False, timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        health = requests.get(f"{public}/healthz", verify=False).json()
        assert health == {"ok": True, "database": True, "message_queue": True}
        assert requests.get(f"http://127.0.0.1:{http_port}/", allow_redirects=False).status_code == 301
        room = requests.post(f"{public}/api/rooms", json={"leader_name": "Lea"}, verify=False).json()
        page = requests.get(f"{public}/c/{room['code']}", verify=False).text
        assert f"{public}/j/{room['code']}" in page  # join links carry the public address

        def connect(token, transports):
            client = clients(a, token, url=public)
            session = requests.Session()
            session.verify = False  # the test's self-signed certificate
            session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment wins over verify=False
            client.sio = socketio.Client(ssl_verify=False, http_session=session, reconnection=False)
            client.sio.on("room_state", client._on_state)
            client.sio.on("me", client._on_me)
            try:
                client.sio.connect(public, auth={"token": token}, transports=transports, wait_timeout=10)
            except socketio.exceptions.ConnectionError as exc:
                # Seen once in CI (not reproduced in 16 runs since): keep what the servers said.
                raise AssertionError(f"{exc}\n--- a:\n{a.log()[-3000:]}\n--- b:\n{b.log()[-3000:]}") from exc
            client.wait_for(lambda s: True)
            return client

        leader = connect(room["token"], ["websocket"])
        assert leader.sio.transport() == "websocket"
        token = requests.post(f"{public}/api/rooms/{room['code']}/join", json={"name": "Anna", "consent": True},
                              verify=False).json()["token"]
        anna = connect(token, ["polling"])  # long-polling works only if every request reaches one process
        assert leader.emit("start")["ok"]
        assert anna.emit("post_card", {"client_id": "x", "kind": "checkin", "text": "Through nginx"})["ok"]
        leader.wait_for(lambda s: [c["text"] for c in s["cards"]] == ["Through nginx"])
    finally:
        proc.terminate()
        proc.wait(10)
