"""The anchor reference: where a checkpoint is said to be anchored on an EVM chain.

Role: the one typed form (:class:`AnchorRef`) and the one JSON form (``to_json``) of the
``anchor`` / ``anchors`` objects of receipts, bundles and lead packages, and the one strict
decoder back (``parse_anchor``). The ledger builds references through it and the verifier
reads them through it, so writer and reader cannot drift apart. Every field is required and
range-checked as the registry and the chain hold it (chain index uint256, tree size, block
number and block time uint64, 32-byte hashes, a 20-byte address), so a value no chain can
hold is bad input naming the field — never an internal error in the ABI encoder. The
reference is only a pointer: the verifier compares every field with the policy and the chain.

Must not import anything outside the standard library (``ledger.core.errors`` aside).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ledger.core.errors import MalformedError

UINT64_LIMIT = 2**64
UINT256_LIMIT = 2**256
_HASH = re.compile(r"(0x)?[0-9a-fA-F]{64}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
MAX_REFS = 16  # anchors on further chains one checkpoint may name
FIELDS = ("chain_id", "registry", "log_id", "chain_index", "tree_size", "root", "tx_hash",
          "block_number", "block_hash", "block_timestamp")


@dataclass(frozen=True)
class AnchorRef:
    """Where a checkpoint is said to be anchored; hashes as raw bytes, the registry address
    as written (its case is kept: the JSON form is signed and hashed)."""

    chain_id: int
    registry: str
    log_id: bytes
    chain_index: int
    tree_size: int
    root: bytes
    tx_hash: bytes
    block_number: int
    block_hash: bytes
    block_timestamp: int

    def to_json(self) -> dict[str, Any]:
        """The reference as receipts, bundles and lead packages write it (field order and
        spelling fixed: ``root`` bare hex, the other hashes 0x-prefixed, all lowercase)."""
        return {"chain_id": self.chain_id, "registry": self.registry,
                "log_id": "0x" + self.log_id.hex(), "chain_index": self.chain_index,
                "tree_size": self.tree_size, "root": self.root.hex(),
                "tx_hash": "0x" + self.tx_hash.hex(), "block_number": self.block_number,
                "block_hash": "0x" + self.block_hash.hex(),
                "block_timestamp": self.block_timestamp}


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _uint(obj: dict[str, Any], key: str, limit: int, where: str) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < limit:
        bits = limit.bit_length() - 1
        raise MalformedError(f"{where}.{key} must be an integer from 0 to 2^{bits}-1, "
                             f"got {_show(value)}")
    return value


def _hash(obj: dict[str, Any], key: str, where: str) -> bytes:
    value = obj.get(key)
    if not isinstance(value, str) or not _HASH.fullmatch(value):
        raise MalformedError(f"{where}.{key} must be 64 hex digits (optionally 0x-prefixed), "
                             f"got {_show(value)}")
    return bytes.fromhex(value.removeprefix("0x"))


def parse_anchor(obj: Any, where: str) -> AnchorRef:
    """The reference in ``obj``; ``where`` names it in errors (``receipt anchor``, …)."""
    if not isinstance(obj, dict):
        raise MalformedError(f"{where} must be an object")
    missing = [k for k in FIELDS if k not in obj]
    if missing:
        raise MalformedError(f"{where} lacks {', '.join(missing)}")
    registry = obj["registry"]
    if not isinstance(registry, str) or not _ADDRESS.fullmatch(registry):
        raise MalformedError(f"{where}.registry must be a 0x-prefixed 20-byte address, "
                             f"got {_show(registry)}")
    chain_id = _uint(obj, "chain_id", UINT64_LIMIT, where)
    return AnchorRef(
        chain_id=chain_id, registry=registry, log_id=_hash(obj, "log_id", where),
        chain_index=_uint(obj, "chain_index", UINT256_LIMIT, where),
        tree_size=_uint(obj, "tree_size", UINT64_LIMIT, where), root=_hash(obj, "root", where),
        tx_hash=_hash(obj, "tx_hash", where),
        block_number=_uint(obj, "block_number", UINT64_LIMIT, where),
        block_hash=_hash(obj, "block_hash", where),
        block_timestamp=_uint(obj, "block_timestamp", UINT64_LIMIT, where))


def parse_anchors(raw: Any, where: str) -> tuple[AnchorRef, ...]:
    """The optional ``anchors`` list (references on further chains), decoded strictly."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_REFS:
        raise MalformedError(f"{where} must be a list of at most {MAX_REFS} anchor references")
    return tuple(parse_anchor(a, f"{where}.{k}") for k, a in enumerate(raw))
