"""Krug's benchmark, one command: ``.venv/bin/python bench/run.py`` (from the repository root).

Default run (about 7 minutes on the 2-core machine, 4.5 of them at R=200):
  1. busy-room snapshot size and per-command cost (``bench/snapshot.py``, in-process);
  2. for R in 10 and 200 rooms of 13 sockets: Krug (``python app.py``), then the floor
     (``bench/floor_server.py``) twice: broadcasting a real Krug snapshot captured mid-run, and a
     60-byte state. Each on a fresh process: connect, RSS per client, 5 bursts (all rooms act
     at once), then 30 s of realistic load (~1 action per room per second, after 3 s warm-up);
  3. the quiet room (one room of 13, 3 rounds of 5 actions 100 ms apart) on Krug and the floor;
  4. the targets, met or missed, Krug/floor ratios, and capacity from CPU per action.
``--effects`` adds the variants (GC, compression policy, serialisation, TCP_NODELAY, max_size)
at R=50, the two combined ones at R=200 too (about 15 more minutes). Results go to stdout and to ``bench/results/latest.{md,json}``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))  # run as a script: the repository root, where `bench` is a package

from bench import harness as h
from bench import live, snapshot

TARGETS = {
    "realistic_p99_ms": 50.0,     # room-complete p99, 200 x 13, realistic load
    "burst_p99_ms": 500.0,        # room-complete p99, all 200 rooms at once
    "quiet_max_ms": 10.0,         # quiet room, slowest room-complete
    "kb_per_client": 100.0,       # RSS per connected client, permessage-deflate as browsers negotiate
    "snapshot_kb": 16.0,          # busy room (12 people, 60 cards), JSON as sent
}

GC_STATS = {"BENCH_GC_STATS": "1"}
# Each variant undoes or changes one thing app.py does today (docs/performance.md, "What helps").
EFFECTS = [
    ("control: app.py as it runs (shared compression, gc.freeze())", {}),
    ("gc.freeze() undone", {"BENCH_GC_UNFREEZE": "1"}),
    ("gc.freeze() + gc.set_threshold(50000, 20, 100)", {"BENCH_GC_THRESHOLDS": "50000,20,100"}),
    ("GC disabled (diagnostic only)", {"BENCH_GC_DISABLE": "1"}),
    ("KRUG_WS_COMPRESSION=on (eventlet's own: a compressor per socket)", {"KRUG_WS_COMPRESSION": "on"}),
    ("KRUG_WS_COMPRESSION=off (permessage-deflate declined)", {"KRUG_WS_COMPRESSION": "off"}),
]
BIG_EFFECTS = [EFFECTS[0], EFFECTS[5]]


def log(msg: str) -> None:
    print(msg, flush=True)


def fallback_payload(tmp: Path) -> Path:
    """A public Krug snapshot for the floor when no Krug run captured one: 12 people, 10 cards."""
    session, clock, _ = snapshot.busy_room("ru", cards=10)
    view = snapshot.room_view(session, snapshot.PUBLIC, clock.now())
    view.update(v=1, code="K7M2QX", server_now=clock.now(), grace=90.0)
    path = tmp / "floor-payload.json"
    path.write_text(json.dumps(view))
    return path


def payload_from(result: dict, tmp: Path, name: str) -> Path | None:
    state = result.get("sample_state")
    if not state:
        return None
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(state))
    return path


# ---------------------------------------------------------------- formatting


def _f(x, digits: int = 1) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def _trio(d: dict | None) -> str:
    if not d or d.get("n", 0) == 0:
        return "–"
    return f"{_f(d['p50'])} / {_f(d['p99'])} / {_f(d['max'])}"


def _ratio(a, b) -> str:
    if a is None or b in (None, 0):
        return "–"
    return f"{a / b:.1f}×"


def load_table(results: list[dict]) -> str:
    rows = ["| server | rooms × 13 | realistic: actions, delivered / expected | per-delivery p50 / p99 / max ms "
            "| room-complete p50 / p99 / max ms | burst room-complete p50 / p99 / max ms (delivered / expected) "
            "| server CPU (realistic), per action | RSS per client | generator CPU, loop delay p99; others' cores |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if r.get("error"):
            rows.append(f"| {r['label']} | {r['rooms']} | FAILED: {r['error'][:120]} | | | | | | |")
            continue
        load, burst = r.get("realistic", {}), r.get("burst", {})
        rows.append(
            f"| {r['label']} | {r['rooms']} ({r['connect']['connected']} sockets) "
            f"| {load.get('actions')}, {load.get('delivered')} / {load.get('expected')}{_errors_note(load)} "
            f"| {_trio(load.get('per_delivery_ms'))} | {_trio(load.get('room_complete_ms'))} "
            f"| {_trio(burst.get('room_complete_ms'))} ({burst.get('delivered')} / {burst.get('expected')}"
            f"{_errors_note(burst)}{_disconnects(load, burst)}) "
            f"| {_f(load.get('server_cpu_pct'))} %, {_f(load.get('server_ms_per_action'), 2)} ms "
            f"| {_f(r['rss']['per_client_kb'])} KB "
            f"| {_f(load.get('generator_cpu_pct'))} %, {_f(load.get('loop_delay_p99_ms'))} ms; "
            f"{_f(load.get('others_cores'), 2)} |")
    return "\n".join(rows)


def ratio_table(pairs: list[tuple[dict, dict]]) -> str:
    rows = ["| rooms | room-complete p50 | room-complete p99 | room-complete max | burst p99 | server CPU | RSS per client |",
            "|---|---|---|---|---|---|---|"]
    for krug, floor in pairs:
        if krug.get("error") or floor.get("error"):
            continue
        kl, fl = krug["realistic"], floor["realistic"]
        rows.append(
            f"| {krug['rooms']} | {_ratio(kl['room_complete_ms']['p50'], fl['room_complete_ms']['p50'])} "
            f"| {_ratio(kl['room_complete_ms']['p99'], fl['room_complete_ms']['p99'])} "
            f"| {_ratio(kl['room_complete_ms']['max'], fl['room_complete_ms']['max'])} "
            f"| {_ratio(krug['burst']['room_complete_ms']['p99'], floor['burst']['room_complete_ms']['p99'])} "
            f"| {_ratio(kl['server_cpu_pct'], fl['server_cpu_pct'])} "
            f"| {_ratio(krug['rss']['per_client_kb'], floor['rss']['per_client_kb'])} |")
    return "\n".join(rows)


def quiet_table(results: list[dict]) -> str:
    rows = ["| server | room-complete p50 / max ms | per-delivery max ms | actor's ack p50 / max ms | delivered / expected "
            "| others' cores |",
            "|---|---|---|---|---|---|"]
    for r in results:
        if r.get("error"):
            rows.append(f"| {r['label']} | FAILED: {r['error'][:120]} | | | | |")
            continue
        q = r["quiet"]
        rows.append(f"| {r['label']} | {_f(q['room_complete_ms']['p50'])} / {_f(q['room_complete_ms']['max'])} "
                    f"| {_f(q['per_delivery_ms']['max'])} | {_f(q['ack_ms']['p50'])} / {_f(q['ack_ms']['max'])} "
                    f"| {q['delivered']} / {q['expected']} | {_f(q.get('others_cores'), 2)} |")
    return "\n".join(rows)


def _errors_note(*parts: dict) -> str:
    errors: dict = {}
    for part in parts:
        for code, n in part.get("errors", {}).items():
            errors[code] = errors.get(code, 0) + n
    return "" if not errors else " (" + ", ".join(f"{n} {code}" for code, n in sorted(errors.items())) + ")"


def _disconnects(*parts: dict) -> str:
    n = max((p.get("disconnects", 0) for p in parts), default=0)
    return f"; {n} sockets dropped by the server" if n else ""


def effects_table(results: list[dict]) -> str:
    rows = ["| variant (Krug, R rooms × 13) | room-complete p50 / p99 / max ms | burst room-complete p50 / p99 / max ms "
            "| delivered / expected | server CPU, per action | RSS per client | GC: collections (gen 2), slowest, > 10 ms "
            "| others' cores |",
            "|---|---|---|---|---|---|---|---|"]
    for r in results:
        if r.get("error"):
            rows.append(f"| {r['label']} | FAILED: {r['error'][:120]} | | | | | |")
            continue
        load, burst = r["realistic"], r["burst"]
        gc_cell = "–"
        gcs = [x for x in (load.get("gc"), burst.get("gc")) if x and x.get("gc")]
        if gcs:
            count = sum(e["count"] for g in gcs for e in g["gc"].values())
            gen2 = sum(g["gc"].get("2", {}).get("count", 0) for g in gcs)
            slowest = max(e["max_ms"] for g in gcs for e in g["gc"].values())
            over = sum(e["over_10ms"] for g in gcs for e in g["gc"].values())
            gc_cell = f"{count} ({gen2}), {slowest:.1f} ms, {over}"
        rows.append(f"| {r['label']} | {_trio(load['room_complete_ms'])} | {_trio(burst['room_complete_ms'])} "
                    f"| {load['delivered'] + burst['delivered']} / {load['expected'] + burst['expected']}"
                    f"{_errors_note(load, burst)} "
                    f"| {_f(load['server_cpu_pct'])} %, {_f(load.get('server_ms_per_action'), 2)} ms "
                    f"| {_f(r['rss']['per_client_kb'])} KB | {gc_cell} | {_f(load.get('others_cores'), 2)} |")
    return "\n".join(rows)


def snapshot_table(snap: dict) -> str:
    return snapshot.format_report(snap)


def capacity(report: dict) -> list[str]:
    """Rooms one process can carry, from the measured server CPU per action: the CPU kept at
    most half busy (beyond that, queues and collector pauses make the tail explode)."""
    lines = []
    for r in report["load"]:
        load = r.get("realistic") or {}
        ms = load.get("server_ms_per_action")
        if not ms or r.get("error"):
            continue
        if load.get("errors") or not load.get("drained", True):
            lines.append(f"- {r['label']}: overloaded (actions not acknowledged in 20 s: "
                         f"{sum(load['errors'].values())}); its CPU per action is not a capacity figure")
            continue
        lines.append(f"- {r['label']}: {ms:.2f} ms of server CPU per action (13 deliveries) → at most half a core: "
                     f"about {500 / ms:.0f} rooms at 1 action per room per second, {5000 / ms:.0f} at 1 per 10 s"
                     + (f" (measured while others used {load.get('others_cores')} cores)"
                        if (load.get("others_cores") or 0) > 0.3 else ""))
    return lines


def targets(report: dict) -> list[dict]:
    """Each target with the measured value, met or missed, and by how much."""
    out = []
    big = next((r for r in report["load"] if r["kind"] == "krug" and r["rooms"] == max(report["rooms"])
                and not r.get("error")), None)

    def add(name, value, limit, unit, where):
        if value is None:
            out.append({"target": name, "limit": limit, "value": None, "met": False, "by": "not measured", "where": where})
            return
        met = value <= limit
        by = "" if met else f"{value - limit:.1f} {unit} over ({value / limit:.1f}× the target)"
        out.append({"target": name, "limit": limit, "value": value, "met": met, "by": by, "where": where})

    if big:
        add(f"realistic room-complete p99 ≤ {TARGETS['realistic_p99_ms']:.0f} ms", big["realistic"]["room_complete_ms"]["p99"],
            TARGETS["realistic_p99_ms"], "ms", big["label"])
        add(f"burst room-complete p99 ≤ {TARGETS['burst_p99_ms']:.0f} ms", big["burst"]["room_complete_ms"]["p99"],
            TARGETS["burst_p99_ms"], "ms", big["label"])
        add(f"RSS per connected client ≤ {TARGETS['kb_per_client']:.0f} KB (permessage-deflate negotiated on "
            f"{big['connect']['deflate_negotiated']} of {big['connect']['connected']})",
            big["rss"]["per_client_kb"], TARGETS["kb_per_client"], "KB", big["label"])
    quiet = next((r for r in report["quiet"] if r["kind"] == "krug" and not r.get("error")), None)
    add(f"quiet room max ≤ {TARGETS['quiet_max_ms']:.0f} ms", quiet["quiet"]["room_complete_ms"]["max"] if quiet else None,
        TARGETS["quiet_max_ms"], "ms", "krug quiet room")
    lost = 0
    errors = 0
    for r in report["load"] + report["quiet"]:
        if r["kind"] != "krug":
            continue
        if r.get("error"):
            errors += 1
            continue
        for part in ("realistic", "burst", "quiet"):
            if part in r:
                lost += r[part]["lost"]
                errors += sum(r[part]["errors"].values())
    out.append({"target": "zero lost deliveries (and no refused actions), every Krug run", "limit": 0,
                "value": lost, "met": lost == 0 and errors == 0,
                "by": "" if lost == 0 and errors == 0 else
                f"{lost} lost, {errors} actions refused or not acknowledged within 20 s", "where": "all"})
    wire = report["snapshot"]["ru"]["public"]["wire_bytes"] / 1024
    add(f"busy-room snapshot < {TARGETS['snapshot_kb']:.0f} KB (JSON as sent today, Russian text)", round(wire, 1),
        TARGETS["snapshot_kb"], "KB", "bench/snapshot.py")
    return out


def targets_table(rows: list[dict]) -> str:
    lines = ["| target | measured | met? |", "|---|---|---|"]
    for t in rows:
        lines.append(f"| {t['target']} | {_f(t['value'])} ({t['where']}) | {'yes' if t['met'] else 'NO: ' + t['by']} |")
    return "\n".join(lines)


def render(report: dict) -> str:
    m = report["machine"]
    parts = [
        f"# Krug benchmark — {report['date']}",
        "",
        f"Machine: {m['nproc']} cores ({m['cpu']}), Python {m['python']}, Node {m['node']}; "
        f"command: `{report['command']}`; total {report['seconds']:.0f} s.",
        "",
        "```", m["free_h"], "```",
        "",
        f"Options: realistic {report['options']['duration_s']} s after {report['options']['warmup_s']} s warm-up, "
        f"{report['options']['rate']} action per room per second; {report['options']['bursts']} bursts; "
        f"clients offer permessage-deflate: {report['options']['deflate']}.",
        "",
        "## Load: Krug and the floor",
        "",
        load_table(report["load"]),
        "",
        "Machine before each run (cores busy with other work, 1-min load): " + "; ".join(
            f"{r['label']}: {r.get('machine_before', {}).get('busy_cores_before')} / "
            f"{(r.get('machine_before', {}).get('loadavg_before') or ['?'])[0]}" for r in report["load"] + report["quiet"]),
        "",
        "## Krug ÷ floor",
        "",
        ratio_table(report["pairs"]),
        "",
        "## Capacity (from CPU per action)",
        "",
        *capacity(report),
        "",
        "## Quiet room",
        "",
        quiet_table(report["quiet"]),
        "",
        "## Busy-room snapshot",
        "",
        snapshot_table(report["snapshot"]),
        "",
        "## Targets",
        "",
        targets_table(report["targets"]),
    ]
    if report.get("effects"):
        parts += ["", "## Effects", "", effects_table(report["effects"])]
    if report.get("effects_quiet"):
        parts += ["", "### TCP_NODELAY in the quiet room", "", quiet_table(report["effects_quiet"])]
    if report.get("max_size"):
        ms = report["max_size"]
        parts += ["", "### max_size", ""]
        for r in ms:
            c = r.get("connect", {})
            parts.append(f"- {r['label']}: {c.get('connected')} of {c.get('expected')} sockets connected "
                         f"within the client's {r.get('connect_timeout_s')} s timeout; errors {c.get('errors')}")
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Krug benchmark: Krug vs the floor, realistic load, bursts, quiet room.")
    parser.add_argument("--rooms", default="10,200", help="comma-separated room counts (default 10,200)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of measured realistic load")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--bursts", type=int, default=5)
    parser.add_argument("--rate", type=float, default=1.0, help="actions per room per second")
    parser.add_argument("--no-deflate", action="store_true", help="clients do not offer permessage-deflate")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--processes", type=int, default=1,
                        help=f"Krug processes per load run, sharing PostgreSQL ({live.POSTGRES_URL}) and Redis "
                             f"({live.REDIS_URL}) as in docs/deploy.md; default 1 (SQLite)")
    parser.add_argument("--quiet-only", action="store_true", help="only the quiet rooms (and the snapshot figures)")
    parser.add_argument("--effects", action="store_true", help="also run the variants (about 12 more minutes)")
    parser.add_argument("--effects-only", action="store_true", help="only the variants (and the snapshot figures)")
    parser.add_argument("--effects-rooms", type=int, default=50,
                        help="rooms for the variants (default 50: loaded, not overloaded); "
                             "the control and compression off also run at max(--rooms)")
    parser.add_argument("--effects-duration", type=float, default=20.0)
    parser.add_argument("--max-wait", type=float, default=60.0, help="seconds to wait for a quiet machine per run")
    parser.add_argument("--out", default=str(BENCH / "results"), help="folder for latest.md / latest.json")
    args = parser.parse_args(argv)

    started = time.monotonic()
    limits = h.raise_fd_limit()
    rooms = [int(x) for x in args.rooms.split(",") if x]
    opts = h.Options(duration_s=args.duration, warmup_s=args.warmup, rate=args.rate, bursts=args.bursts,
                     deflate=not args.no_deflate, max_wait_s=args.max_wait, log=log)
    tmp = Path(tempfile.mkdtemp(prefix="krug-bench-run-"))
    report: dict = {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "command": "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": h.machine(), "fd_limit": limits, "rooms": rooms,
        "options": {"duration_s": opts.duration_s, "warmup_s": opts.warmup_s, "rate": opts.rate,
                    "bursts": opts.bursts, "deflate": opts.deflate},
        "load": [], "pairs": [], "quiet": [],
    }
    log(f"Krug benchmark on {report['machine']['nproc']} cores, fd limit {limits}")
    log("- busy-room snapshot (in-process)")
    report["snapshot"] = snapshot.report(repeat=100)
    log(snapshot.format_report(report["snapshot"]))

    payload = None
    if not args.effects_only:
        for r in ([] if args.quiet_only else rooms):
            krug = h.run_load("krug", r, opts, processes=args.processes,
                              label=f"krug R={r}" + (f", {args.processes} processes" if args.processes > 1 else ""))
            report["load"].append(krug)
            payload = payload_from(krug, tmp, f"krug-{r}") or payload or fallback_payload(tmp)
            if not args.no_floor:
                floor = h.run_load("floor", r, opts, payload=payload,
                                   label=f"floor R={r} (Krug's snapshot, {payload.stat().st_size // 1024} KB)")
                report["load"].append(floor)
                report["pairs"].append((krug, floor))
                report["load"].append(h.run_load("floor", r, opts, label=f"floor R={r} (60-byte state)"))
        quiet_payload = payload or fallback_payload(tmp)
        report["quiet"].append(h.run_quiet("krug", opts))
        if not args.no_floor:
            report["quiet"].append(h.run_quiet("floor", opts, payload=quiet_payload,
                                               label="floor quiet room (Krug's snapshot)"))

    if args.effects or args.effects_only:
        eff_opts = h.Options(duration_s=args.effects_duration, warmup_s=args.warmup, rate=args.rate,
                             bursts=min(args.bursts, 3), deflate=not args.no_deflate, max_wait_s=args.max_wait, log=log)
        report["effects"] = []
        for label, env in EFFECTS:
            report["effects"].append(h.run_load("krug", args.effects_rooms, eff_opts, env={**GC_STATS, **env},
                                                variant=True, label=f"{label} (R={args.effects_rooms})"))
        report["effects"].append(h.run_load("krug", args.effects_rooms,
                                            h.Options(**{**eff_opts.__dict__, "deflate": False}),
                                            env=GC_STATS, variant=True,
                                            label=f"clients without permessage-deflate, server unchanged "
                                                  f"(R={args.effects_rooms})"))
        big = max(rooms)
        for label, env in BIG_EFFECTS:
            report["effects"].append(h.run_load("krug", big, eff_opts, env={**GC_STATS, **env},
                                                variant=True, label=f"{label} (R={big})"))
        report["effects_quiet"] = [
            h.run_quiet("krug", opts, env={"BENCH_NODELAY": "0"}, variant=True, label="krug, TCP_NODELAY off"),
            h.run_quiet("krug", opts, env={}, variant=True, label="krug, TCP_NODELAY on (as app.py)"),
            h.run_quiet("krug", opts, env={"KRUG_WS_COMPRESSION": "off"}, variant=True,
                        label="krug, TCP_NODELAY on, compression off"),
            h.run_quiet("floor", opts, env={"BENCH_NODELAY": "0"}, payload=None,
                        label="floor (60-byte state), TCP_NODELAY off"),
            h.run_quiet("floor", opts, env={}, payload=None, label="floor (60-byte state), TCP_NODELAY on"),
        ]
        # eventlet's default max_size (1 024): 2 x 400 sockets opening at once, 10 s each; the
        # first 1 024 get a green thread, the rest wait in the accept queue until they give up.
        # (With KRUG_MAX_CONNECTIONS=10000, the main runs connect all 2 600.)
        cap_opts = h.Options(**{**eff_opts.__dict__, "connect_timeout_ms": 10000, "connect_concurrency": 400,
                                "idle_s": 1.0})
        report["max_size"] = []
        for cap in (1024,):
            res = h.run_load("krug", big, cap_opts, env={"KRUG_MAX_CONNECTIONS": str(cap)},
                             label=f"KRUG_MAX_CONNECTIONS={cap} (eventlet's default max_size)",
                             do_load=False, do_bursts=False)
            res["connect_timeout_s"] = cap_opts.connect_timeout_ms / 1000
            report["max_size"].append(res)

    report["targets"] = targets(report) if report["load"] else []
    report["seconds"] = time.monotonic() - started
    text = render(report)
    print()
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.md").write_text(text)
    slim = json.loads(json.dumps(report, default=str))
    for r in slim["load"] + slim.get("effects", []):
        r.pop("sample_state", None)
    slim["pairs"] = [[k["label"], f["label"]] for k, f in report["pairs"]]
    (out / "latest.json").write_text(json.dumps(slim, indent=1, ensure_ascii=False))
    log(f"written {out / 'latest.md'} and {out / 'latest.json'}")
    broken = [r["label"] for r in report["load"] + report["quiet"] if r.get("error")]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
