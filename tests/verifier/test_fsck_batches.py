"""fsck of the stored receipt batches (receipt v2): each named corruption of a batch row is
found, with the same report in one pass and in every split into worker ranges, on SQLite
and PostgreSQL. The 22-event ledger holds three batches, [0, 6), [6, 16) and [16, 22): the
middle one straddles every range boundary of the splits (4, 8, 12 …; 6, 12 …; every 2; every
1), the first ends on one (6) and the last starts on one (16)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.core import tree
from ledger.core.batch import BatchPromise
from ledger.core.note import NoteSigner, split_note
from ledger.core.receipt import sign_promise
from ledger.events import Pseudonymizer
from ledger.home import init_home, open_log
from ledger.ingest import Ingestor
from ledger.keys import load_secret
from ledger.log import WitnessLog
from ledger.settings import Settings
from ledger.signers.log_rotation import rotate_log_key
from tests.verifier.conftest import PROJECTS, TRIGGERS, project_events
from tests.verifier.test_fsck_parallel import _same
from verifier import check_ledger
from verifier.policy import TrustPolicy, build
from verifier.report import Problem

BATCHES = [(0, 6), (6, 16), (16, 22)]
TABLES = ("events", "tree_hashes", "checkpoints", "receipt_batches")


@dataclass
class Ledger:
    url: str
    settings: Settings
    log: WitnessLog
    policy: TrustPolicy

    def rewrite(self, *statements: tuple[str, dict[str, Any]]) -> None:
        """Change rows as an attacker with database access (append-only guards off)."""
        engine = sa.create_engine(self.url)
        try:
            with engine.begin() as conn:
                if engine.dialect.name == "sqlite":
                    for trigger in [*TRIGGERS, "receipt_batches_no_update",
                                    "receipt_batches_no_delete"]:
                        conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {trigger}"))
                else:
                    for table in TABLES:
                        conn.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
                for sql, params in statements:
                    conn.execute(sa.text(sql), params)
        finally:
            engine.dispose()

    def batch(self, first: int) -> tuple[int, bytes, str]:
        with self.log.db.read() as conn:
            row = conn.execute(sa.text("SELECT count, root, promise_note FROM receipt_batches "
                                       "WHERE first_idx = :f"), {"f": first}).one()
        return int(row[0]), bytes(row[1]), str(row[2])

    def promise(self, first: int) -> BatchPromise:
        return BatchPromise.parse(split_note(self.batch(first)[2])[0])

    def set_note(self, first: int, note: str) -> None:
        self.rewrite(("UPDATE receipt_batches SET promise_note = :n WHERE first_idx = :f",
                      {"n": note, "f": first}))

    def leaves(self, lo: int, hi: int) -> list[bytes]:
        with self.log.db.read() as conn:
            return [bytes(r[0]) for r in conn.execute(sa.text(
                "SELECT leaf_hash FROM events WHERE idx >= :lo AND idx < :hi ORDER BY idx"),
                {"lo": lo, "hi": hi})]


def _build(settings: Settings) -> Ledger:
    info = init_home(settings)
    log = open_log(settings)
    ingestor = Ingestor(log, Pseudonymizer(load_secret(settings.pseudonym_key_path)))
    for batch in range(3):  # two interleaved projects, one transaction and checkpoint each
        events = [e for k in range(3) for p in PROJECTS
                  for e in project_events(p, batch * 3 + k, 1)]
        assert all(r.ok for r in ingestor.submit(events))
        log.checkpoint()
    return Ledger(settings.database_url, settings, log,
                  build(key=info["vkey"], origin=info["origin"]))


@pytest.fixture(params=["sqlite", "postgres"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    built = _build(Settings(home=tmp_path / "home", db_url=url))
    yield built
    built.log.db.dispose()


def _batch_problems(ledger: Ledger) -> list[Problem]:
    """The receipt batch problems, once every split gave the single pass's report."""
    return [p for p in _same(ledger).problems if p.code == "receipt_batch"]


def _only(ledger: Ledger, first: int, checks: list[str]) -> Problem:
    problems = _batch_problems(ledger)
    assert [(p.index, p.evidence["checks"]) for p in problems] == [(first, checks)], problems
    return problems[0]


def test_the_batches_are_as_the_tests_assume(ledger: Ledger) -> None:
    for first, end in BATCHES:
        count, root, _ = ledger.batch(first)
        assert count == end - first and root == tree.root_of_leaf_hashes(
            ledger.leaves(first, end))
    report = _same(ledger)
    assert report.outcome == "intact" and report.counts["receipt_batches"] == 3


@pytest.mark.parametrize("first", [6, 16])
def test_tampered_root(ledger: Ledger, first: int) -> None:
    count, root, _ = ledger.batch(first)
    ledger.rewrite(("UPDATE receipt_batches SET root = :r WHERE first_idx = :f",
                    {"r": b"\x05" * 32, "f": first}))
    problem = _only(ledger, first, ["signed_root", "root"])
    assert problem.evidence["calculated_root"] == problem.evidence["signed_root"] == root.hex()
    assert (problem.evidence["first"], problem.evidence["count"]) == (first, count)


