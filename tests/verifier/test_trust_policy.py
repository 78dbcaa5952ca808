"""``witness trust-policy export`` (a real process) round-trips through ``witness-verify
--policy`` unchanged, pins the genesis hash, and its fingerprint is the one the verifier
shows (and can be pinned with ``--policy-fingerprint``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.core.trust import policy_fingerprint
from ledger.home import init_home
from ledger.settings import Settings
from tests.verifier.anchored import Anchored, build_anchored

ROOT = Path(__file__).resolve().parents[2]


BIN = Path(sys.executable).parent


def run(command: str, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """The installed console script ``command`` (``witness``, ``witness-verify``)."""
    env = {**os.environ, "WITNESS_HOME": str(home), "WITNESS_CHAIN": "embedded"}
    return subprocess.run([str(BIN / command), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def anchored(tmp_path_factory: pytest.TempPathFactory) -> Anchored:
    return build_anchored(tmp_path_factory.mktemp("trust") / "home")


def test_export_round_trips_through_witness_verify(anchored: Anchored, tmp_path: Path) -> None:
    path = tmp_path / "trust.json"
    proc = run("witness", "--json", "trust-policy", "export", "-o", str(path),
               home=anchored.home)
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)["fingerprint"]
    doc = json.loads(path.read_text(encoding="utf-8"))
    binding = anchored.binding
    assert doc["chain"] == {"chain_id": binding.chain_id, "registry": binding.registry,
                            "log_id": binding.log_id.lower(),
                            "endpoint": f"embedded:{anchored.home.resolve() / 'chain'}",
                            "genesis_hash": binding.genesis_hash}
    assert doc["log_key"] == anchored.policy.verifier.vkey()
    assert printed == policy_fingerprint(doc) and len(printed) == 64
    proc = run("witness-verify", "--policy", str(path), "--json", "ledger", "--db",
               str(anchored.db_path), "--no-progress", home=anchored.home)
    report = json.loads(proc.stdout)
    assert (proc.returncode, report["outcome"]) == (0, "intact"), proc.stderr
    assert report["subject"]["policy_fingerprint"] == printed
    assert report["counts"]["anchors"] == 2
    proc = run("witness-verify", "--policy", str(path), "--policy-fingerprint", "sha256:" + printed,
               "ledger", "--db", str(anchored.db_path), "--no-progress", home=anchored.home)
    assert proc.returncode == 0 and f"policy_fingerprint: {printed}" in proc.stdout


def test_wrong_fingerprint_is_refused(anchored: Anchored, tmp_path: Path) -> None:
    path = tmp_path / "trust.json"
    assert run("witness", "trust-policy", "export", "-o", str(path),
               home=anchored.home).returncode == 0
    proc = run("witness-verify", "--policy", str(path), "--policy-fingerprint", "ab" * 32,
               "ledger", "--db", str(anchored.db_path), home=anchored.home)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "--policy-fingerprint pins" in proc.stderr


def test_export_to_stdout_without_endpoint(anchored: Anchored) -> None:
    """The endpoint is a locator: leaving it out does not change the fingerprint."""
    with_endpoint = run("witness", "trust-policy", "export", home=anchored.home)
    without = run("witness", "trust-policy", "export", "--no-endpoint", home=anchored.home)
    assert with_endpoint.returncode == without.returncode == 0, without.stderr
    doc = json.loads(without.stdout)
    assert doc["chain"]["endpoint"] is None and doc["chain"]["genesis_hash"]
    assert without.stderr == with_endpoint.stderr == f"fingerprint {policy_fingerprint(doc)}\n"


def test_unbound_log_is_refused(tmp_path: Path) -> None:
    init_home(Settings(home=tmp_path / "home"))
    proc = run("witness", "trust-policy", "export", home=tmp_path / "home")
    assert proc.returncode == 1 and "not bound to a chain" in proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stdout == ""


def test_bad_quorum_is_bad_input(anchored: Anchored) -> None:
    proc = run("witness", "trust-policy", "export", "--witness-quorum", "3",
               home=anchored.home)
    assert proc.returncode == 2 and "witness quorum" in proc.stderr
