"""The benchmark, small: it must keep working, and Krug must not lose deliveries under it.

The smoke tests run in the default suite (about 20 s) and fail only on gross breakage: a server
that does not start, clients that cannot connect, refused or lost actions, a broken harness.
They never assert on timing. The full runs (R = 10 and 200, the floor, the variants) are marked
``soak`` and run with ``pytest -m soak tests/test_bench_smoke.py`` or ``python bench/run.py``.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench import harness, snapshot

ROOT = Path(__file__).resolve().parent.parent

needs_node = pytest.mark.skipif(
    shutil.which("node") is None or not (ROOT / "node_modules" / "socket.io-client").is_dir(),
    reason="the load generator needs Node.js and node_modules/socket.io-client (npm ci)",
)


def _quick(**overrides) -> harness.Options:
    values = dict(duration_s=4.0, warmup_s=1.0, bursts=2, idle_s=1.0, quiet_rounds=1,
                  max_wait_s=0.0, log=lambda *_: None)
    values.update(overrides)
    return harness.Options(**values)


def _assert_no_loss(part: dict, name: str) -> None:
    assert part["errors"] == {}, f"{name}: refused or unanswered actions {part['errors']}"
    assert part["acked"] == part["actions"] > 0, f"{name}: {part['acked']} of {part['actions']} actions acknowledged"
    assert part["delivered"] == part["expected"] > 0, f"{name}: delivered {part['delivered']} of {part['expected']}"
    assert part["duplicates"] == 0 and part["disconnects"] == 0, name
    assert part["room_complete_ms"]["n"] == part["acked"], f"{name}: some rooms never got the whole update"


@needs_node
def test_krug_smoke_ten_rooms():
    harness.raise_fd_limit()
    result = harness.run_load("krug", 10, _quick())
    assert "error" not in result, result.get("error", "") + "\n" + result.get("server_log_tail", "")
    assert result["connect"]["connected"] == result["connect"]["expected"] == 130, result["connect"]
    assert result["start_errors"] == []
    _assert_no_loss(result["realistic"], "realistic load")
    _assert_no_loss(result["burst"], "burst")
    assert result["realistic"]["unmatched_versions"] == 0
    assert result["server_alive"]
    # The floor later broadcasts this captured snapshot.
    assert result["sample_state"]["people"] and "v" in result["sample_state"]


@needs_node
def test_floor_server_smoke():
    result = harness.run_quiet("floor", _quick())
    assert "error" not in result, result.get("error", "") + "\n" + result.get("server_log_tail", "")
    assert result["connect"]["connected"] == harness.PER_ROOM
    _assert_no_loss(result["quiet"], "floor quiet room")


def test_busy_room_snapshot_builds():
    figures = snapshot.sizes("ru", cards=60)
    assert figures["public"]["visible_cards"] == 60
    assert figures["public"]["escaped_bytes"] > figures["public"]["wire_bytes"] > figures["public"]["deflated_bytes"]
    # A size, not a time: the target for a busy Russian room, in bytes as sent.
    assert figures["public"]["wire_bytes"] < 16 * 1024 and figures["lead"]["wire_bytes"] < 16 * 1024


@pytest.mark.soak
@needs_node
def test_full_benchmark(tmp_path):
    """The whole run of docs/performance.md (about 5 minutes); gates only on lost deliveries."""
    from bench import run

    assert run.main(["--out", str(tmp_path)]) == 0
    report = (tmp_path / "latest.md").read_text()
    assert "FAILED" not in report
    zero_loss = next(line for line in report.splitlines() if line.startswith("| zero lost deliveries"))
    assert zero_loss.endswith("| yes |"), zero_loss
