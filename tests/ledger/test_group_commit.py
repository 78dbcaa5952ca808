"""Group commit: concurrent submissions share transactions, outcomes stay exact."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ledger.core.canonical import decode_envelope
from ledger.core.receipt import verify_receipt_offline
from ledger.errors import ConflictError
from ledger.group_commit import GroupCommitter
from ledger.log import Appended, Rejected, WitnessLog
from tests.ledger.conftest import make_event


def test_concurrent_submissions_are_grouped_gap_free_and_signed(log: WitnessLog) -> None:
    committer = GroupCommitter(log)
    try:
        def one(i: int) -> list[Appended | Rejected]:
            return log.seal(committer.commit([make_event(i)]))

        with ThreadPoolExecutor(16) as pool:
            futures = [pool.submit(one, i) for i in range(200)]
            results = [f.result()[0] for f in futures]
    finally:
        committer.close()
    assert all(isinstance(r, Appended) and not r.duplicate for r in results)
    indexes = sorted(r.index for r in results if isinstance(r, Appended))
    assert indexes == list(range(200))
    assert log.size() == 200
    assert committer.grouped == 200 and committer.groups <= 200
    for r in results:
        assert isinstance(r, Appended)
        verify_receipt_offline(r.receipt, log.signer.verifier)
        assert decode_envelope(r.receipt.canonical_event)["event_id"] == r.event_id


def test_duplicates_and_conflicts_within_one_group_are_exact(log: WitnessLog) -> None:
    committer = GroupCommitter(log)
    gate = threading.Event()
    original = log.commit

    def slow_first(batch: Any) -> Any:  # hold the writer so that the next three queue up
        gate.wait(5)
        return original(batch)

    log.commit = slow_first  # type: ignore[method-assign]
    try:
        first = committer.submit([make_event(100, project="P-x")])
        same = committer.submit([make_event(1)])
        again = committer.submit([make_event(1)])
        other = committer.submit([make_event(1, note="different")])
        gate.set()
        outcomes = [log.seal(f.result(10))[0] for f in (first, same, again, other)]
    finally:
        log.commit = original  # type: ignore[method-assign]
        committer.close()
    a, b, c, d = outcomes
    assert isinstance(a, Appended) and isinstance(b, Appended) and isinstance(c, Appended)
    assert not b.duplicate and c.duplicate and c.index == b.index
    assert c.receipt == b.receipt
    assert isinstance(d, Rejected) and isinstance(d.error, ConflictError)


def test_a_failing_submission_does_not_fail_its_group(log: WitnessLog) -> None:
    committer = GroupCommitter(log)
    gate = threading.Event()
    original = log.commit

    def slow_first(batch: Any) -> Any:
        gate.wait(5)
        return original(batch)

    log.commit = slow_first  # type: ignore[method-assign]
    try:
        first = committer.submit([make_event(1)])
        bad = committer.submit([{**make_event(2), "payload": {"price": 1.5}}])  # float: refused
        good = committer.submit([make_event(3)])
        gate.set()
        assert isinstance(log.seal(first.result(10))[0], Appended)
        with pytest.raises(Exception, match="float"):
            bad.result(10)
        assert isinstance(log.seal(good.result(10))[0], Appended)
    finally:
        log.commit = original  # type: ignore[method-assign]
        committer.close()
    assert log.size() == 2
