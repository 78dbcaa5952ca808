"""WitnessRegistry on a real Hardhat node: access control, append-only anchoring, proofs, gas.

Proofs come from the naive RFC 9162 reference (``tests/reference_merkle.py``), or for the
million-leaf gas figures from :mod:`tests.contracts.merkle_paths` (checked against it).
Reverts are asserted by exact custom error: selector and decoded arguments.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
from eth_abi.abi import decode as abi_decode
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD
from web3.types import TxReceipt

from ledger.anchoring.registry import ARTIFACT as REGISTRY_ARTIFACT
from ledger.anchoring.signer import CheckpointKey
from tests import reference_merkle as ref
from tests.contracts import merkle_paths as mp

pytestmark = pytest.mark.hardhat

ARTIFACT = REGISTRY_ARTIFACT
ZERO32 = b"\x00" * 32
DEFAULT_ADMIN_ROLE = ZERO32
MAX_PROOF_LENGTH = 64
# Regression guards, 1M-leaf log. The goal for a typical anchor (a 1% batch) is 100,000 gas;
# the on-chain check of the log's signature (ecrecover 3,000 + 64 calldata bytes + digest)
# puts it at ~102,850, so these guard the measured figures (docs/formats.md §6).
GAS_TARGET = 103_500  # typical anchoring (a batch onto a 1M-leaf log)
GAS_CEILING = 110_500  # costliest previous size found

_origin_counter = itertools.count()
# The logs' checkpoint key in these tests (a fixed test secret, never a real key).
LOG_KEY = CheckpointKey(hashlib.sha256(b"registry test checkpoint key").digest())


# ------------------------------------------------------------------------------ helpers


def load_artifact() -> dict[str, Any]:
    """The committed compiled artifact."""
    artifact: dict[str, Any] = json.loads(ARTIFACT.read_text(encoding="utf-8"))
    return artifact


def log_id(origin: str) -> bytes:
    """``logId`` = SHA-256 of the log origin string."""
    return hashlib.sha256(origin.encode("utf-8")).digest()


def fresh_origin(prefix: str = "test") -> str:
    """A log origin never used before in this session."""
    return f"{prefix}.witness.example/{next(_origin_counter)}"


def leaves(n: int, salt: str = "") -> list[bytes]:
    """``n`` distinct leaf hashes."""
    return [ref.leaf_hash(f"event {salt}{i}".encode()) for i in range(n)]


def error_table(abi: list[dict[str, Any]]) -> dict[bytes, tuple[str, list[str]]]:
    """Selector → (error name, argument types) for every custom error of the ABI."""
    table = {}
    for item in abi:
        if item["type"] == "error":
            types = [arg["type"] for arg in item["inputs"]]
            selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
            table[selector] = (item["name"], types)
    return table


ERRORS = error_table(load_artifact()["abi"])


def revert_data(exc: ContractLogicError) -> bytes:
    """The raw revert data of ``exc``.

    web3 raises ContractCustomError with the hex data for ``eth_call``; for the gas estimate
    of a transaction Hardhat answers ``{"message": ..., "data": "0x..."}`` and web3 raises a
    plain ContractLogicError carrying that dict.
    """
    data = exc.data
    if isinstance(data, dict):
        data = data.get("data")
    assert isinstance(data, str), f"no revert data in {exc!r}"
    return bytes.fromhex(data.removeprefix("0x"))


def decode_custom_error(exc: ContractLogicError) -> tuple[str, tuple[Any, ...]]:
    """The (name, arguments) of the custom error carried by ``exc``."""
    raw = revert_data(exc)
    name, types = ERRORS[raw[:4]]
    values = abi_decode(types, raw[4:])
    return name, tuple(
        Web3.to_checksum_address(v) if t == "address" else v
        for t, v in zip(types, values, strict=True)
    )


def expect_error(call: Callable[[], Any], name: str, *args: Any) -> None:
    """Run ``call`` and assert it reverts with exactly the custom error ``name(*args)``."""
    with pytest.raises(ContractLogicError) as info:
        call()
    assert decode_custom_error(info.value) == (name, args)


class Registry:
    """A deployed WitnessRegistry with small helpers that send and wait."""

    def __init__(self, w3: Web3, contract: Contract, admin: ChecksumAddress) -> None:
        self.w3 = w3
        self.contract = contract
        self.admin = admin

    @property
    def fn(self) -> Any:
        return self.contract.functions

    def send(self, call: Any, sender: ChecksumAddress) -> TxReceipt:
        tx_hash = call.transact({"from": sender})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1
        return receipt

    def register(self, origin: str, anchorers: list[ChecksumAddress]) -> bytes:
        lid = log_id(origin)
        self.send(self.fn.registerLog(lid, LOG_KEY.address, anchorers), self.admin)
        return lid

    def signed(self, lid: bytes, size: int, root: bytes, proof: list[bytes]) -> Any:
        """The anchor call for (size, root), signed by the logs' checkpoint key."""
        sig = LOG_KEY.sign_checkpoint(self.w3.eth.chain_id, self.contract.address, lid, size, root)
        return self.fn.anchor(lid, size, root, proof, *sig.args())

    def anchor(
        self, lid: bytes, size: int, root: bytes, proof: list[bytes], sender: ChecksumAddress
    ) -> TxReceipt:
        return self.send(self.signed(lid, size, root, proof), sender)

    def anchor_call(
        self, lid: bytes, size: int, root: bytes, proof: list[bytes], sender: ChecksumAddress
    ) -> Callable[[], Any]:
        return lambda: self.signed(lid, size, root, proof).transact({"from": sender})


