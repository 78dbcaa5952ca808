"""Receipt v2 in the log: one signed batch promise per append transaction, stored with its
events, every receipt of the batch built from it (at append and at every later fetch, byte
for byte); a log written before receipt v2 keeps v1 receipts for its old events."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import receipts
from ledger.core.batch import BatchPromise, batch_levels, batch_tree, path_in_levels
from ledger.core.key_rotation import LogKeys
from ledger.core.note import NoteSigner, split_note
from ledger.core.receipt import (
    RECEIPT_FORMAT,
    RECEIPT_FORMAT_V2,
    Promise,
    Receipt,
    verify_receipt_offline,
)
from ledger.group_commit import GroupCommitter
from ledger.log import Appended, AppendResult, WitnessLog
from ledger.store.database import MIGRATIONS
from tests.ledger.conftest import make_event


def _receipts(results: list[AppendResult]) -> list[Receipt]:
    assert all(isinstance(r, Appended) for r in results), results
    return [r.receipt for r in results if isinstance(r, Appended)]


def _batches(log: WitnessLog) -> list[tuple[int, int]]:
    with log.db.read() as conn:
        rows = conn.execute(sa.text("SELECT first_idx, count FROM receipt_batches "
                                    "ORDER BY first_idx")).all()
    return [(int(a), int(b)) for a, b in rows]


def _batch_of(log: WitnessLog, receipt: Receipt) -> BatchPromise:
    check = verify_receipt_offline(receipt, log.signer.verifier)
    assert isinstance(check.promise, BatchPromise)
    return check.promise


def test_one_promise_per_transaction_and_fetched_receipts_are_identical(
        log: WitnessLog) -> None:
    first = _receipts(log.append([make_event(i) for i in range(5)]))
    second = _receipts(log.append([make_event(i) for i in range(5, 9)]))
    assert _batches(log) == [(0, 5), (5, 4)]
    for batch, (start, count) in ((first, (0, 5)), (second, (5, 4))):
        assert {r.promise_note for r in batch} == {batch[0].promise_note}
        for r in batch:
            assert r.format == RECEIPT_FORMAT_V2 and r.batch_proof is not None
            promise = _batch_of(log, r)
            assert (promise.first, promise.count) == (start, count)
            assert promise.mmd_seconds == log.mmd_seconds
            assert log.receipt(r.index, upgrade=False).dumps() == r.dumps()
            assert Receipt.loads(r.dumps()) == r


def test_group_commit_signs_one_promise_for_all_its_submitters(log: WitnessLog) -> None:
    a, b = [make_event(i) for i in range(3)], [make_event(i) for i in range(3, 7)]
    outcomes = log.commit(a + b)  # what GroupCommitter does with two queued submissions
    mine, theirs = _receipts(log.seal(outcomes[:3])), _receipts(log.seal(outcomes[3:]))
    assert {r.promise_note for r in mine + theirs} == {mine[0].promise_note}
    assert _batches(log) == [(0, 7)]
    committer = GroupCommitter(log)
    try:
        alone = _receipts(log.seal(committer.commit([make_event(9)])))
    finally:
        committer.close()
    assert _batch_of(log, alone[0]).first == 7 and alone[0].batch_proof == ()


def test_duplicates_get_their_originals_receipt(log: WitnessLog) -> None:
    (original,) = _receipts(log.append([make_event(1)]))
    again, new, inside = _receipts(log.append([make_event(1), make_event(2), make_event(2)]))
    assert again.dumps() == original.dumps()
    assert inside.dumps() == new.dumps() and inside.format == RECEIPT_FORMAT_V2
    assert _batches(log) == [(0, 1), (1, 1)]


def test_a_large_transaction_gets_several_promises(
        log: WitnessLog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(receipts, "MAX_PROMISE_BATCH", 3)
    appended = _receipts(log.append([make_event(i) for i in range(8)]))
    assert _batches(log) == [(0, 3), (3, 3), (6, 2)]
    for r in appended:
        assert _batch_of(log, r).covers(r.index) and len(r.batch_proof or ()) <= 2
        assert log.receipt(r.index, upgrade=False) == r


def test_receipts_upgrade_with_the_inclusion_proof(log: WitnessLog) -> None:
    appended = _receipts(log.append([make_event(i) for i in range(6)]))
    log.checkpoint()
    for r in appended:
        upgraded = log.receipt(r.index)
        assert upgraded.anchored is not None
        assert (upgraded.promise_note, upgraded.batch_proof) == (r.promise_note, r.batch_proof)
        check = verify_receipt_offline(Receipt.loads(upgraded.dumps()), log.signer.verifier)
        assert check.checkpoint is not None and check.checkpoint.size == 6


def test_after_a_key_rotation_a_fetched_promise_is_signed_by_the_new_key(
        log: WitnessLog) -> None:
    (kept,) = _receipts(log.append([make_event(1)]))
    old = log.signer
    log.signer = NoteSigner(old.name, Ed25519PrivateKey.generate())
    fresh = log.receipt(0, upgrade=False)
    assert split_note(fresh.promise_note)[0] == split_note(kept.promise_note)[0]
    assert fresh.batch_proof == kept.batch_proof and fresh.promise_note != kept.promise_note
    verify_receipt_offline(fresh, log.signer.verifier)
    verify_receipt_offline(kept, LogKeys.pinned(old.verifier))


def test_a_path_read_off_the_levels_is_the_one_batch_tree_gives() -> None:
    # what a later fetch computes is what was handed out at append
    for n in (1, 2, 3, 5, 8, 13, 33, 100):
        leaves = [bytes([n, k]) * 16 for k in range(n)]
        root, paths = batch_tree(leaves)
        levels = batch_levels(leaves)
        assert levels[-1] == [root]
        assert [path_in_levels(levels, k) for k in range(n)] == paths
    with pytest.raises(ValueError):
        path_in_levels(batch_levels([bytes(32)]), 1)


def test_receipts_fetched_from_the_cache_and_without_it_agree(log: WitnessLog) -> None:
    appended = _receipts(log.append([make_event(i) for i in range(11)]))
    warm = [log.receipt(r.index, upgrade=False) for r in appended]  # the 1st fills it
    log._batches = receipts.BatchCache()
    cold = [log.receipt(r.index, upgrade=False) for r in reversed(appended)][::-1]
    assert [r.dumps() for r in warm] == [r.dumps() for r in cold] == \
        [r.dumps() for r in appended]


# -- a log written before receipt v2 ------------------------------------------------------------

@pytest.fixture
def legacy(log: WitnessLog) -> Iterator[WitnessLog]:
    """Events 0–4 as a log written before migration 0010 holds them: no batch rows. (Made
    by taking the schema back below 0010 and up again, through the real migrations.)"""
    log.append([make_event(i) for i in range(5)])
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with log.db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
        command.upgrade(cfg, "head")
        if conn.in_transaction():
            conn.commit()
    assert _batches(log) == []
    yield log


def test_old_events_keep_v1_receipts_new_ones_get_v2(legacy: WitnessLog) -> None:
    log = legacy
    old = [log.receipt(i, upgrade=False) for i in range(5)]
    for r in old:
        assert r.format == RECEIPT_FORMAT and r.batch_proof is None
        check = verify_receipt_offline(Receipt.loads(r.dumps()), log.signer.verifier)
        assert isinstance(check.promise, Promise) and check.promise.index == r.index
        assert log.receipt(r.index, upgrade=False).dumps() == r.dumps()  # deterministic
    again, *new = _receipts(log.append([make_event(2), make_event(5), make_event(6)]))
    assert again.dumps() == old[2].dumps()  # a duplicate of a v1 event: its v1 receipt
    assert [r.format for r in new] == [RECEIPT_FORMAT_V2] * 2
    assert _batches(log) == [(5, 2)]
    log.checkpoint()
    for i in range(7):
        check = verify_receipt_offline(log.receipt(i), log.signer.verifier)
        assert check.checkpoint is not None and check.checkpoint.size == 7
