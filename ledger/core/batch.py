"""Receipt v2: one signed promise per committed batch, and each event's path inside it.

A v1 promise signs one event (origin, index, leaf), so appending costs one Ed25519
signature per event. A v2 promise signs a whole committed batch: its first log index, its
event count, and the RFC 9162 Merkle tree hash (MTH) of the batch's leaf hashes, in log
order. Each receipt then carries its audit path inside that small tree (``batch_proof``,
at most ⌈log2 count⌉ hashes). The guarantee is the same as v1's — the log committed, under
its key, to include exactly this leaf at exactly this index within the merge delay —
because the path fixes both the leaf and its offset in the batch.

The batch tree is a tree of its own (leaves ``first … first+count-1``, offsets from 0);
it is not a node of the log's tree, which need not be aligned to batches.

Promise body (each line ends with a newline, which is signed)::

    witness-receipt/v2
    <origin>
    <first index>
    <count>
    <batch root, base64>
    <received_at>
    <MMD seconds>

Must not import anything outside the standard library and ``cryptography``; no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.core.errors import MalformedError
from ledger.core.hashing import HASH_SIZE
from ledger.core.note import is_canonical_uint64

BATCH_PROMISE_HEADER = "witness-receipt/v2"
UINT64_LIMIT = 2**64


@dataclass(frozen=True)
class BatchPromise:
    """What the log signs when it commits a batch of events."""

    origin: str
    first: int
    count: int
    root: bytes
    received_at: str
    mmd_seconds: int

    def body(self) -> str:
        root = base64.b64encode(self.root).decode()
        return (f"{BATCH_PROMISE_HEADER}\n{self.origin}\n{self.first}\n{self.count}\n"
                f"{root}\n{self.received_at}\n{self.mmd_seconds}\n")

    def covers(self, index: int) -> bool:
        return self.first <= index < self.first + self.count

    @classmethod
    def parse(cls, body: str) -> BatchPromise:
        lines = body.split("\n")
        if len(lines) != 8 or lines[0] != BATCH_PROMISE_HEADER or lines[7] != "":
            raise MalformedError("not a witness batch promise (witness-receipt/v2)")
        _, origin, first_s, count_s, root_b64, received_at, mmd_s, _ = lines
        if not all(is_canonical_uint64(s) for s in (first_s, count_s, mmd_s)):
            raise MalformedError("batch promise first, count and MMD must be decimal "
                                 "numbers below 2^64 without leading zeros")
        first, count = int(first_s), int(count_s)
        if count == 0 or first + count > UINT64_LIMIT:
            raise MalformedError("batch promise count must be at least 1 and the batch "
                                 "must end below 2^64")
        return cls(origin, first, count, _b64_hash(root_b64), received_at, int(mmd_s))


def _b64_hash(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise MalformedError("batch root is not base64") from exc
    if len(raw) != HASH_SIZE:
        raise MalformedError("batch root is not 32 bytes")
    return raw


def batch_tree(leaf_hashes: Sequence[bytes]) -> tuple[bytes, list[tuple[bytes, ...]]]:
    """The MTH of ``leaf_hashes`` and every leaf's RFC 9162 audit path: the tree's levels
    built once (``batch_levels``), each path read off them (``path_in_levels``).
    O(n log n) for all n paths."""
    levels = batch_levels(leaf_hashes)
    return levels[-1][0], [path_in_levels(levels, k) for k in range(len(leaf_hashes))]


def batch_levels(leaf_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the batch tree, leaves first and the root last (n − 1 hashes, no
    per-leaf bookkeeping): kept by the log for the receipts of a batch fetched later, each
    path then read off in O(log n) by ``path_in_levels``."""
    if not leaf_hashes:
        raise ValueError("a batch has at least one leaf")
    levels = [list(leaf_hashes)]
    sha256 = hashlib.sha256
    while len(level := levels[-1]) > 1:
        pairs = zip(level[::2], level[1::2], strict=False)
        levels.append([sha256(b"\x01" + a + b).digest() for a, b in pairs]
                      + ([level[-1]] if len(level) & 1 else []))
    return levels


def path_in_levels(levels: Sequence[Sequence[bytes]], offset: int) -> tuple[bytes, ...]:
    """The RFC 9162 audit path of leaf ``offset``: its sibling on
    each level where it has one; an odd last node has none there and is carried up."""
    if not 0 <= offset < len(levels[0]):
        raise ValueError("offset outside the batch")
    path = []
    for level in levels[:-1]:
        if offset ^ 1 < len(level):
            path.append(level[offset ^ 1])
        offset >>= 1
    return tuple(path)
