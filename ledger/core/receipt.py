"""Receipts: the file a bidder keeps for one event, and its offline verification.

A receipt holds the event's canonical bytes, its log index and leaf hash, and a *promise*:
a signed note by the log key committing to include that leaf at that index within the
maximum merge delay (MMD). Once anchored, it also holds the inclusion proof, the signed
checkpoint it was computed against, and the anchor reference on chain.

Must not import anything outside the standard library and ``cryptography``; no I/O.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from dataclasses import dataclass, field
from typing import Any

from ledger.core.anchor_ref import AnchorRef, parse_anchor, parse_anchors
from ledger.core.batch import BatchPromise
from ledger.core.canonical import decode_envelope
from ledger.core.errors import (
    InclusionProofError,
    MalformedError,
    SignatureError,
    VerificationError,
)
from ledger.core.hashing import HASH_SIZE, leaf_hash
from ledger.core.json_text import loads_strict
from ledger.core.key_rotation import LogKeys
from ledger.core.note import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    is_canonical_uint64,
)
from ledger.core.verify import clear_path_memo, verify_inclusion

RECEIPT_FORMAT = "witness-receipt/v1"
#: One signed promise per committed batch; the receipt carries its path in the batch.
RECEIPT_FORMAT_V2 = "witness-receipt/v2"
#: Anchors on further chains a receipt or bundle checkpoint may carry (``anchors``).
MAX_ANCHORS = 16
PROMISE_HEADER = "witness-receipt/v1"
MAX_RECEIPT_SIZE = 1024 * 1024


class LeafMismatchError(VerificationError):
    """The receipt's event bytes do not hash to the leaf it names."""

    code = "leaf"


class BatchProofError(VerificationError):
    """A v2 receipt's path does not put its leaf at its index in the signed batch."""

    code = "batch_proof"


@dataclass(frozen=True)
class Promise:
    """What the log signs when it accepts an event."""

    origin: str
    index: int
    leaf_hash: bytes
    received_at: str
    mmd_seconds: int

    def body(self) -> str:
        leaf = base64.b64encode(self.leaf_hash).decode()
        return (f"{PROMISE_HEADER}\n{self.origin}\n{self.index}\n{leaf}\n"
                f"{self.received_at}\n{self.mmd_seconds}\n")

    @classmethod
    def parse(cls, body: str) -> Promise:
        lines = body.split("\n")
        if len(lines) != 7 or lines[0] != PROMISE_HEADER or lines[6] != "":
            raise MalformedError("not a witness receipt promise")
        _, origin, index_s, leaf_b64, received_at, mmd_s, _ = lines
        if not is_canonical_uint64(index_s) or not is_canonical_uint64(mmd_s):
            raise MalformedError("promise index and MMD must be decimal numbers below 2^64 "
                                 "without leading zeros")
        return cls(origin, int(index_s), _b64_hash(leaf_b64), received_at, int(mmd_s))


