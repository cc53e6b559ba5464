"""The benchmark's moving parts: server processes, room set-up, load-generator workers, figures.

One *scenario* = one fresh server process (own instance dir and SQLite file under a temp dir),
R rooms, every client connected through ``bench/loadgen.js`` (Node, socket.io-client 4.8.4),
then bursts, then realistic load; or the quiet room. Everything is bounded in time and count,
and every process started here is stopped here.

Room shape (Krug): a leader + 11 phones (the circle holds at most 12 people) + 1 screen = 13
sockets, and all 13 receive every ``room_state``. Its plan is four phases in which every circle
member may post ``thought`` cards (case 1 discussion, case 1 presenter's return, case 2
discussion, case 2 return; 240 min each), so a long run never meets a closed phase.
An *action* is one command from one client of the room: ``post_card`` (a Russian sentence,
posted by the circle members in turn) or, every 10th action, ``jump_to_phase`` by the leader
to the next of the four phases. Each accepted action changes the version ``v`` and sends one
``room_state`` to each of the 13 sockets: 13 expected deliveries.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.live import PYTHON, REDIS_URL, ROOT, LiveServer, postgres_admin_dsn, postgres_database_url

BENCH = Path(__file__).resolve().parent
CLK_TCK = os.sysconf("SC_CLK_TCK")

PHONES = 11          # + the leader = 12 in the circle, the most a room holds
PER_ROOM = PHONES + 2  # + leader + screen = 13 sockets, 13 receivers of each room_state
PHASES = [{"key": k, "minutes": 240} for k in ("case1_discussion", "case1_return", "case2_discussion", "case2_return")]
CARD_KIND = "thought"
PHASE_EVERY = 10     # every 10th action of a room is the leader moving to the next phase
MAX_SOCKETS_PER_WORKER = 1400


def node_binary() -> str:
    node = shutil.which("node")
    if not node:
        raise RuntimeError("node (Node.js 20) is not on PATH")
    return node


def raise_fd_limit() -> tuple[int, int]:
    """2 800 sockets need more than the usual 1 024 descriptors: soft limit up to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 65536
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


# ---------------------------------------------------------------- the machine


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def _cpu_times() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields), idle


def machine_busy_seconds() -> float:
    """CPU seconds all processes have used since boot (every core)."""
    total, idle = _cpu_times()
    return (total - idle) / CLK_TCK


def busy_cores(seconds: float = 2.0) -> float:
    """How many cores other processes keep busy right now (sampled over ``seconds``)."""
    total0, idle0 = _cpu_times()
    time.sleep(seconds)
    total1, idle1 = _cpu_times()
    span = max(total1 - total0, 1)
    return round((1 - (idle1 - idle0) / span) * os.cpu_count(), 2)


def wait_for_quiet_machine(max_busy: float = 0.5, max_wait: float = 60.0, log=print) -> dict:
    """Before a measured run: wait (bounded) until others use at most ``max_busy`` cores."""
    started = time.monotonic()
    busy = busy_cores(2.0 if max_wait > 0 else 0.5)
    while busy > max_busy and time.monotonic() - started < max_wait:
        log(f"  machine busy ({busy} cores in use by others, load {loadavg()[0]}); waiting")
        time.sleep(3)
        busy = busy_cores()
    return {"busy_cores_before": busy, "loadavg_before": loadavg(),
            "waited_s": round(time.monotonic() - started, 1)}


