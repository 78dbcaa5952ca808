"""Key slots: where each signing key of the ledger lives, and how it is created, imported,
loaded and replaced.

Three roles: the log key (Ed25519), the checkpoint signer and the anchorer account (both
secp256k1). Each lives in a 0600 file in the data directory or, when its label is set
(``ledger.signers.config``), in the PKCS#11 token. During a rotation a slot also holds a
*next* key (file ``<name>.next``, label ``<label>.next``); promoting it retires the current
key (``<name>.retired-<UTC time>``: kept for the operator to archive or destroy, never used
again) and makes the next one current. Both steps are renames, so a rotation interrupted
between them is finished by running it again. Nothing else in the ledger cares where a key
lives. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from ledger.core.note import Ed25519Key
from ledger.keys import (
    KeyFileError,
    check_private_mode,
    load_log_key,
    load_secret,
    write_private_file,
)
from ledger.signers.config import HsmSettings, Role
from ledger.signers.ed25519 import TokenEd25519Key
from ledger.signers.hsm import HsmError, HsmToken, KeyKind, TokenKey, open_token

if TYPE_CHECKING:
    from ledger.signers.secp256k1 import Secp256k1Signer

Stage = Literal["current", "next"]
FILES: dict[Role, str] = {"log": "log.key", "checkpoint": "checkpoint.key",
                          "anchorer": "anchorer.key"}
KINDS: dict[Role, KeyKind] = {"log": "ed25519", "checkpoint": "secp256k1",
                              "anchorer": "secp256k1"}
NAMES: dict[Role, str] = {"log": "log key", "checkpoint": "checkpoint signer key",
                          "anchorer": "anchorer key"}


def retired_suffix() -> str:
    return ".retired-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def new_secp256k1_secret() -> bytes:
    from eth_keys.constants import SECPK1_N

    return (secrets.randbelow(SECPK1_N - 1) + 1).to_bytes(32, "big")


def secp256k1_private_key(secret: bytes) -> Any:
    """An ``eth_keys`` private key of ``secret``; ValidationError if it is not a key.

    eth_keys (with eth_utils) is imported here, on first use, not with the module: the
    commands that only open the log key (Ed25519) must not pay for it at start-up."""
    from eth_keys.datatypes import PrivateKey

    return PrivateKey(secret)


class KeySlot(ABC):
    """One role's key: current, and next while a rotation is under way."""

    def __init__(self, role: Role) -> None:
        self.role = role
        self.kind = KINDS[role]

    @abstractmethod
    def where(self, stage: Stage = "current") -> str:
        """Where the key is, for messages (a path or token/label; never key material)."""

    @abstractmethod
    def exists(self, stage: Stage = "current") -> bool: ...

    @abstractmethod
    def create(self, stage: Stage = "current") -> None:
        """A new random key (made inside the token for an HSM slot); never overwrites."""

    @abstractmethod
    def import_secret(self, secret: bytes, stage: Stage = "current") -> None:
        """Store an existing key: an Ed25519 seed or a secp256k1 secret, 32 bytes."""

    @abstractmethod
    def promote(self) -> str | None:
        """Retire the current key and make the next one current; where the retired key went."""

    @abstractmethod
    def ed25519(self, stage: Stage = "current") -> Ed25519Key: ...

    @abstractmethod
    def secp256k1(self, stage: Stage = "current") -> Secp256k1Signer: ...

    def public_id(self, stage: Stage = "current") -> str:
        """The key's public identity: raw Ed25519 public key (hex) or the account address."""
        if self.kind == "ed25519":
            return self.ed25519(stage).public_key().public_bytes(Encoding.Raw,
                                                                 PublicFormat.Raw).hex()
        return str(self.secp256k1(stage).public_key.to_checksum_address())

    def _missing(self, stage: Stage) -> KeyFileError:
        return KeyFileError(f"no {stage} {NAMES[self.role]} at {self.where(stage)}"
                            + (": run `witness init`" if stage == "current" else ""))


