"""Sealed records in bundles, lead packages and receipts: bundles assembled by hand from a
real log (the opened sealed events in plaintext, interleaved in index order)."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.core.errors import MalformedError
from ledger.core.receipt import AnchoredProof, Receipt
from ledger.events import event_to_json, example_event, parse_event
from tests.verifier.sealed_log import (
    BEFORE,
    RELEASE,
    SEALED,
    SECTION,
    SealedLedger,
    dumps,
    new_ledger,
    project_bundle,
)
from verifier import check_bundle, check_receipt
from verifier.lead_check import package_digest
from verifier.report import Report

MARKERS: list[dict[str, Any]] = [{"section_id": SECTION, "until": "opening"},
                                  {"section_id": None, "until": "opening"}]


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[SealedLedger]:
    built = new_ledger(tmp_path / "home")
    built.append(BEFORE, "E")
    yield built
    built.log.db.dispose()


def _check(ledger: SealedLedger, bundle: dict[str, Any]) -> Report:
    return check_bundle(dumps(bundle), ledger.policy)


def _sequence(report: Report) -> list[tuple[int | None, str]]:
    return [(p.index, p.detail) for p in report.problems if p.code == "sequence"]


def test_opened_sealed_events_with_their_release_verify(ledger: SealedLedger) -> None:
    ledger.open_section()
    report = _check(ledger, project_bundle(ledger))
    assert report.ok and not report.problems, report.to_text()
    assert report.counts["sealed_opened"] == 3 and report.counts["releases"] == 2
    assert report.counts["inclusion_proofs"] == 9 and report.counts["links"] == 6
    rows = {t["index"]: t for t in report.timeline}
    assert all(rows[i]["project_seq"] is None and rows[i]["seal"] == "bidding" for i in SEALED)
    assert [rows[i]["project_seq"] for i in (0, 1, 5, 6, 7, 8)] == list(range(6))
    lines = [ln.split() for ln in report.to_text().split("\n")]
    assert [ln[0] for ln in lines if "DOC_DOWNLOADED" in ln] == ["sealed"]  # the seq column


def test_sealed_event_dropped_from_the_bundle(ledger: SealedLedger) -> None:
    ledger.open_section()
    report = _check(ledger, project_bundle(ledger, drop=(3,)))
    assert [(p.code, p.index) for p in report.problems] == [("sequence", 3)]
    assert f"sealed until the opening of section {SECTION} is missing" in report.problems[0].detail
    assert report.problems[0].evidence == {"release_index": RELEASE}


def test_release_dropped_leaves_sealed_events_without_it(ledger: SealedLedger) -> None:
    ledger.open_section()
    report = _check(ledger, project_bundle(ledger, drop=(RELEASE,)))
    found = _sequence(report)
    assert (RELEASE + 1, found[0][1]) == found[0]  # the chain: seq gap at the next event
    orphans = [i for i, d in found if "appears without its opening record" in d]
    assert orphans == list(SEALED)
    assert all(t["result"] == "FAIL sequence" for t in report.timeline if t["index"] in SEALED)


def test_sealed_event_before_the_opening_in_a_project_bundle(ledger: SealedLedger) -> None:
    """A project bundle must not carry a sealed record its opening has not released."""
    report = _check(ledger, project_bundle(ledger))
    assert [(p.code, p.index) for p in report.problems] == [("sequence", i) for i in SEALED]
    assert "appears without its opening record" in report.problems[0].detail


def test_sealed_markers_are_reported_as_not_checked(ledger: SealedLedger) -> None:
    report = _check(ledger, project_bundle(ledger, drop=SEALED, sealed=MARKERS))
    assert report.ok and not report.problems, report.to_text()
    skipped = [f"{u['what']}; {u['reason']}" for u in report.unchecked]
    assert (f"section {SECTION}: bid-phase records sealed until its opening (招标投标法 第22条); "
            "not in this bundle") in skipped
    assert any(s.startswith("the project as a whole: bid-phase records") for s in skipped)


def test_marker_for_a_section_whose_release_is_in_the_bundle(ledger: SealedLedger) -> None:
    ledger.open_section()
    report = _check(ledger, project_bundle(ledger, sealed=MARKERS[:1]))
    assert [(p.code, p.index) for p in report.problems] == [("sequence", RELEASE)]


@pytest.mark.parametrize("sealed", [
    {"section_id": SECTION, "until": "opening"},
    [{"section_id": SECTION}],
    [{"section_id": SECTION, "until": "result"}],
    [{"section_id": 7, "until": "opening"}],
    [{"section_id": SECTION, "until": "opening", "count": 3}],
    [MARKERS[0], MARKERS[0]],
    [{"section_id": f"S{i}", "until": "opening"} for i in range(1001)],
    None,
])
def test_malformed_sealed_lists_are_refused(ledger: SealedLedger, sealed: Any) -> None:
    bundle = project_bundle(ledger, drop=SEALED)
    bundle["sealed"] = sealed
    with pytest.raises(MalformedError):
        _check(ledger, bundle)


# -- receipts --------------------------------------------------------------------------------

def test_receipt_of_a_sealed_record_verifies(ledger: SealedLedger) -> None:
    receipt = ledger.log.receipt(4, upgrade=False)
    assert b'"seal":"bidding"' in receipt.canonical_event
    pending = check_receipt(Receipt.loads(receipt.dumps()), ledger.policy)
    assert pending.outcome == "pending" and not pending.problems
    assert pending.subject["seal"] == "bidding" and "project_seq" not in pending.subject
    cp = ledger.log.checkpoint()
    proved = dataclasses.replace(receipt, anchored=AnchoredProof(
        cp.note, tuple(ledger.log.inclusion_proof(4, cp.size)), None))
    report = check_receipt(Receipt.loads(proved.dumps()), ledger.policy)
    assert report.ok and report.counts["inclusion_proofs"] == 1, report.to_text()
    forged = dataclasses.replace(proved, canonical_event=receipt.canonical_event.replace(
        b'"accepted":true', b'"accepted":false'))
    assert check_receipt(forged, ledger.policy).first_divergence.code == "leaf"  # type: ignore[union-attr]


# -- lead packages ---------------------------------------------------------------------------

def _lead_package(ledger: SealedLedger) -> dict[str, Any]:
    """A lead raised before the opening on the sealed bid (index 4): its LEAD_RAISED is
    sealed too, and no BIDS_UNSEALED exists yet."""
    lead = {"lead_id": "LEAD-T-1", "rule_ids": ["R-TEST"], "finding_ids": ["F-1"],
            "severity": "warning", "raised_index": 5, "raised_event_id": "L0",
            "findings": [{"finding_id": "F-1", "rule_id": "R-TEST", "evidence": [[4, "E4"]]}]}
    raised = example_event("LEAD_RAISED")
    raised.update(event_id="L0", section_id=SECTION)
    raised["payload"].update(lead_id="LEAD-T-1", rule_ids=["R-TEST"], finding_ids=["F-1"],
                             evidence_event_ids=["E4"], evidence_indexes=[4])
    [appended] = ledger.log.append([event_to_json(parse_event(raised))])
    assert appended.index == 5  # type: ignore[union-attr]
    assert bytes(ledger.row(5)["canonical"])[:4] == b"WSL1"  # sealed: its evidence is
    package = project_bundle(ledger, drop=(0, 1, 2, 3))
    package.update(kind="lead", lead=lead)
    body = (f"witness-lead-package/v1\n{ledger.log.origin}\nLEAD-T-1\n"
            f"{base64.b64encode(package_digest(package)).decode()}\n")
    package["signature"] = ledger.log.signer.sign(body)
    return package


def test_lead_package_with_sealed_evidence_before_the_opening(ledger: SealedLedger) -> None:
    report = _check(ledger, _lead_package(ledger))
    assert report.ok and not report.problems, report.to_text()
    assert [t["seal"] for t in report.timeline] == ["bidding", "bidding"]
    assert report.subject["lead_id"] == "LEAD-T-1"
