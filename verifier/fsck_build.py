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

from collections.abc import Sequence
from functools import cache
from itertools import chain
from typing import Any

from ledger.core.hashing import leaf_hasher, node_hasher
from ledger.core.sealed import MAGIC
from verifier.fsck_batches import Known
from verifier.fsck_tree import aligned_spans, level_up

Step = tuple[Any, ...]  # ("seg", start, computed, holes) or ("stop", size, subtrees)


def chunk_leaves(rows: Sequence[tuple[Any, ...]]) -> list[bytes]:
    """The chunk's leaves: each event's recomputed, a sealed record's stored one — that very
    object, by which the event loop tells it (a hash made here is always a new object)."""
    seed, magic = leaf_hasher, MAGIC
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
        straddling ``lo``), and the positions of those holes. The leaves go in aligned
        complete subtrees (``aligned_spans``), each built level by level (``_block``)."""
        out: list[bytes | None] = []
        holes: list[int] = []
        for i, k in aligned_spans(self.end, len(leaves)):
            self._carry(self._block(leaves[i:i + (1 << k)], k, out), k, out, holes)
        return out, holes

    def _block(self, leaves: list[bytes], k: int, out: list[bytes | None]) -> bytes:
        """An aligned complete subtree of 2^k leaves at ``end`` (inside the range, as all its
        nodes are): its hashes onto ``out`` in stored order, its nodes into ``known``; its
        root. Its frontier merges are all inside it, so it is built one level at a time."""
        end, known = self.end, self.known
        levels = [leaves]
        for level in range(1, k + 1):
            levels.append(level_up(levels[-1]))
            # node i of the level under fsck_batches.node_key(end + (i + 1 << level), level)
            step = 1 << level + 6
            first = (end << 6) + step | level
            known.update(zip(range(first, first + len(levels[-1]) * step, step), levels[-1],
                             strict=True))
        flat = list(chain.from_iterable(levels))
        out.extend(map(flat.__getitem__, _stored_order(k)))
        self.end = end + (1 << k)
        return levels[-1][0]

    def _carry(self, h: bytes, level: int, out: list[bytes | None], holes: list[int]) -> None:
        """A complete subtree of ``level`` now ends the tree at ``end``: merged with the
        frontier's last subtrees while it completes a larger one (one node per trailing 0 of
        ``end`` from ``level``); a node straddling ``lo`` is left as a hole, as are those
        above it."""
        seed, n, levels, hashes = node_hasher, self.end, self.levels, self.hashes
        while not (n >> level) & 1:
            if n - (2 << level) < self.lo:
                up = level
                while not (n >> up) & 1:
                    holes.append(len(out))
                    out.append(None)
                    up += 1
                break
            levels.pop()
            node = seed()
            node.update(hashes.pop())
            node.update(h)
            h = node.digest()
            level += 1
            out.append(h)
            self.known[n << 6 | level] = h  # fsck_batches.node_key(n, level)
        levels.append(level)
        hashes.append(h)


@cache
def _stored_order(k: int) -> tuple[int, ...]:
    """Where each hash of a complete subtree of 2^k leaves, its levels listed one after the
    other (leaves first), goes in stored order: each leaf followed by the nodes it
    completes, lowest first."""
    start = [0]
    for level in range(k):
        start.append(start[-1] + (1 << k - level))
    order = []
    for j in range(1, (1 << k) + 1):  # leaf j - 1 completes one node per trailing 0 of j
        order.append(j - 1)
        level = 1
        while level <= k and not j & ((1 << level) - 1):
            order.append(start[level] + (j >> level) - 1)
            level += 1
    return tuple(order)