def deploy(w3: Web3, admin: ChecksumAddress) -> Registry:
    """Deploy the artifact's bytecode from ``admin``."""
    artifact = load_artifact()
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor().transact({"from": admin}))
    assert receipt["status"] == 1
    address = receipt["contractAddress"]
    assert address is not None
    contract = w3.eth.contract(address=address, abi=artifact["abi"])
    return Registry(w3, contract, admin)


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
def registry(hardhat_w3: Web3, hardhat_accounts: list[ChecksumAddress]) -> Registry:
    """A freshly deployed registry; the first account is its admin."""
    return deploy(hardhat_w3, hardhat_accounts[0])


@pytest.fixture(scope="module")
def shared_registry(
    hardhat_w3: Web3, hardhat_accounts: list[ChecksumAddress]
) -> Iterator[Registry]:
    """One registry for the module (tests register their own fresh log ids)."""
    yield deploy(hardhat_w3, hardhat_accounts[0])


@pytest.fixture
def anchorer(hardhat_accounts: list[ChecksumAddress]) -> ChecksumAddress:
    return hardhat_accounts[1]


@pytest.fixture
def outsider(hardhat_accounts: list[ChecksumAddress]) -> ChecksumAddress:
    return hardhat_accounts[2]


# ------------------------------------------------------------------ pure helper checks


@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 9, 31, 33])
def test_merkle_paths_match_reference(n: int) -> None:
    data = leaves(n)
    mth = mp.list_tree(data)
    assert mth(0, n) == ref.mth(data)
    for m in range(n):
        assert mp.inclusion_path(m, 0, n, mth) == ref.path(m, data)
    for m in range(1, n + 1):
        assert mp.consistency_proof(m, n, mth) == ref.proof(m, data)


def test_uniform_tree_matches_reference() -> None:
    tree = mp.UniformTree()
    for n in (1, 5, 16, 45):
        assert tree.root(n) == ref.mth([tree.leaf] * n)


# --------------------------------------------------------------- registration & roles


def test_deployer_is_admin(registry: Registry) -> None:
    assert registry.fn.hasRole(DEFAULT_ADMIN_ROLE, registry.admin).call()
    assert registry.fn.MAX_PROOF_LENGTH().call() == MAX_PROOF_LENGTH


