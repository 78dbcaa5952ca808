"""fsck of a log that is being appended to: one consistent view, never a false alarm.

The check reads the log's size first and everything else after. Events, receipt batches,
tree hashes and checkpoints appended meanwhile must stay out of sight; read in another view
they look like a truncated log ("events were removed"), which is a false finding about an
intact ledger."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.core import tree
from tests.verifier.conftest import PROJECTS, Built, build_ledger, project_events
from verifier import check_ledger, ledger_check


def _append_once_after_the_size_is_read(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    """Append three events and a checkpoint the moment the check has read the size."""
    original = ledger_check._Fsck.due_checkpoints

    def appending(self: Any) -> None:
        results = built.ingestor.submit(project_events(PROJECTS[0], 100, 3))
        assert all(r.ok for r in results)
        built.log.checkpoint()
        monkeypatch.setattr(ledger_check._Fsck, "due_checkpoints", original)
        original(self)

    monkeypatch.setattr(ledger_check._Fsck, "due_checkpoints", appending)


@pytest.fixture(params=["sqlite", "postgres"])
def live(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Built]:
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    built = build_ledger(tmp_path / "home", url)
    yield built
    built.log.db.dispose()


@pytest.mark.parametrize("jobs", [1, 2])
def test_events_appended_during_the_check_are_not_seen(
        live: Built, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    built = live
    before = built.log.size()
    _append_once_after_the_size_is_read(built, monkeypatch)
    report = check_ledger(built.db_url, built.policy, jobs=jobs)
    assert report.outcome == "intact", report.to_text()
    assert report.subject["log_size"] == report.counts["events"] == before
    assert report.counts["tree_hashes"] == tree.stored_hash_count(before)
    assert built.log.size() == before + 3  # they were appended, and are seen next time
    again = check_ledger(built.db_url, built.policy, jobs=jobs)
    assert again.outcome == "intact" and again.counts["events"] == before + 3
