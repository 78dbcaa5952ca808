"""Smoke test of the anchoring section of ``scripts/bench.py`` (``--anchor``).

Tiny sizes on the embedded chain (and on the session's Hardhat node when it is there): the
JSON has the expected shape and the cross-checks hold (proofs accepted on chain, stored
checkpoints read back, receipts carry their anchor). No timing or gas-target assertions.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[2] / "scripts" / "bench.py"


def _run(tmp_path: Path, *extra: str) -> dict[str, Any]:
    out = tmp_path / "bench.json"
    cmd = [sys.executable, str(BENCH), "--anchor", "--anchor-sizes", "10,1000",
           "--anchor-samples", "2", "--anchor-worst-samples", "20", "--json", str(out),
           "--workdir", str(tmp_path), *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| leaves n | typical m |" in proc.stdout
    assert "| db | events | events/s" not in proc.stdout  # --anchor: that section only
    data: dict[str, Any] = json.loads(out.read_text())
    assert data["runs"] == []
    return data["anchor"]


def _check_chain(ch: dict[str, Any]) -> None:
    assert [r["n"] for r in ch["by_size"]] == [10, 1000]
    for r in ch["by_size"]:
        assert r["typical"]["m"] == r["n"] - max(1, r["n"] // 100)
        assert r["worst"]["gas"] >= r["typical"]["gas"] > 21_000
        assert r["typical"]["calldata_gas"] > 0 and r["typical"]["execution_gas"] > 0
    assert ch["by_size"][0]["candidates_tried"] == 9  # every first size of a 10-leaf log
    assert ch["naive"]["samples"] == 20 and ch["naive"]["median_gas"] > 21_000
    (amort,) = ch["amortised"]
    assert (amort["n"], amort["per_checkpoint"]) == (1000, 100)
    assert amort["ratio"] > 0
    assert ch["latency"]["samples"] == 2 and ch["latency"]["gas_median"] > 0
    assert set(ch["latency"]["phases_median_ms"]) >= {"seal", "prove", "send_confirm"}


def test_anchor_bench_embedded(tmp_path: Path) -> None:
    res = _run(tmp_path, "--hardhat", "off", "--follow-intervals", "0.5",
               "--follow-seconds", "3", "--follow-rate", "10")
    assert set(res["chains"]) == {"embedded"}
    _check_chain(res["chains"]["embedded"])
    (follow,) = res["follow"]
    assert follow["events"] > 0 and follow["events_not_anchored"] == 0
    assert follow["receipts_checked"]["anchored_as_expected"] == \
        follow["receipts_checked"]["sampled"] > 0
    assert set(res["targets"]) >= {"gas_1M_typical", "ratio_1k_per_checkpoint"}


def test_anchor_bench_hardhat(tmp_path: Path, hardhat_node: str) -> None:
    res = _run(tmp_path, "--hardhat", hardhat_node, "--follow-intervals", "off")
    assert set(res["chains"]) == {"embedded", "hardhat"}
    assert res["chains"]["hardhat"]["chain_id"] == 31337
    _check_chain(res["chains"]["hardhat"])
    assert res["follow"] == []
