"""fsck of a range: the chunk's leaves and the tree over them, built before its events are
checked (``fsck_range``).

Role: recompute a chunk's leaves in one loop, then append them to the range's tree: the
range's maximal complete subtrees (its frontier, which never merges across the range's
start ``lo``: a node straddling it is the parent's, ``fsck_tree.graft``), the stored hashes
each segment completes in stored order, and every node built kept by ``node_key`` for the
chunk (``known``), from which the receipt batches of the chunk take the subtrees they share
with the log's tree (``fsck_batches``) instead of hashing them again. Memory: O(log n) for
the frontier, the nodes of one chunk.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI, the SQLAlchemy ORM.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from ledger.core.sealed import MAGIC
from verifier.fsck_batches import Known

Step = tuple[Any, ...]  # ("seg", start, computed, holes) or ("stop", size, subtrees)
# Hashers already fed the RFC 9162 prefix: a copy costs less than a new hasher over the
# prefix and the bytes joined (which copies the event's bytes once more)
LEAF, NODE = hashlib.sha256(b"\x00"), hashlib.sha256(b"\x01")


def chunk_leaves(rows: Sequence[tuple[Any, ...]]) -> list[bytes]:
    """The chunk's leaves: each event's recomputed, a sealed record's stored one — that very
    object, by which the event loop tells it (a hash made here is always a new object)."""
    seed, magic = LEAF.copy, MAGIC
    out: list[bytes] = []
    app = out.append
    for _, _, leaf_col, data in rows:
        if data[:4] == magic:
            app(leaf_col)
            continue
        h = seed()
        h.update(data)
        app(h.digest())
    return out


class RangeTree:
    """The tree of one range [lo, …), built chunk by chunk."""

    def __init__(self, lo: int, stops: list[int]) -> None:
        self.lo, self.stops = lo, stops  # the sizes where the tree must stop, ascending
        self.end = lo  # the tree is built over [lo, end)
        self.levels: list[int] = []
        self.hashes: list[bytes] = []
        self.known: Known = {}  # the nodes built over the last chunk
        self.built_from = lo  # the tree position of the last chunk's first leaf

    def pieces(self) -> list[tuple[int, bytes]]:
        """(level, hash) of the range's maximal complete subtrees so far, in order."""
        return list(zip(self.levels, self.hashes, strict=True))

    def build(self, leaves: list[bytes]) -> list[Step]:
        """Append a chunk's leaves in segments cut at the stops: the steps, in order, for
        the range to compare and record once the chunk's events are checked."""
        pos, stops = 0, self.stops
        self.known.clear()
        self.built_from = self.end
        steps: list[Step] = []
        while pos < len(leaves):
            cut = len(leaves)
            if stops and stops[0] <= self.end + cut - pos:
                cut = pos + stops[0] - self.end
            start = self.end
            steps.append(("seg", start, *self._append(leaves[pos:cut])))
            pos = cut
            while stops and stops[0] <= self.end:
                if stops.pop(0) == self.end:
                    steps.append(("stop", self.end, self.pieces()))
        return steps

    def _append(self, leaves: list[bytes]) -> tuple[list[bytes | None], list[int]]:
        """Append leaves: the stored hashes they complete, in stored order (None for a node
        straddling ``lo``), and the positions of those holes."""
        seed, lo, levels, hashes = NODE.copy, self.lo, self.levels, self.hashes
        known = self.known
        n = self.end
        out: list[bytes | None] = []
        app = out.append
        holes: list[int] = []
        for h in leaves:
            app(h)
            n += 1
            level = 0
            while not (n >> level) & 1:  # leaf n-1 completes one node per trailing 0 of n
                if n - (2 << level) < lo:
                    up = level
                    while not (n >> up) & 1:
                        holes.append(len(out))
                        app(None)
                        up += 1
                    break
                levels.pop()
                node = seed()
                node.update(hashes.pop())
                node.update(h)
                h = node.digest()
                level += 1
                app(h)
                known[n << 6 | level] = h  # fsck_batches.node_key(n, level)
            levels.append(level)
            hashes.append(h)
        self.end = n
        return out, holes
