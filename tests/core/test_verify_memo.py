"""ledger.core.verify's memo of node hashes: no verdict and no evidence depends on it.

Proof verification remembers the node hashes it computed (the proofs of one log share
their upper levels). These tests check that it is a pure memo: a proof gets the same
verdict and the same calculated root with the memo cold, warm from its valid twin, or
emptied part-way because it was full; it never holds more than its bound; and every hash
it holds is ``node_hash`` of the pair it is kept under.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core import verify
from ledger.core.errors import InclusionProofError
from ledger.core.hashing import HASH_SIZE, node_hash
from ledger.core.verify import clear_path_memo, root_from_inclusion_proof
from tests import reference_merkle as ref

MAX_N = 200
LEAVES = [ref.leaf_hash(b"memo-%d" % i) for i in range(MAX_N)]
ROOTS = {n: ref.mth(LEAVES[:n]) for n in range(1, MAX_N + 1)}

cases = st.integers(min_value=1, max_value=MAX_N).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n - 1), st.just(n)))


def _outcome(i: int, n: int, proof: list[bytes]) -> bytes | tuple[str, bytes | None]:
    """The root a proof implies, or the refusal's reason and calculated root."""
    try:
        verify.verify_inclusion(i, n, LEAVES[i], proof, ROOTS[n])
    except InclusionProofError as exc:
        return str(exc), exc.calculated_root
    return root_from_inclusion_proof(i, n, LEAVES[i], proof)


@settings(deadline=None, max_examples=150)
@given(cases, st.data())
def test_corrupted_proof_refused_alike_cold_and_warm(case: tuple[int, int],
                                                    data: st.DataObject) -> None:
    i, n = case
    proof = ref.path(i, LEAVES[:n])
    if not proof:
        return
    bad = list(proof)
    j = data.draw(st.integers(min_value=0, max_value=len(bad) - 1))
    bad[j] = bytes(HASH_SIZE) if bad[j] != bytes(HASH_SIZE) else b"\x01" * HASH_SIZE
    clear_path_memo()
    cold = _outcome(i, n, bad)
    assert _outcome(i, n, proof) == ROOTS[n]  # the valid twin fills the memo
    assert _outcome(i, n, bad) == cold
    assert isinstance(cold, tuple) and cold[1] != ROOTS[n]


@settings(deadline=None, max_examples=60)
@given(st.lists(cases, min_size=1, max_size=40), st.integers(min_value=1, max_value=12))
def test_memo_bounded_and_true(proofs: list[tuple[int, int]], bound: int) -> None:
    clear_path_memo()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(verify, "PATH_MEMO_SIZE", bound)
        for i, n in proofs:
            assert _outcome(i, n, ref.path(i, LEAVES[:n])) == ROOTS[n]
            assert len(verify._path_memo) <= bound
    for pair, digest in verify._path_memo.items():
        assert digest == node_hash(pair[:HASH_SIZE], pair[HASH_SIZE:])
    clear_path_memo()
    assert not verify._path_memo
