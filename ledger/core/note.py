"""C2SP signed notes with Ed25519 keys, and tlog checkpoints carried in them.

A note is UTF-8 text: a body of lines ending in a newline, a blank line, then signature
lines ``— <key name> <base64(key hash ‖ signature)>``. The key hash is the first four bytes
of SHA-256(name ‖ "\\n" ‖ 0x01 ‖ public key). A checkpoint body is ``origin``, the tree
size in decimal and the base64 root, one per line (C2SP tlog-checkpoint).

Must not import anything outside the standard library and ``cryptography``; no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.core.errors import MalformedError, SignatureError
from ledger.core.hashing import HASH_SIZE

ED25519_ALG = 0x01
SIG_PREFIX = "\u2014 "
MAX_NOTE_SIZE = 16 * 1024
MAX_SIGNATURES = 100
"""More signature lines than this make a note malformed (as Go's note.Open)."""
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
"""Control characters other than the newline: a note is text, and a NUL or an ESC in it
would let two readers (or a terminal) see two different notes."""


def key_hash_of(name: str, public_raw: bytes, alg: int = ED25519_ALG) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public_raw).digest()[:4]


def split_vkey(vkey: str) -> tuple[str, str, bytes]:
    """(name, key hash hex, decoded key with its algorithm byte) of a C2SP verifier key."""
    parts = vkey.strip().split("+", 2)  # the base64 key may itself contain "+"
    if len(parts) != 3:
        raise MalformedError("a verifier key is name+hash+key")
    name, hash_hex, key_b64 = parts
    try:
        raw = base64.b64decode(key_b64, validate=True)
    except binascii.Error as exc:
        raise MalformedError("verifier key is not base64") from exc
    return name, hash_hex, raw


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise MalformedError(f"invalid key name {name!r}")


def check_public_key(name: str, public_key: bytes) -> None:
    """A key name C2SP allows and a 32-byte Ed25519 public key (log keys and witness keys)."""
    _check_name(name)
    if len(public_key) != 32:
        raise MalformedError("an Ed25519 public key has 32 bytes")


def vkey_text(name: str, public_key: bytes, alg: int) -> str:
    """The verifier key string ``name+hash+base64(alg ‖ key)``."""
    body = base64.b64encode(bytes([alg]) + public_key).decode()
    return f"{name}+{key_hash_of(name, public_key, alg).hex()}+{body}"


def read_vkey(vkey: str, alg: int) -> tuple[str, bytes, bool] | None:
    """(name, Ed25519 public key, whether its hash matches) of a verifier key of algorithm
    ``alg``; None for a key of another algorithm or size."""
    name, hash_hex, raw = split_vkey(vkey)
    if len(raw) != 33 or raw[0] != alg:
        return None
    return name, raw[1:], key_hash_of(name, raw[1:], alg).hex() == hash_hex.lower()


@dataclass(frozen=True)
class NoteVerifier:
    """A pinned public key: what a verifier trusts, never taken from the checked material."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        check_public_key(self.name, self.public_key)

    @property
    def key_hash(self) -> bytes:
        return key_hash_of(self.name, self.public_key)

    def vkey(self) -> str:
        """The verifier key string ``name+hash+base64(0x01 ‖ key)``."""
        return vkey_text(self.name, self.public_key, ED25519_ALG)

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        found = read_vkey(vkey, ED25519_ALG)
        if found is None:
            raise MalformedError("verifier key is not an Ed25519 key")
        name, public_key, hash_ok = found
        verifier = cls(name, public_key)
        if not hash_ok:
            raise MalformedError("verifier key hash does not match its key")
        return verifier

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


class Ed25519Key(Protocol):
    """What a note signer needs of its private key: ``Ed25519PrivateKey``, or a key held in
    an HSM that signs without ever handing it out (``ledger.signers``)."""

    def sign(self, data: bytes) -> bytes: ...

    def public_key(self) -> Ed25519PublicKey: ...


class NoteSigner:
    """The log's signing key. Holds the private key; never logged, never serialised here."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey | Ed25519Key) -> None:
        _check_name(name)
        self.name = name
        self._key = private_key
        raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.verifier = NoteVerifier(name, raw)
        self._key_hash = self.verifier.key_hash
        self._prefix = f"{SIG_PREFIX}{name} "

    def __repr__(self) -> str:
        return f"NoteSigner({self.name!r}, key_hash={self.verifier.key_hash.hex()})"

    def sign(self, body: str) -> str:
        """Sign ``body`` (text ending in a newline) and return the whole note."""
        check_body(body)
        sig = self._key.sign(body.encode())
        line = base64.b64encode(self._key_hash + sig).decode()
        return f"{body}\n{self._prefix}{line}\n"