def _b64_hash(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise MalformedError("hash is not base64") from exc
    if len(raw) != HASH_SIZE:
        raise MalformedError("hash is not 32 bytes")
    return raw


def _hex_hash(text: Any, what: str) -> bytes:
    if not isinstance(text, str) or len(text) != 2 * HASH_SIZE:
        raise MalformedError(f"{what} is not a 64-character hex hash")
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise MalformedError(f"{what} is not hex") from exc


def _hex_hashes(texts: list[Any], what: str) -> tuple[bytes, ...]:
    """``_hex_hash`` of each, without a Python call per text when it can.

    All of them 64 characters: ``_hex_hash`` is then ``bytes.fromhex`` of each, mapped in C
    (a text that is not a ``str`` raises ``TypeError``). Otherwise, or on any error, the
    texts are taken one by one, so that what is refused, and how it is worded, does not
    change.
    """
    try:
        if set(map(len, texts)) <= _HEX_HASH_LENGTH:
            return tuple(map(bytes.fromhex, texts))
    except (TypeError, ValueError):  # not all str, or not all hex: each is looked at below
        pass
    return tuple(_hex_hash(h, what) for h in texts)


_HEX_HASH_LENGTH = {2 * HASH_SIZE}


@dataclass(frozen=True)
class AnchoredProof:
    """Inclusion proof + the signed checkpoint it leads to + where that checkpoint is on chain."""

    checkpoint_note: str
    inclusion_proof: tuple[bytes, ...]
    anchor: dict[str, Any] | None = None  # on the log's primary chain
    # On the further chains the log is bound to; written only when there are some, so a
    # single-chain receipt is byte-identical to one made before several chains existed.
    anchors: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        out = {
            "checkpoint": self.checkpoint_note,
            "inclusion_proof": [h.hex() for h in self.inclusion_proof],
            "anchor": self.anchor,
        }
        return out | ({"anchors": list(self.anchors)} if self.anchors else {})

    @functools.cached_property
    def anchor_ref(self) -> AnchorRef | None:
        """``anchor`` decoded strictly (``MalformedError`` naming the field), once."""
        return None if self.anchor is None else parse_anchor(self.anchor,
                                                             "receipt: anchored.anchor")

    @functools.cached_property
    def anchor_refs(self) -> tuple[AnchorRef, ...]:
        """``anchors`` decoded strictly, once."""
        return parse_anchors(list(self.anchors), "receipt: anchored.anchors")

    @classmethod
    def from_json(cls, obj: Any) -> AnchoredProof:
        if not isinstance(obj, dict) or not isinstance(obj.get("checkpoint"), str):
            raise MalformedError("anchored proof needs a checkpoint note")
        proof = obj.get("inclusion_proof")
        if not isinstance(proof, list) or len(proof) > 64:
            raise MalformedError("inclusion_proof must be a list of at most 64 hashes")
        anchor = obj.get("anchor")
        if anchor is not None and not isinstance(anchor, dict):
            raise MalformedError("anchor must be an object")
        more = obj.get("anchors", [])
        if not isinstance(more, list) or len(more) > MAX_ANCHORS or \
                not all(isinstance(a, dict) for a in more):
            raise MalformedError(f"anchors must be a list of at most {MAX_ANCHORS} objects")
        anchored = cls(obj["checkpoint"], _hex_hashes(proof, "inclusion proof hash"), anchor,
                     tuple(more))
        # decoded strictly (a value no chain can hold is refused, naming the field) but kept
        # as written, so a receipt read and written back is the same file; the decoded
        # references stay with it for the checks
        anchored.anchor_ref, anchored.anchor_refs  # noqa: B018 - decoded for their refusals
        return anchored


@dataclass(frozen=True)
class Receipt:
    """A receipt file. ``anchored`` is None while the event is accepted but not anchored."""

    origin: str
    index: int
    leaf_hash: bytes
    canonical_event: bytes
    promise_note: str
    anchored: AnchoredProof | None = field(default=None)
    #: v2 only: the leaf's audit path in the batch its promise signs (None: a v1 receipt).
    batch_proof: tuple[bytes, ...] | None = field(default=None)

    @property
    def format(self) -> str:
        return RECEIPT_FORMAT if self.batch_proof is None else RECEIPT_FORMAT_V2

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": self.format,
            "origin": self.origin,
            "index": self.index,
            "leaf_hash": self.leaf_hash.hex(),
            "canonical_event": self.canonical_event.decode("utf-8"),
            "promise": self.promise_note,
        }
        if self.batch_proof is not None:
            out["batch_proof"] = [h.hex() for h in self.batch_proof]
        out["anchored"] = self.anchored.to_json() if self.anchored else None
        return out

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, obj: Any) -> Receipt:
        if not isinstance(obj, dict) or obj.get("format") not in (RECEIPT_FORMAT,
                                                                   RECEIPT_FORMAT_V2):
            raise MalformedError(f"not a {RECEIPT_FORMAT} or {RECEIPT_FORMAT_V2} receipt")
        index, origin, event = obj.get("index"), obj.get("origin"), obj.get("canonical_event")
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise MalformedError("receipt index must be a non-negative integer")
        if not isinstance(origin, str) or not isinstance(event, str):
            raise MalformedError("receipt origin and canonical_event must be strings")
        if not isinstance(obj.get("promise"), str):
            raise MalformedError("receipt promise must be a signed note")
        anchored = obj.get("anchored")
        try:
            event_bytes = event.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise MalformedError("canonical_event is not valid Unicode text") from exc
        return cls(
            origin=origin,
            index=index,
            leaf_hash=_hex_hash(obj.get("leaf_hash"), "leaf_hash"),
            canonical_event=event_bytes,
            promise_note=obj["promise"],
            anchored=None if anchored is None else AnchoredProof.from_json(anchored),
            batch_proof=_batch_proof(obj),
        )

    @classmethod
    def loads(cls, text: str | bytes) -> Receipt:
        if len(text) > MAX_RECEIPT_SIZE:
            raise MalformedError(f"receipt is larger than {MAX_RECEIPT_SIZE} bytes")
        # UTF-8, nesting and duplicate names: a repeated "index" or "leaf_hash" would let
        # two readers of one receipt see two different claims.
        return cls.from_json(loads_strict(text, what="receipt"))


