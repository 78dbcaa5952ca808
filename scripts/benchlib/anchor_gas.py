"""Gas of ``WitnessRegistry.anchor`` as a function of the log size, and of the naive design.

Huge logs are not stored: a log whose leaves are all the same hash has a Merkle tree hash
that depends only on the size of the range, so every subtree hash is computed once per size
(:class:`UniformTree`) and a consistency proof for a 10M-leaf log costs a few dozen hashes.
Every proof is checked with ``ledger.core.verify.verify_consistency`` before it is sent, and
the uniform roots are checked against ``ledger.core.tree`` on small sizes. The gas of a proof
depends only on its length and shape (calldata bytes, SHA-256 precompile calls), never on the
hash values, so the figures are those of a real log of the same size.

The naive design — one chain write per event, as the per-event evidence contracts of
consortium chains do — is measured with a hand-assembled contract (raw bytecode below) that
stores one word per event in a fresh slot: ``record(bytes32 h)`` → ``sstore(h, 1)``. It has no
selector dispatch, no event, no access control: a lower bound for any such contract.
"""

from __future__ import annotations

import hashlib
import random
import statistics
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from eth_account.signers.local import LocalAccount

from chain_access import ChainBackend
from chain_access.abi_codec import encode_call
from ledger.anchoring import registry
from ledger.anchoring.signer import CheckpointKey
from ledger.core import tree
from ledger.core.hashing import leaf_hash, node_hash
from ledger.core.verify import verify_consistency

TX_BASE_GAS = 21_000
# Init code: CODECOPY the 7-byte runtime at offset 0x0c to memory 0 and RETURN it.
# Runtime: PUSH1 1, PUSH1 4, CALLDATALOAD, SSTORE, STOP  →  storage[calldata[4:36]] = 1.
NAIVE_INIT = "6007600c60003960076000f3"
NAIVE_RUNTIME = "600160043555" + "00"
NAIVE_BYTECODE = "0x" + NAIVE_INIT + NAIVE_RUNTIME
NAIVE_ABI: list[dict[str, Any]] = [{
    "type": "function", "name": "record", "stateMutability": "nonpayable",
    "inputs": [{"name": "h", "type": "bytes32"}], "outputs": [],
}]


class UniformTree:
    """A log of any size whose leaves all hash to ``leaf``: MTH(D[lo:hi]) = f(hi - lo)."""

    def __init__(self, leaf: bytes = leaf_hash(b"anchor benchmark leaf")) -> None:
        self.leaf = leaf
        self.root = lru_cache(maxsize=None)(self._root)

    def _root(self, size: int) -> bytes:
        if size == 1:
            return self.leaf
        k = tree.largest_power_of_two_below(size)
        return node_hash(self.root(k), self.root(size - k))

    def _subproof(self, m: int, n: int, whole: bool) -> list[bytes]:
        """SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1, over sizes only."""
        if m == n:
            return [] if whole else [self.root(n)]
        k = tree.largest_power_of_two_below(n)
        if m <= k:
            return [*self._subproof(m, k, whole), self.root(n - k)]
        return [*self._subproof(m - k, n - k, False), self.root(k)]

    def consistency_proof(self, m: int, n: int) -> list[bytes]:
        return [] if m in (0, n) else self._subproof(m, n, True)


def check_uniform_tree(t: UniformTree, sizes: Sequence[int] = (1, 2, 3, 7, 10, 100, 1000)
                       ) -> None:
    """The uniform roots equal the library's tree hash of that many identical leaves."""
    for n in sizes:
        _, frontier = tree.append_leaf_hashes(tree.EMPTY_FRONTIER, [t.leaf] * n)
        if frontier.root != t.root(n):
            raise AssertionError(f"uniform tree root differs from ledger.core.tree at {n}")


def sha_calls(m: int, n: int, proof_len: int) -> int:
    """SHA-256 precompile calls ``_verifyConsistency`` makes (mirrors the contract's loops)."""
    ptr = 1 if m & (m - 1) else 0
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    calls, same = 0, True
    while ptr < proof_len and fn:
        if fn & 1 or fn == sn:
            calls += 1 if same else 2
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            calls, same = calls + 1, False
        fn, sn, ptr = fn >> 1, sn >> 1, ptr + 1
    while ptr < proof_len and sn:
        calls, sn, ptr = calls + 1, sn >> 1, ptr + 1
    return calls


def _score(m: int, n: int, t: UniformTree) -> tuple[int, int, int]:
    """A gas estimate to rank candidates: calldata+loop per hash, ~230 gas per SHA call."""
    plen = len(t.consistency_proof(m, n))
    calls = sha_calls(m, n, plen)
    return plen * 620 + calls * 230, plen, calls


