"""A small, deterministic witness log and the chain it is anchored on, for the receipt and
bundle vectors (tests/vectors/receipts.json, bundles.json).

Everything is fixed: TEST keys derived from published seeds (the log key, another key, a
witness key), salts, receive times, the scope key of the opened section. Eleven entries: one
tendering project (public events, two sealed bids, the opening and its ``BIDS_UNSEALED``)
interleaved with another project's events; checkpoints at sizes 4, 8 and 11, each signed by
the log key and cosigned by the witness, all three anchored on a simulated chain whose
JSON-RPC answers are recorded (``rpc``) as the embedded chain would give them.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eth_abi.abi import encode
from eth_utils.abi import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from chain_access.registry_events import ANCHORED_SIGNATURE
from ledger.core.anchor_ref import AnchorRef
from ledger.core.canonical import (
    ZERO_HASH,
    assemble_envelope,
    assemble_sealed_envelope,
    decode_envelope,
    prepare_event,
)
from ledger.core.cosignature import Cosigner
from ledger.core.hashing import leaf_hash, log_id, log_id_hex
from ledger.core.key_rotation import KeyRotation, sign_rotation
from ledger.core.note import Checkpoint, NoteSigner, sign_checkpoint
from ledger.core.sealed import scope_id_of
from ledger.core.trust import trust_document
from ledger.events import event_to_json, example_event, parse_event
from scripts.vectorlib.leaflog import LeafLog

ORIGIN = "test.example/witness-vectors"
PROJECT = "LN-SY-2025-0317"
SECTION = "LN-SY-2025-0317-S01"
OTHER_PROJECT = "LN-DL-2025-0099"
MMD_SECONDS = 86400


def _seed(label: str) -> bytes:
    text = f"witness-ledger receipt vectors: {label}, never trust it"
    return hashlib.sha256(text.encode()).digest()


LOG_KEY_SEED = _seed("TEST log key")
OTHER_KEY_SEED = _seed("another TEST log key")
NEXT_KEY_SEED = _seed("the next TEST log key")  # the key a rotation hands over to
WITNESS_KEY_SEED = _seed("TEST witness key")
SCOPE_KEY = _seed("TEST seal scope key")
WITNESS_NAME = "witness.test.example/w1"
BID_FILE = "投标文件（测试）: 辽宁宏业建设集团有限公司, 第一标段, TEST bytes only\n".encode() * 64
CHAIN_ID = 1337
REGISTRY = to_checksum_address(_seed("registry address")[:20])
GENESIS_HASH = _seed("genesis block")
RPC_URL = "http://chain.test.invalid/rpc"
ANCHORED_TOPIC = keccak(text=ANCHORED_SIGNATURE)
CHECKPOINT_SIZES = (4, 8, 11)  # all signed, cosigned and anchored (chain index 0, 1, 2)
ANCHOR_BLOCKS = (3, 5, 7)
COSIGNED_AT = 1742900000


# (project, type, sealed) of log index 0, 1, …: the order the log received them in.
ENTRIES: tuple[tuple[str, str, bool], ...] = (
    (OTHER_PROJECT, "PROJECT_REGISTERED", False),
    (PROJECT, "PROJECT_REGISTERED", False),
    (PROJECT, "ANNOUNCEMENT_PUBLISHED", False),
    (PROJECT, "DOC_ISSUED", False),
    (PROJECT, "BID_SUBMITTED", True),  # the bidder's own sealed bid: BID_FILE's hash
    (OTHER_PROJECT, "ANNOUNCEMENT_PUBLISHED", False),
    (PROJECT, "BID_SUBMITTED", True),  # another bidder's sealed bid
    (PROJECT, "OPENING_STARTED", False),
    (PROJECT, "BIDS_UNSEALED", False),  # lists indexes 4 and 6, publishes SCOPE_KEY
    (PROJECT, "OPENING_ENDED", False),
    (OTHER_PROJECT, "DOC_ISSUED", False),
)
SEALED_INDEXES = [i for i, (_, _, sealed) in enumerate(ENTRIES) if sealed]


def log_signer(seed: bytes = LOG_KEY_SEED, name: str = ORIGIN) -> NoteSigner:
    return NoteSigner(name, Ed25519PrivateKey.from_private_bytes(seed))


def rotation_statement(old: NoteSigner, new: NoteSigner, after: int) -> str:
    """The signed statement by which ``old`` hands the log over to ``new`` after ``after``."""
    return sign_rotation(KeyRotation(ORIGIN, old.verifier, new.verifier, after), old, new)


def witness() -> Cosigner:
    return Cosigner(WITNESS_NAME, Ed25519PrivateKey.from_private_bytes(WITNESS_KEY_SEED))


def _event(index: int, project: str, kind: str) -> dict[str, Any]:
    event = event_to_json(parse_event(example_event(kind)))
    event["event_id"] = f"{project}-E{index:02d}"
    event["project_id"] = project
    if "section_id" in event:
        event["section_id"] = SECTION if project == PROJECT else f"{project}-S01"
    if kind == "BID_SUBMITTED" and index == SEALED_INDEXES[0]:
        event["payload"]["file_hash"] = hashlib.sha256(BID_FILE).hexdigest()
        event["payload"]["file_size"] = len(BID_FILE)
    if kind == "BIDS_UNSEALED":
        event["payload"] = {"scope_id": scope_id_of(SCOPE_KEY).hex(),
                            "key": base64.b64encode(SCOPE_KEY).decode(),
                            "sealed_indexes": SEALED_INDEXES, "sealed_count": len(SEALED_INDEXES),
                            "trigger_index": index - 1, "trigger_type": "OPENING_STARTED"}
    return event


def received_at(index: int) -> str:
    return f"2025-03-27T09:{index:02d}:00.{index * 1111:06d}+08:00"


@dataclass
class SmallLog:
    """The log's entries (canonical bytes), tree, signed checkpoints and chain."""

    signer: NoteSigner = field(default_factory=log_signer)
    canonical: list[bytes] = field(default_factory=list)
    heads: dict[str, tuple[int, bytes]] = field(default_factory=dict)  # project → (seq, leaf)

    def __post_init__(self) -> None:
        for index, (project, kind, sealed) in enumerate(ENTRIES):
            self.canonical.append(self._envelope(index, project, kind, sealed))
        self.tree = LeafLog([leaf_hash(c) for c in self.canonical])

    def _envelope(self, index: int, project: str, kind: str, sealed: bool) -> bytes:
        prepared = prepare_event(_event(index, project, kind))
        salt = hashlib.sha256(b"salt-%d" % index).digest()
        if sealed:
            data = assemble_sealed_envelope(prepared, origin=ORIGIN, received_at=received_at(index),
                                            salt=salt)
        else:
            seq, prev = self.heads.get(project, (-1, ZERO_HASH))
            data = assemble_envelope(prepared, origin=ORIGIN, project_seq=seq + 1, prev=prev,
                                     received_at=received_at(index), salt=salt)
            self.heads[project] = (seq + 1, leaf_hash(data))
        decode_envelope(data)  # a valid envelope of the right shape
        return data

    def leaf(self, index: int) -> bytes:
        return self.tree.leaves[index]

    def checkpoint(self, size: int) -> Checkpoint:
        return Checkpoint(ORIGIN, size, self.tree.root(size))

    def note(self, size: int, *, cosigned: bool = True, signer: NoteSigner | None = None) -> str:
        """The log-signed checkpoint note (``signer``: a rotated log key instead of the log's
        first), with the witness's cosignature line appended."""
        cp = self.checkpoint(size)
        note = sign_checkpoint(cp, signer or self.signer)
        return note + witness().cosign(cp.body(), COSIGNED_AT + size) if cosigned else note

    def anchor(self, size: int) -> dict[str, Any]:
        """The anchor reference of checkpoint ``size`` as receipts and bundles write it."""
        k = CHECKPOINT_SIZES.index(size)
        block = ANCHOR_BLOCKS[k]
        return AnchorRef(chain_id=CHAIN_ID, registry=REGISTRY, log_id=log_id(ORIGIN),
                         chain_index=k, tree_size=size, root=self.tree.root(size),
                         tx_hash=tx_hash(k), block_number=block, block_hash=block_hash(block),
                         block_timestamp=block_time(block)).to_json()

    def policy(self) -> dict[str, Any]:
        return trust_document(origin=ORIGIN, log_key=self.signer.verifier.vkey(),
                              chain_id=CHAIN_ID, registry=REGISTRY,
                              log_id=log_id_hex(ORIGIN), endpoint=None,
                              genesis_hash="0x" + GENESIS_HASH.hex(),
                              upgrade_path="/v1/receipts/{index}",
                              witnesses=[witness().public.vkey()], witness_quorum=1)


