"""A full disk, for real: the data directory (SQLite database, keys, embedded chain) on a
16 MiB tmpfs that the test fills up while the service runs with its anchorer.

Writes are refused with 503 problem+json and nothing acknowledged is lost; ``/readyz``
answers 503 naming the disk, and so does ``witness status`` (text and ``--json``); the
checkpointer's failure (time, cause) is on record. Once space is freed, checkpointing and
anchoring resume by themselves within a bounded time, in the same threads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ledger.anchoring import bind_chain
from ledger.events import example_event
from ledger.home import init_home, open_log
from ledger.loops import forget_monitors
from ledger.settings import Settings
from ledger.store.schema import anchors, checkpoints
from tests.ledger.loops_kit import fill, small_tmpfs, thread_named, wait_for
from witness_api import create_app
from witness_api.config import ApiSettings

ROOT = Path(__file__).resolve().parents[2]
THREADS = ("witness-anchorer", "witness-anchorer-0", "witness-checkpointer")
#: Free space below which the disk check fails here: 1 MiB of the 16 MiB file system.
MIN_FREE_MB = "1"


def _event(n: int) -> dict[str, Any]:
    return {**example_event("ANNOUNCEMENT_PUBLISHED"), "event_id": f"EV-DISK-{n}"}


def _sizes(settings: Settings) -> tuple[int, int, int]:
    """(log size, latest checkpoint size, latest anchored size), read straight from the store."""
    log = open_log(settings)
    try:
        with log.db.read() as conn:
            sealed = conn.execute(select(func.max(checkpoints.c.size))).scalar() or 0
            anchored = conn.execute(select(func.max(anchors.c.checkpoint_size))).scalar() or 0
        return log.size(), int(sealed), int(anchored)
    finally:
        log.db.dispose()


def _status(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WITNESS_HOME": str(settings.home), "WITNESS_MIN_FREE_MB": MIN_FREE_MB}
    return subprocess.run([sys.executable, "-m", "ledger.cli", *args, "status"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def _check(client: TestClient, name: str) -> dict[str, Any]:
    check: dict[str, Any] = client.get("/readyz").json()["checks"][name]
    return check


@pytest.fixture
def disk_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("WITNESS_MIN_FREE_MB", MIN_FREE_MB)
    with small_tmpfs(tmp_path / "disk") as disk:
        # anchor rounds 8 s apart (the one at start-up, then one while the disk is full);
        # the checkpointer seals what waited half the 4 s merge delay
        settings = Settings(home=disk / "home", chain="embedded", checkpoint_interval=8,
                            checkpoint_max_events=1_000_000, mmd_seconds=4)
        init_home(settings)
        log = open_log(settings)
        bind_chain(settings, log)
        log.db.dispose()
        yield settings, disk
        forget_monitors(settings.home)


def _fill_with_events_waiting(client: TestClient, settings: Settings, disk: Path,
                              headers: dict[str, str]) -> tuple[Path, list[int]]:
    """Acknowledge events, then fill the disk before anything seals them."""
    wait_for("the start-up anchor", lambda: _sizes(settings)[2] >= 1)
    indexes = []
    for n in range(5):
        r = client.post("/v1/events", json=_event(n), headers=headers)
        assert r.status_code == 201, r.text
        indexes.append(r.json()["index"])
    filler = fill(disk)
    size, sealed, _ = _sizes(settings)
    assert sealed < size, "sealed before the disk filled: the machine is too slow for this test"
    return filler, indexes


def test_full_disk_refused_reported_and_recovered(disk_settings: Any) -> None:
    settings, disk = disk_settings
    app = create_app(settings, api=ApiSettings(access_log=False))
    with TestClient(app) as client:
        token, _ = app.state.tokens.create("ingest")
        headers = {"Authorization": f"Bearer {token}"}
        filler, acked = _fill_with_events_waiting(client, settings, disk, headers)

        refused = client.post("/v1/events", json=_event(99), headers=headers)
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "urn:witness:problem:store-unavailable"

        ready = client.get("/readyz")
        assert ready.status_code == 503
        disk_check = ready.json()["checks"]["disk"]
        assert not disk_check["ok"] and disk_check["detail"].startswith("disk nearly full")
        assert str(settings.home) in disk_check["detail"]
        wait_for("the checkpointer's failure on record", lambda: "database or disk is full"
                 in _check(client, "background")["detail"])
        assert "checkpointer retrying" in _check(client, "background")["detail"]
        wait_for("the anchorer's failure on record (its next round is due 8 s after the "
                 "last)", lambda: "anchorer retrying" in _check(client, "background")["detail"],
                 timeout=20)
        wait_for("the merge delay at risk", lambda: not _check(client, "merge_delay")["ok"])

        text = _status(settings)
        assert text.returncode == 0, text.stderr
        disk_lines = [x for x in text.stdout.splitlines() if x.startswith("disk ")]
        assert len(disk_lines) == 1 and "NOT OK: disk nearly full" in disk_lines[0]
        as_json = _status(settings, "--json")
        health = json.loads(as_json.stdout)["health"]
        assert health["status"] == "not ready" and not health["checks"]["disk"]["ok"]
        assert "checkpointer retrying" in health["checks"]["background"]["detail"]

        filler.unlink()
        took = wait_for("sealed and anchored again, ready",
                        lambda: client.get("/readyz").status_code == 200, timeout=75)
        size, sealed, anchored = _sizes(settings)
        assert size == sealed == anchored and size > max(acked)
        assert all(thread_named(name) is not None for name in THREADS)  # never died
        print(f"resumed {took:.1f} s after the space was freed")

        again = client.post("/v1/events", json=_event(99), headers=headers)
        assert again.status_code == 201 and again.json()["status"] == "created"  # not stored
        log = open_log(settings)
        try:
            assert [log.index_of(_event(n)["event_id"]) for n in range(5)] == acked
        finally:
            log.db.dispose()