def machine() -> dict:
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.strip()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    node = subprocess.run([node_binary(), "--version"], capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu": cpu, "free_h": mem, "python": sys.version.split()[0], "node": node}


# ---------------------------------------------------------------- a server process


class Server(LiveServer):
    """Krug (``python app.py``, or ``bench/krug_variant.py`` with switches) or the floor, with
    what the figures need: CPU, RSS and the collector's statistics."""

    # Not the tests' settings: the log level and the per-connection event limit stay Krug's
    # defaults, so the figures are those of Krug as deployed.
    SETTINGS = {
        "KRUG_SECRET_KEY": "bench-secret",
        "KRUG_MAX_CONNECTIONS": "10000",
        # The bench creates and joins thousands of rooms from one address.
        "KRUG_JOIN_ATTEMPTS_PER_MINUTE": "100000000",
        # Every simulated phone comes from 127.0.0.1: the per-address limits would bite.
        "KRUG_EVENTS_PER_ADDRESS_PER_10S": "100000000",
        "KRUG_PENDING_CONNECTIONS_PER_ADDRESS": "100000",
        "PYTHONUNBUFFERED": "1",
    }

    def __init__(self, kind: str, workdir: Path, env: dict | None = None, variant: bool = False,
                 payload: Path | None = None) -> None:
        assert kind in ("krug", "floor")
        self.kind = kind
        self.variant = variant or kind == "floor"
        self.extra_env = dict(env or {})
        floor = {"BENCH_FLOOR_PAYLOAD": str(payload)} if payload is not None else {}
        super().__init__(workdir, **{**self.extra_env, **floor})
        self.log_path = workdir / f"{kind}-server.log"

    def command(self) -> list[str]:
        if self.kind == "floor":
            return [PYTHON, str(BENCH / "floor_server.py")]
        if self.variant:
            return [PYTHON, str(BENCH / "krug_variant.py")]
        return super().command()

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self) -> float:
        return proc_cpu_seconds(self.proc.pid)

    def gc_stats(self, reset: bool = False) -> dict | None:
        if not self.extra_env.get("BENCH_GC_STATS"):
            return None
        try:
            return requests.get(f"{self.url}/_bench/gc", params={"reset": "1"} if reset else {}, timeout=5).json()
        except requests.RequestException:
            return None


class ServerGroup:
    """Several Krug processes of one deployment, as docs/deploy.md sets them up: one PostgreSQL
    database, one Redis message queue. Rooms stay on the process their clients connect to; the
    queue carries every broadcast to every process. Reads like one Server to the harness
    (CPU and RSS are the sums)."""

    def __init__(self, count: int, workdir: Path, env: dict | None = None, variant: bool = False) -> None:
        self.database = f"krug_bench_{os.getpid()}_{int(time.time())}"
        shared = {"KRUG_DATABASE_URL": postgres_database_url(self.database),
                  "KRUG_MESSAGE_QUEUE": REDIS_URL, "KRUG_MESSAGE_QUEUE_CHANNEL": self.database,
                  # Every process opens every room: one data key for all (docs/deploy.md).
                  "KRUG_DATA_KEY": secrets.token_hex(32), **(env or {})}
        self.servers = [Server("krug", workdir / f"process-{i}", env=shared, variant=variant) for i in range(count)]

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(postgres_admin_dsn(), autocommit=True) as conn:
            conn.execute(sql)

    def start(self) -> ServerGroup:
        self._admin(f'CREATE DATABASE "{self.database}"')
        for server in self.servers:  # one after the other: the first one migrates the schema
            server.start()
        return self

    @property
    def url(self) -> str:
        return self.servers[0].url

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(server.log_tail(lines) for server in self.servers)

    def alive(self) -> bool:
        return all(server.alive() for server in self.servers)

    def rss_kb(self) -> int:
        return sum(server.rss_kb() for server in self.servers)

    def cpu_seconds(self) -> float:
        return sum(server.cpu_seconds() for server in self.servers)

    def gc_stats(self, reset: bool = False) -> dict | None:
        return None

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        with contextlib.suppress(Exception):  # a leftover bench database is harmless
            self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


