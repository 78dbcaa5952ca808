"""ledger.core.tree: stored-hash indexes, append, and plan → fetch → compute vs. the oracle.

The oracle is ``tests.reference_merkle`` (naive recursive RFC 9162). A "fetch" here is a
dict {stored index: hash} filled from the rows that append writes.
"""

from __future__ import annotations

import functools
import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core import tree
from ledger.core.errors import InvalidRequestError, MalformedError
from ledger.core.hashing import EMPTY_ROOT
from ledger.core.verify import verify_consistency, verify_inclusion
from tests import reference_merkle as ref

MAX_N = 300
LEAVES = [ref.leaf_hash(b"leaf-%d" % i) for i in range(MAX_N)]


@functools.cache
def _store() -> dict[int, bytes]:
    rows, frontier = tree.append_leaf_hashes(tree.EMPTY_FRONTIER, LEAVES)
    assert frontier.size == MAX_N
    store = dict(rows)
    assert len(store) == len(rows) == tree.stored_hash_count(MAX_N)
    return store


@functools.cache
def _root(n: int) -> bytes:
    return ref.mth(LEAVES[:n])


def _fetch(plan: tree.HashPlan) -> list[bytes]:
    store = _store()
    return [store[i] for i in plan.indexes]


def _tree_hash(n: int) -> bytes:
    plan = tree.tree_hash_plan(n)
    return tree.compute_tree_hash(plan, _fetch(plan))


def _inclusion(i: int, n: int) -> list[bytes]:
    plan = tree.inclusion_plan(i, n)
    return tree.compute_ranges(plan, _fetch(plan))


def _consistency(m: int, n: int) -> list[bytes]:
    plan = tree.consistency_plan(m, n)
    return tree.compute_ranges(plan, _fetch(plan))


def _subtrees(n: int) -> list[tuple[int, int]]:
    """Every complete subtree (level, k) of a tree of n leaves."""
    out = []
    level = 0
    while (1 << level) <= n:
        out.extend((level, k) for k in range(n >> level))
        level += 1
    return out


# --- stored indexes -------------------------------------------------------------------


@pytest.mark.parametrize("n", [*range(0, 70), 127, 128, 129, 255, 256, 257, 1000, 1023, 1024])
def test_stored_index_is_bijection(n: int) -> None:
    indexes = sorted(tree.stored_hash_index(level, k) for level, k in _subtrees(n))
    assert indexes == list(range(tree.stored_hash_count(n)))


def test_stored_index_matches_append_order() -> None:
    store = _store()
    for level, k in _subtrees(MAX_N):
        expected = ref.mth(LEAVES[k << level : (k + 1) << level])
        assert store[tree.stored_hash_index(level, k)] == expected, (level, k)


def _hashes_before_by_leaves(n: int) -> int:
    """The definition: leaf j stores its own hash and one per trailing 1-bit of j."""
    return sum(1 + ((j ^ (j + 1)).bit_length() - 1) for j in range(n))


def test_stored_hash_count_is_the_per_leaf_sum() -> None:
    for n in range(600):
        assert tree.stored_hash_count(n) == _hashes_before_by_leaves(n), n


@given(st.integers(min_value=0, max_value=2**64))
def test_stored_hash_count_is_the_halving_sum_for_any_size(n: int) -> None:
    halvings, m = 0, n
    while m:  # n + n//2 + n//4 + ..., the sum the closed form replaces
        halvings += m
        m >>= 1
    assert tree.stored_hash_count(n) == halvings


def test_stored_index_rejects_negative() -> None:
    with pytest.raises(InvalidRequestError):
        tree.stored_hash_index(-1, 0)
    with pytest.raises(InvalidRequestError):
        tree.stored_hash_index(0, -1)


def test_append_rows_are_consecutive_from_count() -> None:
    frontier = tree.EMPTY_FRONTIER
    for n in range(MAX_N):
        rows, frontier = tree.append_leaf_hashes(frontier, [LEAVES[n]])
        assert [i for i, _ in rows] == list(
            range(tree.stored_hash_count(n), tree.stored_hash_count(n + 1))
        )
        assert rows[0] == (tree.stored_hash_count(n), LEAVES[n])
        assert frontier.size == n + 1
        assert frontier.root == _root(n + 1)
        assert list(frontier.levels) == sorted(frontier.levels, reverse=True)


