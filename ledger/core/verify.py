"""RFC 9162 proof verification (§2.1.3.2 inclusion, §2.1.4.2 consistency).

Kept apart from building: these functions trust nothing but their arguments, and raise a
typed error with the evidence instead of returning False. Must not import anything outside
the standard library.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.core.errors import ConsistencyProofError, InclusionProofError
from ledger.core.hashing import HASH_SIZE, node_hash

MAX_PROOF_LENGTH = 64
#: Node hashes remembered by :func:`root_from_inclusion_proof` (emptied when full).
PATH_MEMO_SIZE = 1 << 14
_HASH_SIZE_ONLY = frozenset({HASH_SIZE})

# The proofs one verifier checks share their upper levels: the receipts of one log, the
# events of one bundle (1,000 receipts of a 10,000-event log: 82% of their node hashes
# repeat). A memo of ``node_hash``, a pure function, so no verdict depends on it; bounded
# (about 3 MB full), and the key is the pair itself, so input cannot put a wrong hash in it.
_path_memo: dict[bytes, bytes] = {}


def _path_node_hash(left: bytes, right: bytes) -> bytes:
    pair = left + right
    got = _path_memo.get(pair)
    if got is None:
        if len(_path_memo) >= PATH_MEMO_SIZE:
            _path_memo.clear()
        got = _path_memo[pair] = node_hash(left, right)
    return got


def clear_path_memo() -> None:
    """Forget the node hashes remembered (a benchmark's cold start, a test's)."""
    _path_memo.clear()


def _check_hashes(proof: Sequence[bytes]) -> str | None:
    if len(proof) > MAX_PROOF_LENGTH:
        return f"proof has {len(proof)} hashes, more than {MAX_PROOF_LENGTH}"
    if set(map(len, proof)) <= _HASH_SIZE_ONLY:  # the usual case, settled in C
        return None
    for pos, h in enumerate(proof):
        if len(h) != HASH_SIZE:
            return f"proof hash {pos} has {len(h)} bytes, not {HASH_SIZE}"
    return None


def root_from_inclusion_proof(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes]
) -> bytes:
    """The root that ``proof`` implies for ``leaf`` at ``index`` in a tree of ``size``."""

    def fail(reason: str) -> InclusionProofError:
        return InclusionProofError(reason, index=index, size=size, leaf_hash=leaf)

    if not 0 <= index < size:
        raise fail("index is not below the tree size")
    bad = _check_hashes(proof) or (None if len(leaf) == HASH_SIZE else "leaf hash size")
    if bad:
        raise fail(bad)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise fail("proof is longer than the path")
        if fn & 1 or fn == sn:
            r = _path_node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = _path_node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise fail("proof is shorter than the path")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise :class:`InclusionProofError` unless ``proof`` puts ``leaf`` at ``index``."""
    calculated = root_from_inclusion_proof(index, size, leaf, proof)
    if calculated != root:
        raise InclusionProofError(
            "calculated root differs",
            index=index,
            size=size,
            leaf_hash=leaf,
            expected_root=root,
            calculated_root=calculated,
        )


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Raise :class:`ConsistencyProofError` unless tree (size2, root2) extends (size1, root1)."""

    def fail(
        reason: str, c1: bytes | None = None, c2: bytes | None = None
    ) -> ConsistencyProofError:
        return ConsistencyProofError(
            reason,
            size1=size1,
            size2=size2,
            root1=root1,
            root2=root2,
            calculated_root1=c1,
            calculated_root2=c2,
        )

    if not 0 <= size1 <= size2:
        raise fail("first size is larger than the second")
    bad = _check_hashes(proof)
    if bad:
        raise fail(bad)
    if size1 == size2 or size1 == 0:
        if proof:
            raise fail("proof must be empty")
        if size1 == size2 and root1 != root2:
            raise fail("same size, different roots", root1, root2)
        return
    if not proof:
        raise fail("proof is empty")
    calculated = _consistency_roots(size1, size2, root1, proof)
    if isinstance(calculated, str):
        raise fail(calculated)
    fr, sr = calculated
    if fr != root1 or sr != root2:
        raise fail("calculated roots differ", fr, sr)


def _consistency_roots(
    size1: int, size2: int, root1: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes] | str:
    """Both roots the proof implies, or the reason it is malformed."""
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # a power of two: the old tree is itself a proof node
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return "proof is longer than needed"
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return "proof is shorter than needed"
    return fr, sr
