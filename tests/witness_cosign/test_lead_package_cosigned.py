"""A lead package carries the cosignatures its transfer named, and only those: a witness
that cosigns the same checkpoint later does not change the file whose hash LEAD_TRANSFERRED
recorded (three real witness processes)."""

from __future__ import annotations

import json
from datetime import datetime

from ledger.core.cosignature import WitnessKey
from ledger.core.note import split_note
from ledger.cosigning import CosignClient, WitnessEndpoint
from ledger.demo import generate_project
from ledger.events import Pseudonymizer
from ledger.ingest import Ingestor
from ledger.log import WitnessLog
from ledger.rules.context import RuleContext
from ledger.rules.package import package_hash
from ledger.rules.service import RuleService
from tests.witness_cosign.conftest import WitnessProcess
from verifier.bundle_check import check_bundle
from verifier.policy import build


def _client(log: WitnessLog, ws: list[WitnessProcess]) -> CosignClient:
    return CosignClient(log, [WitnessEndpoint(w.url, WitnessKey.from_vkey(w.vkey)) for w in ws],
                        timeout=3)


def _package_cosigners(data: bytes) -> list[str]:
    note = json.loads(data)["checkpoints"][0]["note"]
    return [name for name, _, _ in split_note(note)[1][1:]]


def test_late_cosignatures_do_not_change_a_transferred_package(
        ledger: WitnessLog, witnesses: list[WitnessProcess]) -> None:
    svc = RuleService(ledger, RuleContext.default())
    ingest = Ingestor(ledger, Pseudonymizer(b"k" * 32), now=lambda: datetime.fromisoformat(
        "2026-11-01T00:00:00+08:00"))
    svc.on_appended(ingest.submit(generate_project(5, "works", {"short_deadline"}).events))
    lead_id = next(x for x in svc.leads() if "R-TB-24-DEADLINE" in x["rule_ids"])["lead_id"]
    checkpoint = ledger.checkpoint()
    assert set(_client(ledger, witnesses[:2]).cosign(checkpoint).values()) == {"cosigned"}

    index = svc.transfer(lead_id, "某市住建局", by="operator-1")
    package = svc.export_lead(lead_id)
    payload = json.loads(ledger.event_bytes(index))["payload"]
    names = [w.name for w in witnesses[:2]]
    assert payload["cosigners"] == names and _package_cosigners(package) == names
    assert payload["package_hash"] == package_hash(package)

    # the third witness cosigns the same checkpoint after the transfer
    assert _client(ledger, witnesses[2:]).cosign(checkpoint) == {witnesses[2].name: "cosigned"}
    assert len(split_note(ledger.checkpoint_at(checkpoint.size).note)[1]) == 4
    assert svc.export_lead(lead_id) == package

    key = ledger.signer.verifier.vkey()
    quorum_2 = build(key=key, witnesses=tuple(w.vkey for w in witnesses), witness_quorum=2)
    assert check_bundle(package, quorum_2).outcome in {"intact", "pending"}
    quorum_3 = build(key=key, witnesses=tuple(w.vkey for w in witnesses), witness_quorum=3)
    assert check_bundle(package, quorum_3).outcome == "failed"
