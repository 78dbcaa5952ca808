"""Checkpoints planted on a real chain by a test that holds every key: a registry it deployed,
the log registered with a checkpoint signer and an anchorer it controls — what a stolen
anchorer and checkpoint key could anchor. All writes to the registry go through
:class:`Planted`, so a change of the registry's ABI is adapted here only."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount

from chain_access import ChainBackend, TxRef
from ledger.anchoring import registry
from ledger.anchoring.signer import CheckpointKey
from ledger.core.hashing import log_id

# A fixed test secret, never a real key.
TEST_SIGNER = CheckpointKey(hashlib.sha256(b"verifier test checkpoint key").digest())


@dataclass
class Planted:
    chain: ChainBackend
    registry: str
    log_id: bytes
    sender: LocalAccount
    count: int = 0

    def anchor(self, size: int, root: bytes, proof: Sequence[bytes] = ()) -> dict[str, Any]:
        """Anchor (size, root); the anchor reference of the new checkpoint."""
        sig = TEST_SIGNER.sign_checkpoint(self.chain.chain_id(), self.registry, self.log_id,
                                          size, root)
        tx = self.chain.transact(self.registry, registry.abi(), "anchor",
                                 [self.log_id, size, root, list(proof), *sig.args()],
                                 self.sender)
        self.count += 1
        return self.reference(self.count - 1, tx, size, root)

    def reference(self, index: int, tx: TxRef, size: int, root: bytes) -> dict[str, Any]:
        block = self.chain.get_block(tx.block_number)
        return {"chain_id": self.chain.chain_id(), "registry": self.registry,
                "log_id": "0x" + self.log_id.hex(), "chain_index": index, "tree_size": size,
                "root": root.hex(), "tx_hash": "0x" + tx.tx_hash.hex(),
                "block_number": tx.block_number, "block_hash": "0x" + tx.block_hash.hex(),
                "block_timestamp": block.timestamp}

    def other_tx(self) -> TxRef:
        """A successful transaction to another contract (a second registry)."""
        other = plant_registry(self.chain, "another.test/log", self.sender)
        return other.chain.transact(other.registry, registry.abi(), "grantAnchorer",
                                    [other.log_id, self.sender.address], self.sender)


def plant_registry(chain: ChainBackend, origin: str, sender: LocalAccount) -> Planted:
    """Deploy a registry and register ``origin``'s log id with the test's keys."""
    address, _ = chain.deploy(registry.abi(), registry.bytecode(), [], sender)
    lid = log_id(origin)
    chain.transact(address, registry.abi(), "registerLog",
                   [lid, TEST_SIGNER.address, [sender.address]], sender)
    return Planted(chain, str(address), lid, sender)