def _batch_proof(obj: dict[str, Any]) -> tuple[bytes, ...] | None:
    """v2 needs ``batch_proof``; v1 must not have one (a reader could not tell which
    promise format the signature is over)."""
    proof = obj.get("batch_proof")
    if obj["format"] == RECEIPT_FORMAT:
        if "batch_proof" in obj:
            raise MalformedError(f"a {RECEIPT_FORMAT} receipt has no batch_proof")
        return None
    if not isinstance(proof, list) or len(proof) > 64:
        raise MalformedError("batch_proof must be a list of at most 64 hashes")
    return _hex_hashes(proof, "batch proof hash")


def sign_promise(signer: NoteSigner, promise: Promise | BatchPromise) -> str:
    return signer.sign(promise.body())


@dataclass(frozen=True)
class ReceiptCheck:
    """What an offline receipt check established."""

    promise: Promise | BatchPromise
    envelope: dict[str, Any]
    checkpoint: Checkpoint | None


@functools.lru_cache(maxsize=1024)
def _open_batch_promise(note: str, keys: LogKeys) -> BatchPromise:
    # The receipts of one batch share its promise: the signature is checked once per batch.
    # Only successes are cached (a failure raises), and the key includes the pinned keys.
    return BatchPromise.parse(keys.open(note))


def _check_promise(receipt: Receipt, keys: LogKeys) -> Promise | BatchPromise:
    """The signed promise, checked to commit to the receipt's origin, index and leaf."""
    if receipt.batch_proof is None:
        promise = Promise.parse(keys.open(receipt.promise_note))
        if (promise.origin, promise.index, promise.leaf_hash) != (
            receipt.origin, receipt.index, receipt.leaf_hash
        ):
            raise SignatureError("the signed promise is for another origin, index or leaf")
        return promise
    batch = _open_batch_promise(receipt.promise_note, keys)
    if batch.origin != receipt.origin:
        raise SignatureError("the signed batch promise is for another origin")
    if not batch.covers(receipt.index):
        raise BatchProofError(f"index {receipt.index} is outside the signed batch "
                              f"[{batch.first}, {batch.first + batch.count})")
    try:
        verify_inclusion(receipt.index - batch.first, batch.count, receipt.leaf_hash,
                         receipt.batch_proof, batch.root)
    except InclusionProofError as exc:
        raise BatchProofError(f"batch proof: {exc}") from exc
    return batch


@functools.lru_cache(maxsize=256)
def _open_checkpoint(note: str, keys: LogKeys, origin: str) -> Checkpoint:
    # Many receipts share one checkpoint: its signature is checked once, not per receipt.
    # Only successes are cached (a failure raises), and the key includes the pinned keys.
    return keys.open_checkpoint(note, origin)[0]


def clear_caches() -> None:
    """Forget the promises and checkpoints already opened and the proof hashes already
    computed (a benchmark's cold start)."""
    _open_batch_promise.cache_clear()
    _open_checkpoint.cache_clear()
    clear_path_memo()


def verify_receipt_offline(receipt: Receipt, verifier: NoteVerifier | LogKeys) -> ReceiptCheck:
    """Check signatures, leaf and (if anchored) the inclusion proof; chain checks are elsewhere.

    ``verifier``: the pinned log key, or the keys reachable from it through rotations (a
    promise may be signed by any of them: a receipt fetched again after a rotation carries a
    promise signed by the new key)."""
    keys = verifier if isinstance(verifier, LogKeys) else LogKeys.pinned(verifier)
    promise = _check_promise(receipt, keys)
    envelope = decode_envelope(receipt.canonical_event)
    calculated = leaf_hash(receipt.canonical_event)
    if calculated != receipt.leaf_hash:
        raise LeafMismatchError(
            f"event bytes hash to {calculated.hex()}, receipt names {receipt.leaf_hash.hex()}"
        )
    if envelope.get("origin") != receipt.origin:
        raise SignatureError("event envelope is for another origin")
    checkpoint = None
    if receipt.anchored is not None:
        checkpoint = _open_checkpoint(receipt.anchored.checkpoint_note, keys, receipt.origin)
        verify_inclusion(receipt.index, checkpoint.size, receipt.leaf_hash,
                         receipt.anchored.inclusion_proof, checkpoint.root)
    return ReceiptCheck(promise, envelope, checkpoint)
