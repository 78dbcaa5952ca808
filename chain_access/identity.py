"""Chain identity: detect a different or reset chain before anchoring or trusting an anchor.

Role: ``ChainIdentity(chain_id, genesis_hash)`` is recorded when the ledger first anchors;
``check_identity`` compares a live backend with it (and optionally the code at the recorded
contract address) and raises ``ChainMismatch`` saying exactly what differs.

Must not import: ``ledger.*``, ``verifier.*``, FastAPI, py-evm, eth-tester, web3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chain_access.base import ChainBackend
from chain_access.errors import ChainMismatch


def keccak256(data: bytes) -> bytes:
    from eth_utils.crypto import keccak

    return bytes(keccak(data))


@dataclass(frozen=True)
class ChainIdentity:
    chain_id: int
    genesis_hash: bytes

    @classmethod
    def of(cls, backend: ChainBackend) -> ChainIdentity:
        return cls(backend.chain_id(), backend.genesis_hash())

    def to_json(self) -> dict[str, Any]:
        return {"chain_id": self.chain_id, "genesis_hash": "0x" + self.genesis_hash.hex()}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> ChainIdentity:
        return cls(int(obj["chain_id"]), bytes.fromhex(str(obj["genesis_hash"])[2:]))


def code_hash(code: bytes) -> bytes:
    """keccak256 of runtime code, as ``EXTCODEHASH`` would give."""
    return keccak256(code)


def check_identity(backend: ChainBackend, expected: ChainIdentity,
                   contract: str | None = None,
                   expected_code_hash: bytes | None = None) -> None:
    """Raise ``ChainMismatch`` unless ``backend`` is the expected chain (and contract).

    Order of checks: chain id (a different network), genesis hash (same id but another or a
    reset chain), then, if ``contract`` is given, that code exists there and, if
    ``expected_code_hash`` is given, that its keccak256 matches.
    """
    where = backend.description
    actual_id = backend.chain_id()
    if actual_id != expected.chain_id:
        raise ChainMismatch(
            f"chain id differs on {where}: expected {expected.chain_id}, found {actual_id} "
            f"(this is another network)", field="chain_id",
            expected=expected.chain_id, actual=actual_id)
    actual_genesis = backend.genesis_hash()
    if actual_genesis != expected.genesis_hash:
        raise ChainMismatch(
            f"genesis hash differs on {where}: expected 0x{expected.genesis_hash.hex()}, "
            f"found 0x{actual_genesis.hex()} (the chain was reset or replaced; anchors "
            f"recorded on the old chain are not on this one)", field="genesis_hash",
            expected=expected.genesis_hash, actual=actual_genesis)
    if contract is None:
        return
    code = backend.get_code(contract)
    if not code:
        raise ChainMismatch(
            f"no contract code at {contract} on {where} (chain reset, or wrong address)",
            field="contract_code", expected=expected_code_hash, actual=None)
    actual_hash = code_hash(code)
    if expected_code_hash is not None and actual_hash != expected_code_hash:
        raise ChainMismatch(
            f"contract code at {contract} on {where} differs: expected code hash "
            f"0x{expected_code_hash.hex()}, found 0x{actual_hash.hex()}",
            field="contract_code", expected=expected_code_hash, actual=actual_hash)


__all__ = ["ChainIdentity", "check_identity", "code_hash"]