@settings(deadline=None, max_examples=60)
@given(st.lists(st.integers(min_value=0, max_value=40), max_size=12))
def test_append_batches_any_split(splits: list[int]) -> None:
    rows: list[tuple[int, bytes]] = []
    frontier = tree.EMPTY_FRONTIER
    pos = 0
    for size in [*splits, MAX_N]:
        batch = LEAVES[pos : min(pos + size, MAX_N)]
        new_rows, frontier = tree.append_leaf_hashes(frontier, batch)
        rows.extend(new_rows)
        pos += len(batch)
        if pos == MAX_N:
            break
    assert rows == sorted(_store().items())
    assert frontier.root == _root(MAX_N)


def test_append_entries_hashes_leaves() -> None:
    entries = [b"leaf-%d" % i for i in range(10)]
    leaves, rows, frontier = tree.append_entries(tree.EMPTY_FRONTIER, entries)
    assert leaves == LEAVES[:10]
    assert rows == sorted(_store().items())[: tree.stored_hash_count(10)]
    assert frontier.root == _root(10)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 8, 9, 100, 255, 256, 299])
def test_frontier_from_stored_hashes(n: int) -> None:
    plan = tree.frontier_plan(n)
    frontier = tree.frontier_from(n, _fetch(plan))
    assert frontier.root == _root(n)
    assert len(frontier.levels) == bin(n).count("1")
    rows, resumed = tree.append_leaf_hashes(frontier, LEAVES[n:])
    assert resumed.root == _root(MAX_N)
    assert rows == sorted(_store().items())[tree.stored_hash_count(n) :]


def test_frontier_from_rejects_wrong_hashes() -> None:
    with pytest.raises(MalformedError):
        tree.frontier_from(3, [bytes(32)])
    with pytest.raises(MalformedError):
        tree.frontier_from(3, [bytes(32), bytes(31)])


# --- plan + compute vs. the reference -------------------------------------------------


def test_tree_hash_all_sizes() -> None:
    assert _tree_hash(0) == EMPTY_ROOT == ref.mth([])
    for n in range(1, MAX_N + 1):
        assert _tree_hash(n) == _root(n), n


def test_every_node_range_hashes_to_its_reference_tree() -> None:
    # Every range that is a node of some RFC 9162 tree up to 96 leaves (its start aligned
    # to the power of two at or above its width): complete subtrees (one stored hash) and
    # right-edge nodes (several, folded), against the naive tree of exactly those leaves.
    store = _store()
    for lo in range(96):
        for hi in range(lo + 1, 97):
            if lo % (1 << (hi - lo - 1).bit_length()):
                continue
            plan = tree.plan_ranges([(lo, hi)])
            got = tree.compute_ranges(plan, [store[i] for i in plan.indexes])[0]
            assert got == ref.mth(LEAVES[lo:hi]), (lo, hi)


def test_inclusion_exhaustive_small() -> None:
    for n in range(1, 65):
        for i in range(n):
            assert _inclusion(i, n) == ref.path(i, LEAVES[:n]), (i, n)


def test_inclusion_every_proof_verifies_up_to_300() -> None:
    # Exhaustive: every index of every size up to 300 (about 45 000 proofs).
    for n in range(1, MAX_N + 1):
        root = _root(n)
        for i in range(n):
            verify_inclusion(i, n, LEAVES[i], _inclusion(i, n), root)


@settings(deadline=None, max_examples=150)
@given(st.data())
def test_inclusion_matches_reference_up_to_300(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=MAX_N))
    i = data.draw(st.integers(min_value=0, max_value=n - 1))
    assert _inclusion(i, n) == ref.path(i, LEAVES[:n])