def block_hash(number: int) -> bytes:
    return GENESIS_HASH if number == 0 else _seed(f"block {number}")


def block_time(number: int) -> int:
    return 1742950000 + 12 * number


def tx_hash(chain_index: int) -> bytes:
    return _seed(f"anchor transaction {chain_index}")


def _call(signature: str, args_types: list[str], args: list[Any]) -> dict[str, Any]:
    data = function_signature_to_4byte_selector(signature) + encode(args_types, args)
    return {"to": REGISTRY, "data": "0x" + data.hex()}


def _entry(method: str, params: list[Any], result: Any) -> dict[str, Any]:
    return {"method": method, "params": params, "result": result}


def _block(number: int) -> dict[str, Any]:
    return {"number": hex(number), "hash": "0x" + block_hash(number).hex(),
            "timestamp": hex(block_time(number))}


def _receipt(log: SmallLog, k: int) -> dict[str, Any]:
    size, block = CHECKPOINT_SIZES[k], ANCHOR_BLOCKS[k]
    data = encode(["uint64", "bytes32", "uint64"], [size, log.tree.root(size), block_time(block)])
    topics = [ANCHORED_TOPIC, log_id(ORIGIN), k.to_bytes(32, "big")]
    return {"transactionHash": "0x" + tx_hash(k).hex(), "to": REGISTRY.lower(), "status": "0x1",
            "blockNumber": hex(block), "blockHash": "0x" + block_hash(block).hex(),
            "logs": [{"address": REGISTRY.lower(), "topics": ["0x" + t.hex() for t in topics],
                      "data": "0x" + data.hex()}]}