def test_log_id_of_is_sha256_of_origin(registry: Registry) -> None:
    origin = "ggzy.example.gov.cn/witness/v1 交易见证"
    assert registry.fn.logIdOf(origin).call() == log_id(origin)


def test_register_log_emits_events(registry: Registry, anchorer: ChecksumAddress) -> None:
    lid = log_id("province.example/log")
    receipt = registry.send(registry.fn.registerLog(lid, LOG_KEY.address, [anchorer]),
                            registry.admin)
    (registered,) = registry.contract.events.LogRegistered().process_receipt(
        receipt, errors=DISCARD
    )
    assert registered["args"] == {"logId": lid, "registeredBy": registry.admin,
                                  "signer": LOG_KEY.address}
    assert registry.fn.checkpointSigner(lid).call() == LOG_KEY.address
    (granted,) = registry.contract.events.AnchorerGranted().process_receipt(receipt, errors=DISCARD)
    assert granted["args"] == {"logId": lid, "account": anchorer, "sender": registry.admin}
    assert registry.fn.isRegistered(lid).call()
    assert registry.fn.isAnchorer(lid, anchorer).call()
    assert registry.fn.checkpointCount(lid).call() == 0
    assert tuple(registry.fn.latestCheckpoint(lid).call()) == (0, ZERO32, 0, 0)


def test_register_log_by_non_admin_rejected(registry: Registry, outsider: ChecksumAddress) -> None:
    lid = log_id("city.example/log")
    expect_error(
        lambda: registry.fn.registerLog(lid, outsider, [outsider]).transact({"from": outsider}),
        "AccessControlUnauthorizedAccount",
        outsider,
        DEFAULT_ADMIN_ROLE,
    )
    assert not registry.fn.isRegistered(lid).call()


def test_register_twice_and_zero_inputs_rejected(
    registry: Registry, anchorer: ChecksumAddress
) -> None:
    lid = registry.register("twice.example/log", [anchorer])
    expect_error(
        lambda: registry.fn.registerLog(lid, LOG_KEY.address, []).transact(
            {"from": registry.admin}),
        "LogAlreadyRegistered",
        lid,
    )
    expect_error(
        lambda: registry.fn.registerLog(ZERO32, LOG_KEY.address, []).transact(
            {"from": registry.admin}),
        "ZeroLogId",
    )
    zero = "0x" + "00" * 20
    expect_error(
        lambda: registry.fn.grantAnchorer(lid, zero).transact({"from": registry.admin}),
        "ZeroAnchorer",
        lid,
    )


def test_grant_and_revoke_anchorer(
    registry: Registry, anchorer: ChecksumAddress, outsider: ChecksumAddress
) -> None:
    lid = registry.register("grant.example/log", [])
    expect_error(
        lambda: registry.fn.grantAnchorer(lid, outsider).transact({"from": outsider}),
        "AccessControlUnauthorizedAccount",
        outsider,
        DEFAULT_ADMIN_ROLE,
    )
    unknown = log_id("nobody.example/log")
    expect_error(
        lambda: registry.fn.grantAnchorer(unknown, anchorer).transact({"from": registry.admin}),
        "UnknownLog",
        unknown,
    )
    receipt = registry.send(registry.fn.grantAnchorer(lid, anchorer), registry.admin)
    (event,) = registry.contract.events.AnchorerGranted().process_receipt(receipt, errors=DISCARD)
    assert event["args"] == {"logId": lid, "account": anchorer, "sender": registry.admin}
    data = leaves(4)
    registry.anchor(lid, 4, ref.mth(data), [], anchorer)

    receipt = registry.send(registry.fn.revokeAnchorer(lid, anchorer), registry.admin)
    (event,) = registry.contract.events.AnchorerRevoked().process_receipt(receipt, errors=DISCARD)
    assert event["args"] == {"logId": lid, "account": anchorer, "sender": registry.admin}
    assert not registry.fn.isAnchorer(lid, anchorer).call()
    more = leaves(6)
    expect_error(
        registry.anchor_call(lid, 6, ref.mth(more), ref.proof(4, more), anchorer),
        "NotAnchorer",
        lid,
        anchorer,
    )


