"""fsck tamper catalogue: each change is found, with the right code and place."""

from __future__ import annotations

import sqlite3

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.core import tree
from ledger.core.note import Checkpoint, NoteSigner, sign_checkpoint
from tests.verifier.conftest import Built, tamper
from verifier import check_ledger
from verifier.ledger_check import locate


def _row(built: Built, idx: int) -> tuple[str, bytes]:
    con = sqlite3.connect(built.db_path)
    row = con.execute("SELECT event_id, canonical FROM events WHERE idx=?", (idx,)).fetchone()
    con.close()
    return row[0], bytes(row[1])


def test_clean_ledger_is_intact(built: Built) -> None:
    report = check_ledger(built.db_url, built.policy)
    assert report.outcome == "intact", report.to_text()
    assert report.exit_code == 0
    assert report.counts["events"] == 22  # with 4 sealed bids and 4 BIDS_UNSEALED
    assert report.counts["checkpoints"] == 3
    assert report.counts["projects"] == 2
    assert report.counts["tree_hashes"] == tree.stored_hash_count(22)
    assert report.counts["sealed"] == report.counts["sealed_opened"] == 4


def test_accepts_a_plain_sqlite_path(built: Built) -> None:
    assert check_ledger(str(built.db_path), built.policy).ok


def test_payload_byte_changed(built: Built) -> None:
    event_id, data = _row(built, 5)  # a public event (6..9 are sealed bids)
    changed = data.replace(b'"v":1', b'"v":2')
    tamper(built.db_path, ("UPDATE events SET canonical=? WHERE idx=5", (changed,)))
    report = check_ledger(built.db_url, built.policy)
    first = report.first_divergence
    assert first is not None and (first.code, first.index, first.event_id) == (
        "payload", 5, event_id)
    assert report.exit_code == 1


def test_event_deleted_in_the_middle(built: Built) -> None:
    tamper(built.db_path, "DELETE FROM events WHERE idx=5")
    first = check_ledger(built.db_url, built.policy).first_divergence
    assert first is not None and (first.code, first.index) == ("sequence", 5)


def test_last_event_deleted(built: Built) -> None:
    tamper(built.db_path, "DELETE FROM events WHERE idx=17")
    report = check_ledger(built.db_url, built.policy)
    codes = [p.code for p in report.problems]
    assert "sequence" in codes and report.exit_code == 1


def test_event_inserted(built: Built) -> None:
    _, data = _row(built, 4)
    forged = data.replace(b"-E0002", b"-E9999")
    tamper(built.db_path,
           "UPDATE events SET idx = -idx - 1 WHERE idx >= 4",
           "UPDATE events SET idx = -idx WHERE idx < 0",
           ("INSERT INTO events SELECT 4, 'FORGED-1', project_id, project_seq + 1000, event_type, "
            "actor_org, received_at, leaf_hash, submission_digest, ?, seal_scope, submitter "
            "FROM events WHERE idx=5",
            (forged,)))
    report = check_ledger(built.db_url, built.policy)
    first = report.first_divergence
    assert first is not None and first.index == 4 and first.code in ("payload", "leaf")


def test_two_events_swapped(built: Built) -> None:
    tamper(built.db_path,
           "UPDATE events SET idx = -1 WHERE idx = 2",  # two events of the same project
           "UPDATE events SET idx = 2 WHERE idx = 4",
           "UPDATE events SET idx = 4 WHERE idx = -1")
    report = check_ledger(built.db_url, built.policy)
    first = report.first_divergence
    event_id, _ = _row(built, 2)
    assert first is not None and (first.index, first.event_id) == (2, event_id)
    assert {p.code for p in report.problems if p.index == 2} == {"leaf", "sequence"}


def test_node_hash_changed(built: Built) -> None:
    stored = tree.stored_hash_index(2, 1)  # the node over leaves 4..7
    tamper(built.db_path, ("UPDATE tree_hashes SET hash=? WHERE idx=?", (b"\x07" * 32, stored)))
    first = check_ledger(built.db_url, built.policy).first_divergence
    assert first is not None and first.code == "node" and first.index == 4
    assert first.evidence == {"stored_index": stored, "level": 2}


def test_node_hash_moved_to_a_fractional_index(built: Built) -> None:
    """In place by order, but at no index a proof is read from: reported as missing."""
    stored = tree.stored_hash_index(2, 1)
    tamper(built.db_path, ("UPDATE tree_hashes SET idx=idx+0.5 WHERE idx=?", (stored,)))
    report = check_ledger(built.db_url, built.policy)
    first = report.first_divergence
    assert first is not None and (first.code, first.index) == ("node", 4), report.to_text()
    assert first.evidence == {"stored_index": stored, "level": 2}
    assert "missing" in first.detail and report.exit_code == 1


def test_checkpoint_root_changed(built: Built) -> None:
    tamper(built.db_path, ("UPDATE checkpoints SET root=? WHERE size=16", (b"\x01" * 32,)))
    first = check_ledger(built.db_url, built.policy).first_divergence
    assert first is not None and (first.code, first.index) == ("root", 16)


def test_checkpoint_resigned_with_another_key(built: Built) -> None:
    other = NoteSigner(built.policy.origin, Ed25519PrivateKey.generate())
    cp = built.log.checkpoint_at(16)
    note = sign_checkpoint(Checkpoint(built.policy.origin, 16, cp.root), other)
    tamper(built.db_path, ("UPDATE checkpoints SET note=? WHERE size=16", (note,)))
    first = check_ledger(built.db_url, built.policy).first_divergence
    assert first is not None and (first.code, first.index) == ("signature", 16)


def test_rewritten_history_with_consistent_hashes_breaks_the_signed_root(built: Built) -> None:
    """An attacker recomputes leaf and every tree hash after changing a payload."""
    _, data = _row(built, 2)
    changed = data.replace(b'"v":1', b'"v":3')
    con = sqlite3.connect(built.db_path)
    leaves = [bytes(r[0]) for r in con.execute("SELECT leaf_hash FROM events ORDER BY idx")]
    con.close()
    leaf = tree.append_entries(tree.EMPTY_FRONTIER, [changed])[0][0]
    leaves[2] = leaf  # the sealed rows keep their stored leaves (their bytes are blobs)
    hashes, _ = tree.append_leaf_hashes(tree.EMPTY_FRONTIER, leaves)
    tamper(built.db_path, ("UPDATE events SET canonical=?, leaf_hash=? WHERE idx=2",
                           (changed, leaf)),
           *[("UPDATE tree_hashes SET hash=? WHERE idx=?", (h, i)) for i, h in hashes])
    report = check_ledger(built.db_url, built.policy)
    # the project's next event still links to the old leaf; the signed receipt batch over
    # events 0..5 and the signed root no longer match
    assert [(p.code, p.index) for p in report.problems] == [
        ("sequence", 4), ("receipt_batch", 0), ("root", 6)]
    assert report.problems[1].evidence["checks"] == ["root"]


def test_locate_inverts_stored_hash_index() -> None:
    for level in range(5):
        for k in range(20):
            assert locate(tree.stored_hash_index(level, k)) == (level, k)


def test_foreign_origin_fails(built: Built) -> None:
    from verifier.policy import build

    other = build(key=built.policy.verifier.vkey(), origin="another.example/log")
    assert check_ledger(built.db_url, other).first_divergence.code == "origin"  # type: ignore[union-attr]
