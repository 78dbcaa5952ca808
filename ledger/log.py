"""The witness log: append events, seal checkpoints, serve proofs and receipts.

Appending takes the sequencer lock (see ``store.database``), reads the tree frontier and
the heads of the projects involved (O(log n) + one row per project), computes envelopes,
leaves and new tree hashes in memory, inserts, and commits once per batch. The events one
transaction appends get ONE signed promise (receipt v2, ``ledger.core.batch``), stored with
them, so a receipt fetched later is the one handed out at append. ``append`` = ``commit``
(the durable, locked part) + ``seal`` (building each receipt from its batch): callers that
batch several submitters into one transaction (``ledger.group_commit``) commit once and let
each submitter build its own receipts. Must not import the API or the verifier.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, func, insert, select

from ledger.clock import Clock, zone_clock
from ledger.core import tree
from ledger.core.anchor_ref import AnchorRef
from ledger.core.canonical import SALT_SIZE, PreparedEvent, prepare_event
from ledger.core.errors import InvalidRequestError, WitnessError
from ledger.core.note import Checkpoint, NoteSigner, sign_checkpoint
from ledger.core.receipt import AnchoredProof, Receipt
from ledger.core.sealed import is_sealed_blob
from ledger.cosigning import with_cosignatures
from ledger.errors import ConflictError, NotFoundError
from ledger.proof_read import InclusionAnswer, read_inclusion
from ledger.receipts import BatchCache, BatchProof, Issuer
from ledger.sealing.batch import BatchWriter
from ledger.sealing.keys import Sealer
from ledger.store import log_queries as q
from ledger.store.database import Database
from ledger.store.schema import checkpoints, events, section_phases


@dataclass(frozen=True)
class Appended:
    """One accepted event: its receipt, and whether it was already in the log."""

    event_id: str
    index: int
    receipt: Receipt
    duplicate: bool = False


@dataclass(frozen=True)
class Rejected:
    """One event refused by the log (an idempotency conflict)."""

    event_id: str
    error: WitnessError


AppendResult = Appended | Rejected


@dataclass(frozen=True)
class CheckpointRecord:
    size: int
    root: bytes
    note: str
    created_at: str


@dataclass
class _Pending:
    event: Mapping[str, Any]
    prepared: PreparedEvent
    salt: bytes

    @property
    def digest(self) -> bytes:
        return self.prepared.digest


@dataclass(frozen=True)
class _New:
    event_id: str
    index: int
    data: bytes
    received_at: str
    leaf: bytes
    proof: BatchProof | None = None


@dataclass(frozen=True)
class _Duplicate:
    event_id: str
    index: int
    data: bytes
    received_at: str
    proof: BatchProof | None = None  # None: the original predates receipt v2


@dataclass(frozen=True)
class _Known:
    """An event id already in the log (or earlier in the same batch)."""

    index: int
    digest: bytes  # as stored: keyed for a sealed record
    data: bytes  # as stored: a sealed blob for a sealed record
    received_at: str
    leaf: bytes
    project_id: str
    sealed: bool


_Outcome = _New | _Duplicate | Rejected
Committed = _Outcome
"""The outcome of ``commit`` for one event, before its receipt is built (``seal``)."""


class WitnessLog:
    """The append-only log of one center, over a database and the log's signing key."""

    def __init__(
        self, db: Database, signer: NoteSigner, origin: str, *, mmd_seconds: int,
        clock: Clock | None = None, sealer: Sealer | None = None,
    ) -> None:
        self.db = db
        self.sealer = sealer
        self.signer = signer
        self.origin = origin
        self.mmd_seconds = mmd_seconds
        self.clock = clock or zone_clock()
        self._seen_size = 0
        self._batches = BatchCache()
        self._hashes = q.StoredHashCache()  # proofs' shared upper nodes, read once

    @property
    def issuer(self) -> Issuer:
        # built on use: a key rotation replaces ``signer`` on an open log
        return Issuer(self.signer, self.origin, self.mmd_seconds, self._batches)

    # -- appending ------------------------------------------------------------------------

    def append(self, batch: Sequence[Mapping[str, Any]]) -> list[AppendResult]:
        """Append validated events (JSON-ready mappings) in one durable transaction."""
        return self.seal(self.commit(batch))

    def commit(self, batch: Sequence[Mapping[str, Any]]) -> list[Committed]:
        """The durable part of ``append``: one transaction under the sequencer lock.

        Returns when the transaction has committed, with the batch promise signed and
        stored; the receipts are built by ``seal``.
        """
        if not batch:
            return []
        pending = [
            _Pending(ev, prepare_event(ev), os.urandom(SALT_SIZE)) for ev in batch
        ]
        with self.db.write() as conn:
            return self._append_locked(conn, pending)

    def seal(self, outcomes: Sequence[Committed]) -> list[AppendResult]:
        """Build the receipts of committed outcomes (no lock held; safe in any thread)."""
        issuer = self.issuer
        return [self._finish(o, issuer) for o in outcomes]

    def _append_locked(self, conn: Connection, pending: list[_Pending]) -> list[_Outcome]:
        size = q.log_size(conn)
        known = self._known(conn, [p.event["event_id"] for p in pending])
        frontier = q.read_frontier(conn, size)
        pids = {p.event["project_id"] for p in pending}
        writer = BatchWriter(conn, origin=self.origin, size=size,
                             heads=q.project_heads(conn, pids), received_at=self.clock(),
                             sealer=self.sealer, project_ids=pids)
        results: list[_Outcome] = []
        for p in pending:
            eid = p.event["event_id"]
            if eid in known:
                results.append(self._duplicate_or_conflict(conn, eid, known[eid], p.digest))
                continue
            new = writer.add(p.event, p.prepared, p.salt)
            known[eid] = _Known(new.index, p.digest, new.data, new.received_at, new.leaf,
                                p.event["project_id"], sealed=False)
            results.append(_New(eid, new.index, new.data, new.received_at, new.leaf))
        proofs: dict[int, BatchProof] = {}
        if writer.rows:
            leaves = [r[q.LEAF_COLUMN] for r in writer.rows]
            hash_rows, _ = tree.append_leaf_hashes(frontier, leaves)
            q.insert_many(conn, "events", q.EVENT_COLUMNS, writer.rows)
            q.insert_many(conn, "tree_hashes", q.HASH_COLUMNS, hash_rows)
            proofs = self.issuer.promise_batch(conn, size, leaves, writer.received_at)
        writer.flush()
        return [self._with_proof(conn, r, proofs) for r in results]

    def _with_proof(self, conn: Connection, outcome: _Outcome,
                    proofs: dict[int, BatchProof]) -> _Outcome:
        if isinstance(outcome, Rejected):
            return outcome
        if isinstance(outcome, _New):  # the hot path: no dataclasses.replace per event
            o = outcome
            return _New(o.event_id, o.index, o.data, o.received_at, o.leaf, proofs[o.index])
        # a duplicate's receipt is its original's: of this batch, or of an earlier one
        proof = proofs.get(outcome.index) or self.issuer.stored_proof(conn, outcome.index)
        return replace(outcome, proof=proof)

    def _known(self, conn: Connection, event_ids: list[str]) -> dict[str, _Known]:
        """Events of the batch already in the log (a sealed record is stored under its
        blinded id, so both forms are looked up)."""
        stored = {eid: eid for eid in event_ids}
        if self.sealer is not None:
            stored.update({self.sealer.blind("event", eid): eid for eid in event_ids})
        return {eid: _Known(r[0], r[1], r[4], r[3], r[2], r[5], sealed=r[6] is not None)
                for eid, r in q.known_events(conn, stored).items()}

    def _duplicate_or_conflict(self, conn: Connection, event_id: str, known: _Known,
                               digest: bytes) -> _Outcome:
        expected = (self.sealer.blind_digest(digest) if known.sealed and self.sealer
                    else digest)
        if known.digest != expected:
            return Rejected(event_id, ConflictError(event_id, known.index))
        data = (self.open_stored(conn, known.project_id, known.data, known.leaf)
                if known.sealed else known.data)
        return _Duplicate(event_id, known.index, data, known.received_at)

    def open_stored(self, conn: Connection, project_id: str, data: bytes, leaf: bytes) -> bytes:
        """The canonical bytes of a stored row: as stored, or decrypted with the seal key
        (rules, receipts for the event's owner, operators; views check the phase first)."""
        if not is_sealed_blob(data):
            return data
        if self.sealer is None:
            raise WitnessError("this record is sealed and the log was opened without its "
                               "seal key")
        sections = [str(s) for s in conn.execute(
            select(section_phases.c.section_key)
            .where(section_phases.c.project_id == project_id)).scalars()]
        return self.sealer.open(data, leaf, project_id, sections)

    def _finish(self, outcome: _Outcome, issuer: Issuer) -> AppendResult:
        if isinstance(outcome, Rejected):
            return outcome
        if isinstance(outcome, _Duplicate):  # its original's receipt
            receipt = issuer.receipt(outcome.index, outcome.data, outcome.received_at,
                                     proof=outcome.proof)
            return Appended(outcome.event_id, outcome.index, receipt, duplicate=True)
        receipt = issuer.receipt(outcome.index, outcome.data, outcome.received_at,
                                 leaf=outcome.leaf, proof=outcome.proof)
        return Appended(outcome.event_id, outcome.index, receipt)

    # -- reading --------------------------------------------------------------------------

    def size(self) -> int:
        with self.db.read() as conn:
            return q.log_size(conn)

    def read_hashes(self, conn: Connection, indexes: Sequence[int]) -> list[bytes]:
        return q.read_hashes(conn, indexes)

    def event_bytes(self, index: int) -> bytes:
        return self._stored_event(index)[0]

    def _stored_event(self, index: int, *, proof: bool = False
                      ) -> tuple[bytes, str, BatchProof | None]:
        with self.db.read() as conn:
            row = conn.execute(
                select(events.c.canonical, events.c.received_at, events.c.project_id,
                       events.c.leaf_hash).where(events.c.idx == index)
            ).first()
            if row is None:
                raise NotFoundError(f"no event at index {index}")
            data = self.open_stored(conn, row[2], bytes(row[0]), bytes(row[3]))
            return data, str(row[1]), self.issuer.stored_proof(conn, index) if proof else None

    def index_of(self, event_id: str) -> int:
        """The log index of a submitted event id (a sealed record's is stored blinded)."""
        ids = [event_id] + ([self.sealer.blind("event", event_id)] if self.sealer else [])
        with self.db.read() as conn:
            idx = conn.execute(select(events.c.idx).where(events.c.event_id.in_(ids))).scalar()
        if idx is None:
            raise NotFoundError(f"no event with id {event_id!r}")
        return int(idx)

    def receipt(self, index: int, *, upgrade: bool = True) -> Receipt:
        """The receipt of an event; with the inclusion proof once a checkpoint covers it."""
        data, received_at, proof = self._stored_event(index, proof=True)
        anchored = self.anchored_proof(index) if upgrade else None
        return self.issuer.receipt(index, data, received_at, anchored, proof=proof)

    def anchored_proof(self, index: int) -> AnchoredProof | None:
        """Proof against the first *anchored* checkpoint covering ``index`` (so upgrading a
        receipt twice gives the same proof; anchors on further chains are added as they
        come); before that, against the newest checkpoint, with no anchor (pending)."""
        with self.db.read() as conn:
            size = q.first_anchored(conn, index)
        if size is not None:
            cp = self.checkpoint_at(size)
            with self.db.read() as conn:
                primary, others = q.anchor_references(conn, size, cp.root)
            return AnchoredProof(cp.note, tuple(self.inclusion_proof(index, cp.size)),
                                 None if primary is None else primary.to_json(),
                                 tuple(a.to_json() for a in others))
        latest = self.latest_checkpoint()
        if latest is None or latest.size <= index:
            return None
        return AnchoredProof(latest.note, tuple(self.inclusion_proof(index, latest.size)), None)

    def anchor_for(self, size: int) -> AnchorRef | None:
        """The primary chain's anchor reference of the checkpoint of ``size``, if anchored."""
        root = self.checkpoint_at(size).root
        with self.db.read() as conn:
            return q.anchor_references(conn, size, root)[0]

    # -- proofs ---------------------------------------------------------------------------

    def tree_hash(self, size: int) -> bytes:
        return self._compute(tree.tree_hash_plan(size), size)[0] if size else tree.fold_right([])

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return self._compute(tree.inclusion_plan(index, size), size)

    def inclusion_answer(
        self, index: int, size: int | None = None,
        visible: Callable[[bytes], bool] | None = None,
    ) -> InclusionAnswer:
        """Inclusion proof of ``index`` in the tree of ``size`` (default: the latest
        checkpoint) with its leaf, root and checkpoint note (``ledger.proof_read``)."""
        with self.db.read() as conn:
            return read_inclusion(conn, index, size, visible, self._require_size,
                                  self._hashes)

    def consistency_proof(self, size1: int, size2: int) -> list[bytes]:
        return self._compute(tree.consistency_plan(size1, size2), size2)

    def _compute(self, plan: tree.HashPlan, size: int) -> list[bytes]:
        with self.db.read() as conn:
            self._require_size(conn, size)
            hashes = q.read_hashes(conn, plan.indexes, self._hashes)
        return tree.compute_ranges(plan, hashes)

    def _require_size(self, conn: Connection, size: int) -> None:
        """Refuse sizes beyond the log. The log only grows, so a size at or below one seen
        before needs no query (proofs are the API's hottest read)."""
        if size <= self._seen_size:
            return
        current = q.log_size(conn)
        self._seen_size = max(self._seen_size, current)
        if size > current:
            raise InvalidRequestError(f"size {size} is beyond the log size {current}")

    # -- checkpoints ----------------------------------------------------------------------

    def checkpoint(self) -> CheckpointRecord:
        """Seal the current tree head as a signed checkpoint (or return it if already sealed)."""
        with self.db.write() as conn:
            size = q.log_size(conn)
            existing = _checkpoint_row(conn, size)
            if existing is not None:
                return existing
            root = q.read_frontier(conn, size).root  # the root is the fold of the frontier
            note = sign_checkpoint(Checkpoint(self.origin, size, root), self.signer)
            record = CheckpointRecord(size, root, note, self.clock())
            conn.execute(insert(checkpoints), [record.__dict__])
        return record

    def latest_checkpoint(self) -> CheckpointRecord | None:
        with self.db.read() as conn:
            size = conn.execute(select(func.max(checkpoints.c.size))).scalar()
            return None if size is None else _checkpoint_row(conn, int(size))

    def checkpoint_at(self, size: int) -> CheckpointRecord:
        with self.db.read() as conn:
            row = _checkpoint_row(conn, size)
        if row is None:
            raise NotFoundError(f"no checkpoint of size {size}")
        return row

    def checkpoints_between(self, lo: int, hi: int) -> list[CheckpointRecord]:
        with self.db.read() as conn:
            rows = conn.execute(
                select(checkpoints).where(checkpoints.c.size.between(lo, hi))
                .order_by(checkpoints.c.size)
            ).all()
        return [CheckpointRecord(r.size, bytes(r.root), r.note, r.created_at) for r in rows]


def _checkpoint_row(conn: Connection, size: int) -> CheckpointRecord | None:
    row = conn.execute(select(checkpoints).where(checkpoints.c.size == size)).first()
    if row is None:
        return None
    # Handed out with its witnesses' cosignatures (receipts, bundles, lead packages).
    note = with_cosignatures(conn, int(row.size), row.note)
    return CheckpointRecord(int(row.size), bytes(row.root), note, row.created_at)
