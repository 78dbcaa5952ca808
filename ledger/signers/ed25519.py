"""An Ed25519 key held in a token, as the log key: signs notes (checkpoints, receipt
promises, project heads, rotation statements) with ``CKM_EDDSA`` and gives its public key.
Ed25519 is deterministic, so a note signed in the token is byte-identical to one signed
with the same key in a file. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.signers.hsm import HsmError, HsmToken, TokenKey


class TokenEd25519Key:
    """The ``Ed25519Key`` of ``ledger.core.note`` for a key in the token."""

    def __init__(self, token: HsmToken, key: TokenKey) -> None:
        if key.kind != "ed25519":
            raise HsmError(f"token key {key.label!r} is not an Ed25519 key")
        self._token = token
        self._key = key
        self._public = Ed25519PublicKey.from_public_bytes(key.public)

    def __repr__(self) -> str:
        return f"TokenEd25519Key({self._key.label!r})"

    def public_key(self) -> Ed25519PublicKey:
        return self._public

    def sign(self, data: bytes) -> bytes:
        signature = self._token.sign(self._key, data)
        if len(signature) != 64:
            raise HsmError(f"the token returned a {len(signature)}-byte EdDSA signature")
        try:  # a faulty token must not hand out receipts nobody can verify
            self._public.verify(signature, data)
        except InvalidSignature as exc:
            raise HsmError("the token's EdDSA signature does not verify") from exc
        return signature
