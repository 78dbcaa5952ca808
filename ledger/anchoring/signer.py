"""The log's checkpoint key: a secp256k1 key whose signature the registry checks on chain.

Role: one home for the registry's checkpoint digest (``checkpointDigest`` in
contracts/WitnessRegistry.sol, recomputed here byte for byte) and for signing it. The
registry refuses any checkpoint that this key did not sign, so an anchorer account, or an
admin who grants one, cannot anchor a (size, root) the log never signed. The key lives in
the data directory (0600, ``ledger.keys``) or in the HSM (``ledger.signers``); it is never
logged. Also the digest by which the current key consents to hand over to a new one
(``rotateCheckpointSigner``). Must not import the API or the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eth_abi.abi import encode
from eth_keys.datatypes import PrivateKey
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from ledger.keys import KeyFileError
from ledger.signers.secp256k1 import Secp256k1Signer
from ledger.signers.slots import Stage, key_slot

#: keccak256("witness-registry/checkpoint/v1"): ``CHECKPOINT_TAG`` of the contract.
CHECKPOINT_TAG = keccak(text="witness-registry/checkpoint/v1")
#: keccak256("witness-registry/signer-rotation/v1"): the contract's ``_ROTATION_TAG``.
ROTATION_TAG = keccak(text="witness-registry/signer-rotation/v1")
KEY_FILE = "checkpoint.key"
_Y_PARITY_BIT = 1 << 255


def checkpoint_digest(chain_id: int, registry: str, log_id: bytes, size: int,
                      root: bytes) -> bytes:
    """keccak256(abi.encode(tag, chainid, registry, logId, uint64 size, root)): what the
    log's checkpoint key signs, bound to one registry on one chain."""
    return keccak(encode(["bytes32", "uint256", "address", "bytes32", "uint64", "bytes32"],
                         [CHECKPOINT_TAG, chain_id, to_checksum_address(registry), log_id,
                          size, root]))


def rotation_digest(chain_id: int, registry: str, log_id: bytes, current: str,
                    new: str) -> bytes:
    """keccak256(abi.encode(tag, chainid, registry, logId, currentSigner, newSigner)): what
    the current checkpoint key signs to consent to ``rotateCheckpointSigner``."""
    return keccak(encode(["bytes32", "uint256", "address", "bytes32", "address", "address"],
                         [ROTATION_TAG, chain_id, to_checksum_address(registry), log_id,
                          to_checksum_address(current), to_checksum_address(new)]))


@dataclass(frozen=True)
class CompactSignature:
    """An ECDSA signature in the EIP-2098 form the registry takes: (r, yParity ‖ s)."""

    r: bytes
    y_parity_and_s: bytes

    def args(self) -> list[bytes]:
        return [self.r, self.y_parity_and_s]


class CheckpointKey:
    """The log's secp256k1 checkpoint key (private; ``repr`` shows only the address): from a
    32-byte secret, or any :class:`Secp256k1Signer` (a key in the HSM)."""

    def __init__(self, secret: bytes | Secp256k1Signer) -> None:
        if not isinstance(secret, bytes):
            self._key: Secp256k1Signer = secret
            return
        try:
            self._key = PrivateKey(secret)
        except Exception as exc:  # wrong length or out of range: not a key
            raise KeyFileError("the checkpoint key file does not hold a secp256k1 key") from exc

    @property
    def address(self) -> str:
        return str(self._key.public_key.to_checksum_address())

    def __repr__(self) -> str:
        return f"CheckpointKey({self.address})"

    def sign_digest(self, digest: bytes) -> CompactSignature:
        """Sign a 32-byte digest as is (no message prefix: the digest is domain-separated)."""
        sig = self._key.sign_msg_hash(digest)
        # low s: eth_keys signs so, and ledger.signers.secp256k1 normalises a token's
        s = sig.s | (_Y_PARITY_BIT if sig.v else 0)
        return CompactSignature(sig.r.to_bytes(32, "big"), s.to_bytes(32, "big"))

    def sign_checkpoint(self, chain_id: int, registry: str, log_id: bytes, size: int,
                        root: bytes) -> CompactSignature:
        return self.sign_digest(checkpoint_digest(chain_id, registry, log_id, size, root))


def load_checkpoint_key(home: Path, *, create: bool = False,
                        stage: Stage = "current") -> CheckpointKey:
    """The checkpoint key of the log in ``home``: ``checkpoint.key`` or the HSM's (created if
    asked); ``stage`` "next": the key a rotation under way hands over to."""
    slot = key_slot(home, "checkpoint")
    if create and not slot.exists(stage):
        slot.create(stage)
    return CheckpointKey(slot.secp256k1(stage))


STATEMENT_HEADER = "witness-checkpoint-signer/v1"


def signer_statement(origin: str, chain_id: int, registry: str, log_id: bytes,
                     signer: str) -> str:
    """The note body the log key signs to bind its checkpoint key (docs/formats.md)."""
    return (f"{STATEMENT_HEADER}\n{origin}\nchain {chain_id}\n"
            f"registry {to_checksum_address(registry)}\nlog {log_id.hex()}\n"
            f"signer {to_checksum_address(signer)}\n")
