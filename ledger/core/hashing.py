"""RFC 9162 hashing: domain-separated leaf and node hashes with SHA-256.

Must not import anything outside the standard library.
"""

from __future__ import annotations

import hashlib

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
# Hashers already fed the domain prefix: copying one costs less than a new hasher over the
# prefix joined to the input (the join copies the input once more).
_LEAF = hashlib.sha256(b"\x00")
_NODE = hashlib.sha256(b"\x01")
leaf_hasher = _LEAF.copy
"""A new SHA-256 hasher already fed the leaf prefix: ``update(data)``, then ``digest()``."""
node_hasher = _NODE.copy
"""A new SHA-256 hasher already fed the node prefix: ``update(left)``, ``update(right)``."""


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 ‖ data): the hash of one log entry."""
    h = leaf_hasher()
    h.update(data)
    return h.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right): an interior node."""
    h = node_hasher()
    h.update(left)
    h.update(right)
    return h.digest()


def log_id(origin: str) -> bytes:
    """A log's id in the registry: SHA-256 of its UTF-8 origin string (no prefix, no
    terminator). The ledger registers it; the verifier pins it."""
    return hashlib.sha256(origin.encode("utf-8")).digest()


def log_id_hex(origin: str) -> str:
    """``log_id`` as bindings, trust policies and anchor references write it: ``0x`` and
    64 lowercase hex digits."""
    return "0x" + log_id(origin).hex()