# ----------------------------------------------------------------------- anchoring


def test_anchor_by_non_anchorer_rejected(
    registry: Registry, anchorer: ChecksumAddress, outsider: ChecksumAddress
) -> None:
    lid = registry.register("na.example/log", [anchorer])
    root = ref.mth(leaves(3))
    expect_error(registry.anchor_call(lid, 3, root, [], outsider), "NotAnchorer", lid, outsider)
    # the admin is not an anchorer either, unless granted
    admin = registry.admin
    expect_error(registry.anchor_call(lid, 3, root, [], admin), "NotAnchorer", lid, admin)


def test_anchor_unknown_log_rejected(registry: Registry, anchorer: ChecksumAddress) -> None:
    lid = log_id("unknown.example/log")
    expect_error(registry.anchor_call(lid, 1, ZERO32, [], anchorer), "UnknownLog", lid)


def test_anchor_size_must_increase(registry: Registry, anchorer: ChecksumAddress) -> None:
    lid = registry.register("size.example/log", [anchorer])
    expect_error(
        registry.anchor_call(lid, 0, ref.mth([]), [], anchorer),
        "TreeSizeNotIncreasing",
        lid,
        0,
        0,
    )
    data = leaves(10)
    registry.anchor(lid, 10, ref.mth(data), [], anchorer)
    for size in (10, 9, 1):
        expect_error(
            registry.anchor_call(lid, size, ref.mth(data[:size]), [], anchorer),
            "TreeSizeNotIncreasing",
            lid,
            10,
            size,
        )


def test_first_anchor_needs_empty_proof(registry: Registry, anchorer: ChecksumAddress) -> None:
    lid = registry.register("first.example/log", [anchorer])
    data = leaves(5)
    expect_error(
        registry.anchor_call(lid, 5, ref.mth(data), [ref.mth(data[:3])], anchorer),
        "InvalidConsistencyProof",
        lid,
        0,
        5,
    )


def _forgeries(data: list[bytes], m: int) -> Iterator[tuple[str, bytes, list[bytes]]]:
    """(what, new root, proof) triples that must all be refused for m → len(data)."""
    n = len(data)
    good = ref.proof(m, data)
    root = ref.mth(data)
    flipped = bytes([good[0][0] ^ 1]) + good[0][1:]
    yield "flipped bit", root, [flipped, *good[1:]]
    yield "truncated", root, good[:-1]
    yield "extra hash", root, [*good, ZERO32]
    yield "empty", root, []
    yield "reordered", root, list(reversed(good))
    rewritten = [ref.leaf_hash(b"rewritten"), *data[1:]]
    yield "rewritten history", ref.mth(rewritten), ref.proof(m, rewritten)
    yield "wrong new root", ref.mth(data[: n - 1]), good


def test_forged_consistency_proofs_rejected(registry: Registry, anchorer: ChecksumAddress) -> None:
    lid = registry.register("forged.example/log", [anchorer])
    data = leaves(21)
    m = 7
    registry.anchor(lid, m, ref.mth(data[:m]), [], anchorer)
    for what, root, forged in _forgeries(data, m):
        with pytest.raises(ContractLogicError) as info:
            registry.anchor_call(lid, len(data), root, forged, anchorer)()
        refused = decode_custom_error(info.value)
        assert refused == ("InvalidConsistencyProof", (lid, m, len(data))), what
    assert registry.fn.checkpointCount(lid).call() == 1


def test_proof_too_long_rejected(registry: Registry, anchorer: ChecksumAddress) -> None:
    lid = registry.register("long.example/log", [anchorer])
    registry.anchor(lid, 1, ref.leaf_hash(b"a"), [], anchorer)
    too_long = [ZERO32] * (MAX_PROOF_LENGTH + 1)
    expect_error(
        registry.anchor_call(lid, 2, ZERO32, too_long, anchorer),
        "ProofTooLong",
        MAX_PROOF_LENGTH + 1,
        MAX_PROOF_LENGTH,
    )