def worst_candidates(n: int, t: UniformTree, samples: int, seed: int, top: int = 3
                     ) -> tuple[list[int], int]:
    """The ``top`` first sizes ``m`` with the highest estimated gas, and how many were tried."""
    rng = random.Random(seed * 7919 + n)
    cands = {1, n - 1, n // 2, n // 2 + 1, max(1, n - n // 100)}
    for k in range(n.bit_length()):
        for d in (-1, 0, 1):
            cands.update({(1 << k) + d, n - (1 << k) + d, ((n >> k) << k) + d})
    if n - 1 <= samples:  # small logs: every first size
        cands.update(range(1, n))
    else:
        cands.update(rng.randrange(1, n) for _ in range(samples))
    valid = sorted(m for m in cands if 0 < m < n)
    ranked = sorted(valid, key=lambda m: _score(m, n, t)[0], reverse=True)
    return ranked[:top], len(valid)


def calldata_gas(data: bytes) -> int:
    """EIP-2028 calldata gas: 4 per zero byte, 16 per non-zero byte."""
    return sum(4 if b == 0 else 16 for b in data)


class GasBench:
    """The registry deployed on one chain, with one sender as admin and anchorer."""

    def __init__(self, chain: ChainBackend, account: LocalAccount, tag: str) -> None:
        self.chain, self.account, self.tag = chain, account, tag
        self.abi = registry.abi()
        self.address, _ = chain.deploy(self.abi, registry.bytecode(), [], account)
        # The log's checkpoint key: every anchor carries its signature, as the ledger's do.
        self.key = CheckpointKey(hashlib.sha256(f"bench key/{tag}".encode()).digest())
        self.chain_id = chain.chain_id()
        self.tree = UniformTree()
        check_uniform_tree(self.tree)
        self._logs = 0

    def _new_log(self) -> bytes:
        self._logs += 1
        log_id = hashlib.sha256(f"bench/{self.tag}/{self._logs}".encode()).digest()
        self.chain.transact(self.address, self.abi, "registerLog",
                            [log_id, self.key.address, [self.account.address]], self.account)
        return log_id

    def _args(self, log_id: bytes, size: int, proof: list[bytes]) -> list[Any]:
        root = self.tree.root(size)
        sig = self.key.sign_checkpoint(self.chain_id, self.address, log_id, size, root)
        return [log_id, size, root, proof, *sig.args()]

    def anchor_pair(self, m: int, n: int) -> dict[str, Any]:
        """Anchor size ``m`` on a fresh log, then ``n`` with PROOF(m, n): the second's gas."""
        t = self.tree
        proof = t.consistency_proof(m, n)
        verify_consistency(m, n, t.root(m), t.root(n), proof)  # raises if the proof is wrong
        log_id = self._new_log()
        first = self.chain.transact(self.address, self.abi, "anchor", self._args(log_id, m, []),
                                    self.account)
        args = self._args(log_id, n, proof)
        ref = self.chain.transact(self.address, self.abi, "anchor", args, self.account)
        head = self.chain.call(self.address, self.abi, "latestCheckpoint", [log_id])
        if int(head[0]) != n or bytes(head[1]) != t.root(n):
            raise AssertionError(f"registry did not store the checkpoint of size {n}")
        cd = calldata_gas(encode_call(self.abi, "anchor", args))
        return {"m": m, "n": n, "proof_len": len(proof), "sha_calls": sha_calls(m, n, len(proof)),
                "gas": ref.gas_used, "calldata_gas": cd,
                "execution_gas": ref.gas_used - TX_BASE_GAS - cd,
                "first_anchor_gas": first.gas_used}

    def by_size(self, n: int, samples: int, seed: int) -> dict[str, Any]:
        """Typical (m = n − 1%) and worst found first size for a log of ``n`` leaves."""
        typical = self.anchor_pair(max(1, n - max(1, n // 100)), n)
        cands, tried = worst_candidates(n, self.tree, samples, seed)
        measured = [self.anchor_pair(m, n) for m in cands if m != typical["m"]]
        worst = max([typical, *measured], key=lambda r: r["gas"])
        return {"n": n, "typical": typical, "worst": worst, "candidates_tried": tried,
                "candidates_measured": len(measured) + 1}

    def amortised(self, n: int, per_checkpoint: int, naive_gas: float) -> dict[str, Any]:
        """One checkpoint of ``per_checkpoint`` events at log size ``n``, per event."""
        r = self.anchor_pair(n - per_checkpoint, n)
        per_event = r["gas"] / per_checkpoint
        return {"n": n, "per_checkpoint": per_checkpoint, "gas": r["gas"],
                "proof_len": r["proof_len"], "gas_per_event": per_event,
                "naive_gas_per_event": naive_gas, "ratio": naive_gas / per_event}

    def naive(self, samples: int) -> dict[str, Any]:
        """Deploy the one-write-per-event contract and record ``samples`` distinct events."""
        address, _ = self.chain.deploy(NAIVE_ABI, NAIVE_BYTECODE, [], self.account)
        runtime = self.chain.get_code(address).hex()
        if runtime != NAIVE_RUNTIME:
            raise AssertionError(f"naive contract runtime is {runtime}, not {NAIVE_RUNTIME}")
        gases, cds = [], []
        for i in range(samples):
            h = hashlib.sha256(f"naive/{self.tag}/{i}".encode()).digest()
            gases.append(self.chain.transact(address, NAIVE_ABI, "record", [h],
                                             self.account).gas_used)
            cds.append(calldata_gas(encode_call(NAIVE_ABI, "record", [h])))
            if self.chain.web3.eth.get_storage_at(address, h)[-1] != 1:  # type: ignore[arg-type]
                raise AssertionError("naive contract did not store the event")
        return {"median_gas": statistics.median(gases), "min_gas": min(gases),
                "max_gas": max(gases), "samples": samples,
                "calldata_gas_median": statistics.median(cds), "bytecode": NAIVE_BYTECODE,
                "design": "record(bytes32 h): sstore(h, 1) — one new slot per event"}
