"""A Merkle log over given leaf hashes, stored and read as the ledger stores its tree.

Used by every vector module that needs roots and proofs (``ledger.core.tree`` plans which
stored hashes a root or proof needs; this holds the stored hashes in memory).
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.core import tree


class LeafLog:
    """The tree of ``leaves`` (leaf hashes), with roots and RFC 9162 proofs of any prefix."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = list(leaves)
        rows, _ = tree.append_leaf_hashes(tree.EMPTY_FRONTIER, self.leaves)
        self.store = dict(rows)

    def _compute(self, plan: tree.HashPlan) -> list[bytes]:
        return tree.compute_ranges(plan, [self.store[i] for i in plan.indexes])

    def root(self, size: int) -> bytes:
        plan = tree.tree_hash_plan(size)
        return tree.compute_tree_hash(plan, [self.store[i] for i in plan.indexes])

    def inclusion(self, index: int, size: int) -> list[bytes]:
        return self._compute(tree.inclusion_plan(index, size))

    def consistency(self, size1: int, size2: int) -> list[bytes]:
        return self._compute(tree.consistency_plan(size1, size2))
