"""fsck in worker processes, the end of the run: the parent opens the released sealed
records of each range as it comes back (the same report as opening them all at the end, in
one process, whatever the tamper), reads each of them once, and the workers leave with their
connections closed."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from tests.verifier.sealed_log import RELEASE, SealedLedger
from verifier import check_ledger, fsck_join
from verifier.fsck_range import RangeResult, RangeTask, check_range
from verifier.fsck_sealed import SealedScopes
from verifier.ledger_check import PARALLEL_FROM
from verifier.readers import SourceUnavailable
from verifier.readers.db import EventRow, LedgerDB
from verifier.report import Report

# (chunk, span): the 9..11 events split in ranges of 2, 1 and 3
SPLITS = [(2, 2), (1, 1), (1, 3)]


@pytest.fixture
def ledger(sealed_ledger: SealedLedger) -> SealedLedger:
    return sealed_ledger


def _same(ledger: SealedLedger) -> Report:
    """The one-process report, after every split gives the same one (a split whose
    chunks are too large for the log to go to the workers left out)."""
    one = check_ledger(ledger.url, ledger.policy, jobs=1)
    size, splits = one.subject["log_size"], 0
    for chunk, span in SPLITS:
        many = check_ledger(ledger.url, ledger.policy, jobs=2, chunk=chunk, span=span)
        if size < PARALLEL_FROM * chunk:
            continue
        assert many.subject.pop("jobs") == 2
        assert many.to_json() == one.to_json(), (chunk, span, many.to_text())
        splits += 1
    assert splits
    return one


def _signed_release(ledger: SealedLedger, indexes: list[int], tag: str) -> None:
    ledger.append_signed_release(indexes, f"PART-{tag}")


def _decrypt_in_place(ledger: SealedLedger) -> None:
    ledger.open_section()
    plain = ledger.log.receipt(3, upgrade=False).canonical_event
    ledger.rewrite(("UPDATE events SET canonical = :c WHERE idx = 3", {"c": plain}))


def _truncate_then_open(ledger: SealedLedger) -> None:
    blob = bytes(ledger.row(2)["canonical"])
    ledger.rewrite(("UPDATE events SET canonical = :c WHERE idx = 2", {"c": blob[:-100]}))
    ledger.open_section()


def _public_row_as_blob(ledger: SealedLedger) -> None:
    blob = bytes(ledger.row(2)["canonical"])
    ledger.rewrite(("UPDATE events SET canonical = :c WHERE idx = 1", {"c": blob}))
    ledger.open_section()


Step = Callable[[SealedLedger], None]
OPEN: Step = SealedLedger.open_section
TAMPERS: dict[str, list[Step]] = {
    "intact": [OPEN],
    "blob changed": [OPEN, lambda led: led.flip_blob_byte(3)],
    "public record listed": [OPEN, lambda led: led.rewrite_release(RELEASE, [1, 2, 3, 4])],
    "record left out": [OPEN, lambda led: led.rewrite_release(RELEASE, [2, 4])],
    "index beyond the log": [OPEN, lambda led: led.rewrite_release(RELEASE, [2, 3, 4, 40])],
    "decrypted in place": [_decrypt_in_place],
    "truncated, then released": [_truncate_then_open],
    "public row overwritten by a blob": [_public_row_as_blob],
    "release in two parts": [lambda led: _signed_release(led, [2, 3], "a"),
                             lambda led: _signed_release(led, [4], "b")],
    "parts listing one record twice": [lambda led: _signed_release(led, [2, 3], "a"),
                                       lambda led: _signed_release(led, [3, 4], "b")],
}


@pytest.mark.parametrize("tamper", list(TAMPERS))
def test_records_opened_ahead_give_the_one_process_report(ledger: SealedLedger,
                                                          tamper: str) -> None:
    for step in TAMPERS[tamper]:
        step(ledger)
    report = _same(ledger)
    assert report.counts.get("releases", 0) >= 1
    if tamper == "intact":
        assert report.outcome == "intact" and report.counts["sealed_opened"] == 3


def test_a_record_opened_ahead_is_not_read_again(ledger: SealedLedger,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Opened as their range came back: read once, and not at the end."""
    ledger.open_section()
    read: list[tuple[int, bool]] = []
    events_at, verify = LedgerDB.events_at, SealedScopes.verify
    at_the_end = [False]

    def counted(self: LedgerDB, conn: Connection, indexes: list[int]) -> list[EventRow]:
        read.extend((i, at_the_end[0]) for i in indexes)  # the parent's reads only
        return events_at(self, conn, indexes)

    def ending(self: SealedScopes, db: LedgerDB, conn: Connection) -> None:
        at_the_end[0] = True
        verify(self, db, conn)

    monkeypatch.setattr(LedgerDB, "events_at", counted)
    monkeypatch.setattr(SealedScopes, "verify", ending)
    report = check_ledger(ledger.url, ledger.policy, jobs=2, chunk=1, span=1)
    assert report.outcome == "intact" and report.counts["sealed_opened"] == 3
    assert sorted(read) == [(2, False), (3, False), (4, False)]


def test_workers_close_their_connections(ledger: SealedLedger, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker's connection is closed as it leaves, not cut by killing the worker."""
    ledger.open_section()
    marks = tmp_path / "closed"
    drop = fsck_join._drop_connection

    def noted() -> None:
        with marks.open("a") as out:  # in the worker: its pid, and whether it held one
            out.write(f"{os.getpid()} {fsck_join._OPEN is not None}\n")
        drop()

    monkeypatch.setattr(fsck_join, "_drop_connection", noted)
    report = check_ledger(ledger.url, ledger.policy, jobs=2, chunk=1, span=1)
    assert report.ok and report.subject["jobs"] == 2
    closed = {pid for pid, held in (line.split() for line in marks.read_text().splitlines())
              if held == "True"}  # (a worker also calls it before its first connection)
    assert len(closed) == 2 and str(os.getpid()) not in closed


def test_a_range_error_is_the_first_in_range_order(ledger: SealedLedger,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Results are taken as they come, but joined in order: of two ranges that fail, the
    error raised is the earlier range's, even when the later one fails first."""
    ledger.open_section()
    check = check_range

    def failing(task: RangeTask, *args: Any) -> RangeResult:
        if task.lo in (2, 5):
            time.sleep(0.3 if task.lo == 2 else 0)
            raise OperationalError("SELECT", {}, Exception(f"lost at {task.lo}"))
        return check(task, *args)

    monkeypatch.setattr(fsck_join, "check_range", failing)
    with pytest.raises(SourceUnavailable, match="lost at 2"):
        check_ledger(ledger.url, ledger.policy, jobs=2, chunk=1, span=1)
