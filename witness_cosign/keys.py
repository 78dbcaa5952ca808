"""The witness's key: an Ed25519 private key (PEM, mode 0600) and its name, in its home.

The key file is created with mode 0600 from the first byte and is refused if others can
read it; the key itself is never printed or logged (only the verifier key is).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from ledger.core.cosignature import Cosigner
from ledger.core.errors import WitnessError

KEY_FILE = "witness.key"
NAME_FILE = "witness.name"


class WitnessKeyError(WitnessError):
    """The witness home has no key, a key readable by others, or not an Ed25519 key."""


def create_witness(home: Path, name: str) -> Cosigner:
    """Create the key and name of a new witness in ``home`` (refuses to overwrite)."""
    key = Ed25519PrivateKey.generate()
    cosigner = Cosigner(name, key)  # checks the name before anything is written
    home.mkdir(parents=True, exist_ok=True)
    path = home / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise WitnessKeyError(f"{path} exists: this home already has a witness key") from exc
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
        fh.flush()
        os.fsync(fh.fileno())
    (home / NAME_FILE).write_text(name + "\n", encoding="utf-8")
    return cosigner


def load_witness(home: Path) -> Cosigner:
    path = home / KEY_FILE
    if not path.exists():
        raise WitnessKeyError(f"no witness key at {path}: run `witness-cosign init`")
    if path.stat().st_mode & 0o077:
        raise WitnessKeyError(f"witness key {path} is readable by others: chmod 600 it")
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise WitnessKeyError(f"{path} is not an Ed25519 private key")
    name = (home / NAME_FILE).read_text(encoding="utf-8").strip()
    return Cosigner(name, key)