def test_valid_anchor_accepted_and_stored(
    registry: Registry, hardhat_w3: Web3, anchorer: ChecksumAddress
) -> None:
    lid = registry.register("valid.example/log", [anchorer])
    data = leaves(100)
    history = []
    for index, (m, n) in enumerate([(0, 13), (13, 16), (16, 57), (57, 100)]):
        root = ref.mth(data[:n])
        proof = ref.proof(m, data[:n]) if m else []
        receipt = registry.anchor(lid, n, root, proof, anchorer)
        block = hardhat_w3.eth.get_block(receipt["blockNumber"])
        (event,) = registry.contract.events.CheckpointAnchored().process_receipt(
            receipt, errors=DISCARD
        )
        assert event["args"] == {
            "logId": lid,
            "index": index,
            "treeSize": n,
            "root": root,
            "timestamp": block["timestamp"],
        }
        expected = (n, root, block["timestamp"], receipt["blockNumber"])
        history.append(expected)
        assert tuple(registry.fn.latestCheckpoint(lid).call()) == expected
        assert registry.fn.checkpointCount(lid).call() == index + 1
    for index, expected in enumerate(history):
        assert tuple(registry.fn.checkpointAt(lid, index).call()) == expected
    expect_error(lambda: registry.fn.checkpointAt(lid, 4).call(), "CheckpointOutOfRange", lid, 4, 4)
    unknown = log_id("nothing.example/log")
    expect_error(lambda: registry.fn.checkpointAt(unknown, 0).call(), "UnknownLog", unknown)
    expect_error(lambda: registry.fn.latestCheckpoint(unknown).call(), "UnknownLog", unknown)
    expect_error(lambda: registry.fn.checkpointCount(unknown).call(), "UnknownLog", unknown)


# ----------------------------------------------------------------------- inclusion


def test_verify_inclusion(registry: Registry, anchorer: ChecksumAddress) -> None:
    lid = registry.register("incl.example/log", [anchorer])
    data = leaves(27)
    registry.anchor(lid, 13, ref.mth(data[:13]), [], anchorer)
    registry.anchor(lid, 27, ref.mth(data), ref.proof(13, data), anchorer)
    verify = registry.fn.verifyInclusion
    for checkpoint, size in ((0, 13), (1, 27)):
        tree = data[:size]
        for i in range(size):
            assert verify(lid, checkpoint, i, tree[i], ref.path(i, tree)).call(), (checkpoint, i)
    # tampered leaf, proof, index; leaf outside the tree; proof of the other checkpoint
    path5 = ref.path(5, data)
    assert not verify(lid, 1, 5, ref.leaf_hash(b"forged"), path5).call()
    assert not verify(lid, 1, 5, data[5], [path5[0][::-1], *path5[1:]]).call()
    assert not verify(lid, 1, 5, data[5], path5[:-1]).call()
    assert not verify(lid, 1, 5, data[5], [*path5, ZERO32]).call()
    assert not verify(lid, 1, 4, data[5], path5).call()
    assert not verify(lid, 1, 6, data[5], path5).call()
    assert not verify(lid, 0, 5, data[5], path5).call()
    assert not verify(lid, 0, 13, data[13], ref.path(13, data)).call()
    assert not verify(lid, 1, 27, data[5], path5).call()
    assert not verify(lid, 1, 5, data[5], [ZERO32] * (MAX_PROOF_LENGTH + 1)).call()
    # reverts only for an unknown log or checkpoint
    expect_error(lambda: verify(lid, 2, 0, data[0], []).call(), "CheckpointOutOfRange", lid, 2, 2)
    unknown = log_id("nope.example/log")
    expect_error(lambda: verify(unknown, 0, 0, data[0], []).call(), "UnknownLog", unknown)


