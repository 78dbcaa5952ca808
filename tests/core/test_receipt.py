"""ledger.core.receipt: receipts built by hand and checked offline, and their file format.

A receipt for the event at index 5 of a 10-leaf log is assembled from the public pieces
(make_envelope / encode_envelope, a signed Promise, a signed checkpoint, an inclusion proof),
then each part is tampered with and must fail with the right exception class.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.core.canonical import encode_envelope, make_envelope
from ledger.core.errors import (
    InclusionProofError,
    MalformedError,
    SignatureError,
    VerificationError,
)
from ledger.core.hashing import leaf_hash
from ledger.core.note import Checkpoint, NoteSigner, sign_checkpoint
from ledger.core.receipt import (
    MAX_RECEIPT_SIZE,
    RECEIPT_FORMAT,
    AnchoredProof,
    LeafMismatchError,
    Promise,
    Receipt,
    sign_promise,
    verify_receipt_offline,
)
from tests import reference_merkle as ref

ORIGIN = "test.example/witness"
SIGNER = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))  # TEST key
OTHER = NoteSigner(ORIGIN, Ed25519PrivateKey.from_private_bytes(bytes(32)))
INDEX, SIZE = 5, 10
EVENT = {
    "event_id": "evt-5", "type": "bid.submitted", "project_id": "P-1",
    "occurred_at": "2024-05-01T09:30:00+08:00", "actor": {"org": "投标人甲"},
    "payload": {"file": {"sha256": "ab" * 32, "size": 100, "name": "投标文件.pdf"}},
}


def _canonical(origin: str = ORIGIN, **payload: Any) -> bytes:
    event = {**EVENT, "payload": {**EVENT["payload"], **payload}}
    env = make_envelope(origin=origin, event=event, project_seq=2, prev=bytes(32),
                        received_at="2024-05-01T01:30:00Z", salt=bytes(range(32, 64)))
    return encode_envelope(env)


def _leaves(event_bytes: bytes) -> list[bytes]:
    leaves = [ref.leaf_hash(b"leaf-%d" % i) for i in range(SIZE)]
    leaves[INDEX] = leaf_hash(event_bytes)
    return leaves


# a reference of the right shape (the decoder refuses any other); nothing here asks the chain
ANCHOR = {"chain_id": 31337, "registry": "0x" + "11" * 20, "log_id": "0x" + "22" * 32,
          "chain_index": 0, "tree_size": SIZE, "root": "33" * 32, "tx_hash": "0x" + "00" * 32,
          "block_number": 1, "block_hash": "0x" + "44" * 32, "block_timestamp": 1714527000}


def _build(event_bytes: bytes | None = None, *, signer: NoteSigner = SIGNER,
           anchored: bool = True) -> Receipt:
    event_bytes = event_bytes or _canonical()
    leaves = _leaves(event_bytes)
    promise = Promise(ORIGIN, INDEX, leaves[INDEX], "2024-05-01T01:30:00Z", 86400)
    proof = None
    if anchored:
        cp = Checkpoint(ORIGIN, SIZE, ref.mth(leaves))
        proof = AnchoredProof(sign_checkpoint(cp, signer), tuple(ref.path(INDEX, leaves)),
                              ANCHOR)
    return Receipt(ORIGIN, INDEX, leaves[INDEX], event_bytes, sign_promise(signer, promise),
                   proof)


GOOD = _build()


def test_receipt_verifies_offline() -> None:
    check = verify_receipt_offline(GOOD, SIGNER.verifier)
    assert check.promise.index == INDEX and check.promise.leaf_hash == GOOD.leaf_hash
    assert check.envelope["event_id"] == "evt-5"
    assert check.checkpoint == Checkpoint(ORIGIN, SIZE, ref.mth(_leaves(_canonical())))


def test_pending_receipt_verifies_without_checkpoint() -> None:
    check = verify_receipt_offline(_build(anchored=False), SIGNER.verifier)
    assert check.checkpoint is None


def test_dumps_loads_round_trip() -> None:
    for receipt in (GOOD, _build(anchored=False)):
        text = receipt.dumps()
        assert json.loads(text)["format"] == RECEIPT_FORMAT
        assert Receipt.loads(text) == receipt
        assert Receipt.loads(text.encode()) == receipt


def _replace_anchored(**changes: Any) -> Receipt:
    assert GOOD.anchored is not None
    return dataclasses.replace(GOOD, anchored=dataclasses.replace(GOOD.anchored, **changes))


def _other_checkpoint(size: int, origin: str = ORIGIN, signer: NoteSigner = SIGNER) -> str:
    return sign_checkpoint(Checkpoint(origin, size, ref.mth(_leaves(_canonical())[:size])),
                           signer)


def _flipped_proof(pos: int) -> tuple[bytes, ...]:
    assert GOOD.anchored is not None
    proof = list(GOOD.anchored.inclusion_proof)
    proof[pos] = bytes([proof[pos][0] ^ 1]) + proof[pos][1:]
    return tuple(proof)


TAMPERED: list[Any] = [
    pytest.param(lambda: dataclasses.replace(GOOD, canonical_event=_canonical(size=101)),
                 LeafMismatchError, id="event-changed"),
    pytest.param(lambda: dataclasses.replace(GOOD, canonical_event=GOOD.canonical_event + b" "),
                 MalformedError, id="event-not-canonical"),
    pytest.param(lambda: dataclasses.replace(GOOD, index=INDEX + 1), SignatureError, id="index"),
    pytest.param(lambda: dataclasses.replace(GOOD, leaf_hash=bytes(32)), SignatureError,
                 id="leaf"),
    pytest.param(lambda: dataclasses.replace(GOOD, origin="x.example"), SignatureError,
                 id="origin"),
    pytest.param(lambda: dataclasses.replace(
        GOOD, promise_note=GOOD.promise_note.replace("\n86400\n", "\n86401\n")),
        SignatureError, id="promise-body"),
    pytest.param(lambda: dataclasses.replace(GOOD, promise_note=_build(signer=OTHER).promise_note),
                 SignatureError, id="promise-other-key"),
    pytest.param(lambda: dataclasses.replace(GOOD, promise_note=sign_promise(
        SIGNER, Promise(ORIGIN, INDEX + 1, GOOD.leaf_hash, "t", 1))),
        SignatureError, id="promise-other-index"),
    pytest.param(lambda: dataclasses.replace(GOOD, promise_note="garbage"), MalformedError,
                 id="promise-garbage"),
    pytest.param(lambda: _build(_canonical(origin="other.example")), SignatureError,
                 id="envelope-other-origin"),
    pytest.param(lambda: _replace_anchored(checkpoint_note=_other_checkpoint(SIZE, signer=OTHER)),
                 SignatureError, id="checkpoint-other-key"),
    pytest.param(lambda: _replace_anchored(checkpoint_note=_other_checkpoint(SIZE, "x.example")),
                 SignatureError, id="checkpoint-other-origin"),
    pytest.param(lambda: _replace_anchored(checkpoint_note=_other_checkpoint(SIZE - 1)),
                 InclusionProofError, id="checkpoint-other-size"),
    pytest.param(lambda: _replace_anchored(checkpoint_note=GOOD.anchored.checkpoint_note.replace(
        f"\n{SIZE}\n", f"\n{SIZE + 1}\n")), SignatureError, id="checkpoint-body"),
    pytest.param(lambda: _replace_anchored(inclusion_proof=_flipped_proof(0)),
                 InclusionProofError, id="proof-flip-0"),
    pytest.param(lambda: _replace_anchored(inclusion_proof=_flipped_proof(-1)),
                 InclusionProofError, id="proof-flip-last"),
    pytest.param(lambda: _replace_anchored(inclusion_proof=GOOD.anchored.inclusion_proof[:-1]),
                 InclusionProofError, id="proof-truncated"),
    pytest.param(lambda: _replace_anchored(
        inclusion_proof=(*GOOD.anchored.inclusion_proof, bytes(32))),
        InclusionProofError, id="proof-extended"),
]


@pytest.mark.parametrize(("make", "error"), TAMPERED)
def test_tampered_receipt_fails(make: Any, error: type[Exception]) -> None:
    receipt = make()
    with pytest.raises(error) as info:
        verify_receipt_offline(receipt, SIGNER.verifier)
    if issubclass(error, VerificationError):
        assert isinstance(info.value, VerificationError)
    # The same tampering survives the file format: it is caught after a dumps/loads too.
    with pytest.raises(error):
        verify_receipt_offline(Receipt.loads(receipt.dumps()), SIGNER.verifier)


def test_wrong_pinned_key() -> None:
    with pytest.raises(SignatureError):
        verify_receipt_offline(GOOD, OTHER.verifier)


def _json(**changes: Any) -> str:
    obj = GOOD.to_json()
    obj.update(changes)
    return json.dumps(obj)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("garbage", id="garbage"),
        pytest.param(b"\xff\xfe", id="non-utf8"),
        pytest.param(GOOD.dumps()[:-20], id="truncated"),
        pytest.param("[]", id="not-an-object"),
        pytest.param(_json(format="witness-receipt/v2"), id="wrong-format"),
        pytest.param(_json(format=None), id="no-format"),
        pytest.param(_json(index=-1), id="negative-index"),
        pytest.param(_json(index=True), id="bool-index"),
        pytest.param(_json(index="5"), id="string-index"),
        pytest.param(_json(origin=5), id="origin-not-string"),
        pytest.param(_json(canonical_event=None), id="no-event"),
        pytest.param(_json(promise=None), id="no-promise"),
        pytest.param(_json(leaf_hash="zz" * 32), id="leaf-not-hex"),
        pytest.param(_json(leaf_hash="00" * 31), id="leaf-short"),
        pytest.param(_json(anchored=[]), id="anchored-not-object"),
        pytest.param(_json(anchored={"inclusion_proof": []}), id="anchored-no-checkpoint"),
        pytest.param(_json(anchored={"checkpoint": "c", "inclusion_proof": ["00" * 32] * 65}),
                     id="proof-too-long"),
        pytest.param(_json(anchored={"checkpoint": "c", "inclusion_proof": ["00"]}),
                     id="proof-hash-short"),
        pytest.param(_json(anchored={"checkpoint": "c", "inclusion_proof": [], "anchor": 1}),
                     id="anchor-not-object"),
        pytest.param(" " * (MAX_RECEIPT_SIZE + 1), id="oversize"),
        pytest.param("[" * 900, id="nesting-below-limit"),
        pytest.param('{"index": ' + "9" * 5000 + "}", id="huge-integer"),
    ],
)
def test_loads_rejects(text: str | bytes) -> None:
    with pytest.raises(MalformedError):
        Receipt.loads(text)


def test_loads_rejects_lone_surrogate_event() -> None:
    with pytest.raises(MalformedError):
        Receipt.loads(_json(canonical_event="\ud800"))


def test_promise_round_trip_and_parse_errors() -> None:
    promise = Promise(ORIGIN, 7, bytes(range(32)), "2024-05-01T01:30:00Z", 60)
    assert Promise.parse(promise.body()) == promise
    body = promise.body()
    for bad in (body.replace("\n7\n", "\n-7\n"), body.replace("\n7\n", "\n\u00b2\n"),
                body.replace("\n7\n", "\n\u0667\n"), body.replace("\n60\n", "\nx\n"),
                body.replace("witness-receipt/v1", "witness-receipt/v2"), body[:-1],
                body + "extra\n"):
        with pytest.raises(MalformedError):
            Promise.parse(bad)


def test_promise_parse_rejects_huge_index() -> None:
    body = Promise(ORIGIN, 7, bytes(32), "t", 60).body().replace("\n7\n", f"\n{'1' * 5000}\n")
    with pytest.raises(MalformedError):
        Promise.parse(body)


_DEEP = """
{pre}
from ledger.core.errors import MalformedError
from ledger.core.receipt import Receipt
try:
    Receipt.loads("[" * 200_000)
except MalformedError:
    print("rejected")
"""


def _run_deep(pre: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _DEEP.format(pre=pre)], capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])


def test_loads_rejects_deep_nesting() -> None:
    proc = _run_deep("")
    assert proc.returncode == 0 and proc.stdout.strip() == "rejected", proc.stderr[-2000:]


def test_loads_rejects_deep_nesting_with_py_ecc_loaded() -> None:
    pytest.importorskip("py_ecc")
    proc = _run_deep("import py_ecc")
    assert proc.returncode == 0 and proc.stdout.strip() == "rejected", proc.returncode
