"""Sealed records: bid-phase events kept encrypted at rest until their section's opening.

Before a section (标段/包) is opened, the events that would reveal who obtained the
documents, paid a bond or bid are stored as a *sealed blob*: the canonical envelope bytes,
padded and encrypted with AES-256-GCM under the section's *scope key*. The leaf still
commits to the plaintext (``SHA-256(0x00 ‖ canonical)``, salted), so proofs work before
and after. At the opening the ledger appends ``BIDS_UNSEALED``, which publishes the scope
key and lists the sealed events' log indexes: from then on anyone holding the database can
decrypt them, and anyone holding a bundle can check that no sealed event was left out.

Blob layout (all lengths in bytes)::

    "WSL1" (4) ‖ scope_id (16) ‖ nonce (12) ‖ AES-256-GCM(key, nonce, padded, aad)

``scope_id = SHA-256("witness-seal-scope/v1" ‖ key)[:16]`` names (and commits to) the key;
``aad = "WSL1" ‖ scope_id ‖ leaf_hash``, so a blob cannot be moved to another leaf;
``padded = canonical ‖ 0x80 ‖ 0x00…`` up to a multiple of 4,096 bytes, so a blob's size
does not tell a bid from a download.

Must not import anything outside the standard library and ``cryptography``; no I/O, no
randomness (the caller passes the nonce).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.core.errors import MalformedError, VerificationError
from ledger.core.hashing import HASH_SIZE

MAGIC = b"WSL1"
KEY_SIZE = 32
SCOPE_ID_SIZE = 16
NONCE_SIZE = 12
PAD_BLOCK = 4096
_HEADER = len(MAGIC) + SCOPE_ID_SIZE + NONCE_SIZE
_SCOPE_LABEL = b"witness-seal-scope/v1"

RELEASE_TYPE = "BIDS_UNSEALED"
SEAL_PHASE = "bidding"
MAX_RELEASED = 20_000  # fits one event (≤ 256 KiB) with room to spare


class SealedPayloadError(VerificationError):
    """A sealed blob does not decrypt under its released key, or not to its leaf."""

    code = "payload"


def scope_id_of(key: bytes) -> bytes:
    """The 16-byte id that names (and commits to) a scope key."""
    if len(key) != KEY_SIZE:
        raise MalformedError(f"a scope key is {KEY_SIZE} bytes")
    return hashlib.sha256(_SCOPE_LABEL + key).digest()[:SCOPE_ID_SIZE]


def is_sealed_blob(data: bytes) -> bool:
    """True for a sealed blob (canonical plaintext always starts with ``{``)."""
    return data[:4] == MAGIC


def blob_scope_id(data: bytes) -> bytes:
    """The scope id in a sealed blob's header."""
    if not is_sealed_blob(data) or len(data) < _HEADER + 16:
        raise MalformedError("not a sealed blob")
    return data[4:4 + SCOPE_ID_SIZE]


def _aad(scope_id: bytes, leaf: bytes) -> bytes:
    if len(leaf) != HASH_SIZE:
        raise MalformedError("a leaf hash is 32 bytes")
    return MAGIC + scope_id + leaf


def _pad(data: bytes) -> bytes:
    padded = data + b"\x80"
    return padded + bytes(-len(padded) % PAD_BLOCK)


def _unpad(padded: bytes) -> bytes:
    """The bytes before the last 0x80, which only zeros may follow (the same as stripping
    the zeros and requiring 0x80 last: one backward search instead of a strip over up to
    4 KB of zeros byte by byte, which cost ten times as much)."""
    end = padded.rfind(b"\x80")
    if end < 0 or padded[end + 1:] != bytes(len(padded) - end - 1):
        raise SealedPayloadError("sealed blob padding is malformed")
    return padded[:end]


def seal_blob(key: bytes, plaintext: bytes, leaf: bytes, nonce: bytes) -> bytes:
    """Encrypt canonical event bytes under a scope key (``nonce``: 12 fresh random bytes)."""
    if len(nonce) != NONCE_SIZE:
        raise MalformedError(f"a nonce is {NONCE_SIZE} bytes")
    sid = scope_id_of(key)
    sealed = AESGCM(key).encrypt(nonce, _pad(plaintext), _aad(sid, leaf))
    return MAGIC + sid + nonce + sealed


def open_blob(key: bytes, blob: bytes, leaf: bytes) -> bytes:
    """The canonical bytes inside a sealed blob; raises if the key, blob or leaf is wrong."""
    sid = blob_scope_id(blob)
    if sid != scope_id_of(key):
        raise SealedPayloadError("the blob is sealed under another scope key")
    nonce = blob[4 + SCOPE_ID_SIZE:_HEADER]
    try:
        padded = AESGCM(key).decrypt(nonce, blob[_HEADER:], _aad(sid, leaf))
    except InvalidTag as exc:
        raise SealedPayloadError("the sealed blob does not decrypt to this leaf under the "
                                 "released key (altered blob, key or leaf)") from exc
    return _unpad(padded)


@dataclass(frozen=True)
class Release:
    """What a ``BIDS_UNSEALED`` event states: this scope's key, and every sealed event."""

    project_id: str
    section_id: str | None
    key: bytes
    indexes: tuple[int, ...]

    @property
    def scope_id(self) -> bytes:
        return scope_id_of(self.key)


def parse_release(envelope: Mapping[str, Any]) -> Release:
    """The release stated by a decoded ``BIDS_UNSEALED`` envelope (strictly checked)."""
    if envelope.get("type") != RELEASE_TYPE:
        raise MalformedError(f"not a {RELEASE_TYPE} event")
    payload = envelope.get("payload")
    if not isinstance(payload, dict):
        raise MalformedError(f"{RELEASE_TYPE} payload is not an object")
    try:
        key = base64.b64decode(str(payload.get("key")), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedError(f"{RELEASE_TYPE} key is not base64") from exc
    indexes = payload.get("sealed_indexes")
    if not isinstance(indexes, list) or len(indexes) > MAX_RELEASED or not all(
            type(i) is int and i >= 0 for i in indexes):
        raise MalformedError(f"{RELEASE_TYPE} sealed_indexes must be log indexes")
    if indexes != sorted(set(indexes)):
        raise MalformedError(f"{RELEASE_TYPE} sealed_indexes must be ascending, no repeats")
    if payload.get("sealed_count") != len(indexes):
        raise MalformedError(f"{RELEASE_TYPE} sealed_count does not match sealed_indexes")
    if len(key) != KEY_SIZE or payload.get("scope_id") != scope_id_of(key).hex():
        raise MalformedError(f"{RELEASE_TYPE} key and scope_id do not match")
    section = envelope.get("section_id")
    return Release(str(envelope.get("project_id")),
                   section if isinstance(section, str) else None, key, tuple(indexes))