def test_tampered_note_signature(ledger: Ledger) -> None:
    note = ledger.batch(6)[2]
    body, sigs = split_note(note)
    name, key_hash, sig = sigs[0]
    forged = bytes([sig[0] ^ 1]) + sig[1:]
    line = base64.b64encode(key_hash + forged).decode()
    ledger.set_note(6, f"{body}\n— {name} {line}\n")
    _only(ledger, 6, ["signature"])


def test_promise_by_a_foreign_key(ledger: Ledger) -> None:
    other = NoteSigner(ledger.policy.origin, Ed25519PrivateKey.generate())
    ledger.set_note(16, sign_promise(other, ledger.promise(16)))
    assert "no valid rotation" in _only(ledger, 16, ["signature"]).detail


def test_count_changed(ledger: Ledger) -> None:
    """The first batch said to end at 5: its root and signed count differ, event 5 is in
    no batch."""
    ledger.rewrite(("UPDATE receipt_batches SET count = 5 WHERE first_idx = 0", {}))
    problems = _batch_problems(ledger)
    assert [(p.index, p.evidence["checks"]) for p in problems] == [
        (0, ["count", "root"]), (5, ["uncovered"])]
    assert problems[1].evidence["next_batch"] == 6


def test_overlapping_batch(ledger: Ledger) -> None:
    """A validly signed promise over events 3..7 added: it overlaps the first batch, and the
    second overlaps it."""
    base = ledger.promise(0)
    root = tree.root_of_leaf_hashes(ledger.leaves(3, 8))
    note = sign_promise(ledger.log.signer, BatchPromise(base.origin, 3, 5, root,
                                                        base.received_at, base.mmd_seconds))
    ledger.rewrite(("INSERT INTO receipt_batches (first_idx, count, root, promise_note) "
                    "VALUES (3, 5, :r, :n)", {"r": root, "n": note}))
    problems = _batch_problems(ledger)
    assert [(p.index, p.evidence["checks"]) for p in problems] == [
        (3, ["overlap"]), (6, ["overlap"])]
    assert problems[0].evidence["covered_to"] == 6


@pytest.mark.parametrize("first,end", [(6, 16), (16, 22)])
def test_missing_batch_row(ledger: Ledger, first: int, end: int) -> None:
    ledger.rewrite(("DELETE FROM receipt_batches WHERE first_idx = :f", {"f": first}))
    problem = _only(ledger, first, ["uncovered"])
    assert problem.evidence["count"] == end - first


@pytest.mark.parametrize("first,public", [(6, 10), (16, 16)])
def test_wrong_received_at(ledger: Ledger, first: int, public: int) -> None:
    """Re-signed by the log key with another time: the first public event of the batch is
    named (6..9 are sealed bids, whose time the fsck cannot read)."""
    p = ledger.promise(first)
    wrong = BatchPromise(p.origin, p.first, p.count, p.root, "2020-01-01T00:00:00+08:00",
                         p.mmd_seconds)
    ledger.set_note(first, sign_promise(ledger.log.signer, wrong))
    problem = _only(ledger, first, ["received_at"])
    assert problem.evidence["received_at_index"] == public


def test_batch_beyond_the_log(ledger: Ledger) -> None:
    ledger.rewrite(("DELETE FROM events WHERE idx = 21", {}),
                   ("INSERT INTO receipt_batches (first_idx, count, root, promise_note) "
                    "VALUES (30, 2, :r, 'x')", {"r": b"\x00" * 32}))
    problems = _batch_problems(ledger)
    assert [(p.index, p.evidence["checks"]) for p in problems] == [
        (16, ["beyond"]), (30, ["beyond"])]


def test_a_log_without_batches_is_not_checked_for_them(ledger: Ledger) -> None:
    ledger.rewrite(("DELETE FROM receipt_batches", {}))
    report = check_ledger(ledger.url, ledger.policy, jobs=1)
    assert report.outcome == "intact" and "receipt_batches" not in report.counts


def test_promises_follow_the_log_key_rotation(ledger: Ledger) -> None:
    """The batch holding the rotation event is the old key's, every later one the new
    key's; a later promise by the retired key, or the rotation's own batch signed by the
    new key, is refused."""
    old = ledger.log.signer
    ledger.log.db.dispose()
    done = rotate_log_key(ledger.settings)
    ledger.log = open_log(ledger.settings)
    ingestor = Ingestor(ledger.log, Pseudonymizer(load_secret(
        ledger.settings.pseudonym_key_path)))
    assert all(r.ok for r in ingestor.submit(project_events(PROJECTS[0], 9, 3)))
    ledger.log.checkpoint()
    new = ledger.log.signer
    assert new.verifier != old.verifier and done.index == 22
    report = _same(ledger)
    assert report.outcome == "intact" and report.counts["receipt_batches"] == 5
    ledger.set_note(23, sign_promise(old, ledger.promise(23)))
    assert "retired" in _only(ledger, 23, ["key"]).detail
    ledger.set_note(23, sign_promise(new, ledger.promise(23)))
    ledger.set_note(22, sign_promise(new, ledger.promise(22)))
    assert "announced at index 22" in _only(ledger, 22, ["key"]).detail
