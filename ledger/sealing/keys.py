"""The seal key: per-section scope keys and blinded identifiers, derived from one secret.

The secret lives in ``<home>/seal.key`` (32 random bytes, mode 0600), outside the database,
so a copy of the database — or an operator with SQL — reads no sealed record before its
section's opening. Every scope key is ``HMAC-SHA256(secret, label ‖ project ‖ 0 ‖ section)``:
publishing one at an opening (``BIDS_UNSEALED``) reveals nothing of the others. Identifiers
that could name a bidder (the event id of a sealed record, a sealed finding's key) are
stored blinded, ``HMAC-SHA256(secret, label ‖ text)``, so equality lookups still work.

Must not import the API or the verifier.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from pathlib import Path

from ledger.core.sealed import (
    NONCE_SIZE,
    blob_scope_id,
    open_blob,
    scope_id_of,
    seal_blob,
)
from ledger.errors import NotFoundError
from ledger.keys import KeyFileError, create_secret

_KEY_LABEL = b"witness-seal-key/v1\x00"
_BLIND_LABEL = b"witness-blind/v1\x00"
BLIND_PREFIX = "sealed:"
_KEYS_KEPT = 4096  # derived scope keys kept (a few per project with sealed sections)


class Sealer:
    """Seals and opens records of one ledger (thread-safe)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise KeyFileError("the seal key must hold at least 32 bytes")
        self._keyed = hmac.new(secret, digestmod=hashlib.sha256)
        self._scopes: dict[bytes, tuple[str, str]] = {}
        # Derived keys by scope: opening a stored record (the rules read every sealed one)
        # would otherwise pay an HMAC and a scope-id hash per record. Bounded: a miss only
        # costs the derivation again.
        self._keys: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def scope_key(self, project_id: str, section_key: str) -> bytes:
        """The AES-256 key of a section ("" for the project-wide scope)."""
        scope = (project_id, section_key)
        key = self._keys.get(scope)
        if key is not None:
            return key
        key = self._mac(_KEY_LABEL + project_id.encode() + b"\x00" + section_key.encode())
        with self._lock:
            self._scopes.setdefault(scope_id_of(key), scope)
            if len(self._keys) >= _KEYS_KEPT:
                self._keys.clear()
            self._keys[scope] = key
        return key

    def scope_id(self, project_id: str, section_key: str) -> bytes:
        return scope_id_of(self.scope_key(project_id, section_key))

    def blind(self, label: str, text: str) -> str:
        """A stable, unlinkable stand-in for ``text`` (≤ 55 characters)."""
        mac = self._mac(_BLIND_LABEL + label.encode() + b"\x00" + text.encode())
        return BLIND_PREFIX + mac[:24].hex()

    def blind_digest(self, digest: bytes) -> bytes:
        """A sealed record's submission digest, keyed (a plain SHA-256 of low-entropy
        fields could be searched by trying every known bidder)."""
        return self._mac(_BLIND_LABEL + b"digest\x00" + digest)

    def _mac(self, msg: bytes) -> bytes:
        # HMAC-SHA256 under the secret, from a copy of a keyed state: setting the key up
        # costs more than the MAC itself, and the append blinds every event id it looks up.
        mac = self._keyed.copy()
        mac.update(msg)
        return mac.digest()

    def seal(self, project_id: str, section_key: str, plaintext: bytes, leaf: bytes) -> bytes:
        return seal_blob(self.scope_key(project_id, section_key), plaintext, leaf,
                         os.urandom(NONCE_SIZE))

    def open(self, blob: bytes, leaf: bytes, project_id: str,
             sections: list[str] | None = None) -> bytes:
        """The canonical bytes of a sealed blob of ``project_id``. The scope is found from the
        blob's header among the scopes seen so far, else among ``sections`` (and "")."""
        sid = blob_scope_id(blob)
        with self._lock:
            known = self._scopes.get(sid)
        if known is None:
            for section in ["", *(sections or [])]:
                if self.scope_id(project_id, section) == sid:
                    known = (project_id, section)
                    break
        if known is None or known[0] != project_id:
            raise NotFoundError("the sealed record's section is not known to this ledger")
        return open_blob(self.scope_key(*known), blob, leaf)


    def seal_text(self, project_id: str, section_key: str, text: str, label: str) -> str:
        """Text kept under a scope key (a sealed finding's details), as base64. ``label``
        binds it to its place (the finding id): the blob cannot be moved to another row."""
        blob = self.seal(project_id, section_key, text.encode("utf-8"), _label_hash(label))
        return base64.b64encode(blob).decode()

    def open_text(self, project_id: str, data: str, label: str, sections: list[str]) -> str:
        blob = base64.b64decode(data, validate=True)
        return self.open(blob, _label_hash(label), project_id, sections).decode("utf-8")


def _label_hash(label: str) -> bytes:
    return hashlib.sha256(b"witness-sealed-text/v1\x00" + label.encode()).digest()


def load_sealer(path: Path, *, create: bool = False) -> Sealer:
    """The sealer of a data directory; ``create`` makes the key file (0600) if missing."""
    if not path.exists():
        if not create:
            raise KeyFileError(f"no seal key at {path}: run `witness init`")
        create_secret(path)
    if path.stat().st_mode & 0o077:
        raise KeyFileError(f"seal key {path} is readable by others: chmod 600 it")
    return Sealer(path.read_bytes())