def wait_server_idle(server: Server, max_s: float = 60.0, threshold: float = 0.05) -> float:
    """After an overloaded phase: wait (bounded) until the server's CPU use drops below
    ``threshold`` cores, so the next phase does not inherit a backlog. Returns seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < max_s:
        c0 = server.cpu_seconds()
        time.sleep(0.5)
        if (server.cpu_seconds() - c0) / 0.5 < threshold:
            break
    return round(time.monotonic() - started, 1)


def proc_cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


# ---------------------------------------------------------------- rooms


def create_krug_rooms(url: str, count: int, threads: int = 6, log=print) -> list[dict]:
    """Create ``count`` rooms over HTTP, each with a leader, 11 phones and a screen token."""
    local = threading.local()

    def http() -> requests.Session:
        if not hasattr(local, "s"):
            local.s = requests.Session()
        return local.s

    def post(path: str, body: dict) -> dict:
        for _attempt in range(5):
            r = http().post(f"{url}{path}", json=body, timeout=30)
            if r.status_code == 201:
                return r.json()
            if r.status_code == 429:  # should not happen with the bench's limit, but never spin
                time.sleep(float(r.headers.get("Retry-After", "1")))
                continue
            raise RuntimeError(f"POST {path} -> {r.status_code}: {r.text[:300]}")
        raise RuntimeError(f"POST {path}: still rate-limited")

    def make(index: int) -> dict:
        room = post("/api/rooms", {"leader_name": f"Ведущая {index}", "format_id": "balint-classic",
                                   "phases": PHASES})
        clients = [{"role": "leader", "auth": {"token": room["token"]}}]
        for n in range(PHONES):
            joined = post(f"/api/rooms/{room['code']}/join", {"name": f"Участник {n + 1}", "consent": True})
            if joined.get("waiting"):
                raise RuntimeError("a phone joined as waiting: the room had already started")
            clients.append({"role": "phone", "auth": {"token": joined["token"]}})
        clients.append({"role": "screen", "auth": {"token": room["screen_token"]}})
        return {"index": index, "code": room["code"], "clients": clients}

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        rooms = list(pool.map(make, range(count)))
    log(f"  created {count} rooms x {PER_ROOM} over HTTP in {time.monotonic() - started:.1f} s")
    return rooms


def floor_rooms(count: int) -> list[dict]:
    roles = ["leader"] + ["phone"] * PHONES + ["screen"]
    return [{"index": i, "clients": [{"role": role, "auth": {"room": f"r{i}"}} for role in roles]}
            for i in range(count)]


# ---------------------------------------------------------------- load-generator workers


class Worker:
    """One ``node bench/loadgen.js`` process, spoken to in JSON lines."""

    def __init__(self, index: int, log_dir: Path) -> None:
        self.index = index
        self.stderr = (log_dir / f"loadgen-{index}.log").open("a")
        node_args = os.environ.get("BENCH_NODE_ARGS", "").split()  # e.g. --cpu-prof, for diagnosis
        self.proc = subprocess.Popen([node_binary(), *node_args, str(BENCH / "loadgen.js")], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                     text=True, bufsize=1, start_new_session=True)
        self.replies: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            line = line.strip()
            if line:
                try:
                    self.replies.put(json.loads(line))
                except json.JSONDecodeError:
                    self.replies.put({"ok": False, "fatal": f"bad line from loadgen: {line[:200]}"})
        self.replies.put({"ok": False, "fatal": "loadgen exited"})

    def send(self, msg: dict) -> None:
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()

    def reply(self, timeout: float) -> dict:
        try:
            answer = self.replies.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"loadgen {self.index} did not answer in {timeout:.0f} s") from None
        if answer.get("fatal"):
            raise RuntimeError(f"loadgen {self.index}: {answer['fatal']}")
        return answer

    def cpu_seconds(self) -> float:
        try:
            return proc_cpu_seconds(self.proc.pid)
        except (FileNotFoundError, ProcessLookupError):
            return 0.0

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send({"cmd": "close"})
                self.proc.wait(10)
            except (BrokenPipeError, OSError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.stderr.close()


class Workers:
    def __init__(self, count: int, log_dir: Path) -> None:
        self.items = [Worker(i, log_dir) for i in range(count)]

    def call(self, msgs: list[dict] | dict, timeout: float) -> list[dict]:
        msgs = msgs if isinstance(msgs, list) else [msgs] * len(self.items)
        for worker, msg in zip(self.items, msgs, strict=False):
            worker.send(msg)
        deadline = time.monotonic() + timeout
        return [w.reply(max(deadline - time.monotonic(), 0.1)) for w in self.items]

    def cpu_seconds(self) -> float:
        return sum(w.cpu_seconds() for w in self.items)

    def stop(self) -> None:
        for w in self.items:
            w.stop()


# ---------------------------------------------------------------- figures


def percentile(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def dist(values: list[float]) -> dict:
    s = sorted(values)
    return {"n": len(s), "p50": percentile(s, 50), "p99": percentile(s, 99), "max": s[-1] if s else None}


def merge(replies: list[dict]) -> dict:
    out = {"actions": 0, "acked": 0, "expected": 0, "delivered": 0, "duplicates": 0, "unmatched_versions": 0,
           "disconnects": 0, "out_of_order": 0, "errors": {}, "per_delivery": [], "room_complete": [], "ack": [],
           "drained": True, "gen_cpu_pct": 0.0, "loop_delay_p99_ms": 0.0, "loop_delay_max_ms": 0.0}
    out["all_actions"] = 0
    for r in replies:
        for key in ("actions", "all_actions", "acked", "expected", "delivered", "duplicates", "unmatched_versions",
                    "disconnects", "out_of_order"):
            out[key] += r.get(key, 0)
        for code, n in r.get("errors", {}).items():
            out["errors"][code] = out["errors"].get(code, 0) + n
        out["per_delivery"] += r.get("per_delivery", [])
        out["room_complete"] += r.get("room_complete", [])
        out["ack"] += r.get("ack", [])
        out["drained"] = out["drained"] and r.get("drained", True)
        out["gen_cpu_pct"] += r.get("gen_cpu_pct", 0.0)
        delay = r.get("loop_delay_ms", {})
        out["loop_delay_p99_ms"] = max(out["loop_delay_p99_ms"], delay.get("p99", 0.0))
        out["loop_delay_max_ms"] = max(out["loop_delay_max_ms"], delay.get("max", 0.0))
    return out


def summarize(merged: dict) -> dict:
    out = {k: v for k, v in merged.items() if k not in ("per_delivery", "room_complete", "ack")}
    out["ack_ms"] = dist(merged["ack"])  # emit -> the actor's acknowledgement
    out["lost"] = merged["expected"] - merged["delivered"]
    out["per_delivery_ms"] = dist(merged["per_delivery"])
    out["room_complete_ms"] = dist(merged["room_complete"])
    out["gen_cpu_pct"] = round(out["gen_cpu_pct"], 1)
    return out


# ---------------------------------------------------------------- scenarios


@dataclass
class Options:
    duration_s: float = 30.0
    warmup_s: float = 3.0
    rate: float = 1.0
    bursts: int = 5
    idle_s: float = 5.0
    deflate: bool = True          # the clients offer permessage-deflate, as browsers do
    connect_timeout_ms: int = 20000
    connect_concurrency: int = 16  # connections being opened at once, per worker
    quiet_events: int = 5
    quiet_gap_ms: int = 100
    quiet_rounds: int = 3
    max_busy_cores: float = 0.5
    max_wait_s: float = 60.0
    log: object = print
    keep_dir: bool = False
    extra: dict = field(default_factory=dict)


def _workers_for(rooms: int) -> int:
    # Two workers share the generator's work once there are many sockets (2 cores here).
    return 1 if rooms * PER_ROOM <= 400 else max(2, math.ceil(rooms * PER_ROOM / MAX_SOCKETS_PER_WORKER))


def _split(rooms: list[dict], n: int) -> list[list[dict]]:
    return [rooms[i::n] for i in range(n)]


def run_load(kind: str, rooms: int, opts: Options, env: dict | None = None, variant: bool = False,
             payload: Path | None = None, label: str | None = None, do_load: bool = True,
             do_bursts: bool = True, processes: int = 1) -> dict:
    """One server (or ``processes`` Krug processes sharing PostgreSQL and Redis), ``rooms``
    rooms of 13: connect, memory, realistic load, bursts."""
    log = opts.log
    label = label or f"{kind} R={rooms}"
    result: dict = {"label": label, "kind": kind, "rooms": rooms, "clients": rooms * PER_ROOM,
                    "env": {k: v for k, v in (env or {}).items()}, "deflate_offered": opts.deflate}
    tmp = Path(tempfile.mkdtemp(prefix="krug-bench-"))
    server = workers = None
    try:
        result["machine_before"] = wait_for_quiet_machine(opts.max_busy_cores, opts.max_wait_s, log)
        log(f"- {label}: starting server ({result['machine_before']})")
        if processes > 1:
            server = ServerGroup(processes, tmp, env=env, variant=variant).start()
        else:
            server = Server(kind, tmp, env=env, variant=variant, payload=payload).start()
        urls = getattr(server, "urls", [server.url])
        result["processes"] = len(urls)
        specs = create_krug_rooms(server.url, rooms, log=log) if kind == "krug" else floor_rooms(rooms)
        time.sleep(1.0)
        rss_before = server.rss_kb()
        n_workers = max(_workers_for(rooms), len(urls))
        workers = Workers(n_workers, tmp)
        parts = _split(specs, n_workers)
        # A worker's rooms live on one process (as nginx would pin them by room code).
        init = [{"cmd": "init", "mode": kind, "worker": i, "url": urls[i % len(urls)], "rooms": part,
                 "deflate": opts.deflate, "connect_timeout_ms": opts.connect_timeout_ms,
                 "concurrency": opts.connect_concurrency,
                 "card_kind": CARD_KIND, "phase_every": PHASE_EVERY, "phase_count": len(PHASES),
                 # Krug sends a room_state on connect; the floor sends nothing until an action.
                 "wait_state": kind == "krug"}
                for i, part in enumerate(parts)]
        started = time.monotonic()
        replies = workers.call(init, timeout=opts.connect_timeout_ms / 1000 * 3 + rooms * 2 + 60)
        connected = sum(r["connected"] for r in replies)
        errors: dict = {}
        for r in replies:
            for code, n in r["errors"].items():
                errors[code] = errors.get(code, 0) + n
        result["connect"] = {"expected": rooms * PER_ROOM, "connected": connected, "errors": errors,
                             "deflate_negotiated": sum(r["deflate_negotiated"] for r in replies),
                             "seconds": round(time.monotonic() - started, 1), "workers": n_workers}
        log(f"  connected {connected}/{rooms * PER_ROOM} in {result['connect']['seconds']} s "
            f"(permessage-deflate on {result['connect']['deflate_negotiated']}); errors {errors or 'none'}")
        idle_cpu0, idle_t0 = server.cpu_seconds(), time.monotonic()
        time.sleep(opts.idle_s)
        rss_after = server.rss_kb()
        result["idle_cpu_pct"] = round((server.cpu_seconds() - idle_cpu0) / (time.monotonic() - idle_t0) * 100, 2)
        result["rss"] = {"before_kb": rss_before, "after_kb": rss_after,
                         "per_client_kb": round((rss_after - rss_before) / max(connected, 1), 1)}
        log(f"  RSS {rss_before / 1024:.0f} -> {rss_after / 1024:.0f} MB: "
            f"{result['rss']['per_client_kb']} KB per connected client")
        if not do_load and not do_bursts:
            return result
        start = workers.call({"cmd": "start"}, timeout=120)
        result["start_errors"] = [r["errors"] for r in start if r["errors"]]
        time.sleep(1.0)
        server.gc_stats(reset=True)
        # Bursts first, on a healthy server: an overloaded realistic phase can leave a backlog
        # and sockets dropped by ping timeouts behind it.
        if do_bursts:
            result["idle_wait_before_bursts_s"] = wait_server_idle(server)
            runs = []
            cpu0, gen0, t0 = server.cpu_seconds(), workers.cpu_seconds(), time.monotonic()
            all0 = machine_busy_seconds()
            for _ in range(opts.bursts):
                at = time.time() * 1000 + 300
                runs.append(workers.call({"cmd": "burst", "at_ms": at, "drain_s": 30}, timeout=60))
                wait_server_idle(server, max_s=30)
            wall = time.monotonic() - t0
            burst = summarize(merge([r for run in runs for r in run]))
            burst["bursts"] = opts.bursts
            burst["server_cpu_pct"] = round((server.cpu_seconds() - cpu0) / wall * 100, 1)
            burst["server_busy_ms_per_burst"] = round((server.cpu_seconds() - cpu0) * 1000 / opts.bursts)
            burst["generator_cpu_pct"] = round((workers.cpu_seconds() - gen0) / wall * 100, 1)
            burst["others_cores"] = round((machine_busy_seconds() - all0) / wall
                                          - (burst["server_cpu_pct"] + burst["generator_cpu_pct"]) / 100, 2)
            # Each burst reports the sockets dropped so far; count them once.
            burst["disconnects"] = max((sum(r.get("disconnects", 0) for r in run) for run in runs), default=0)
            burst["per_burst_max_ms"] = [max((x for r in run for x in r["room_complete"]), default=None) for run in runs]
            burst["gc"] = server.gc_stats(reset=True)
            result["burst"] = burst
            log(f"  burst x{opts.bursts}: {_brief(burst)}")
        profiling = bool(opts.extra.get("profile_out") and (env or {}).get("BENCH_PROFILE"))
        if profiling:  # start the profile afresh: only the realistic load counts
            requests.get(f"{server.url}/_bench/profile", params={"path": str(tmp / "discard.prof")}, timeout=30)
        if do_load:
            result["idle_wait_before_load_s"] = wait_server_idle(server)
            cpu0, gen0, t0 = server.cpu_seconds(), workers.cpu_seconds(), time.monotonic()
            all0 = machine_busy_seconds()
            msg = {"cmd": "load", "duration_s": opts.duration_s, "warmup_s": opts.warmup_s,
                   "rate": opts.rate, "drain_s": 15}
            replies = workers.call(msg, timeout=opts.duration_s + opts.warmup_s + 60)
            wall = time.monotonic() - t0
            load = summarize(merge(replies))
            load["server_cpu_pct"] = round((server.cpu_seconds() - cpu0) / wall * 100, 1)
            load["generator_cpu_pct"] = round((workers.cpu_seconds() - gen0) / wall * 100, 1)
            # Cores used by everything else on the machine meanwhile (other people's tests).
            load["others_cores"] = round((machine_busy_seconds() - all0) / wall
                                         - (load["server_cpu_pct"] + load["generator_cpu_pct"]) / 100, 2)
            # CPU per action, net of what the idle server uses anyway (pings, timers).
            busy = (server.cpu_seconds() - cpu0) - result["idle_cpu_pct"] / 100 * wall
            load["server_ms_per_action"] = round(max(busy, 0) * 1000 / max(load["all_actions"], 1), 2)
            load["deliveries_per_s"] = round(load["delivered"] / max(opts.duration_s, 1e-9))
            load["gc"] = server.gc_stats(reset=True)
            if profiling:
                requests.get(f"{server.url}/_bench/profile", params={"path": opts.extra["profile_out"]}, timeout=30)
            samples = [r["sample_state"] for r in replies if r.get("sample_state")]
            if samples:
                state = samples[0]
                # As python-socketio sends it today (ASCII escapes), and as UTF-8 JSON.
                load["sample_state_bytes"] = len(json.dumps(state, separators=(",", ":")).encode())
                load["sample_state_utf8_bytes"] = len(json.dumps(state, separators=(",", ":"),
                                                                 ensure_ascii=False).encode())
                load["sample_state_cards"] = len(state.get("cards", []))
                result["sample_state"] = state
            result["realistic"] = load
            log(f"  realistic: {_brief(load)}")
        result["server_alive"] = server.alive()
        return result
    except Exception as exc:  # noqa: BLE001 — record the breakage, the caller decides
        return _failed(result, exc, server, log)
    finally:
        _tear_down(workers, server, tmp, opts)


def run_quiet(kind: str, opts: Options, env: dict | None = None, variant: bool = False,
              payload: Path | None = None, label: str | None = None) -> dict:
    """One room of 13 alone on a fresh server; ``quiet_rounds`` x ``quiet_events`` actions
    ``quiet_gap_ms`` apart; the figure is the slowest room-complete latency."""
    log = opts.log
    label = label or f"{kind} quiet room"
    result: dict = {"label": label, "kind": kind, "rooms": 1, "env": dict(env or {})}
    tmp = Path(tempfile.mkdtemp(prefix="krug-bench-"))
    server = workers = None
    try:
        result["machine_before"] = wait_for_quiet_machine(opts.max_busy_cores, opts.max_wait_s, log)
        server = Server(kind, tmp, env=env, variant=variant, payload=payload).start()
        specs = create_krug_rooms(server.url, 1, log=lambda *_: None) if kind == "krug" else floor_rooms(1)
        workers = Workers(1, tmp)
        init = workers.call({"cmd": "init", "mode": kind, "worker": 0, "url": server.url, "rooms": specs,
                             "deflate": opts.deflate, "connect_timeout_ms": opts.connect_timeout_ms,
                             "card_kind": CARD_KIND, "phase_every": 0, "phase_count": len(PHASES),
                             "wait_state": kind == "krug"}, timeout=60)[0]
        result["connect"] = {"connected": init["connected"], "expected": PER_ROOM, "errors": init["errors"]}
        workers.call({"cmd": "start"}, timeout=30)
        time.sleep(1.0)
        all0, own0 = machine_busy_seconds(), server.cpu_seconds() + workers.cpu_seconds()
        t0 = time.monotonic()
        reply = workers.call({"cmd": "quiet", "events": opts.quiet_events, "gap_ms": opts.quiet_gap_ms,
                              "rounds": opts.quiet_rounds, "pause_ms": 1000, "drain_s": 5}, timeout=60)
        quiet = summarize(merge(reply))
        wall = time.monotonic() - t0
        quiet["others_cores"] = round((machine_busy_seconds() - all0
                                       - (server.cpu_seconds() + workers.cpu_seconds() - own0)) / wall, 2)
        result["quiet"] = quiet
        log(f"- {label}: room-complete max {quiet['room_complete_ms']['max']} ms, p50 "
            f"{quiet['room_complete_ms']['p50']} ms; delivered {quiet['delivered']}/{quiet['expected']}")
        return result
    except Exception as exc:  # noqa: BLE001 — record the breakage, the caller decides
        return _failed(result, exc, server, log)
    finally:
        _tear_down(workers, server, tmp, opts)


def _failed(result: dict, exc: Exception, server, log) -> dict:
    result["error"] = f"{type(exc).__name__}: {exc}"
    if server is not None:
        result["server_log_tail"] = server.log_tail()
    log(f"  FAILED: {result['error']}")
    return result


def _tear_down(workers, server, tmp: Path, opts: Options) -> None:
    if workers is not None:
        workers.stop()
    if server is not None:
        server.stop()
    if not opts.keep_dir:
        shutil.rmtree(tmp, ignore_errors=True)


def _brief(s: dict) -> str:
    rc, pd = s["room_complete_ms"], s["per_delivery_ms"]
    return (f"room-complete p50/p99/max {rc['p50']}/{rc['p99']}/{rc['max']} ms, per-delivery p50/p99/max "
            f"{pd['p50']}/{pd['p99']}/{pd['max']} ms, delivered {s['delivered']}/{s['expected']}, "
            f"errors {s['errors'] or 'none'}, server CPU {s.get('server_cpu_pct')} %, "
            f"generator CPU {s.get('generator_cpu_pct', s.get('gen_cpu_pct'))} %, "
            f"others {s.get('others_cores')} cores")
