"""RFC 9162 proof generation over an abstract tree, for tests that need large logs.

``tests/reference_merkle.py`` holds every leaf and recomputes everything, which is right but
too slow for a million leaves. Here the tree is given by a function ``mth(lo, hi)`` returning
MTH(D[lo:hi]); the proof algorithms are the RFC's recursions over index ranges. With
:class:`UniformTree` (every leaf the same hash) MTH depends only on the range size, so a
proof for a 1M-leaf log costs a few dozen hashes. These helpers are checked against the
reference implementation in ``test_merkle_paths``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from tests import reference_merkle as ref

MthFn = Callable[[int, int], bytes]


def split(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_path(m: int, lo: int, hi: int, mth: MthFn) -> list[bytes]:
    """PATH(m, D[lo:hi]), bottom-up (RFC 9162 §2.1.3.1); ``m`` is relative to ``lo``."""
    n = hi - lo
    if n <= 1:
        return []
    k = split(n)
    if m < k:
        return [*inclusion_path(m, lo, lo + k, mth), mth(lo + k, hi)]
    return [*inclusion_path(m - k, lo + k, hi, mth), mth(lo, lo + k)]


def _subproof(m: int, lo: int, hi: int, whole: bool, mth: MthFn) -> list[bytes]:
    n = hi - lo
    if m == n:
        return [] if whole else [mth(lo, hi)]
    k = split(n)
    if m <= k:
        return [*_subproof(m, lo, lo + k, whole, mth), mth(lo + k, hi)]
    return [*_subproof(m - k, lo + k, hi, False, mth), mth(lo, lo + k)]


def consistency_proof(m: int, n: int, mth: MthFn) -> list[bytes]:
    """PROOF(m, D[n]) (RFC 9162 §2.1.4.1) for ``0 < m <= n``."""
    if m in (0, n):
        return []
    return _subproof(m, 0, n, True, mth)


def list_tree(leaves: Sequence[bytes]) -> MthFn:
    """``mth`` over explicit leaf hashes, via the reference implementation."""
    return lambda lo, hi: ref.mth(list(leaves[lo:hi]))


class UniformTree:
    """A log of any size whose leaves all hash to ``leaf``: MTH depends only on the size."""

    def __init__(self, leaf: bytes = ref.leaf_hash(b"uniform leaf")) -> None:
        self.leaf = leaf
        self._by_size = lru_cache(maxsize=None)(self._mth_of_size)

    def _mth_of_size(self, n: int) -> bytes:
        if n == 1:
            return self.leaf
        k = split(n)
        return ref.node_hash(self._by_size(k), self._by_size(n - k))

    def mth(self, lo: int, hi: int) -> bytes:
        """MTH of the ``hi - lo`` leaves from ``lo``."""
        return self._by_size(hi - lo)

    def root(self, n: int) -> bytes:
        """The root of the first ``n`` leaves."""
        return self._by_size(n)