def test_single_leaf_inclusion(registry: Registry, anchorer: ChecksumAddress) -> None:
    lid = registry.register("one.example/log", [anchorer])
    leaf = ref.leaf_hash(b"only")
    registry.anchor(lid, 1, leaf, [], anchorer)
    assert registry.fn.verifyInclusion(lid, 0, 0, leaf, []).call()
    assert not registry.fn.verifyInclusion(lid, 0, 0, leaf, [leaf]).call()
    assert not registry.fn.verifyInclusion(lid, 0, 1, leaf, []).call()


# -------------------------------------------------------------------- several logs


def test_logs_are_independent(registry: Registry, hardhat_accounts: list[ChecksumAddress]) -> None:
    province_anchorer, city_anchorer = hardhat_accounts[3], hardhat_accounts[4]
    province = registry.register("ggzy.province.example/witness", [province_anchorer])
    city = registry.register("ggzy.city.example/witness", [city_anchorer])
    p_data, c_data = leaves(40, "p"), leaves(9, "c")

    registry.anchor(province, 20, ref.mth(p_data[:20]), [], province_anchorer)
    expect_error(
        registry.anchor_call(city, 9, ref.mth(c_data), [], province_anchorer),
        "NotAnchorer",
        city,
        province_anchorer,
    )
    assert registry.fn.checkpointCount(city).call() == 0
    # the city's first checkpoint is smaller than the province's: sizes are per log
    registry.anchor(city, 5, ref.mth(c_data[:5]), [], city_anchorer)
    registry.anchor(city, 9, ref.mth(c_data), ref.proof(5, c_data), city_anchorer)
    registry.anchor(province, 40, ref.mth(p_data), ref.proof(20, p_data), province_anchorer)
    assert registry.fn.checkpointCount(province).call() == 2
    assert registry.fn.checkpointCount(city).call() == 2
    assert tuple(registry.fn.latestCheckpoint(city).call())[:2] == (9, ref.mth(c_data))
    assert tuple(registry.fn.latestCheckpoint(province).call())[:2] == (40, ref.mth(p_data))
    # a city proof against the province checkpoint does not verify
    assert registry.fn.verifyInclusion(city, 1, 3, c_data[3], ref.path(3, c_data)).call()
    assert not registry.fn.verifyInclusion(province, 1, 3, c_data[3], ref.path(3, c_data)).call()
    registry.send(registry.fn.revokeAnchorer(city, city_anchorer), registry.admin)
    assert registry.fn.isAnchorer(province, province_anchorer).call()


# ---------------------------------------------------------------------- property


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sizes=st.tuples(st.integers(1, 200), st.integers(1, 200)).filter(lambda t: t[0] != t[1]))
def test_real_consistency_proofs_accepted(
    shared_registry: Registry, hardhat_accounts: list[ChecksumAddress], sizes: tuple[int, int]
) -> None:
    m, n = sorted(sizes)
    anchorer = hardhat_accounts[5]
    lid = shared_registry.register(fresh_origin("prop"), [anchorer])
    data = leaves(n, f"{m}/{n}")
    shared_registry.anchor(lid, m, ref.mth(data[:m]), [], anchorer)
    shared_registry.anchor(lid, n, ref.mth(data), ref.proof(m, data), anchorer)
    assert tuple(shared_registry.fn.latestCheckpoint(lid).call())[:2] == (n, ref.mth(data))
    i = (m * 7919 + n) % n
    assert shared_registry.fn.verifyInclusion(lid, 1, i, data[i], ref.path(i, data)).call()


def test_all_small_consistency_proofs(
    shared_registry: Registry, hardhat_accounts: list[ChecksumAddress]
) -> None:
    """Every m < n <= 12: the real proof is accepted, each single-bit forgery refused."""
    anchorer = hardhat_accounts[7]
    data = leaves(12, "exhaustive")
    for n in range(2, 13):
        tree = data[:n]
        for m in range(1, n):
            lid = shared_registry.register(fresh_origin("all"), [anchorer])
            shared_registry.anchor(lid, m, ref.mth(tree[:m]), [], anchorer)
            proof = ref.proof(m, tree)
            for k in range(len(proof)):
                forged = [*proof[:k], bytes([proof[k][0] ^ 0x80]) + proof[k][1:], *proof[k + 1 :]]
                forged_call = shared_registry.signed(lid, n, ref.mth(tree), forged)
                expect_error(
                    partial(forged_call.call, {"from": anchorer}),
                    "InvalidConsistencyProof",
                    lid,
                    m,
                    n,
                )
            shared_registry.anchor(lid, n, ref.mth(tree), proof, anchorer)


