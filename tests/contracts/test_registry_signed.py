"""Log-signed anchors, freezing and successors, on the embedded py-evm chain AND the Hardhat
node, through ``chain_access`` (the same backends the ledger uses).

Every refusal is asserted by its custom error and decoded arguments. Proofs come from the
naive RFC 9162 reference (``tests/reference_merkle.py``).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from chain_access import ChainBackend, ChainRevert, open_chain
from ledger.anchoring import registry
from ledger.anchoring.signer import CheckpointKey, CompactSignature, checkpoint_digest
from tests import reference_merkle as ref

ABI = registry.abi()
NO_GOOD = 2**256 - 1
ZERO32 = b"\x00" * 32
DATA = [ref.leaf_hash(f"signed event {i}".encode()) for i in range(1300)]
_ids = itertools.count()


def key(label: str) -> CheckpointKey:
    return CheckpointKey(hashlib.sha256(f"test checkpoint key {label}".encode()).digest())


LOG_KEY, OTHER_KEY, SUCCESSOR_KEY = key("log"), key("other"), key("successor")


@dataclass
class Net:
    """A freshly deployed registry on one chain, with funded admin/anchorer/outsider."""

    chain: ChainBackend
    address: str
    admin: LocalAccount
    anchorer: LocalAccount
    outsider: LocalAccount

    def call(self, fn: str, *args: Any) -> Any:
        return self.chain.call(self.address, ABI, fn, list(args))

    def send(self, fn: str, args: list[Any], sender: LocalAccount | None = None) -> Any:
        return self.chain.transact(self.address, ABI, fn, args, sender or self.admin)

    def register(self, signer: CheckpointKey = LOG_KEY) -> bytes:
        lid = hashlib.sha256(f"signed.test/{next(_ids)}".encode()).digest()
        self.send("registerLog", [lid, signer.address, [self.anchorer.address]])
        return lid

    def sign(self, lid: bytes, size: int, root: bytes, signer: CheckpointKey = LOG_KEY,
             *, registry_address: str | None = None) -> CompactSignature:
        return signer.sign_checkpoint(self.chain.chain_id(), registry_address or self.address,
                                      lid, size, root)

    def anchor(self, lid: bytes, size: int, root: bytes, proof: list[bytes],
               sig: CompactSignature | None = None, sender: LocalAccount | None = None) -> Any:
        sig = sig or self.sign(lid, size, root)
        return self.send("anchor", [lid, size, root, proof, *sig.args()],
                         sender or self.anchorer)

    def expect(self, name: str, args: tuple[Any, ...], fn: str, call_args: list[Any],
               sender: LocalAccount | None = None) -> None:
        with pytest.raises(ChainRevert) as info:
            self.send(fn, call_args, sender or self.anchorer)
        assert (info.value.name, _norm(info.value.args_decoded)) == (name, _norm(args))


def _norm(args: Any) -> tuple[Any, ...]:
    return tuple(a.lower() if isinstance(a, str) else a for a in args or ())


def _funded(chain: ChainBackend, fund: Any) -> list[LocalAccount]:
    accounts = [Account.create() for _ in range(3)]
    for acct in accounts:
        fund(acct.address)
    return accounts


@pytest.fixture(params=["embedded", "hardhat"])
def net(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Net]:
    if request.param == "embedded":
        chain = open_chain(f"embedded:{tmp_path / 'chain'}")
        accounts = _funded(chain, lambda a: chain.fund(a, 10**21))  # type: ignore[attr-defined]
    else:
        url = request.getfixturevalue("hardhat_node")
        w3 = request.getfixturevalue("hardhat_w3")
        chain = open_chain(url)
        accounts = _funded(chain, lambda a: w3.provider.make_request(
            "hardhat_setBalance", [a, hex(10**21)]))
    admin, anchorer, outsider = accounts
    address, _ = chain.deploy(ABI, registry.bytecode(), [], admin)
    yield Net(chain, address, admin, anchorer, outsider)
    chain.close()


def test_digest_matches_the_contract(net: Net) -> None:
    lid = net.register()
    root = ref.mth(DATA[:7])
    assert net.call("checkpointDigest", lid, 7, root) == checkpoint_digest(
        net.chain.chain_id(), net.address, lid, 7, root)
    assert net.call("checkpointSigner", lid).lower() == LOG_KEY.address.lower()


def test_signed_anchor_accepted(net: Net) -> None:
    lid = net.register()
    net.anchor(lid, 999, ref.mth(DATA[:999]), [])
    net.anchor(lid, 1220, ref.mth(DATA[:1220]), ref.proof(999, DATA[:1220]))
    assert net.call("latestCheckpoint", lid)[:2] == (1220, ref.mth(DATA[:1220]))


def test_unsigned_forged_and_foreign_signatures_refused(net: Net) -> None:
    lid = net.register()
    root = ref.mth(DATA[:10])
    digest = checkpoint_digest(net.chain.chain_id(), net.address, lid, 10, root)
    cases = {
        "unsigned": CompactSignature(ZERO32, ZERO32),
        "forged": CompactSignature(b"\x11" * 32, b"\x22" * 32),
        "another key": OTHER_KEY.sign_digest(digest),
        "other size": net.sign(lid, 11, root),
    }
    for label, sig in cases.items():
        with pytest.raises(ChainRevert) as info:
            net.anchor(lid, 10, root, [], sig)
        assert info.value.name == "CheckpointNotSignedByLog", label
        got_lid, size, got_root, recovered, signer = info.value.args_decoded or ()
        assert (got_lid, size, got_root, signer.lower()) == (
            lid, 10, root, LOG_KEY.address.lower()), label
        assert recovered.lower() != LOG_KEY.address.lower(), label
    assert net.call("checkpointCount", lid) == 0


def test_signature_replayed_on_another_log_or_registry_refused(net: Net) -> None:
    first, second = net.register(), net.register()  # same signer for both logs
    root = ref.mth(DATA[:5])
    sig_first = net.sign(first, 5, root)
    with pytest.raises(ChainRevert) as info:
        net.anchor(second, 5, root, [], sig_first)
    assert info.value.name == "CheckpointNotSignedByLog"
    other_registry, _ = net.chain.deploy(ABI, registry.bytecode(), [], net.admin)
    sig_elsewhere = net.sign(first, 5, root, registry_address=other_registry)
    with pytest.raises(ChainRevert) as info:
        net.anchor(first, 5, root, [], sig_elsewhere)
    assert info.value.name == "CheckpointNotSignedByLog"
    net.anchor(first, 5, root, [], sig_first)  # where it was signed for, it is accepted


def test_size_inflation_refused(net: Net) -> None:
    """anchor(1221, root_of_1220, proof_999→1220): the proof alone verifies, the log never
    signed (1221, root_of_1220)."""
    lid = net.register()
    net.anchor(lid, 999, ref.mth(DATA[:999]), [])
    root_1220, proof = ref.mth(DATA[:1220]), ref.proof(999, DATA[:1220])
    stolen = net.sign(lid, 1220, root_1220)  # what the log did sign
    for sig in (stolen, net.sign(lid, 1221, root_1220, OTHER_KEY)):
        with pytest.raises(ChainRevert) as info:
            net.anchor(lid, 1221, root_1220, proof, sig)
        assert info.value.name == "CheckpointNotSignedByLog"
        assert info.value.args_decoded[:3] == (lid, 1221, root_1220)  # type: ignore[index]
    net.anchor(lid, 1220, root_1220, proof, stolen)
    assert net.call("latestCheckpoint", lid)[:2] == (1220, root_1220)


def test_signed_but_inconsistent_still_refused(net: Net) -> None:
    """The consistency check stays: a signed root that does not extend the last one."""
    lid = net.register()
    net.anchor(lid, 4, ref.mth(DATA[:4]), [])
    other = [ref.leaf_hash(b"rewritten"), *DATA[1:8]]
    net.expect("InvalidConsistencyProof", (lid, 4, 8), "anchor",
               [lid, 8, ref.mth(other), ref.proof(4, other), *net.sign(lid, 8, ref.mth(other))
                .args()])


def test_registration_needs_a_signer(net: Net) -> None:
    lid = hashlib.sha256(b"no signer").digest()
    net.expect("ZeroSigner", (lid,), "registerLog", [lid, "0x" + "00" * 20, []], net.admin)


def test_freeze_and_successor(net: Net) -> None:
    old = net.register()
    net.anchor(old, 999, ref.mth(DATA[:999]), [])
    net.anchor(old, 1220, ref.mth(DATA[:1220]), ref.proof(999, DATA[:1220]))
    net.send("freezeLog", [old, 0])  # only checkpoint 0 (size 999) is still trusted
    assert net.call("frozenState", old) == (True, 0)
    root_1250 = ref.mth(DATA[:1250])
    net.expect("LogIsFrozen", (old, 0), "anchor",
               [old, 1250, root_1250, ref.proof(1220, DATA[:1250]),
                *net.sign(old, 1250, root_1250).args()])
    net.expect("LogIsFrozen", (old, 0), "freezeLog", [old, 0], net.admin)

    new = hashlib.sha256(b"successor.test/log").digest()
    net.send("registerSuccessor", [old, new, SUCCESSOR_KEY.address, [net.anchorer.address]])
    assert net.call("predecessorOf", new) == (old, 999, ref.mth(DATA[:999]))
    assert net.call("successorOf", old) == new
    assert net.call("checkpointSigner", new).lower() == SUCCESSOR_KEY.address.lower()
    net.expect("SuccessorAlreadyRegistered", (old, new), "registerSuccessor",
               [old, b"\x07" * 32, SUCCESSOR_KEY.address, []], net.admin)
    # The successor continues from size 999, signed by its own key only.
    proof = ref.proof(999, DATA[:1250])
    with pytest.raises(ChainRevert) as info:
        net.anchor(new, 1250, root_1250, proof, net.sign(new, 1250, root_1250))
    assert info.value.name == "CheckpointNotSignedByLog"
    net.expect("InvalidConsistencyProof", (new, 999, 1250), "anchor",
               [new, 1250, root_1250, [], *net.sign(new, 1250, root_1250, SUCCESSOR_KEY).args()])
    net.anchor(new, 1250, root_1250, proof, net.sign(new, 1250, root_1250, SUCCESSOR_KEY))
    assert net.call("latestCheckpoint", new)[:2] == (1250, root_1250)


def test_freeze_without_a_good_checkpoint(net: Net) -> None:
    old = net.register()
    net.anchor(old, 3, ref.mth(DATA[:3]), [])
    net.expect("CheckpointOutOfRange", (old, 1, 1), "freezeLog", [old, 1], net.admin)
    net.send("freezeLog", [old, NO_GOOD])
    new, live = hashlib.sha256(b"fresh successor").digest(), net.register()
    net.expect("LogNotFrozen", (live,), "registerSuccessor",
               [live, b"\x09" * 32, SUCCESSOR_KEY.address, []], net.admin)
    net.send("registerSuccessor", [old, new, SUCCESSOR_KEY.address, [net.anchorer.address]])
    assert net.call("predecessorOf", new) == (old, 0, ZERO32)
    root = ref.mth(DATA[:3])
    net.anchor(new, 3, root, [], net.sign(new, 3, root, SUCCESSOR_KEY))


def test_only_the_admin_freezes_and_registers_successors(net: Net) -> None:
    old = net.register()
    role = ZERO32
    for sender in (net.anchorer, net.outsider):
        net.expect("AccessControlUnauthorizedAccount", (sender.address, role), "freezeLog",
                   [old, NO_GOOD], sender)
    net.send("freezeLog", [old, NO_GOOD])
    new = hashlib.sha256(b"unauthorised successor").digest()
    net.expect("AccessControlUnauthorizedAccount", (net.anchorer.address, role),
               "registerSuccessor", [old, new, OTHER_KEY.address, [net.anchorer.address]],
               net.anchorer)
    assert net.call("successorOf", old) == ZERO32
