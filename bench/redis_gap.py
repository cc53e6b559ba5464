"""How long a process stays deaf after Redis comes back, and whether its screens catch up.

Two Krug processes on a fresh PostgreSQL database and a redis-server of this script's own (never
the machine's): a leader on process A, a screen on process B. Redis is killed, the leader moves
the room to the next phase during the outage, Redis is started again on the same port, and then
one of two things happens. Printed, per outage length:

- ``resync`` (a run where nobody sends anything after Redis is back): seconds until B's screen
  shows the phase of the outage (``never`` when nothing resyncs it within 30 s);
- ``heard`` (a run where the leader toggles the room's lock every 50 ms once Redis is back):
  seconds until B's screen receives the first of those broadcasts.

``python bench/redis_gap.py --outages 10 40`` (``--root DIR`` measures another checkout, e.g.
the commit before the relay, with the same harness).
"""
from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from bench import live
from bench.live import OwnRedis, postgres_admin_dsn, postgres_database_url

QUIET_SECONDS = 30.0


def measure(outage: float, workdir: Path, quiet: bool) -> dict:
    name = f"krug_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_admin_dsn(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    redis = OwnRedis(workdir).start()
    servers = []
    try:
        env = {"KRUG_DATABASE_URL": postgres_database_url(name), "KRUG_MESSAGE_QUEUE": redis.url,
               "KRUG_DATA_KEY": uuid.uuid4().hex * 2,
               "KRUG_TIME_SCALE": "0.05"}
        for label in ("a", "b"):
            (workdir / label).mkdir(parents=True, exist_ok=True)
        a = live.LiveServer(workdir / "a", **env).start()
        servers.append(a)
        b = live.LiveServer(workdir / "b", KRUG_MIGRATE="0", **env).start()
        servers.append(b)
        room = a.create_room("Lea")
        leader = live.Client(a, room["token"]).connect()
        screen = live.Client(b, room["screen_token"])
        arrivals: list[tuple[float, int, int]] = []

        def on_state(state: dict) -> None:
            arrivals.append((time.monotonic(), state["v"], (state.get("phase") or {}).get("index", -1)))
            screen._on_state(state)

        screen.sio.on("room_state", on_state)
        screen.connect()
        live.Client(a, a.join(room["code"], "Anna").json()["token"]).connect()
        leader.sio.call("start", {}, timeout=10)
        screen.wait_for(lambda s: s["status"] == "running")

        redis.kill()
        time.sleep(outage / 2)
        leader.sio.call("next_phase", {}, timeout=10)
        time.sleep(outage / 2)
        redis.start()
        back = time.monotonic()
        marks: dict[str, float | None] = {}
        if quiet:  # nobody sends anything: does B's screen learn of the move at all?
            while time.monotonic() < back + QUIET_SECONDS and "resync" not in marks:
                if any(index == 1 for t, _, index in arrivals if t >= back):
                    marks["resync"] = next(t for t, _, index in arrivals if t >= back and index == 1) - back
                time.sleep(0.02)
            marks.setdefault("resync", None)
        else:  # the leader acts every 50 ms: when does B hear A again?
            first_sent = None
            while time.monotonic() < back + 90 and "heard" not in marks:
                ack = leader.sio.call("set_locked", {"locked": len(arrivals) % 2 == 0}, timeout=10)
                if ack.get("ok") and first_sent is None:
                    first_sent = ack["v"]
                heard = [t for t, v, _ in arrivals if t >= back and first_sent is not None and v >= first_sent]
                if heard:
                    marks["heard"] = heard[0] - back
                time.sleep(0.05)
            marks.setdefault("heard", None)
        leader.close()
        screen.close()
        return marks
    finally:
        for server in servers:
            server.stop()
        redis.kill()
        with psycopg.connect(postgres_admin_dsn(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outages", type=float, nargs="+", default=[10.0, 40.0])
    parser.add_argument("--root", type=Path, default=live.ROOT, help="the Krug checkout to run")
    args = parser.parse_args()
    live.ROOT = args.root.resolve()
    import tempfile

    for outage in args.outages:
        marks = {}
        for quiet in (True, False):
            with tempfile.TemporaryDirectory() as tmp:
                marks.update(measure(outage, Path(tmp), quiet))
        show = {k: f"never (waited {QUIET_SECONDS:g} s)" if v is None else f"{v:.2f} s" for k, v in marks.items()}
        print(f"outage {outage:g} s: resync {show['resync']}, heard {show['heard']}", flush=True)


if __name__ == "__main__":
    main()
