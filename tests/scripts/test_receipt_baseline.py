"""The receipts benchmark's peer: the code of the day the receipt target was set, taken out of
the repository's history and run on a log it builds itself (no timing assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from benchlib import receipt_baseline


def _has_baseline_commit() -> bool:
    done = subprocess.run(["git", "-C", str(receipt_baseline.REPO), "cat-file", "-e",
                           f"{receipt_baseline.BASELINE}^{{commit}}"], capture_output=True,
                          check=False)
    return done.returncode == 0


@pytest.mark.skipif(not _has_baseline_commit(), reason="the repository's history lacks the "
                    "baseline commit (a shallow clone)")
def test_baseline_builds_its_log_and_verifies_its_receipts() -> None:
    baseline, note = receipt_baseline.open_baseline(300, 20)
    assert baseline is not None, note
    try:
        first = baseline.round()
        assert first["outcomes"] == {"pending": 20}  # checkpointed, no chain: pending
        assert first["per_s_with_parse"] > 0 and first["cpu_per_s_with_parse"] > 0
        assert len(list(baseline.files.glob("old-*.json"))) == 20
    finally:
        baseline.close()
    assert not baseline.work.exists()


def test_a_missing_commit_is_a_reason_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(receipt_baseline, "BASELINE", "0" * 40)
    baseline, note = receipt_baseline.open_baseline(300, 20)
    assert baseline is None and note.startswith("baseline unavailable")