class FileSlot(KeySlot):
    """A key in a 0600 file of the data directory (PEM for Ed25519, 32 raw bytes else)."""

    def __init__(self, role: Role, path: Path) -> None:
        super().__init__(role)
        self.path = path

    def _path(self, stage: Stage) -> Path:
        return self.path if stage == "current" else self.path.with_name(self.path.name + ".next")

    def where(self, stage: Stage = "current") -> str:
        return f"file {self._path(stage)}"

    def exists(self, stage: Stage = "current") -> bool:
        return self._path(stage).exists()

    def create(self, stage: Stage = "current") -> None:
        if self.kind == "ed25519":
            self.import_secret(secrets.token_bytes(32), stage)
        else:
            self.import_secret(new_secp256k1_secret(), stage)

    def import_secret(self, secret: bytes, stage: Stage = "current") -> None:
        if self.kind == "ed25519":
            data = Ed25519PrivateKey.from_private_bytes(secret).private_bytes(
                Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        else:
            secp256k1_private_key(secret)  # refuses a value that is not a key
            data = secret
        write_private_file(self._path(stage), data)

    def promote(self) -> str | None:
        retired = None
        if self.path.exists():
            target = self.path.with_name(self.path.name + retired_suffix())
            self.path.rename(target)
            retired = str(target)
        if self._path("next").exists():
            self._path("next").rename(self.path)
        return retired

    def ed25519(self, stage: Stage = "current") -> Ed25519Key:
        if not self.exists(stage):
            raise self._missing(stage)
        return load_log_key(self._path(stage))

    def secp256k1(self, stage: Stage = "current") -> Secp256k1Signer:
        path = self._path(stage)
        if not path.exists():
            raise self._missing(stage)
        check_private_mode(path, NAMES[self.role])
        try:
            signer: Secp256k1Signer = secp256k1_private_key(load_secret(path))
            return signer
        except Exception as exc:  # wrong length or out of range: not a key
            raise KeyFileError(f"{path} does not hold a secp256k1 key") from exc

    def secret(self, stage: Stage = "current") -> bytes:
        """The key's secret (to import it into a token, or to make an account of it): the
        Ed25519 seed or the secp256k1 secret."""
        if self.kind == "ed25519":
            return load_log_key(self._path(stage)).private_bytes(Encoding.Raw,
                                                                 PrivateFormat.Raw,
                                                                 NoEncryption())
        self.secp256k1(stage)  # checks the mode and that it is a key
        return load_secret(self._path(stage))


class TokenSlot(KeySlot):
    """A key in the PKCS#11 token, found by its label."""

    def __init__(self, role: Role, hsm: HsmSettings, label: str) -> None:
        super().__init__(role)
        self.hsm = hsm
        self.label = label
        self._opened: HsmToken | None = None

    def _token(self) -> HsmToken:
        if self._opened is None:
            module, token = self.hsm.require_token()
            self._opened = open_token(module, token, self.hsm.read_pin())
        return self._opened

    def _label(self, stage: Stage) -> str:
        return self.label if stage == "current" else self.label + ".next"

    def where(self, stage: Stage = "current") -> str:
        return f"token {self.hsm.token!r} label {self._label(stage)!r}"

    def _find(self, stage: Stage) -> TokenKey | None:
        found = [k for k in self._token().keys(self._label(stage)) if k.kind == self.kind]
        if len(found) > 1:
            raise HsmError(f"the token holds {len(found)} {self.kind} keys labelled "
                           f"{self._label(stage)!r}: keep one (relabel the others)")
        return found[0] if found else None

    def _require(self, stage: Stage) -> TokenKey:
        key = self._find(stage)
        if key is None:
            raise self._missing(stage)
        return key

    def exists(self, stage: Stage = "current") -> bool:
        return self._find(stage) is not None

    def create(self, stage: Stage = "current") -> None:
        if self.exists(stage):
            raise HsmError(f"{self.where(stage)} exists already")
        self._token().generate(self.kind, self._label(stage))

    def import_secret(self, secret: bytes, stage: Stage = "current") -> None:
        if self.exists(stage):
            raise HsmError(f"{self.where(stage)} exists already")
        if self.kind == "ed25519":
            public = Ed25519PrivateKey.from_private_bytes(secret).public_key().public_bytes(
                Encoding.Raw, PublicFormat.Raw)
        else:
            public = secp256k1_private_key(secret).public_key.to_bytes()
        self._token().import_key(self.kind, self._label(stage), secret, public)

    def promote(self) -> str | None:
        current, following = self._find("current"), self._find("next")
        retired = None
        if current is not None:
            retired = self._token().relabel(current, self.label + retired_suffix()).label
        if following is not None:
            self._token().relabel(following, self.label)
        return None if retired is None else f"token {self.hsm.token!r} label {retired!r}"

    def ed25519(self, stage: Stage = "current") -> Ed25519Key:
        return TokenEd25519Key(self._token(), self._require(stage))

    def secp256k1(self, stage: Stage = "current") -> Secp256k1Signer:
        from ledger.signers.secp256k1 import TokenSecp256k1Key  # loads eth_keys: see above

        return TokenSecp256k1Key(self._token(), self._require(stage))


def key_slot(home: Path, role: Role, hsm: HsmSettings | None = None) -> KeySlot:
    """Where ``role``'s key lives: the token if its label is configured, else its file."""
    hsm = hsm or HsmSettings()
    label = hsm.label(role)
    if label:
        return TokenSlot(role, hsm, label)
    return FileSlot(role, home / FILES[role])
