"""More than one anchor, with real chains: a log bound to the embedded chain and to a Hardhat
node of its own (started here, so that it can be stopped), both anchoring the same
checkpoints, checked by the verifier against a v2 trust policy; then the node is stopped:
the embedded chain keeps anchoring, a policy requiring both says pending, one requiring only
the embedded chain says intact."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ledger.anchoring import bind_chain, readiness
from ledger.anchoring.chains import anchor_all_once, bound_chains
from ledger.core.receipt import Receipt
from ledger.export import dumps_bundle, export_project
from ledger.home import init_home, open_log
from ledger.settings import Settings
from ledger.store.schema import anchors
from tests.fixtures.hardhat import HARDHAT_DIR, _free_port, _stop, _wait_ready
from tests.ledger.anchoring.conftest import ROOT, append_events, run_witness
from tests.ledger.anchoring.test_anchorer_hardhat import HARDHAT_DEV_KEY
from verifier import check_bundle, check_receipt
from verifier.policy import build, parse_policy
from verifier.readers.chain import open_registry
from verifier.report import Report

KEY_ENV = {"WITNESS_CHAIN_PRIVATE_KEY": HARDHAT_DEV_KEY}


@pytest.fixture
def own_node() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Hardhat node for this test alone (the session's node must not be stopped)."""
    npx = shutil.which("npx")
    if npx is None or not (HARDHAT_DIR / "node_modules" / "hardhat").is_dir():
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail("Hardhat node required in CI", pytrace=False)
        pytest.skip("npx or hardhat-node/node_modules missing: no Hardhat node to run")
    url = f"http://127.0.0.1:{_free_port()}"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [npx, "--no-install", "hardhat", "node", "--hostname", "127.0.0.1", "--port",
             url.rsplit(":", 1)[1]], cwd=HARDHAT_DIR, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true"})
        try:
            _wait_ready(proc, url, log)
            yield url, proc
        finally:
            _stop(proc)


def _policy(settings: Settings, *args: str) -> Any:
    out = run_witness(settings, "trust-policy", "export", *args, env=KEY_ENV)
    doc = json.loads(out.stdout)
    return doc, build(key=None, base=parse_policy(doc))


def _open(policy: Any) -> Any:
    return open_registry(policy.chain, policy.chain_id, policy.registry, policy.genesis_hash)


def _verify_receipt(receipt: Receipt, policy: Any) -> Report:
    reader = _open(policy)
    try:
        return check_receipt(receipt, policy, reader)
    finally:
        reader.close()


def _rows(settings: Settings) -> dict[int, list[int]]:
    """Anchored sizes by chain id."""
    log = open_log(settings)
    with log.db.read() as conn:
        rows = conn.execute(select(anchors.c.chain_id, anchors.c.checkpoint_size)).all()
    log.db.dispose()
    out: dict[int, list[int]] = {}
    for chain_id, size in rows:
        out.setdefault(int(chain_id), []).append(int(size))
    return {k: sorted(v) for k, v in out.items()}