def check_body(body: str) -> None:
    if not body.endswith("\n") or "\n\n" in body:
        raise MalformedError("a note body is non-empty lines, each ending in a newline")
    try:
        body.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MalformedError("a note body must be valid Unicode text") from exc


def is_canonical_uint64(text: str) -> bool:
    """ASCII decimal digits (``bytes.isdigit``: ASCII only) of a number below 2^64, in the
    one spelling of that number, without a leading zero: every number of a signed body is
    read this way, so that no body has two readings that differ in text only."""
    return (0 < len(text) <= 20 and text.encode().isdigit() and int(text) < 2**64
            and (text == "0" or not text.startswith("0")))


def split_note(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """The body and its (key name, key hash, signature) lines, without verifying."""
    if len(note) > MAX_NOTE_SIZE:
        raise MalformedError(f"note is longer than {MAX_NOTE_SIZE} characters")
    if _CONTROL.search(note):
        raise MalformedError("note contains a control character")
    body, sep, sigs = note.rpartition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise MalformedError("note has no signature block")
    body += "\n"
    check_body(body)
    out = []
    lines = sigs[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedError(f"note has more than {MAX_SIGNATURES} signatures")
    for line in lines:
        if not line.startswith(SIG_PREFIX) or line.count(" ") != 2:
            raise MalformedError(f"bad signature line {line[:60]!r}")
        _, name, b64 = line.split(" ")
        _check_name(name)  # a line's name follows the key-name rules, as in Go's note.Open
        try:
            raw = base64.b64decode(b64, validate=True)
        except binascii.Error as exc:
            raise MalformedError("signature is not base64") from exc
        if len(raw) < 5:
            raise MalformedError("signature too short")
        out.append((name, raw[:4], raw[4:]))
    return body, out


def open_note(note: str, verifiers: Iterable[NoteVerifier]) -> str:
    """Return the body if a trusted verifier signed it; else raise :class:`SignatureError`."""
    body, sigs = split_note(note)
    known = {(v.name, v.key_hash): v for v in verifiers}
    verified = False
    for name, key_hash, sig in sigs:
        verifier = known.get((name, key_hash))
        if verifier is None:
            continue  # another party's signature (e.g. a witness's): not ours to judge
        if not verifier.verify(body.encode(), sig):
            # a trusted key's line that does not verify is an attack or a corruption, even
            # next to a valid one: refuse the note (as Go's note.Open does)
            raise SignatureError(f"invalid signature by trusted key {name}")
        verified = True
    if not verified:
        raise SignatureError("note carries no valid signature by a trusted key")
    return body


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: the log's origin, its size and root."""

    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        lines = body.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise MalformedError("a checkpoint has origin, size and root lines")
        origin, size_s, root_b64 = lines[0], lines[1], lines[2]
        if not origin or not is_canonical_uint64(size_s):
            raise MalformedError("bad checkpoint origin or size")
        try:
            root = base64.b64decode(root_b64, validate=True)
        except binascii.Error as exc:
            raise MalformedError("checkpoint root is not base64") from exc
        if len(root) != HASH_SIZE:
            raise MalformedError("checkpoint root is not 32 bytes")
        return cls(origin, int(size_s), root)


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    return signer.sign(checkpoint.body())


def open_checkpoint(note: str, verifiers: Iterable[NoteVerifier], origin: str) -> Checkpoint:
    """Verify a checkpoint note and that it is for the expected origin."""
    checkpoint = Checkpoint.parse(open_note(note, verifiers))
    if checkpoint.origin != origin:
        raise SignatureError(f"checkpoint is for origin {checkpoint.origin!r}, not {origin!r}")
    return checkpoint
