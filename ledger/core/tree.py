"""The RFC 9162 Merkle tree over stored node hashes: plan, fetch (by the caller), compute.

Every complete subtree (level L, position k — the hash of leaves [k·2^L, (k+1)·2^L)) is
stored once under an integer *stored index*: its position in the post-order in which an
append-only log completes them. Appending leaf n writes its leaf hash and then one hash
per subtree it completes, at consecutive indexes, so the hash table is append-only too.

A request (tree hash, inclusion proof, consistency proof) is answered in two pure steps,
as in Go's sumdb/tlog: ``*_plan`` lists the stored indexes it needs (O(log n)), the caller
fetches them in one batch, and ``compute_*`` folds them into the answer.

Must not import anything outside the standard library; no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from ledger.core.errors import InvalidRequestError, MalformedError
from ledger.core.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash

Range = tuple[int, int]


def _hashes_before(n: int) -> int:
    # Leaf j completes one subtree per trailing 1-bit of j, plus its own leaf hash; summed
    # over j < n that is n + n//2 + n//4 + ..., which is 2n minus the 1-bits of n (each
    # 1-bit at position b contributes 2^b + 2^(b-1) + ... + 1 = 2^(b+1) - 1): one step
    # instead of one per bit, on the proof path's every stored index.
    return 2 * n - n.bit_count()


def stored_hash_index(level: int, k: int) -> int:
    """Stored index of the complete subtree at ``level`` and position ``k``."""
    if level < 0 or k < 0:
        raise InvalidRequestError(f"no subtree at level {level}, position {k}")
    last_leaf = ((k + 1) << level) - 1
    return _hashes_before(last_leaf) + level


def stored_hash_count(size: int) -> int:
    """How many hashes a log of ``size`` leaves has stored."""
    return _hashes_before(size)


def largest_power_of_two_below(n: int) -> int:
    """The split point ``k`` of RFC 9162 §2.1.1: the largest power of two below ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def complete_subtrees(lo: int, hi: int) -> list[tuple[int, int]]:
    """Maximal aligned complete subtrees covering [lo, hi), left to right, as (level, k):
    subtree k of its level covers [k << level, (k + 1) << level)."""
    out: list[tuple[int, int]] = []
    while lo < hi:
        level = (lo & -lo).bit_length() - 1 if lo else (hi - lo).bit_length() - 1
        while lo + (1 << level) > hi:
            level -= 1
        out.append((level, lo >> level))
        lo += 1 << level
    return out


@dataclass(frozen=True)
class HashPlan:
    """The ranges a request needs and the stored indexes that cover them, range by range."""

    ranges: tuple[Range, ...]
    indexes: tuple[int, ...]
    counts: tuple[int, ...]


def plan_ranges(ranges: Sequence[Range]) -> HashPlan:
    """Plan the stored hashes needed to compute the hash of each range."""
    indexes: list[int] = []
    counts: list[int] = []
    for lo, hi in ranges:
        width = hi - lo
        if width > 0 and not width & (width - 1) and not lo & (width - 1):
            # one aligned complete subtree: all but the last few ranges of a proof path
            level = width.bit_length() - 1
            indexes.append(stored_hash_index(level, lo >> level))
            counts.append(1)
            continue
        subtrees = complete_subtrees(lo, hi)
        indexes.extend(stored_hash_index(level, k) for level, k in subtrees)
        counts.append(len(subtrees))
    return HashPlan(tuple(ranges), tuple(indexes), tuple(counts))


def compute_ranges(plan: HashPlan, hashes: Sequence[bytes]) -> list[bytes]:
    """Fold the fetched hashes (in plan order) into one hash per range."""
    if len(hashes) != len(plan.indexes):
        raise MalformedError(f"plan needs {len(plan.indexes)} hashes, got {len(hashes)}")
    out: list[bytes] = []
    pos = 0
    for count in plan.counts:
        out.append(fold_right(hashes[pos : pos + count]))
        pos += count
    return out


