"""Key files of the log: the Ed25519 signing key and the pseudonymisation (HMAC) key.

Private key files are created with mode 0600 and never logged; one that others can read is
refused. A signing key may live in an HSM instead (``ledger.signers``): this module is the
file side only. Must not import the API or the verifier.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from ledger.core.errors import WitnessError
from ledger.core.note import NoteSigner

PRIVATE_MODE = 0o600


class KeyFileError(WitnessError):
    """A key file is missing, unreadable, too open or not a key."""


def write_private_file(path: Path, data: bytes) -> None:
    """Create ``path`` with mode 0600 from the start (never world-readable, not even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def create_log_key(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    write_private_file(path, pem)


def load_log_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 log key in the PEM file ``path`` (0600)."""
    if not path.exists():
        raise KeyFileError(f"no log key at {path}: run `witness init`")
    check_private_mode(path, "log key")
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 private key")
    return key


def load_signer(path: Path, name: str) -> NoteSigner:
    return NoteSigner(name, load_log_key(path))


def check_private_mode(path: Path, what: str) -> None:
    """Refuse a private key file that others can read."""
    if path.stat().st_mode & 0o077:
        raise KeyFileError(f"{what} {path} is readable by others: chmod 600 it")


def create_secret(path: Path, size: int = 32) -> None:
    write_private_file(path, secrets.token_bytes(size))


def load_secret(path: Path) -> bytes:
    if not path.exists():
        raise KeyFileError(f"no key at {path}: run `witness init`")
    return path.read_bytes()
