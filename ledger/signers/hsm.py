"""One PKCS#11 token: a logged-in session per process, and the key operations the ledger
needs (find by label, generate, import, relabel, sign).

Keys are pairs of a private and a public object sharing a random ``CKA_ID`` and a label. The
private half is created sensitive and not extractable: it never leaves the token. Ed25519
keys sign with ``CKM_EDDSA``; secp256k1 keys with ``CKM_ECDSA`` over a 32-byte digest (the
caller hashes; ``ledger.signers.secp256k1`` turns r‖s into an Ethereum signature).
A PKCS#11 session is not safe for concurrent use and does not survive ``fork``: each process
opens its own, and one lock serialises the operations on it. The PIN is held only to log in
and is never logged or shown. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ledger.core.errors import WitnessError

KeyKind = Literal["ed25519", "secp256k1"]
ED25519_OID = "1.3.101.112"
SECP256K1_OID = "1.3.132.0.10"


class HsmError(WitnessError):
    """The token is missing, refuses the PIN, or a key operation failed."""


@dataclass(frozen=True)
class TokenKey:
    """A key pair in the token: its kind, label, id and public key (Ed25519: the 32 raw
    bytes; secp256k1: X ‖ Y, 64 bytes)."""

    kind: KeyKind
    label: str
    key_id: bytes
    public: bytes


def _ec_params(kind: KeyKind) -> bytes:
    from asn1crypto.core import ObjectIdentifier

    return bytes(ObjectIdentifier(ED25519_OID if kind == "ed25519" else SECP256K1_OID).dump())


def _curve_forms(kind: KeyKind) -> tuple[bytes, ...]:
    """The ``CKA_EC_PARAMS`` a key of ``kind`` may carry: the curve's OID, and for Ed25519
    also the printable-string name some tokens use (PKCS#11 3.0 allows both)."""
    if kind == "secp256k1":
        return (_ec_params(kind),)
    from asn1crypto.core import PrintableString

    return _ec_params(kind), bytes(PrintableString("edwards25519").dump())


def _public_bytes(kind: KeyKind, ec_point: bytes) -> bytes:
    """The public key from ``CKA_EC_POINT`` (a DER octet string; some tokens give it raw)."""
    from asn1crypto.core import OctetString

    size = 32 if kind == "ed25519" else 65
    raw = ec_point if len(ec_point) == size else bytes(OctetString.load(ec_point).native)
    if len(raw) != size or (kind == "secp256k1" and raw[0] != 4):
        raise HsmError(f"the token returned a {kind} public key of an unexpected form")
    return raw if kind == "ed25519" else raw[1:]


def _ec_point(kind: KeyKind, public: bytes) -> bytes:
    from asn1crypto.core import OctetString

    return bytes(OctetString(public if kind == "ed25519" else b"\x04" + public).dump())


class HsmToken:
    """A token, opened lazily; ``repr`` shows the module and label, never the PIN."""

    def __init__(self, module: Path, label: str, pin: str) -> None:
        self.module = module
        self.label = label
        self._pin = pin
        self._lock = threading.RLock()
        self._session: Any = None
        self._pid = -1
        self._private: dict[bytes, Any] = {}

    def __repr__(self) -> str:
        return f"HsmToken({str(self.module)!r}, {self.label!r})"

    def _open(self) -> Any:
        """The process's logged-in read-write session (opened again after a fork)."""
        if self._session is not None and self._pid == os.getpid():
            return self._session
        import pkcs11
        from pkcs11.exceptions import PKCS11Error

        try:
            token = pkcs11.lib(str(self.module)).get_token(token_label=self.label)
            self._session = token.open(rw=True, user_pin=self._pin)
        except pkcs11.exceptions.NoSuchToken as exc:
            raise HsmError(f"no token labelled {self.label!r} in {self.module}") from exc
        except PKCS11Error as exc:
            raise HsmError(f"cannot open token {self.label!r} ({type(exc).__name__}): check "
                           "the PIN and the token") from exc
        self._pid, self._private = os.getpid(), {}
        return self._session

    def keys(self, label: str) -> list[TokenKey]:
        """Every key pair whose public object carries ``label``."""
        from pkcs11 import Attribute, KeyType, ObjectClass

        kinds: dict[Any, KeyKind] = {KeyType.EC_EDWARDS: "ed25519", KeyType.EC: "secp256k1"}
        with self._lock:
            found = []
            for obj in self._open().get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY,
                                                 Attribute.LABEL: label}):
                kind = kinds.get(obj[Attribute.KEY_TYPE])
                # an EC key on another curve (P-256…) under the label is not ours to use
                if kind is not None and bytes(obj[Attribute.EC_PARAMS]) in _curve_forms(kind):
                    point = bytes(obj[Attribute.EC_POINT])
                    found.append(TokenKey(kind, label, bytes(obj[Attribute.ID]),
                                          _public_bytes(kind, point)))
            return found

    def generate(self, kind: KeyKind, label: str) -> TokenKey:
        """A new key pair made inside the token (its private half never leaves it)."""
        from pkcs11 import Attribute, KeyType, Mechanism

        key_id = secrets.token_bytes(16)
        common = {Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: key_id}
        key_type, mechanism = ((KeyType.EC_EDWARDS, Mechanism.EC_EDWARDS_KEY_PAIR_GEN)
                               if kind == "ed25519" else (KeyType.EC, Mechanism.EC_KEY_PAIR_GEN))
        with self._lock:
            public, _ = self._call("generate a key", lambda: self._open().generate_keypair(
                key_type, mechanism=mechanism,
                public_template={**common, Attribute.EC_PARAMS: _ec_params(kind),
                                 Attribute.VERIFY: True},
                private_template={**common, **_private_template()}))
            return TokenKey(kind, label, key_id,
                            _public_bytes(kind, bytes(public[Attribute.EC_POINT])))

    def import_key(self, kind: KeyKind, label: str, secret: bytes, public: bytes) -> TokenKey:
        """Store an existing private key (and its public key) in the token."""
        from pkcs11 import Attribute, KeyType, ObjectClass

        key_id = secrets.token_bytes(16)
        key_type = KeyType.EC_EDWARDS if kind == "ed25519" else KeyType.EC
        common = {Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: key_id,
                  Attribute.KEY_TYPE: key_type, Attribute.EC_PARAMS: _ec_params(kind)}
        with self._lock:
            session = self._open()
            self._call("import a key", lambda: session.create_object(
                {**common, **_private_template(), Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                 Attribute.VALUE: secret}))
            self._call("import a key", lambda: session.create_object(
                {**common, Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.VERIFY: True,
                 Attribute.EC_POINT: _ec_point(kind, public)}))
        return TokenKey(kind, label, key_id, public)

    def relabel(self, key: TokenKey, label: str) -> TokenKey:
        """Give both halves of ``key`` a new label (how a next key becomes the current one)."""
        from pkcs11 import Attribute

        with self._lock:
            for obj in self._open().get_objects({Attribute.ID: key.key_id}):
                obj[Attribute.LABEL] = label
        return TokenKey(key.kind, label, key.key_id, key.public)

    def sign(self, key: TokenKey, data: bytes) -> bytes:
        """EdDSA over ``data`` (Ed25519), or raw ECDSA r ‖ s over the digest ``data``."""
        from pkcs11 import Mechanism

        mechanism = Mechanism.EDDSA if key.kind == "ed25519" else Mechanism.ECDSA
        with self._lock:
            private = self._private_key(key)
            return bytes(self._call("sign", lambda: private.sign(data, mechanism=mechanism)))

    def _private_key(self, key: TokenKey) -> Any:
        from pkcs11 import Attribute, ObjectClass

        session = self._open()
        if key.key_id not in self._private:
            found = list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                                              Attribute.ID: key.key_id}))
            if len(found) != 1:
                raise HsmError(f"the token holds no private key for {key.kind} key "
                               f"{key.label!r}")
            self._private[key.key_id] = found[0]
        return self._private[key.key_id]

    @staticmethod
    def _call(what: str, fn: Any) -> Any:
        from pkcs11.exceptions import PKCS11Error

        try:
            return fn()
        except PKCS11Error as exc:
            raise HsmError(f"the token refused to {what} ({type(exc).__name__})") from exc


def _private_template() -> dict[Any, Any]:
    """The private half: sensitive, not extractable, for signing only."""
    from pkcs11 import Attribute

    return {Attribute.PRIVATE: True, Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False,
            Attribute.SIGN: True}


_TOKENS: dict[tuple[str, str, int], HsmToken] = {}
_TOKENS_LOCK = threading.Lock()


def open_token(module: Path, label: str, pin: str) -> HsmToken:
    """The process's handle on a token: one per module, label and process (a token admits one
    login per application). Asked for again with another PIN, it refuses: that PIN was never
    checked by the token."""
    key = (str(module), label, os.getpid())
    with _TOKENS_LOCK:
        if key not in _TOKENS:
            _TOKENS[key] = HsmToken(module, label, pin)
        token = _TOKENS[key]
    if not hmac.compare_digest(token._pin.encode(), pin.encode()):
        raise HsmError(f"token {label!r} is open in this process with another PIN")
    return token
