"""Issuing receipts: one signed promise per committed batch (receipt v2), each event's
receipt built from it; events appended before receipt v2 keep per-event v1 promises.

The events one append transaction commits (a group commit of several submitters included)
form one batch ``[first, first + count)``: the log signs one ``BatchPromise`` over the
Merkle root of their leaf hashes and stores it with them (``receipt_batches``), in the same
transaction. A receipt is then the event, the batch's note and the event's path in the
batch tree; fetched later it is rebuilt from the stored note and the batch's leaf hashes
(one range query), so it is the one handed out at append.

Used by ``ledger.log`` only. Must not import the API or the verifier.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import Connection

from ledger.core.batch import BatchPromise, batch_levels, batch_tree, path_in_levels
from ledger.core.hashing import leaf_hash
from ledger.core.note import NoteSigner, split_note
from ledger.core.receipt import AnchoredProof, Promise, Receipt, sign_promise
from ledger.store import log_queries as q

MAX_PROMISE_BATCH = 4096
"""Events under one batch promise (a group commit holds at most 2000): a larger transaction
gets several promises, so a receipt's batch path stays at most 12 hashes."""


@dataclass(frozen=True)
class BatchProof:
    """A v2 receipt's promise: the signed note of its batch and the event's path in it."""

    note: str
    path: tuple[bytes, ...]


_Levels = list[list[bytes]]


class BatchCache:
    """The trees (``batch_levels``) of the batches whose receipts were fetched last. A
    stored batch never changes, and receipts are fetched in runs (an ingest system's, a
    bidder's, once anchored): the next receipt of a batch then needs no leaf read and no
    hashing. Thread-safe; about 64 KB a batch of 1,000."""

    def __init__(self, batches: int = 16) -> None:
        self._lock = threading.Lock()
        self._batches = batches
        self._items: OrderedDict[int, tuple[int, str, _Levels]] = OrderedDict()

    def find(self, index: int) -> tuple[int, str, _Levels] | None:
        with self._lock:
            for first, item in self._items.items():
                if first <= index < first + len(item[2][0]):
                    self._items.move_to_end(first)
                    return item
        return None

    def put(self, first: int, note: str, levels: _Levels) -> None:
        with self._lock:
            self._items[first] = (first, note, levels)
            while len(self._items) > self._batches:
                self._items.popitem(last=False)


@dataclass(frozen=True)
class Issuer:
    """What a receipt is signed with: the log's origin, current key and merge delay."""

    signer: NoteSigner
    origin: str
    mmd_seconds: int
    cache: BatchCache = field(default_factory=BatchCache)

    def promise_batch(self, conn: Connection, first: int, leaves: list[bytes],
                      received_at: str) -> dict[int, BatchProof]:
        """Sign the promise of the events [first, first + len(leaves)) and store it in the
        transaction of ``conn`` (one signature per batch, not one per event: the events of
        a transaction share one ``received_at``). The proof of each event, by index."""
        proofs: dict[int, BatchProof] = {}
        rows = []
        for lo in range(0, len(leaves), MAX_PROMISE_BATCH):
            chunk = leaves[lo:lo + MAX_PROMISE_BATCH]
            root, paths = batch_tree(chunk)
            promise = BatchPromise(self.origin, first + lo, len(chunk), root, received_at,
                                   self.mmd_seconds)
            note = sign_promise(self.signer, promise)
            rows.append((first + lo, len(chunk), root, note))
            proofs.update((first + lo + k, BatchProof(note, p)) for k, p in enumerate(paths))
        q.insert_many(conn, "receipt_batches", q.BATCH_COLUMNS, rows)
        return proofs

    def stored_proof(self, conn: Connection, index: int) -> BatchProof | None:
        """The v2 promise of a stored event (None: appended before receipt v2, so v1).
        Only committed batches are asked for (``WitnessLog`` serves the batch being
        written from its own proofs), so what is cached is final."""
        hit = self.cache.find(index)
        if hit is None:
            found = q.receipt_batch(conn, index)
            if found is None:
                return None
            first, leaves, note = found
            hit = (first, note, batch_levels(leaves))
            self.cache.put(*hit)
        first, note, levels = hit
        return BatchProof(self.current_note(note), path_in_levels(levels, index - first))

    def current_note(self, note: str) -> str:
        """The stored promise; after a log key rotation, the same body signed by the
        current key, as a v1 promise is (a bidder re-fetching after a re-pin needs it)."""
        body, sigs = split_note(note)
        mine = (self.signer.name, self.signer.verifier.key_hash)
        return note if any((n, h) == mine for n, h, _ in sigs) else self.signer.sign(body)

    def receipt(self, index: int, data: bytes, received_at: str,
                anchored: AnchoredProof | None = None, *, leaf: bytes | None = None,
                proof: BatchProof | None = None) -> Receipt:
        leaf = leaf or leaf_hash(data)
        if proof is not None:
            return Receipt(self.origin, index, leaf, data, proof.note, anchored, proof.path)
        # appended before receipt v2: a per-event promise, signed now (Ed25519 is
        # deterministic, so it is the same at every fetch while the key is)
        promise = Promise(self.origin, index, leaf, received_at, self.mmd_seconds)
        return Receipt(self.origin, index, leaf, data, sign_promise(self.signer, promise),
                       anchored)
