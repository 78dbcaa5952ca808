"""``/readyz``, ``witness status`` and ``/metrics`` tell the truth about what is late.

- "merge delay at risk", then "broken": events wait in no checkpoint (nothing seals on a log
  bound to no chain) for 80 %, then all, of the promised maximum merge delay;
- "anchoring stalled": the chain is held by another writer, so nothing is anchored for more
  than N × the checkpoint interval while events wait; the anchorer's failures are counted in
  the metrics and named in the background check, and all of it clears by itself;
- the disk check on PostgreSQL says its disk is not visible from here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from chain_access import open_chain
from ledger.anchoring import bind_chain
from ledger.anchoring.readiness_checks import disk_check
from ledger.events import example_event
from ledger.home import init_home, open_log
from ledger.loops import forget_monitors
from ledger.settings import Settings
from tests.ledger.loops_kit import wait_for
from witness_api import create_app
from witness_api.config import ApiSettings

ROOT = Path(__file__).resolve().parents[2]


def _post(client: TestClient, token: str, n: int) -> None:
    ev = {**example_event("ANNOUNCEMENT_PUBLISHED"), "event_id": f"EV-LATE-{n}"}
    r = client.post("/v1/events", json=ev, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.text


def _check(client: TestClient, name: str) -> dict[str, Any]:
    r = client.get("/readyz")
    check: dict[str, Any] = r.json()["checks"][name]
    assert (r.status_code == 200) == all(c["ok"] for c in r.json()["checks"].values())
    return check


def _status_line(settings: Settings, label: str, env: dict[str, str] | None = None) -> str:
    full = {**os.environ, "WITNESS_HOME": str(settings.home), **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "ledger.cli", "status"], cwd=ROOT, env=full,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = [x for x in proc.stdout.splitlines() if x.startswith(label)]
    assert len(lines) == 1, proc.stdout
    return lines[0]


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[tuple[TestClient, Settings]]:
    settings = Settings(home=tmp_path / "home", mmd_seconds=2)
    init_home(settings)
    app = create_app(settings, api=ApiSettings(access_log=False))
    with TestClient(app) as client:
        yield client, settings
    forget_monitors(settings.home)


def test_merge_delay_at_risk_then_broken_then_kept(app_client: Any) -> None:
    client, settings = app_client
    token, _ = client.app.state.tokens.create("ingest")
    admin, _ = client.app.state.tokens.create("admin")
    _post(client, token, 1)
    assert _check(client, "merge_delay")["ok"]
    wait_for("at risk (80 % of 2 s)", lambda: not _check(client, "merge_delay")["ok"])
    detail = _check(client, "merge_delay")["detail"]
    assert detail.startswith(("merge delay at risk: event 0 was received",
                              "merge delay broken: event 0 was received"))
    assert "within 2 s (WITNESS_MMD_SECONDS)" in detail
    time.sleep(2.1)
    assert client.get("/readyz").status_code == 503
    assert _check(client, "merge_delay")["detail"].startswith("merge delay broken: event 0")
    line = _status_line(settings, "merge delay", {"WITNESS_MMD_SECONDS": "2"})
    assert line.startswith("merge delay NOT OK: merge delay broken: event 0 was received")
    r = client.post("/v1/checkpoints", headers={"Authorization": f"Bearer {admin}"})
    assert r.status_code == 201, r.text
    assert _check(client, "merge_delay")["ok"] and client.get("/readyz").status_code == 200


def _metric(text: str, name: str, loop: str) -> float:
    found = re.search(rf'^{name}{{loop="{loop}"}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def test_stalled_anchoring_is_reported_counted_and_clears(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WITNESS_STALL_INTERVALS", "3")  # 3 × 0.5 s without an anchor
    settings = Settings(home=tmp_path / "home", chain="embedded", checkpoint_interval=0.5)
    init_home(settings)
    log = open_log(settings)
    bind_chain(settings, log)
    log.db.dispose()
    holder = open_chain(settings.chain, settings.home)  # the anchorer cannot open it
    try:
        app = create_app(settings, api=ApiSettings(access_log=False))
        with TestClient(app) as client:
            token, _ = app.state.tokens.create("ingest")
            _post(client, token, 1)
            wait_for("stalled", lambda: not _check(client, "anchoring")["ok"])
            detail = _check(client, "anchoring")["detail"]
            assert detail.startswith("anchoring stalled: 2 event(s) wait for chain")
            assert "3 × the checkpoint interval" in detail
            background = _check(client, "background")["detail"]
            assert "anchorer retrying" in background and "ChainInUse" in background
            line = _status_line(settings, "anchoring", {"WITNESS_STALL_INTERVALS": "3",
                                                        "WITNESS_CHECKPOINT_INTERVAL": "0.5"})
            assert line.startswith("anchoring   NOT OK: anchoring stalled: 2 event(s) wait")
            metrics = client.get("/metrics").text
            assert _metric(metrics, "witness_background_failures_total", "anchorer") >= 1
            assert _metric(metrics, "witness_background_failure_streak", "anchorer") >= 1
            assert _metric(metrics, "witness_background_running", "anchorer") == 1
            assert "witness_disk_free_bytes{path=" in metrics
            holder.close()
            wait_for("anchored again", lambda: _check(client, "anchoring")["ok"], timeout=40)
            assert "every event anchored" in _check(client, "anchoring")["detail"]
            wait_for("the streak over", lambda: _metric(
                client.get("/metrics").text, "witness_background_failure_streak",
                "anchorer") == 0)
    finally:
        holder.close()
        forget_monitors(settings.home)


def test_the_disk_of_a_postgresql_database_is_not_visible_here(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, db_url="postgresql+psycopg://witness@db.example/witness")
    name, ok, detail = disk_check(settings.model_copy(update={"min_free_mb": 0}))
    assert (name, ok) == ("disk", True)
    assert f"free on {tmp_path.resolve()} (the data directory" in detail
    assert "PostgreSQL database's own disk is not visible from here (not applicable" in detail
