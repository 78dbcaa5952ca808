"""secp256k1 keys held in a token, as Ethereum signers: the checkpoint signer and the
anchorer account.

PKCS#11 ``CKM_ECDSA`` gives r ‖ s only. Ethereum wants more: s in the lower half of the
curve order (EIP-2: a transaction with a high s is refused, and the registry's EIP-2098
compact form has no room for it), so a high s is replaced by n − s; and the recovery id v,
which is found by recovering the public key with each candidate and keeping the one that
gives the token's key. Both halves of the ledger's use then go through the same
``sign_msg_hash`` as an ``eth_keys`` private key: the registry's checkpoint digest
(``ledger.anchoring.signer``) and transactions (eth-account's signing of a transaction dict).
Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from typing import Any, Protocol

from eth_keys.constants import SECPK1_N
from eth_keys.datatypes import PublicKey, Signature
from eth_keys.exceptions import BadSignature
from eth_utils.crypto import keccak

from ledger.signers.hsm import HsmError, HsmToken, TokenKey

_HALF_N = SECPK1_N // 2


class Secp256k1Signer(Protocol):
    """What the ledger needs of a secp256k1 private key: ``eth_keys.PrivateKey`` has it, and
    so has :class:`TokenSecp256k1Key`."""

    @property
    def public_key(self) -> PublicKey: ...

    def sign_msg_hash(self, message_hash: bytes) -> Signature: ...


def ethereum_signature(digest: bytes, r_and_s: bytes, public_key: PublicKey) -> Signature:
    """(v, r, low s) of a raw ECDSA signature r ‖ s over ``digest`` by ``public_key``."""
    if len(r_and_s) != 64:
        raise HsmError(f"the token returned a {len(r_and_s)}-byte ECDSA signature, not 64")
    r, s = int.from_bytes(r_and_s[:32], "big"), int.from_bytes(r_and_s[32:], "big")
    if not (0 < r < SECPK1_N and 0 < s < SECPK1_N):
        raise HsmError("the token returned an ECDSA signature out of range")
    if s > _HALF_N:
        s = SECPK1_N - s  # the same signature, in the form Ethereum accepts (EIP-2)
    for v in (0, 1):
        candidate = Signature(vrs=(v, r, s))
        try:
            if candidate.recover_public_key_from_msg_hash(digest) == public_key:
                return candidate
        except BadSignature:
            continue
    raise HsmError("the token's signature does not recover to the token's public key")


class TokenSecp256k1Key:
    """A secp256k1 key in the token; ``repr`` shows its address only."""

    def __init__(self, token: HsmToken, key: TokenKey) -> None:
        if key.kind != "secp256k1":
            raise HsmError(f"token key {key.label!r} is not a secp256k1 key")
        self._token = token
        self._key = key
        self._public = PublicKey(key.public)

    @property
    def public_key(self) -> PublicKey:
        return self._public

    def __repr__(self) -> str:
        return f"TokenSecp256k1Key({self._key.label!r}, {self._public.to_checksum_address()})"

    def sign_msg_hash(self, message_hash: bytes) -> Signature:
        if len(message_hash) != 32:
            raise HsmError("a secp256k1 signature is over a 32-byte digest")
        raw = self._token.sign(self._key, message_hash)
        return ethereum_signature(message_hash, raw, self._public)


class SignerAccount:
    """An Ethereum account whose key signs through :class:`Secp256k1Signer` (a token): what
    the chain backends use of eth-account's ``LocalAccount``, ``address`` and
    ``sign_transaction``, without the private key ever being in memory."""

    def __init__(self, key: Secp256k1Signer) -> None:
        self._key = key

    @property
    def address(self) -> str:
        return str(self._key.public_key.to_checksum_address())

    def __repr__(self) -> str:
        return f"SignerAccount({self.address})"

    def sign_transaction(self, transaction: dict[str, Any]) -> Any:
        from eth_account._utils.signing import sign_transaction_dict
        from eth_account.datastructures import SignedTransaction
        from hexbytes import HexBytes

        if "from" in transaction and str(transaction["from"]).lower() != self.address.lower():
            raise HsmError("the transaction is from another account")
        tx = {k: v for k, v in transaction.items() if k != "from"}
        v, r, s, encoded = sign_transaction_dict(self._key, tx)  # type: ignore[arg-type]
        return SignedTransaction(raw_transaction=HexBytes(encoded),
                                 hash=HexBytes(keccak(encoded)), r=r, s=s, v=v)
