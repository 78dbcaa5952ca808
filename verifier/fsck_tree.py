"""fsck: naming a stored tree hash that differs, and joining trees built range by range.

Role: the pieces of the tree check that the range pass (``fsck_range``) and the join of
the ranges (``fsck_join``) share. A range pass checking leaves
[lo, hi) of the log builds the complete subtrees that lie inside its range; the nodes that
straddle ``lo`` (their left part is another range's) are computed by the parent when it
*grafts* the worker's subtrees onto the tree edge (frontier) of [0, lo).

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI, the SQLAlchemy ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator, Sequence

from ledger.core import tree
from ledger.core.hashing import node_hash, node_hasher
from verifier.report import Problem

Where = Callable[[int], tuple[str | None, str | None]]  # index -> (event id, project id)
Pieces = Sequence[tuple[int, bytes]]  # (level, hash) of aligned complete subtrees, in order


def locate(stored: int) -> tuple[int, int]:
    """(level, k) of the subtree kept at a stored index (inverse of ``stored_hash_index``)."""
    lo, hi = 0, stored + 1
    while lo < hi:  # the largest leaf j whose own hash is stored at or before ``stored``
        mid = (lo + hi + 1) // 2
        if tree.stored_hash_count(mid) <= stored:
            lo = mid
        else:
            hi = mid - 1
    level = stored - tree.stored_hash_count(lo)
    return level, ((lo + 1) >> level) - 1


def tree_problem(stored_index: int, *, missing: bool, where: Where,
                 payload_bad: Container[int]) -> Problem | None:
    """The problem a stored hash that differs from the recomputed one makes: ``leaf`` for a
    leaf (None when its bytes were already reported as ``payload``), else ``node``."""
    level, k = locate(stored_index)
    first, last = k << level, ((k + 1) << level) - 1
    what = "missing or out of place" if missing else "differs from the recomputed hash"
    if level == 0:
        if first in payload_bad:
            return None
        event_id, project_id = where(first)
        return Problem("leaf", f"stored leaf hash {what} (event moved, inserted or "
                       f"replaced)", index=first, event_id=event_id, project_id=project_id,
                       evidence={"stored_index": stored_index})
    return Problem("node", f"stored node hash at level {level} over leaves {first}..{last} "
                   f"{what}", index=first,
                   evidence={"stored_index": stored_index, "level": level})


def first_difference(stored: Sequence[bytes], computed: Sequence[bytes | None]
                     ) -> int | None:
    """The first position where a stored hash differs from a computed one (positions
    computed as None are skipped: another range's nodes), None if every pair agrees."""
    for i, (a, b) in enumerate(zip(stored, computed, strict=False)):
        if a != b and b is not None:
            return i
    return None


def graft(frontier: tree.Frontier, pieces: Pieces,
          made: dict[int, bytes] | None = None) -> tree.Frontier:
    """The frontier of [0, frontier.size + len(pieces)) from the frontier of [0, lo) and the
    maximal complete subtrees of [lo, …) in order. Each merge makes a node straddling
    ``lo``; ``made`` receives it under its stored index, for the comparison the worker left
    to the parent. A subtree at ``lo`` of level L is aligned (lo is a multiple of 2^L), so
    the frontier's last subtree is its sibling exactly when it has the same level."""
    levels, hashes = list(frontier.levels), list(frontier.hashes)
    end = frontier.size
    for level, h in pieces:
        end += 1 << level
        while levels and levels[-1] == level:
            levels.pop()
            h = node_hash(hashes.pop(), h)
            level += 1
            if made is not None:
                made[tree.stored_hash_index(level, (end >> level) - 1)] = h
        levels.append(level)
        hashes.append(h)
    return tree.Frontier(end, tuple(levels), tuple(hashes))


def aligned_spans(start: int, n: int) -> Iterator[tuple[int, int]]:
    """(offset i, level) of the maximal aligned complete subtrees over [start, start + n),
    in order (``tree.complete_subtrees``, as offsets from ``start``)."""
    for level, k in tree.complete_subtrees(start, start + n):
        yield (k << level) - start, level


def level_up(level: Sequence[bytes]) -> list[bytes]:
    """The nodes over an even number of hashes, each from a hasher already fed the prefix."""
    seed = node_hasher
    up: list[bytes] = []
    app = up.append
    for left, right in zip(level[::2], level[1::2], strict=True):
        h = seed()
        h.update(left)
        h.update(right)
        app(h.digest())
    return up
