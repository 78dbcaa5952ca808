"""C2SP tlog-cosignature: a witness's Ed25519 signature over a checkpoint it checked.

A witness that has verified a checkpoint consistent with everything it cosigned before
signs ``cosignature/v1\\ntime <unix seconds>\\n`` followed by the checkpoint body. The
signature line it returns, appended to the checkpoint note like any note signature, is
``— <witness name> <base64(key hash ‖ timestamp ‖ signature)>``: the key hash is the first
four bytes of SHA-256(name ‖ "\\n" ‖ 0x04 ‖ public key), the timestamp eight bytes
big-endian, the signature 64 bytes. A witness's verifier key is
``name+hash+base64(0x04 ‖ public key)``.

The algorithm byte 0x04 keeps a cosignature from ever being taken for a log signature
(0x01) made with the same key, and the header and time line keep the signed message from
ever being a valid checkpoint body. Must not import anything outside the standard library
and ``cryptography``; no I/O.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.core.errors import MalformedError
from ledger.core.note import (
    SIG_PREFIX,
    check_body,
    check_public_key,
    key_hash_of,
    read_vkey,
    vkey_text,
)

COSIGNATURE_ALG = 0x04
COSIGNATURE_HEADER = "cosignature/v1"
TIMESTAMP_SIZE = 8
SIGNATURE_SIZE = TIMESTAMP_SIZE + 64
MAX_TIMESTAMP = 2**63 - 1  # a signed 64-bit time: what other implementations can read


def cosigned_message(body: str, timestamp: int) -> bytes:
    """The bytes a witness signs for checkpoint ``body`` at ``timestamp``."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise MalformedError(f"cosignature time {timestamp} is out of range")
    check_body(body)
    return f"{COSIGNATURE_HEADER}\ntime {timestamp}\n{body}".encode()


@dataclass(frozen=True)
class WitnessKey:
    """A witness's public key as pinned by a trust policy or a log's configuration."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        check_public_key(self.name, self.public_key)

    @property
    def key_hash(self) -> bytes:
        return key_hash_of(self.name, self.public_key, COSIGNATURE_ALG)

    def vkey(self) -> str:
        return vkey_text(self.name, self.public_key, COSIGNATURE_ALG)

    @classmethod
    def from_vkey(cls, vkey: str) -> WitnessKey:
        found = read_vkey(vkey, COSIGNATURE_ALG)
        if found is None:
            raise MalformedError(f"witness key {vkey.split('+', 1)[0]!r} is not an Ed25519 "
                                 "cosignature key (algorithm 0x04)")
        name, public_key, hash_ok = found
        key = cls(name, public_key)
        if not hash_ok:
            raise MalformedError(f"witness key {name!r}: hash does not match its key")
        return key

    def timestamp_if_valid(self, body: str, signature: bytes) -> int | None:
        """The cosignature's time if ``signature`` (timestamp ‖ sig) is valid over ``body``."""
        if len(signature) != SIGNATURE_SIZE:
            return None
        timestamp = int.from_bytes(signature[:TIMESTAMP_SIZE], "big")
        if timestamp > MAX_TIMESTAMP:
            return None
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                signature[TIMESTAMP_SIZE:], cosigned_message(body, timestamp))
        except InvalidSignature:
            return None
        return timestamp


class Cosigner:
    """A witness's signing key. Holds the private key; never logged, never serialised here."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public = WitnessKey(name, raw)

    def __repr__(self) -> str:
        return f"Cosigner({self.public.name!r}, key_hash={self.public.key_hash.hex()})"

    def cosign(self, body: str, timestamp: int) -> str:
        """The signature line (ending in a newline) cosigning checkpoint ``body``."""
        sig = self._key.sign(cosigned_message(body, timestamp))
        raw = self.public.key_hash + timestamp.to_bytes(TIMESTAMP_SIZE, "big") + sig
        return f"{SIG_PREFIX}{self.public.name} {base64.b64encode(raw).decode()}\n"


@dataclass(frozen=True)
class CosignatureCount:
    """Which pinned witnesses validly cosigned a note, and which lines by them did not verify."""

    valid: dict[str, int]  # witness name -> cosignature time
    invalid: tuple[str, ...]


def count_cosignatures(body: str, signatures: Iterable[tuple[str, bytes, bytes]],
                       witnesses: Iterable[WitnessKey]) -> CosignatureCount:
    """Valid cosignatures by *distinct* pinned witnesses over ``body`` (the lines as
    ``note.split_note`` returns them). A line naming a pinned witness that does not verify
    (a cosignature over another root, or a forged line) is not counted and is named."""
    known = {(w.name, w.key_hash): w for w in witnesses}
    valid: dict[str, int] = {}
    invalid: list[str] = []
    for name, key_hash, sig in signatures:
        key = known.get((name, key_hash))
        if key is None:
            continue  # the log's own line, or a witness the verifier does not trust
        when = key.timestamp_if_valid(body, sig)
        if when is None:
            invalid.append(name)
        else:
            valid.setdefault(name, when)
    return CosignatureCount(valid, tuple(invalid))
