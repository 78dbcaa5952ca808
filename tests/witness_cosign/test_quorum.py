"""Three real witness processes and a log that asks them: quorum met or refused as the
policy says, with all up, one down and one lying."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from ledger.core.cosignature import WitnessKey
from ledger.core.note import Checkpoint, split_note
from ledger.core.receipt import Receipt
from ledger.cosigning import CosignClient, WitnessEndpoint, parse_cosigners
from ledger.export import dumps_bundle, export_project
from ledger.log import WitnessLog
from tests.witness_cosign.conftest import WitnessProcess, grow
from verifier.bundle_check import check_bundle
from verifier.ledger_check import check_ledger
from verifier.policy import TrustPolicy, build
from verifier.receipt_check import check_receipt
from witness_cosign.keys import load_witness

VERIFY = Path(sys.executable).parent / "witness-verify"
WITNESS = Path(sys.executable).parent / "witness"


def _policy(log: WitnessLog, ws: list[WitnessProcess], quorum: int) -> TrustPolicy:
    return build(key=log.signer.verifier.vkey(), witnesses=tuple(w.vkey for w in ws),
                 witness_quorum=quorum)


def _client(log: WitnessLog, ws: list[WitnessProcess]) -> CosignClient:
    return CosignClient(log, [WitnessEndpoint(w.url, WitnessKey.from_vkey(w.vkey)) for w in ws],
                        timeout=3)


def _cosigners(note: str) -> list[str]:
    return [name for name, _, _ in split_note(note)[1][1:]]


def _receipt_codes(log: WitnessLog, ws: list[WitnessProcess], quorum: int,
                   receipt: Receipt) -> list[str]:
    report = check_receipt(receipt, _policy(log, ws, quorum))
    return [p.code for p in report.problems]


def test_all_up_one_down_one_lying(ledger: WitnessLog, witnesses: list[WitnessProcess]) -> None:
    client = _client(ledger, witnesses)
    grow(ledger, 0, 8)
    cp = ledger.checkpoint()
    assert set(client.cosign(cp).values()) == {"cosigned"}
    note = ledger.checkpoint_at(cp.size).note
    assert _cosigners(note) == [w.name for w in witnesses]
    receipt = ledger.receipt(3)
    assert receipt.anchored is not None and receipt.anchored.checkpoint_note == note
    report = check_receipt(receipt, _policy(ledger, witnesses, 3))
    assert report.ok and report.subject["witnesses"]["cosigned_by"] == sorted(
        w.name for w in witnesses)
    bundle = dumps_bundle(export_project(ledger, "P-1")).encode()
    assert check_bundle(bundle, _policy(ledger, witnesses, 3)).ok

    witnesses[2].stop()  # one down: the others still cosign, quickly
    grow(ledger, 8, 4)
    cp12 = ledger.checkpoint()
    outcomes = client.cosign(cp12)
    assert outcomes[witnesses[2].name].startswith("failed")
    assert _receipt_codes(ledger, witnesses, 2, ledger.receipt(10)) == []
    assert _receipt_codes(ledger, witnesses, 3, ledger.receipt(10)) == ["witness_quorum"]
    bundle = dumps_bundle(export_project(ledger, "P-1")).encode()
    refused = check_bundle(bundle, _policy(ledger, witnesses, 3))
    assert [p.code for p in refused.problems] == ["witness_quorum"]
    assert "witness-1.example, witness-2.example" in refused.problems[0].detail

    # One lying: the third witness's state says it cosigned another tree of size 8.
    liar = witnesses[2]
    with sqlite3.connect(liar.home / "state.db") as conn:
        conn.execute("UPDATE cosigned SET root = ?", (b"\x09" * 32,))
    liar.start()
    grow(ledger, 12, 3)
    cp15 = ledger.checkpoint()
    fresh = _client(ledger, witnesses).cosign(cp15)
    assert fresh[liar.name].startswith("failed: HTTP 422")
    assert _cosigners(ledger.checkpoint_at(15).note) == [witnesses[0].name, witnesses[1].name]
    assert _receipt_codes(ledger, witnesses, 2, ledger.receipt(14)) == []
    assert _receipt_codes(ledger, witnesses, 3, ledger.receipt(14)) == ["witness_quorum"]
    db = ledger.db.engine.url.database
    assert db is not None
    assert check_ledger(db, _policy(ledger, witnesses, 2)).ok
    fsck = check_ledger(db, _policy(ledger, witnesses, 3))
    assert [(p.code, p.evidence["checkpoint_size"]) for p in fsck.problems] == [
        ("witness_quorum", 15)]


def test_a_cosignature_over_a_fork_is_not_counted(
        ledger: WitnessLog, witnesses: list[WitnessProcess]) -> None:
    grow(ledger, 0, 6)
    cp = ledger.checkpoint()
    _client(ledger, witnesses[:2]).cosign(cp)
    liar = witnesses[2]
    fork = Checkpoint(ledger.origin, cp.size, b"\x05" * 32).body()
    line = load_witness(liar.home).cosign(fork, 1_700_000_000)  # signed another root
    receipt = ledger.receipt(2)
    assert receipt.anchored is not None
    planted = replace(receipt, anchored=replace(
        receipt.anchored, checkpoint_note=receipt.anchored.checkpoint_note + line))
    report = check_receipt(planted, _policy(ledger, witnesses, 2))
    assert [p.code for p in report.problems] == ["cosignature"]
    assert liar.name in report.problems[0].detail
    assert report.subject["witnesses"]["cosigned_by"] == [w.name for w in witnesses[:2]]
    assert _receipt_codes(ledger, witnesses, 3, planted) == ["cosignature", "witness_quorum"]


def test_cli_checkpoint_asks_witnesses_and_verify_enforces_quorum(
        tmp_path: Path, ledger: WitnessLog, witnesses: list[WitnessProcess]) -> None:
    grow(ledger, 0, 4)
    cosigners = ";".join(f"{w.url} {w.vkey}" for w in witnesses[:2])
    assert [e.key.name for e in parse_cosigners(cosigners)] == [w.name for w in witnesses[:2]]
    env = {**os.environ, "WITNESS_HOME": str(tmp_path / "log"), "WITNESS_COSIGNERS": cosigners}
    out = subprocess.run([str(WITNESS), "checkpoint", "--json"], env=env, capture_output=True,
                         text=True, check=True)
    data = json.loads(out.stdout)
    assert data["witnesses"] == {witnesses[0].name: "cosigned", witnesses[1].name: "cosigned"}
    assert _cosigners(data["note"]) == [witnesses[0].name, witnesses[1].name]
    receipt_path = tmp_path / "receipt.json"
    receipt_path.write_text(ledger.receipt(1).dumps(), encoding="utf-8")
    for quorum, code in ((2, 0), (3, 1)):
        policy = _policy(ledger, witnesses, quorum).to_json()
        assert policy["witnesses"] == [w.vkey for w in witnesses]
        path = tmp_path / f"policy-{quorum}.json"
        path.write_text(json.dumps(policy), encoding="utf-8")
        run = subprocess.run([str(VERIFY), "--policy", str(path), "--offline", "receipt",
                              str(receipt_path)], capture_output=True, text=True)
        assert run.returncode == code, run.stdout + run.stderr
    bad = json.loads((tmp_path / "policy-2.json").read_text())
    bad["witness_quorum"] = 4
    (tmp_path / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
    run = subprocess.run([str(VERIFY), "--policy", str(tmp_path / "bad.json"), "--offline",
                          "receipt", str(receipt_path)], capture_output=True, text=True)
    assert run.returncode == 2 and "witness_quorum" in run.stderr


def test_background_cosigner_catches_up_without_blocking(
        ledger: WitnessLog, witnesses: list[WitnessProcess]) -> None:
    import time

    from ledger.cosigning import start_cosigner
    from ledger.settings import Settings

    witnesses[0].stop()  # down: must not hold up the others
    cosigners = "\n".join(f"{w.url} {w.vkey}" for w in witnesses)
    stop = start_cosigner(ledger, Settings(cosigners=cosigners), interval=0.1)
    assert stop is not None
    try:
        grow(ledger, 0, 3)
        started = time.monotonic()
        ledger.checkpoint()
        assert time.monotonic() - started < 1.0
        deadline = time.monotonic() + 20
        while len(_cosigners(ledger.checkpoint_at(3).note)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _cosigners(ledger.checkpoint_at(3).note) == [w.name for w in witnesses[1:]]
        witnesses[0].start()
        while len(_cosigners(ledger.checkpoint_at(3).note)) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(_cosigners(ledger.checkpoint_at(3).note)) == 3
    finally:
        stop.set()