# --------------------------------------------------------------------------- gas


def _anchor_gas(
    registry: Registry, anchorer: ChecksumAddress, tree: mp.UniformTree, m: int, n: int
) -> tuple[int, int, int]:
    """(gas of the first anchor at m, gas of the second at n, proof length)."""
    lid = registry.register(fresh_origin("gas"), [anchorer])
    first = registry.anchor(lid, m, tree.root(m), [], anchorer)
    proof = mp.consistency_proof(m, n, tree.mth)
    second = registry.anchor(lid, n, tree.root(n), proof, anchorer)
    return int(first["gasUsed"]), int(second["gasUsed"]), len(proof)


def hash_count(first: int, second: int) -> int:
    """SHA-256 calls the contract makes to verify PROOF(first, D[second]) (0 < first < second).

    Mirrors ``_verifyConsistency`` (RFC 9162 §2.1.4.2, one hash while fr == sr).
    """
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    hashes, same = 0, True
    while sn:
        if fn and (fn & 1 or fn == sn):
            hashes += 1 if same else 2
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            hashes, same = hashes + 1, False
        fn, sn = fn >> 1, sn >> 1
    return hashes


def _costliest_start(n: int, tree: mp.UniformTree, samples: int = 3000) -> int:
    """The previous size m < n (all below ``samples``, random ones and 2^k ± 1) whose
    consistency proof to n is the most expensive (16 gas per calldata byte, ~230 per hash)."""
    rng = random.Random(n)
    candidates = set(range(1, min(n, samples)))
    candidates |= {rng.randrange(1, n) for _ in range(samples)}
    candidates |= {v for k in range(1, n.bit_length()) for v in (2**k - 1, 2**k + 1) if v < n}

    def cost(m: int) -> int:
        return 512 * len(mp.consistency_proof(m, n, tree.mth)) + 230 * hash_count(m, n)

    return max(sorted(candidates), key=cost)


def test_anchor_gas(shared_registry: Registry, hardhat_accounts: list[ChecksumAddress]) -> None:
    anchorer = hardhat_accounts[6]
    tree = mp.UniformTree()
    rows = []
    for n in (10, 1_000, 1_000_000):
        starts = {
            "batch 1%": max(1, n - max(1, n // 100)),
            "half": n // 2 + 1,
            "costliest": _costliest_start(n, tree),
        }
        for label, m in starts.items():
            first_gas, gas, length = _anchor_gas(shared_registry, anchorer, tree, m, n)
            rows.append((n, label, m, length, hash_count(m, n), gas, first_gas))
    print("\nanchor() gas on Hardhat (cancun), second checkpoint m -> n:")
    print(f"{'n':>9} {'case':<10} {'m':>9} {'proof':>5} {'sha256':>6} {'gas':>7}  first anchor")
    for n, label, m, length, hashes, gas, first_gas in rows:
        print(f"{n:>9} {label:<10} {m:>9} {length:>5} {hashes:>6} {gas:>7}  {first_gas}")
    by_case = {(n, label): gas for n, label, _m, _len, _h, gas, _f in rows}
    batch = by_case[(1_000_000, "batch 1%")]
    assert batch <= GAS_TARGET, f"anchor() of a 1% batch at 1M leaves used {batch} gas"
    worst = max(gas for (n, _label), gas in by_case.items() if n == 1_000_000)
    assert worst <= GAS_CEILING, f"anchor() at 1M leaves used {worst} gas > {GAS_CEILING}"