def test_two_chains_then_one_down(own_node: tuple[str, Any], tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    url, proc = own_node
    monkeypatch.setenv("WITNESS_CHAIN_PRIVATE_KEY", HARDHAT_DEV_KEY)
    monkeypatch.delenv("WITNESS_REGISTRY", raising=False)
    settings = Settings(home=tmp_path / "home", origin="multi.test/log", chain="embedded")
    init_home(settings)
    log = open_log(settings)
    bind_chain(settings, log)
    log.db.dispose()
    bound = json.loads(run_witness(settings, "--json", "chain", "bind", "--chain", url,
                                   env=KEY_ENV).stdout)
    assert (bound["number"], bound["chain_id"]) == (1, 31337)
    # idempotent: binding the same chain again changes nothing
    again = json.loads(run_witness(settings, "--json", "chain", "bind", "--chain", url,
                                   env=KEY_ENV).stdout)
    assert again["registry"] == bound["registry"]

    append_events(settings, 0, 10)  # + 2 CHECKPOINT_SIGNER_BOUND (one per chain) = 12
    first = json.loads(run_witness(settings, "--json", "anchor", env=KEY_ENV).stdout)
    assert [c["checkpoint_size"] for c in first["chains"]] == [12, 12]
    # a checkpoint sealed on demand between rounds is anchored by the next round, in order
    append_events(settings, 10, 5)
    log = open_log(settings)
    on_demand = log.checkpoint().size
    log.db.dispose()
    append_events(settings, 15, 4)
    second = json.loads(run_witness(settings, "--json", "anchor", env=KEY_ENV).stdout)
    assert [c["anchored"] for c in second["chains"]] == [2, 2]
    assert list(_rows(settings).values()) == [[12, on_demand, 21]] * 2

    doc, both = _policy(settings)
    assert doc["format"] == "witness-trust/v2"
    assert [c["required"] for c in doc["chains"]] == [True]
    log = open_log(settings)
    receipt = log.receipt(14)
    bundle = json.loads(dumps_bundle(export_project(log, "P-1")))
    log.db.dispose()
    assert receipt.anchored is not None and len(receipt.anchored.anchors) == 1
    assert receipt.anchored.anchors[0]["chain_id"] == 31337
    report = _verify_receipt(receipt, both)
    assert report.outcome == "intact", report.to_json()
    assert report.counts["anchors"] == 2
    reader = _open(both)
    try:
        breport = check_bundle(json.dumps(bundle).encode(), both, reader)
    finally:
        reader.close()
    assert breport.outcome == "intact", breport.to_json()

    # a tampered second-chain anchor is an integrity failure
    forged = copy.deepcopy(receipt.to_json())
    forged["anchored"]["anchors"][0]["block_timestamp"] += 1
    bad = _verify_receipt(Receipt.from_json(forged), both)
    assert bad.outcome == "failed"
    assert any(p.code == "anchor" and "block_timestamp" in p.detail for p in bad.problems)

    # the Hardhat node goes down: the embedded chain keeps anchoring
    _stop(proc)
    append_events(settings, 19, 3)
    results = dict((b.number, r) for b, r in anchor_all_once(settings, open_log(settings)))
    assert getattr(results[0], "action", None) == "anchored"
    assert isinstance(results[1], Exception)
    status = run_witness(settings, "--json", "chain", env=KEY_ENV, check=False)
    assert status.returncode == 3
    chains = json.loads(status.stdout)["chains"]
    assert chains[0]["lag_events"] == 0 and chains[1]["reachable"] is False
    log = open_log(settings)
    late = log.receipt(22)
    log.db.dispose()
    assert late.anchored is not None and not late.anchored.anchors
    pending = _verify_receipt(late, both)
    assert pending.outcome == "pending", pending.to_json()
    _, embedded_only = _policy(settings, "--optional-chain", "31337")
    assert _verify_receipt(late, embedded_only).outcome == "intact"
    # the same through witness-verify with the exported policy files (pending: exit 0)
    late_path = tmp_path / "late.json"
    late_path.write_text(json.dumps(late.to_json()))
    for extra, outcome in (((), "pending"), (("--optional-chain", "31337"), "intact")):
        run_witness(settings, "trust-policy", "export", "-o", str(tmp_path / "p.json"), *extra,
                    env=KEY_ENV)
        out = subprocess.run([str(Path(sys.executable).with_name("witness-verify")), "--policy",
                              str(tmp_path / "p.json"), "--json", "receipt", str(late_path)],
                             capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert (out.returncode, json.loads(out.stdout)["outcome"]) == (0, outcome), out.stderr
    # readiness: the primary chain anchors, the further one is named with its lag
    _, ok, detail = readiness(settings)
    assert ok and "chain 31337 unreachable (anchored size 21, lag 3 events)" in detail
    assert [b.number for b in bound_chains(open_log(settings))] == [0, 1]