def fold_right(subtree_hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its complete subtrees, left to right: h1·(h2·(h3·…))."""
    if not subtree_hashes:
        return EMPTY_ROOT
    acc = subtree_hashes[-1]
    for h in reversed(subtree_hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def root_of_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a whole list of leaf hashes, built level by level (for rebuilding and
    benchmarks; the log itself keeps stored hashes). Pairing neighbours and carrying an odd
    last node up unchanged yields exactly the RFC 9162 tree (its left subtrees are perfect)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    sha256 = hashlib.sha256
    while len(level) > 1:
        carry = [level[-1]] if len(level) & 1 else []
        pairs = zip(level[::2], level[1::2], strict=False)
        level = [sha256(b"\x01" + a + b).digest() for a, b in pairs]
        level += carry
    return level[0]


def tree_hash_plan(size: int) -> HashPlan:
    """Plan for the root of the first ``size`` leaves."""
    return plan_ranges([(0, size)] if size else [])


def compute_tree_hash(plan: HashPlan, hashes: Sequence[bytes]) -> bytes:
    return compute_ranges(plan, hashes)[0] if plan.ranges else EMPTY_ROOT


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """RFC 9162 PATH(index, D[size]) as the ranges whose hashes form it, bottom-up."""
    if not 0 <= index < size:
        raise InvalidRequestError(f"index {index} is not in a tree of size {size}")
    out: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = largest_power_of_two_below(hi - lo)
        if index < lo + k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
    out.reverse()
    return out


def consistency_ranges(size1: int, size2: int) -> list[Range]:
    """RFC 9162 PROOF(size1, D[size2]) as ranges, bottom-up. Empty when size1 is 0 or equal."""
    if not 0 <= size1 <= size2:
        raise InvalidRequestError(f"no consistency proof from size {size1} to size {size2}")
    if size1 in (0, size2):
        return []
    out: list[Range] = []
    lo, hi, whole = 0, size2, True
    while size1 - lo != hi - lo:
        k = largest_power_of_two_below(hi - lo)
        if size1 - lo <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
            whole = False
    if not whole:
        out.append((lo, hi))
    out.reverse()
    return out


def inclusion_plan(index: int, size: int) -> HashPlan:
    return plan_ranges(inclusion_ranges(index, size))


def consistency_plan(size1: int, size2: int) -> HashPlan:
    return plan_ranges(consistency_ranges(size1, size2))


@dataclass(frozen=True)
class Frontier:
    """The right edge of a tree of ``size`` leaves: its maximal complete subtrees.

    ``hashes[j]`` is the subtree at ``levels[j]``; levels strictly decrease. It is all an
    appender needs in memory (O(log n)), and its right fold is the tree root.
    """

    size: int
    levels: tuple[int, ...]
    hashes: tuple[bytes, ...]

    @property
    def root(self) -> bytes:
        return fold_right(self.hashes)


def frontier_plan(size: int) -> HashPlan:
    """Plan for the frontier of a tree of ``size`` leaves (one hash per 1-bit of size)."""
    return tree_hash_plan(size)


def frontier_from(size: int, hashes: Sequence[bytes]) -> Frontier:
    levels = tuple(level for level, _ in complete_subtrees(0, size))
    if len(hashes) != len(levels) or any(len(h) != HASH_SIZE for h in hashes):
        raise MalformedError(f"frontier of size {size} needs {len(levels)} hashes")
    return Frontier(size, levels, tuple(hashes))


EMPTY_FRONTIER = Frontier(0, (), ())


def append_leaf_hashes(
    frontier: Frontier, leaf_hashes: Sequence[bytes]
) -> tuple[list[tuple[int, bytes]], Frontier]:
    """Append leaves to the tree: the new stored (index, hash) rows and the new frontier."""
    levels = list(frontier.levels)
    hashes = list(frontier.hashes)
    next_index = stored_hash_count(frontier.size)
    rows: list[tuple[int, bytes]] = []
    for h in leaf_hashes:
        rows.append((next_index, h))
        next_index += 1
        level = 0
        while levels and levels[-1] == level:
            levels.pop()
            h = node_hash(hashes.pop(), h)
            level += 1
            rows.append((next_index, h))
            next_index += 1
        levels.append(level)
        hashes.append(h)
    return rows, Frontier(frontier.size + len(leaf_hashes), tuple(levels), tuple(hashes))


def append_entries(
    frontier: Frontier, entries: Sequence[bytes]
) -> tuple[list[bytes], list[tuple[int, bytes]], Frontier]:
    """Hash raw entries as leaves and append them: (leaf hashes, stored rows, frontier)."""
    leaves = [leaf_hash(e) for e in entries]
    rows, new_frontier = append_leaf_hashes(frontier, leaves)
    return leaves, rows, new_frontier
