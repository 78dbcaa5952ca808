"""Smoke test of ``scripts/bench.py``: a tiny run on SQLite writes the expected JSON.

No timing assertions: the figures depend on the machine. Only the shape of the output and
the correctness cross-checks (stored root = recomputed root, pymerkle root = ours).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "scripts" / "bench.py"


def _run(tmp_path: Path, *extra: str) -> dict:
    out = tmp_path / "bench.json"
    cmd = [sys.executable, str(BENCH), "--sizes", "300", "--db", "sqlite", "--proofs", "20",
           "--sqlite-peer-proofs", "5", "--json", str(out), "--workdir", str(tmp_path), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| db | events | events/s" in proc.stdout
    return json.loads(out.read_text())


def test_bench_tiny_run_writes_expected_json(tmp_path: Path) -> None:
    data = _run(tmp_path, "--no-peers")
    assert set(data) >= {"meta", "runs", "checkpoint_scratch", "peers", "notes"}
    assert set(data["meta"]) >= {"date", "python", "cpu_count", "command", "validation"}
    (run,) = data["runs"]
    assert run["db"] == "sqlite" and run["n"] == 300
    assert run["append"]["appended"] == 300
    assert set(run["append"]) >= {"events_per_s", "seconds", "peak_rss_mb", "bytes_per_event"}
    # the log holds the 300 events and the ledger's BIDS_UNSEALED after each project's opening
    assert run["checkpoint"]["size"] >= 300
    assert set(run["inclusion"]["prove"]) >= {"median_ms", "p99_ms", "samples"}
    assert set(run["consistency"]["verify"]) >= {"median_ms", "p99_ms"}
    (scratch,) = data["checkpoint_scratch"]
    assert scratch["root_matches_stored"] is True
    assert scratch["ratio_to_floor"] > 0
    assert data["peers"] == []


def test_bench_tiny_run_with_peers(tmp_path: Path) -> None:
    data = _run(tmp_path, "--no-validate")
    (peer,) = data["peers"]
    assert peer["n_used"] == 300 and peer["capped"] is False
    assert peer["pymerkle_root_matches_ours"] is True
    assert set(peer["ratios"]) >= {"build_vs_pymerkle_inmemory", "proof_stored_vs_pymerkle_sqlite",
                                   "build_vs_merkletools"}
    assert data["meta"]["validation"].startswith("validation disabled")


def test_bench_startup_section(tmp_path: Path) -> None:
    """`--startup` alone: every command timed, the floor first, targets on the tools."""
    out = tmp_path / "startup.json"
    cmd = [sys.executable, str(BENCH), "--startup", "--startup-runs", "2", "--json", str(out),
           "--workdir", str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| witness status |" in proc.stdout and "≤ 0.6" in proc.stdout
    section = json.loads(out.read_text())["startup"]
    rows = {r["command"]: r for r in section["commands"]}
    assert section["commands"][0]["command"].startswith("python -c pass")
    assert {"witness --help", "witness-verify --help", "witness status"} <= set(rows)
    assert rows["witness --help"]["target_s"] == 0.3
    assert rows["witness status"]["target_s"] == 0.6
    for row in rows.values():
        assert row["runs"] == 2 and 0 < row["min_s"] <= row["median_s"] <= row["max_s"]
        assert row["cpu_median_s"] > 0
