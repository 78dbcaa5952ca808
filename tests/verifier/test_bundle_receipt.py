"""Bundles and receipts: clean negatives and the tamper cases that need no chain."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.core.errors import MalformedError
from ledger.core.note import Checkpoint, sign_checkpoint
from ledger.core.receipt import AnchoredProof, Receipt
from ledger.events.examples import example_event
from ledger.export import dumps_bundle, export_project
from tests.verifier.conftest import PROJECTS, Built
from verifier import check_bundle, check_receipt


def _bundle(built: Built, project: str = PROJECTS[0]) -> dict[str, Any]:
    return export_project(built.log, project)


def _check(built: Built, bundle: dict[str, Any]):  # type: ignore[no-untyped-def]
    return check_bundle(dumps_bundle(bundle).encode(), built.policy)


def test_clean_bundle_verifies_with_a_timeline(built: Built) -> None:
    report = _check(built, _bundle(built))
    assert report.ok, report.to_text()
    assert report.outcome == "pending"  # checkpoints signed, no anchors yet
    # 9 chain events (2 of them BIDS_UNSEALED) and the 2 bids sealed before the opening
    assert report.counts["events"] == 11 and report.counts["links"] == 9
    assert report.counts["inclusion_proofs"] == 11 and report.counts["sealed_opened"] == 2
    assert [t["project_seq"] for t in report.timeline] == [0, 1, 2, None, None, *range(3, 9)]
    assert all(t["result"] == "ok" for t in report.timeline)
    assert report.subject["head"] == {"project_seq": 8, "index": 20}


def test_bundle_event_dropped_from_the_middle(built: Built) -> None:
    bundle = _bundle(built)
    del bundle["events"][5]  # OPENING_STARTED, seq 3 (events 3 and 4 are sealed bids)
    report = _check(built, bundle)
    first = report.first_divergence
    assert first is not None and first.code == "sequence" and first.index == 11
    assert report.exit_code == 1


def test_bundle_event_dropped_from_the_end(built: Built) -> None:
    bundle = _bundle(built)
    bundle["events"].pop()
    report = _check(built, bundle)
    first = report.first_divergence
    assert first is not None and first.code == "sequence" and "cut short" in first.detail


def test_bundle_payload_changed(built: Built) -> None:
    bundle = _bundle(built)
    bundle["events"][2]["canonical"] = bundle["events"][2]["canonical"].replace('"v":1', '"v":2')
    first = _check(built, bundle).first_divergence
    assert first is not None and first.code == "payload" and first.index == 4


def test_bundle_fork_two_roots_signed_for_one_size(built: Built) -> None:
    bundle = _bundle(built)
    forged = sign_checkpoint(Checkpoint(built.policy.origin, 16, b"\x05" * 32), built.log.signer)
    bundle["checkpoints"].append({"note": forged, "anchor": None})
    report = _check(built, bundle)
    assert any(p.code == "fork" for p in report.problems)


def test_bundle_ignores_the_key_it_carries(built: Built) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ledger.core.note import NoteSigner

    other = NoteSigner(built.policy.origin, Ed25519PrivateKey.generate())
    bundle = _bundle(built)
    bundle["log_key"] = other.verifier.vkey()
    bundle["checkpoints"] = [{"note": other.sign(Checkpoint.parse(
        c["note"].split("\n\n")[0] + "\n").body()), "anchor": None} for c in bundle["checkpoints"]]
    report = _check(built, bundle)
    assert {p.code for p in report.problems} >= {"signature"}


@pytest.mark.parametrize("data", [b"", b"garbage", b"{}", b'{"format": "witness-bundle/v9"}',
                                  b'{"format": "witness-bundle/v1", "events": 3}'])
def test_malformed_bundles_are_refused(built: Built, data: bytes) -> None:
    with pytest.raises(MalformedError):
        check_bundle(data, built.policy)


def test_truncated_bundle_is_refused(built: Built) -> None:
    text = dumps_bundle(_bundle(built)).encode()
    with pytest.raises(MalformedError):
        check_bundle(text[: len(text) // 2], built.policy)


# -- receipts ---------------------------------------------------------------------------


def test_fresh_receipt_is_pending(built: Built) -> None:
    receipt = built.log.receipt(3, upgrade=False)
    report = check_receipt(receipt, built.policy)
    assert report.outcome == "pending" and report.ok and report.exit_code == 0


def test_checkpointed_receipt_verifies_offline(built: Built) -> None:
    receipt = built.log.receipt(3)
    if receipt.anchored is None:  # anchoring not wired: build the proof against a checkpoint
        cp = built.log.checkpoint_at(6)
        receipt = dataclasses.replace(receipt, anchored=AnchoredProof(
            cp.note, tuple(built.log.inclusion_proof(3, 6)), None))
    report = check_receipt(Receipt.loads(receipt.dumps()), built.policy)
    assert report.ok and report.counts["inclusion_proofs"] == 1


def _proofed(built: Built, index: int, proof_index: int) -> Receipt:
    receipt = built.log.receipt(index, upgrade=False)
    cp = built.log.checkpoint_at(22)
    proof = tuple(built.log.inclusion_proof(proof_index, 22))
    return dataclasses.replace(receipt, anchored=AnchoredProof(cp.note, proof, None))


def test_receipt_with_the_proof_of_another_index(built: Built) -> None:
    assert check_receipt(_proofed(built, 5, 5), built.policy).ok
    report = check_receipt(_proofed(built, 5, 4), built.policy)
    first = report.first_divergence
    assert first is not None and (first.code, first.index) == ("inclusion", 5)


def test_receipt_event_and_bid_file_match(built: Built, tmp_path: Path) -> None:
    content = b"%PDF-1.7 the bid document"
    ev = example_event("BID_SUBMITTED")
    ev.update(event_id="BID-X-1", project_id=PROJECTS[1])
    ev["payload"]["file_hash"] = hashlib.sha256(content).hexdigest()
    appended = built.ingestor.submit([ev])[0].appended
    assert appended is not None
    (tmp_path / "ev.json").write_text(json.dumps(ev, ensure_ascii=False))
    (tmp_path / "bid.pdf").write_bytes(content)
    report = check_receipt(appended.receipt, built.policy, event_file=tmp_path / "ev.json",
                           bid_file=tmp_path / "bid.pdf")
    assert report.ok, report.to_text()
    assert any("pseudonymised" in u["what"] for u in report.unchecked)
    bad = check_receipt(appended.receipt, built.policy, bid_file=b"another file")
    assert [p.code for p in bad.problems] == ["file_mismatch"]
    ev["payload"]["file_size"] = 1
    worse = check_receipt(appended.receipt, built.policy, event_file=json.dumps(ev).encode())
    assert [p.code for p in worse.problems] == ["event_mismatch"]


def test_receipt_with_changed_event_bytes(built: Built) -> None:
    r = built.log.receipt(2, upgrade=False)
    forged = dataclasses.replace(
        r, canonical_event=r.canonical_event.replace(b'"v":1', b'"v":2'))
    first = check_receipt(forged, built.policy).first_divergence
    assert first is not None and first.code in ("leaf", "payload")


def test_v2_receipt_names_its_batch_and_a_wrong_batch_path_is_named(built: Built) -> None:
    r = built.log.receipt(3, upgrade=False)
    assert r.batch_proof is not None
    subject = check_receipt(r, built.policy).subject
    assert subject["batch_first"] <= 3 < subject["batch_first"] + subject["batch_count"]
    bad = dataclasses.replace(r, batch_proof=(*r.batch_proof, bytes(32)))
    first = check_receipt(Receipt.loads(bad.dumps()), built.policy).first_divergence
    assert first is not None and (first.code, first.index) == ("batch_proof", 3)
