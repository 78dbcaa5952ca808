"""ledger.core.batch and receipt v2: one promise per batch, each receipt's path inside it.

The batch tree is checked against the recursive RFC 9162 reference for every size up to 70
and by property; every receipt of a batch verifies with the one promise, and each named
corruption fails with its own error class.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.batch import BatchPromise, batch_tree
from ledger.core.canonical import encode_envelope, make_envelope
from ledger.core.errors import MalformedError, SignatureError
from ledger.core.hashing import leaf_hash
from ledger.core.note import NoteSigner
from ledger.core.receipt import (
    RECEIPT_FORMAT_V2,
    BatchProofError,
    LeafMismatchError,
    Receipt,
    sign_promise,
    verify_receipt_offline,
)
from tests import reference_merkle as ref

ORIGIN = "test.example/witness"
SIGNER = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))  # TEST key
OTHER = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(32)))
FIRST = 40


def _event(k: int) -> bytes:
    event = {"event_id": f"evt-{k}", "type": "bid.submitted", "project_id": "P-1",
             "occurred_at": "2024-05-01T09:30:00+08:00", "actor": {"org": "投标人甲"},
             "payload": {"file": {"sha256": "ab" * 32, "size": 100 + k, "name": "标书.pdf"}}}
    env = make_envelope(origin=ORIGIN, event=event, project_seq=k + 1, prev=bytes(32),
                        received_at="2024-05-01T01:30:00Z", salt=bytes(range(32, 64)))
    return encode_envelope(env)


def _batch(n: int, signer: NoteSigner = SIGNER) -> list[Receipt]:
    data = [_event(k) for k in range(n)]
    leaves = [leaf_hash(d) for d in data]
    root, paths = batch_tree(leaves)
    promise = BatchPromise(ORIGIN, FIRST, n, root, "2024-05-01T01:30:00Z", 86400)
    note = sign_promise(signer, promise)
    return [Receipt(ORIGIN, FIRST + k, leaves[k], data[k], note, None, paths[k])
            for k in range(n)]


@pytest.mark.parametrize("n", range(1, 71))
def test_batch_tree_matches_reference(n: int) -> None:
    leaves = [ref.leaf_hash(b"leaf-%d" % i) for i in range(n)]
    root, paths = batch_tree(leaves)
    assert root == ref.mth(leaves)
    assert paths == [tuple(ref.path(m, leaves)) for m in range(n)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=300))
def test_batch_tree_property(entries: list[bytes]) -> None:
    leaves = [ref.leaf_hash(e) for e in entries]
    root, paths = batch_tree(leaves)
    assert root == ref.mth(leaves)
    m = len(entries) // 2
    assert paths[m] == tuple(ref.path(m, leaves))


def test_every_receipt_of_a_batch_verifies() -> None:
    receipts = _batch(13)
    for r in receipts:
        check = verify_receipt_offline(r, SIGNER.verifier)
        assert isinstance(check.promise, BatchPromise)
        assert check.promise.first == FIRST and check.promise.count == 13
        assert check.envelope["event_id"] == f"evt-{r.index - FIRST}"


def test_round_trip_and_format() -> None:
    r = _batch(5)[3]
    text = r.dumps()
    obj = json.loads(text)
    assert obj["format"] == RECEIPT_FORMAT_V2 and len(obj["batch_proof"]) == 3
    assert Receipt.loads(text) == r


def test_single_event_batch_has_empty_path() -> None:
    (r,) = _batch(1)
    assert r.batch_proof == ()
    verify_receipt_offline(r, SIGNER.verifier)


def _flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 1]) + h[1:]


GOOD = _batch(6)[2]
assert GOOD.batch_proof is not None
TAMPERED: list[Any] = [
    pytest.param(dataclasses.replace(GOOD, index=GOOD.index + 1), BatchProofError,
                 id="index-moved-in-batch"),
    pytest.param(dataclasses.replace(GOOD, index=FIRST + 6), BatchProofError,
                 id="index-after-batch"),
    pytest.param(dataclasses.replace(GOOD, index=FIRST - 1), BatchProofError,
                 id="index-before-batch"),
    pytest.param(dataclasses.replace(GOOD, batch_proof=(_flip(GOOD.batch_proof[0]),
                                                               *GOOD.batch_proof[1:])),
                 BatchProofError,
                 id="batch-proof-hash-flipped"),
    pytest.param(dataclasses.replace(GOOD, batch_proof=GOOD.batch_proof[:-1]),
                 BatchProofError, id="batch-proof-truncated"),
    pytest.param(dataclasses.replace(GOOD, batch_proof=(*GOOD.batch_proof, bytes(32))),
                 BatchProofError, id="batch-proof-extended"),
    pytest.param(dataclasses.replace(GOOD, leaf_hash=_batch(6)[3].leaf_hash),
                 BatchProofError, id="leaf-of-a-neighbour"),
    pytest.param(dataclasses.replace(GOOD, canonical_event=_event(9)), LeafMismatchError,
                 id="event-bytes-swapped"),
    pytest.param(dataclasses.replace(GOOD, promise_note=_batch(6, OTHER)[2].promise_note),
                 SignatureError, id="promise-by-another-key"),
    pytest.param(dataclasses.replace(GOOD, origin="other.example/witness"), SignatureError,
                 id="origin-changed"),
]


@pytest.mark.parametrize(("receipt", "error"), TAMPERED)
def test_tampered_v2_receipt_fails(receipt: Receipt, error: type[Exception]) -> None:
    with pytest.raises(error):
        verify_receipt_offline(receipt, SIGNER.verifier)


@pytest.mark.parametrize("body", [
    "witness-receipt/v2\no\n1\n0\n" + "A" * 43 + "=\nt\n1\n",
    "witness-receipt/v2\no\n18446744073709551615\n2\n" + "A" * 43 + "=\nt\n1\n",
    "witness-receipt/v2\no\n01\n2\n" + "A" * 43 + "=\nt\n1\n",
    "witness-receipt/v2\no\n1\n2\nAAAA\nt\n1\n",
    "witness-receipt/v2\no\n1\n2\n" + "A" * 43 + "=\nt\n1",
])
def test_bad_batch_promise_bodies(body: str) -> None:
    with pytest.raises(MalformedError):
        BatchPromise.parse(body)


def test_v1_receipt_with_batch_proof_is_malformed() -> None:
    obj = json.loads(GOOD.dumps())
    obj["format"] = "witness-receipt/v1"
    with pytest.raises(MalformedError, match="no batch_proof"):
        Receipt.from_json(obj)
    del obj["batch_proof"]
    obj["format"] = RECEIPT_FORMAT_V2
    with pytest.raises(MalformedError, match="batch_proof"):
        Receipt.from_json(obj)
