"""fsck on a ledger with sealed records: leaves only before the opening (said so), every
record opened and tied to its leaf after it, and each tamper found with its code and index."""

from __future__ import annotations

import pytest

from tests.verifier.sealed_log import (
    OTHER_SECTION,
    PROJECT,
    RELEASE,
    SEALED,
    SealedLedger,
)
from verifier import check_ledger
from verifier.report import Report


@pytest.fixture
def ledger(sealed_ledger: SealedLedger) -> SealedLedger:
    return sealed_ledger


def _fsck(ledger: SealedLedger) -> Report:
    return check_ledger(ledger.url, ledger.policy)


def _sealed_skips(report: Report) -> list[str]:
    return [u["what"] + " / " + u["reason"] for u in report.unchecked if "sealed" in u["what"]]


def _codes(report: Report) -> list[tuple[str, int | None]]:
    return [(p.code, p.index) for p in report.problems]


def test_before_the_opening_intact_leaves_only(ledger: SealedLedger) -> None:
    report = _fsck(ledger)
    assert report.outcome == "intact", report.to_text()
    assert report.subject["sealed_pending"] == 3 and report.counts["sealed"] == 3
    assert "sealed_opened" not in report.counts
    [skip] = _sealed_skips(report)
    assert "3 sealed record(s) in 1 section(s)" in skip and "only their leaf hashes" in skip


def test_after_the_opening_every_sealed_record_is_opened(ledger: SealedLedger) -> None:
    ledger.open_section()
    report = _fsck(ledger)
    assert report.outcome == "intact", report.to_text()
    assert report.counts["sealed_opened"] == 3 and report.counts["releases"] == 2
    assert report.subject["sealed_pending"] == 0 and not _sealed_skips(report)


def test_one_section_opened_the_other_still_sealed(ledger: SealedLedger) -> None:
    ledger.append(["DOC_DOWNLOADED", "BID_SUBMITTED"], "S2-", section=OTHER_SECTION)
    before = _fsck(ledger)
    assert before.subject["sealed_pending"] == 5
    assert "5 sealed record(s) in 2 section(s)" in _sealed_skips(before)[0]
    ledger.open_section()  # section S01 only: S02 and the project as a whole stay sealed
    after = _fsck(ledger)
    assert after.outcome == "intact", after.to_text()
    assert after.counts["sealed_opened"] == 3 and after.subject["sealed_pending"] == 2
    assert "2 sealed record(s) in 1 section(s)" in _sealed_skips(after)[0]


def test_blob_changed_after_the_opening_is_a_payload_failure(ledger: SealedLedger) -> None:
    ledger.open_section()
    ledger.flip_blob_byte(3)
    report = _fsck(ledger)
    first = report.first_divergence
    assert first is not None and (first.code, first.index, first.project_id) == (
        "payload", 3, PROJECT)
    assert _codes(report) == [("payload", 3)] and report.exit_code == 1


def test_blob_changed_before_the_opening_found_once_released(ledger: SealedLedger) -> None:
    ledger.flip_blob_byte(4)
    early = _fsck(ledger)
    assert early.outcome == "intact"  # a sealed blob cannot be read before the opening ...
    assert "only their leaf hashes were checked" in _sealed_skips(early)[0]  # ... and it says so
    ledger.open_section()
    assert _codes(_fsck(ledger)) == [("payload", 4)]


def test_truncated_blob_is_found_before_the_opening(ledger: SealedLedger) -> None:
    blob = bytes(ledger.row(2)["canonical"])
    ledger.rewrite(("UPDATE events SET canonical = :c WHERE idx = 2", {"c": blob[:-100]}))
    assert _codes(_fsck(ledger)) == [("payload", 2)]


def test_release_listing_a_public_record(ledger: SealedLedger) -> None:
    ledger.open_section()
    ledger.rewrite_release(RELEASE, [1, *SEALED])
    report = _fsck(ledger)
    listed = [p for p in report.problems if p.code == "sequence" and p.index == 1]
    assert listed and "not a sealed record" in listed[0].detail, report.to_text()
    assert listed[0].evidence == {"release_index": RELEASE}
    assert report.counts["sealed_opened"] == 3  # the three real ones still open


def test_sealed_record_left_out_of_the_release(ledger: SealedLedger) -> None:
    ledger.open_section()
    ledger.rewrite_release(RELEASE, [2, 4])
    report = _fsck(ledger)
    left = [p for p in report.problems if p.code == "sequence" and p.index == 3]
    assert left and "left out of the opening" in left[0].detail, report.to_text()
    assert left[0].project_id == PROJECT


def _signed_release(ledger: SealedLedger, indexes: list[int], tag: str) -> None:
    ledger.append_signed_release(indexes, f"FORGED-UNSEAL-{tag}")


def test_signed_release_that_leaves_a_record_out(ledger: SealedLedger) -> None:
    """The tree and the checkpoints all agree; the count finds the record left out."""
    _signed_release(ledger, [2, 3], "a")
    assert _codes(_fsck(ledger)) == [("sequence", 4)]


def test_release_in_several_parts_is_their_union(ledger: SealedLedger) -> None:
    _signed_release(ledger, [2, 3], "a")
    _signed_release(ledger, [4], "b")
    report = _fsck(ledger)
    assert report.outcome == "intact", report.to_text()
    assert report.counts["sealed_opened"] == 3 and report.counts["releases"] == 2


def test_sealed_record_decrypted_in_place(ledger: SealedLedger) -> None:
    """The plaintext written over its blob (the leaf still matches): not how the ledger
    stores a sealed record, and no longer what its release lists."""
    ledger.open_section()
    plain = ledger.log.receipt(3, upgrade=False).canonical_event
    ledger.rewrite(("UPDATE events SET canonical = :c WHERE idx = 3", {"c": plain}))
    report = _fsck(ledger)
    assert _codes(report) == [("payload", 3), ("sequence", 3)]
    assert "sealed envelope stored in plaintext" in report.problems[0].detail


def test_public_row_overwritten_by_a_blob(ledger: SealedLedger) -> None:
    """The known limit: before anything follows it, a public row replaced by a sealed blob
    (its leaf kept) passes for one more sealed record; the project's next public event (and
    here the release, which does not list it) exposes it."""
    blob = bytes(ledger.row(2)["canonical"])
    ledger.rewrite(("UPDATE events SET canonical = :c WHERE idx = 1", {"c": blob}))
    early = _fsck(ledger)
    assert early.outcome == "intact" and early.subject["sealed_pending"] == 4
    ledger.open_section()
    assert _codes(_fsck(ledger)) == [("sequence", 5), ("sequence", 1)]
