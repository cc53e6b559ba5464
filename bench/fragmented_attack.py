"""What one fragmented websocket message does to everyone else (issue 13, transport limits).

Starts ``python app.py`` from a project folder (default: this one; pass another checkout to
measure it before a change), connects a leader that keeps asking ``time_sync``, and sends one
message of ``--mib`` MiB in ``--fragment`` KiB frames from a second, raw websocket. Prints the
leader's slowest round trip during the attack and the server's RSS growth.

    .venv/bin/python bench/fragmented_attack.py [--root /path/to/checkout] [--mib 32]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import live
from tests.live import Client
from tests.raw import RawSocket
from tests.test_transport_limits import send_fragmented


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=live.ROOT)
    parser.add_argument("--mib", type=int, default=32)
    parser.add_argument("--fragment", type=int, default=16, help="KiB per frame")
    args = parser.parse_args()
    live.ROOT = args.root
    server = live.LiveServer(Path(tempfile.mkdtemp())).start()
    try:
        room = server.create_room("Lea")
        leader = Client(server, room["token"]).connect()
        attacker = RawSocket(server, timeout=120)
        attacker.connect(server.join(room["code"], "Mallory").json()["token"])
        for _ in range(20):
            leader.emit("time_sync")
        rss_before = rss_kib(server.proc.pid)
        result = {}
        attack = threading.Thread(target=lambda: result.update(
            sent=send_fragmented(attacker, args.mib * 1024 * 1024, args.fragment * 1024)))
        started = time.perf_counter()
        attack.start()
        slowest, samples, rss_peak = 0.0, 0, rss_before
        while attack.is_alive():
            t = time.perf_counter()
            leader.emit("time_sync", timeout=120)
            slowest = max(slowest, time.perf_counter() - t)
            samples += 1
            rss_peak = max(rss_peak, rss_kib(server.proc.pid))
        attack.join()
        for _ in range(5):  # the server may still be reassembling after the last byte was sent
            t = time.perf_counter()
            leader.emit("time_sync", timeout=120)
            slowest = max(slowest, time.perf_counter() - t)
            rss_peak = max(rss_peak, rss_kib(server.proc.pid))
        print(f"root={args.root} message={args.mib} MiB in {args.fragment} KiB frames")
        print(f"attacker sent {result['sent'] / 2**20:.1f} MiB in {time.perf_counter() - started:.2f} s")
        print(f"other client: {samples} acks during the attack, slowest {slowest * 1000:.0f} ms")
        print(f"server RSS: {rss_before / 1024:.0f} MiB before, peak +{(rss_peak - rss_before) / 1024:.0f} MiB")
        leader.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