def test_consistency_exhaustive_small() -> None:
    for n in range(0, 65):
        for m in range(0, n + 1):
            proof = _consistency(m, n)
            assert proof == ref.proof(m, LEAVES[:n]), (m, n)
            verify_consistency(m, n, _root(m), _root(n), proof)


@settings(deadline=None, max_examples=150)
@given(st.data())
def test_consistency_matches_reference_up_to_300(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=0, max_value=MAX_N))
    m = data.draw(st.integers(min_value=0, max_value=n))
    proof = _consistency(m, n)
    assert proof == ref.proof(m, LEAVES[:n])
    verify_consistency(m, n, _root(m), _root(n), proof)


def test_compute_rejects_wrong_number_of_hashes() -> None:
    plan = tree.inclusion_plan(3, 10)
    with pytest.raises(MalformedError):
        tree.compute_ranges(plan, _fetch(plan)[:-1])
    with pytest.raises(MalformedError):
        tree.compute_ranges(plan, [*_fetch(plan), bytes(32)])


# --- plan sizes and invalid requests --------------------------------------------------

BIG_SIZES = [10**6, 2**40 + 12345, 2**40, 2**63 - 1]


def _bound(n: int) -> float:
    return 2 * math.log2(n) + 2


@pytest.mark.parametrize("n", BIG_SIZES)
def test_plans_are_logarithmic(n: int) -> None:
    assert len(tree.tree_hash_plan(n).indexes) <= _bound(n)
    for i in (0, 1, n // 3, n // 2, n - 2, n - 1):
        plan = tree.inclusion_plan(i, n)
        assert len(plan.indexes) <= _bound(n)
        assert len(plan.ranges) <= (n - 1).bit_length()
        assert all(0 <= x < tree.stored_hash_count(n) for x in plan.indexes)
    for m in (1, 2, 3, n // 7, n // 2, n - 1, n):
        plan = tree.consistency_plan(m, n)
        assert len(plan.indexes) <= _bound(n)
        assert all(0 <= x < tree.stored_hash_count(n) for x in plan.indexes)


@pytest.mark.parametrize("n", BIG_SIZES)
def test_big_plans_hash_known_ranges(n: int) -> None:
    # The ranges of a plan tile what RFC 9162 asks for: inclusion ranges are disjoint, avoid
    # the index and together with it cover [0, n).
    i = n // 3
    ranges = tree.inclusion_ranges(i, n)
    covered = sorted([*ranges, (i, i + 1)])
    assert covered[0][0] == 0 and covered[-1][1] == n
    assert all(a[1] == b[0] for a, b in itertools.pairwise(covered))


@pytest.mark.parametrize(("i", "n"), [(0, 0), (5, 5), (6, 5), (-1, 5), (2**40, 2**40)])
def test_inclusion_invalid(i: int, n: int) -> None:
    with pytest.raises(InvalidRequestError):
        tree.inclusion_plan(i, n)
    with pytest.raises(ValueError):  # InvalidRequestError is also a ValueError
        tree.inclusion_ranges(i, n)


@pytest.mark.parametrize(("m", "n"), [(6, 5), (1, 0), (-1, 3), (2**40 + 1, 2**40)])
def test_consistency_invalid(m: int, n: int) -> None:
    with pytest.raises(InvalidRequestError):
        tree.consistency_plan(m, n)


def test_empty_and_trivial_plans() -> None:
    assert tree.tree_hash_plan(0).indexes == ()
    assert tree.compute_tree_hash(tree.tree_hash_plan(0), []) == EMPTY_ROOT
    assert tree.consistency_ranges(0, 10) == []
    assert tree.consistency_ranges(10, 10) == []
    assert tree.inclusion_ranges(0, 1) == []
    assert tree.fold_right([]) == EMPTY_ROOT


@pytest.mark.parametrize("n", [*range(0, 70), 127, 128, 129, 1000, 1025])
def test_root_of_leaf_hashes_is_the_rfc_tree(n: int) -> None:
    from ledger.core.tree import root_of_leaf_hashes

    leaves = [ref.leaf_hash(b"leaf-%d" % i) for i in range(n)]
    assert root_of_leaf_hashes(leaves) == ref.mth(leaves)