REVERT = {"code": 3, "message": "execution reverted: CheckpointOutOfRange",
          "data": "0x" + function_signature_to_4byte_selector(
              "CheckpointOutOfRange(bytes32,uint256,uint256)").hex()}


def chain_rpc(log: SmallLog) -> dict[str, dict[str, Any]]:
    """The chain's JSON-RPC answers, by name: every request a verifier of these vectors makes."""
    lid = log_id(ORIGIN)
    rpc = {"chain_id": _entry("eth_chainId", [], hex(CHAIN_ID)),
           "genesis": _entry("eth_getBlockByNumber", ["0x0", False], _block(0)),
           "frozen_state": _entry("eth_call", [_call("frozenState(bytes32)", ["bytes32"], [lid]),
                                               "latest"],
                                  "0x" + encode(["bool", "uint256"], [False, 0]).hex()),
           "checkpoint_count": _entry("eth_call", [_call("checkpointCount(bytes32)", ["bytes32"],
                                                         [lid]), "latest"],
                                      "0x" + encode(["uint256"], [len(CHECKPOINT_SIZES)]).hex())}
    for k, (size, block) in enumerate(zip(CHECKPOINT_SIZES, ANCHOR_BLOCKS, strict=True)):
        out = encode(["uint64", "bytes32", "uint64", "uint64"],
                     [size, log.tree.root(size), block_time(block), block])
        rpc[f"checkpoint_at_{k}"] = _entry("eth_call", [_call(
            "checkpointAt(bytes32,uint256)", ["bytes32", "uint256"], [lid, k]), "latest"],
            "0x" + out.hex())
        rpc[f"block_{block}"] = _entry("eth_getBlockByNumber", [hex(block), False], _block(block))
        rpc[f"tx_{k}"] = _entry("eth_getTransactionReceipt", ["0x" + tx_hash(k).hex()],
                                _receipt(log, k))
    beyond = len(CHECKPOINT_SIZES)
    rpc[f"checkpoint_at_{beyond}"] = {"method": "eth_call", "params": [_call(
        "checkpointAt(bytes32,uint256)", ["bytes32", "uint256"], [lid, beyond]), "latest"],
        "error": REVERT}
    return rpc
