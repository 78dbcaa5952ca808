"""``ledger.loops``: the capped backoff, one log line per failure streak, and the health
record other processes read, which still changes when the disk is full (a real tmpfs)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.anchoring.readiness_checks import background_check
from ledger.loops import LoopMonitor, read_health
from ledger.settings import Settings
from tests.ledger.loops_kit import fill, small_tmpfs


def _record(home: Path, loop: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((home / "health" / f"{loop}.json").read_text().strip())
    return data


def test_backoff_doubles_up_to_a_cap_and_a_success_resets_it(tmp_path: Path) -> None:
    monitor = LoopMonitor("probe", tmp_path)
    delays = [monitor.failed(OSError(f"attempt {n}")) for n in range(9)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    monitor.ok()
    assert monitor.failed(OSError("again")) == 1
    health = monitor.snapshot()
    assert (health.failures, health.streak, health.last_cause) == (10, 1, "OSError: again")


def test_one_warning_per_streak_and_one_line_when_it_ends(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="witness.loops")
    monitor = LoopMonitor("probe", tmp_path)
    for _ in range(5):
        monitor.failed(ConnectionError("refused"))
    monitor.ok()
    monitor.ok()
    monitor.failed(ConnectionError("refused"))
    levels = [(r.levelname, r.getMessage().split(",")[0]) for r in caplog.records
              if r.levelno >= logging.INFO]
    assert levels == [("WARNING", "probe failed"),
                      ("INFO", "probe works again after 5 failure(s); the last was "
                               "ConnectionError: refused"),
                      ("WARNING", "probe failed")]


def test_other_processes_see_the_record_and_whether_its_process_lives(tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(gone.stdout)
    stopped = LoopMonitor("stopped-loop", tmp_path)  # a live process's loop that gave up
    stopped.stopped(RuntimeError("integrity failure: the chain holds a foreign checkpoint"))
    left = LoopMonitor("left-loop", tmp_path)
    left.failed(OSError("disk full"))
    path = tmp_path / "health" / "left-loop.json"
    path.write_text(json.dumps({**_record(tmp_path, "left-loop"), "pid": dead_pid}))
    records = {r.loop: r for r in read_health(tmp_path)}
    assert records["left-loop"].alive is False and not records["left-loop"].broken
    assert "gone (process" in records["left-loop"].summary()
    assert records["stopped-loop"].broken
    name, ok, detail = background_check(Settings(home=tmp_path))
    assert (name, ok) == ("background", False)
    assert "stopped-loop stopped" in detail and "stopped because RuntimeError" in detail


def test_the_record_still_changes_on_a_full_disk(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "disk", size_mb=2) as disk:
        monitor = LoopMonitor("probe", disk)
        monitor.ok()
        filler = fill(disk)
        monitor.failed(OSError(28, "No space left on device"))
        assert _record(disk, "probe")["last_cause"] == "OSError: [Errno 28] No space left on device"
        assert _record(disk, "probe")["state"] == "retrying"
        filler.unlink()
        monitor.close()
