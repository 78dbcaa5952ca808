"""The witness log on SQLite and PostgreSQL: append, idempotency, project chains, proofs,
checkpoints, append-only enforcement."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from ledger.core import verify
from ledger.core.batch import BatchPromise
from ledger.core.canonical import ZERO_HASH, decode_envelope
from ledger.core.errors import InvalidRequestError
from ledger.core.hashing import leaf_hash
from ledger.core.note import open_checkpoint
from ledger.core.receipt import Receipt, verify_receipt_offline
from ledger.errors import ConflictError, NotFoundError
from ledger.log import Appended, Rejected, WitnessLog
from tests import reference_merkle as ref
from tests.ledger.conftest import make_event


def _appended(results: list[Appended | Rejected]) -> list[Appended]:
    assert all(isinstance(r, Appended) for r in results), results
    return [r for r in results if isinstance(r, Appended)]


def test_append_assigns_gap_free_indexes_and_signed_receipts(log: WitnessLog) -> None:
    first = _appended(log.append([make_event(i) for i in range(5)]))
    second = _appended(log.append([make_event(i) for i in range(5, 9)]))
    assert [r.index for r in first + second] == list(range(9))
    for r in first + second:
        check = verify_receipt_offline(r.receipt, log.signer.verifier)
        assert isinstance(check.promise, BatchPromise) and check.promise.covers(r.index)
        assert check.promise.mmd_seconds == log.mmd_seconds
        assert Receipt.loads(r.receipt.dumps()) == r.receipt
    assert log.size() == 9


def test_project_chain_links_each_event_to_the_previous_leaf(log: WitnessLog) -> None:
    results = _appended(log.append([make_event(i, project=f"P-{i % 2}") for i in range(6)]))
    heads: dict[str, tuple[int, bytes]] = {}
    for r in results:
        env = decode_envelope(r.receipt.canonical_event)
        seq, prev = heads.get(env["project_id"], (-1, ZERO_HASH))
        assert env["project_seq"] == seq + 1
        assert bytes.fromhex(env["prev"]) == prev
        heads[env["project_id"]] = (env["project_seq"], r.receipt.leaf_hash)
        assert len(bytes.fromhex(env["salt"])) == 32


def test_same_id_same_content_is_idempotent(log: WitnessLog) -> None:
    (a,) = _appended(log.append([make_event(1)]))
    (b,) = _appended(log.append([make_event(1)]))
    assert b.duplicate and b.index == a.index
    assert b.receipt.dumps() == a.receipt.dumps()  # Ed25519 is deterministic
    assert log.size() == 1


def test_same_id_other_content_is_a_conflict_and_stores_nothing(log: WitnessLog) -> None:
    log.append([make_event(1)])
    results = log.append([make_event(1, extra="changed"), make_event(2)])
    assert isinstance(results[0], Rejected) and isinstance(results[0].error, ConflictError)
    assert isinstance(results[1], Appended) and results[1].index == 1
    assert log.size() == 2


def test_duplicate_inside_one_batch(log: WitnessLog) -> None:
    results = log.append([make_event(1), make_event(1)])
    assert isinstance(results[1], Appended) and results[1].duplicate
    assert log.size() == 1


def test_proofs_match_the_reference_tree(log: WitnessLog) -> None:
    results = _appended(log.append([make_event(i, project=f"P-{i % 3}") for i in range(37)]))
    leaves = [r.receipt.leaf_hash for r in results]
    for n in (1, 2, 7, 16, 37):
        assert log.tree_hash(n) == ref.mth(leaves[:n])
        for i in range(0, n, 3):
            assert log.inclusion_proof(i, n) == ref.path(i, leaves[:n])
        for m in range(1, n):
            assert log.consistency_proof(m, n) == ref.proof(m, leaves[:n])


def test_checkpoint_is_a_signed_note_and_receipts_upgrade(log: WitnessLog) -> None:
    log.append([make_event(i) for i in range(10)])
    cp = log.checkpoint()
    assert cp == log.checkpoint()  # idempotent while the log does not grow
    opened = open_checkpoint(cp.note, [log.signer.verifier], log.origin)
    assert (opened.size, opened.root) == (10, cp.root)
    receipt = log.receipt(4)
    assert receipt.anchored is not None and receipt.anchored.anchor is None
    check = verify_receipt_offline(receipt, log.signer.verifier)
    assert check.checkpoint is not None and check.checkpoint.size == 10
    verify.verify_inclusion(4, 10, receipt.leaf_hash, receipt.anchored.inclusion_proof, cp.root)


def test_bad_requests_are_typed_errors(log: WitnessLog) -> None:
    log.append([make_event(i) for i in range(3)])
    with pytest.raises(InvalidRequestError):
        log.inclusion_proof(3, 3)
    with pytest.raises(InvalidRequestError):
        log.inclusion_proof(0, 4)  # beyond the log
    with pytest.raises(NotFoundError):
        log.receipt(99)
    with pytest.raises(NotFoundError):
        log.checkpoint_at(2)


@pytest.mark.parametrize("table", ["events", "tree_hashes", "checkpoints", "log_info",
                                   "receipt_batches"])
def test_database_refuses_updates_and_deletes(log: WitnessLog, table: str) -> None:
    log.append([make_event(1)])
    log.checkpoint()
    column = _column(table)
    for statement in (f"DELETE FROM {table}", f"UPDATE {table} SET {column} = {column}"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), log.db.write() as conn:
            conn.execute(sa.text(statement))
    with log.db.read() as conn:
        assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()


def _column(table: str) -> str:
    return {"events": "event_id", "tree_hashes": "hash", "checkpoints": "note",
            "log_info": "value", "receipt_batches": "promise_note"}[table]


def test_leaf_is_sha256_of_zero_and_canonical_bytes(log: WitnessLog) -> None:
    (r,) = _appended(log.append([make_event(1)]))
    data = log.event_bytes(0)
    assert r.receipt.leaf_hash == leaf_hash(data)
    assert json.loads(data)["v"] == 1


def test_inclusion_answer_reads_the_checkpoint_row_and_refuses_in_order(log: WitnessLog) -> None:
    """The proof endpoint's read: with and without a checkpoint, and each refusal in the
    order a caller sees it (a missing event is 404 before anything else)."""
    log.append([make_event(i) for i in range(6)])
    leaves = [leaf_hash(log.event_bytes(i)) for i in range(6)]
    with pytest.raises(NotFoundError):
        log.inclusion_answer(9)
    with pytest.raises(InvalidRequestError, match="no checkpoint yet"):
        log.inclusion_answer(2)
    unsigned = log.inclusion_answer(2, 5)  # a size with no checkpoint: root computed
    assert unsigned.checkpoint_note is None and unsigned.root == ref.mth(leaves[:5])
    assert unsigned.proof == ref.path(2, leaves[:5])
    cp = log.checkpoint()
    answer = log.inclusion_answer(4)
    assert (answer.size, answer.root, answer.checkpoint_note) == (6, cp.root, cp.note)
    assert answer.leaf_hash == leaves[4] and answer.proof == ref.path(4, leaves)
    verify.verify_inclusion(4, 6, leaves[4], answer.proof, cp.root)
    with pytest.raises(NotFoundError):
        log.inclusion_answer(7, 6)
    with pytest.raises(InvalidRequestError):
        log.inclusion_answer(5, 3)  # the event exists, the tree of 3 does not hold it
    with pytest.raises(InvalidRequestError, match="beyond the log"):
        log.inclusion_answer(1, 8)


def test_a_failing_proof_read_raises_what_sqlalchemy_would(log: WitnessLog) -> None:
    """The proof read goes straight to the SQLite driver; a driver error still reaches the
    API as the SQLAlchemy error that ``exec_driver_sql`` raises for the same statement (an
    ``OperationalError`` is its "database unavailable" answer)."""
    from ledger.store import log_queries as q
    from ledger.store.database import driver_rows

    log.append([make_event(i) for i in range(3)])
    with log.db.read() as conn:
        assert q.read_hash_map(conn, [0, 1, 999]).keys() == {0, 1}
        assert q.proof_checkpoint(conn, None) is None
    broken = "SELECT idx, hash FROM no_such_table"
    with log.db.read() as conn, pytest.raises(sa.exc.DBAPIError) as direct:
        driver_rows(conn, broken, ())
    with log.db.read() as conn, pytest.raises(sa.exc.DBAPIError) as through_sqlalchemy:
        conn.exec_driver_sql(broken)
    assert type(direct.value) is type(through_sqlalchemy.value)
    assert type(direct.value.orig) is type(through_sqlalchemy.value.orig)
    assert broken in str(direct.value)


def test_the_stored_hash_cache_gives_the_same_proofs_and_keeps_only_what_was_found(
        log: WitnessLog) -> None:
    """Proofs through the process's cache of stored hashes equal the reference proofs at
    every index of several sizes; a hash asked for before it existed is found once it is
    appended; a full cache is emptied, not grown."""
    from ledger.core import tree
    from ledger.store import log_queries as q

    log.append([make_event(i) for i in range(40)])
    leaves = [leaf_hash(log.event_bytes(i)) for i in range(40)]
    for size in (1, 7, 16, 33, 40):
        for i in range(size):
            assert log.inclusion_answer(i, size).proof == ref.path(i, leaves[:size])
            assert log.inclusion_proof(i, size) == ref.path(i, leaves[:size])
        assert log.consistency_proof(size, 40) == ref.proof(size, leaves)
    assert len(log._hashes) > 0
    cache, next_leaf = q.StoredHashCache(limit=8), tree.stored_hash_index(0, 40)
    with log.db.read() as conn:
        assert cache.read(conn, [0, next_leaf]) == {0: leaves[0]}
    log.append([make_event(40)])
    with log.db.read() as conn:
        assert cache.read(conn, [next_leaf]) == {next_leaf: leaf_hash(log.event_bytes(40))}
        assert len(cache) == 2
        assert len(cache.read(conn, list(range(10)))) == 10
        assert len(cache) == 9  # 2 kept + 9 fetched (0 was kept) > 8: emptied, 9 kept
        assert cache.read(conn, list(range(10))) == q.read_hash_map(conn, list(range(10)))
