"""Receipt v2 vectors (tests/vectors/receipts.json, ``v2-…``): one signed promise per
committed batch, each receipt carrying its audit path inside the batch (``batch_proof``).

The small log's eleven entries are committed in the batches ``BATCHES``: each checkpoint
(4, 8, 11) falls on a batch edge, as the log only grows by whole batches, but no batch of
several entries is a node of the log's tree, so a path inside a batch is not a path of
the log. The tamper catalogue
names what a v2 reader must refuse: paths that do not put the leaf at its offset, indexes
outside the batch, promise bodies with two spellings of one number, and every mix of
the v1 and v2 shapes.
"""

from __future__ import annotations

import base64
from typing import Any

from ledger.core.batch import BatchPromise, batch_tree
from ledger.core.note import NoteSigner
from ledger.core.receipt import (
    RECEIPT_FORMAT,
    RECEIPT_FORMAT_V2,
    AnchoredProof,
    Promise,
    Receipt,
    sign_promise,
)
from scripts.vectorlib.receipts import _case, _flip, _set
from scripts.vectorlib.small_log import (
    MMD_SECONDS,
    NEXT_KEY_SEED,
    ORIGIN,
    OTHER_KEY_SEED,
    SmallLog,
    log_signer,
    received_at,
    rotation_statement,
)

#: (first index, count) of each batch the small log committed, in log order.
BATCHES = ((0, 1), (1, 3), (4, 3), (7, 1), (8, 3))


def batch_of(index: int) -> tuple[int, int]:
    return next((f, n) for f, n in BATCHES if f <= index < f + n)


def _promise_body(log: SmallLog, first: int, count: int) -> str:
    root, _ = batch_tree(log.tree.leaves[first:first + count])
    # the batch is promised when its last event is received
    return BatchPromise(ORIGIN, first, count, root, received_at(first + count - 1),
                        MMD_SECONDS).body()


def batch_path(log: SmallLog, index: int) -> list[str]:
    first, count = batch_of(index)
    _, paths = batch_tree(log.tree.leaves[first:first + count])
    return [h.hex() for h in paths[index - first]]


def receipt_v2_of(log: SmallLog, index: int, size: int | None, *,
                  signer: NoteSigner | None = None) -> dict[str, Any]:
    """The v2 receipt of entry ``index`` (anchored at checkpoint ``size`` unless None)."""
    note = (signer or log.signer).sign(_promise_body(log, *batch_of(index)))
    proof = None if size is None else AnchoredProof(
        log.note(size), tuple(log.tree.inclusion(index, size)), log.anchor(size))
    path = tuple(bytes.fromhex(h) for h in batch_path(log, index))
    return Receipt(ORIGIN, index, log.leaf(index), log.canonical[index], note, proof,
                   path).to_json()


def _resigned_body(log: SmallLog, index: int, old: str, new: str) -> dict[str, Any]:
    """The promise of ``index``'s batch with one line changed, signed by the log key."""
    body = _promise_body(log, *batch_of(index))
    lines = body.split("\n")
    at = lines.index(old)
    return _set("receipt", "promise",
                value=log.signer.sign("\n".join([*lines[:at], new, *lines[at + 1:]])))


def _entry_swap(log: SmallLog, index: int, *, path_of: int) -> list[dict[str, Any]]:
    """Event bytes and leaf of entry ``index``, with the batch path of entry ``path_of``."""
    return [_set("receipt", "leaf_hash", value=log.leaf(index).hex()),
            _set("receipt", "canonical_event", value=log.canonical[index].decode()),
            _set("receipt", "batch_proof", value=batch_path(log, path_of))]


def _path_cases(log: SmallLog, r: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(name, what, mutations, check, python outcome, code) on the anchored v2 receipt."""
    path = r["batch_proof"]
    fail = ("batch_proof", "failed", "batch_proof")
    return [
        ("batch-proof-hash-flipped", "one bit of the first batch proof hash flipped",
         [_set("receipt", "batch_proof", 0, value=_flip(path[0], 7))], *fail),
        ("batch-proof-truncated", "the last batch proof hash dropped",
         [_set("receipt", "batch_proof", value=path[:-1])], *fail),
        ("batch-proof-extended", "a hash appended to the batch proof",
         [_set("receipt", "batch_proof", value=[*path, log.leaf(0).hex()])], *fail),
        ("batch-proof-empty", "no batch proof hashes at all",
         [_set("receipt", "batch_proof", value=[])], *fail),
        ("batch-proof-of-neighbour", "the batch proof of index 4, leaf and index of 5 kept",
         [_set("receipt", "batch_proof", value=batch_path(log, 4))], *fail),
        ("neighbours-leaf", "event, leaf and batch proof of index 4 (same batch), index 5 kept",
         _entry_swap(log, 4, path_of=4), *fail),
        ("neighbours-leaf-own-path", "event and leaf of index 6 (same batch), batch proof "
         "and index of 5 kept", _entry_swap(log, 6, path_of=5), *fail),
        ("index-moved-inside-batch", "index 4: inside the batch, at another offset",
         [_set("receipt", "index", value=4)], *fail),
        ("index-moved-before-batch", "index 3: the batch starts at 4",
         [_set("receipt", "index", value=3)], *fail),
        ("index-moved-after-batch", "index 7: the batch ends before it",
         [_set("receipt", "index", value=7)], *fail),
        ("event-id-changed", "the event's bytes changed (event_id), leaf, path and promise "
         "kept", [_set("receipt", "canonical_event",
                      value=r["canonical_event"].replace('-E05"', '-E95"', 1))],
         "leaf_hash", "failed", "leaf"),
    ]


def _promise_cases(log: SmallLog, r: dict[str, Any]) -> list[tuple[Any, ...]]:
    body = _promise_body(log, *batch_of(5))
    root = body.split("\n")[4]
    other = log_signer(OTHER_KEY_SEED)
    sig = ("promise_signature", "failed", "signature")
    bad = ("promise_signature", "malformed", None)
    return [
        ("promise-signed-by-other-key", "the batch promise signed by another key",
         [_set("receipt", "promise", value=other.sign(body))], *sig),
        ("promise-for-another-origin", "a batch promise for another origin, signed by the "
         "log key", [_resigned_body(log, 5, ORIGIN, "other.example/log")], *sig),
        ("promise-count-zero", "count 0, signed by the log key",
         [_resigned_body(log, 5, "3", "0")], *bad),
        ("promise-first-leading-zero", "first written 04, signed by the log key",
         [_resigned_body(log, 5, "4", "04")], *bad),
        ("promise-count-leading-zero", "count written 03, signed by the log key",
         [_resigned_body(log, 5, "3", "03")], *bad),
        ("promise-mmd-leading-zero", "MMD written with a leading zero, signed by the log key",
         [_resigned_body(log, 5, str(MMD_SECONDS), f"0{MMD_SECONDS}")], *bad),
        ("promise-batch-beyond-2^64", "first 2^64-2 and count 3: the batch ends past 2^64",
         [_resigned_body(log, 5, "4", str(2**64 - 2))], *bad),
        ("promise-root-bad-base64", "the batch root is not base64, signed by the log key",
         [_resigned_body(log, 5, root, root.replace("=", "!"))], *bad),
        ("promise-root-31-bytes", "the batch root is 31 bytes, signed by the log key",
         [_resigned_body(log, 5, root, base64.b64encode(base64.b64decode(root)[:31])
                         .decode())], *bad),
        ("v1-promise", "a v2 receipt carrying the event's v1 promise (signed by the log key)",
         [_set("receipt", "promise", value=sign_promise(log.signer, Promise(
             ORIGIN, 5, log.leaf(5), received_at(5), MMD_SECONDS)))], *bad),
    ]


def _shape_cases(log: SmallLog, r: dict[str, Any]) -> list[tuple[Any, ...]]:
    fmt = ("format", "malformed", None)
    return [
        ("v1-format-with-batch-proof", f"format {RECEIPT_FORMAT}, batch_proof kept",
         [_set("receipt", "format", value=RECEIPT_FORMAT)], *fmt),
        ("v1-format-with-batch-promise", f"format {RECEIPT_FORMAT}, batch_proof removed: "
         "the batch promise is no v1 promise",
         [_set("receipt", "format", value=RECEIPT_FORMAT),
          {"path": ["receipt", "batch_proof"], "delete": True}],
         "promise_signature", "malformed", None),
        ("without-batch-proof", "batch_proof removed",
         [{"path": ["receipt", "batch_proof"], "delete": True}], *fmt),
        ("batch-proof-null", "batch_proof is null", [_set("receipt", "batch_proof",
                                                          value=None)], *fmt),
        ("batch-proof-not-hex", "a batch proof hash that is not hex",
         [_set("receipt", "batch_proof", 0, value="zz" * 32)], *fmt),
        ("batch-proof-65-hashes", "65 batch proof hashes (at most 64)",
         [_set("receipt", "batch_proof", value=[log.leaf(0).hex()] * 65)], *fmt),
    ]


def _rotation_cases(log: SmallLog, r: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(name, what, mutations, verdict, check, python outcome, code): a rotated log key."""
    nxt = log_signer(NEXT_KEY_SEED)
    signed_by_next = [
        _set("receipt", "promise", value=nxt.sign(_promise_body(log, *batch_of(5)))),
        _set("receipt", "anchored", "checkpoint", value=log.note(8, signer=nxt))]
    rotation = _set("policy", "log_key_rotations",
                    value=[rotation_statement(log.signer, nxt, 3)])
    return [
        ("rotated-key/intact", "batch promise and checkpoint 8 signed by the next key, which "
         "the policy's rotation (after size 3) hands over to", [rotation, *signed_by_next],
         "intact", None, "intact", None),
        ("rotated-key/rotation-not-in-policy", "signed by the next key, the policy without "
         "the rotation", signed_by_next, "inconsistent", "promise_signature", "failed",
         "signature"),
    ]


def _rows(log: SmallLog, receipts: dict[str, dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(name, base, bid file?, mutations, verdict, check, python outcome, code, what)."""
    rows: list[tuple[Any, ...]] = [
        ("v2-anchored/intact", "v2-anchored", False, [], "intact", None, "intact", None, ""),
        ("v2-sealed/intact-with-bid-file", "v2-sealed", True, [], "intact", None, "intact",
         None, ""),
        ("v2-pending/accepted-not-checkpointed", "v2-pending", False, [], "pending",
         "anchor_on_chain", "pending", None, ""),
    ]
    anchored = receipts["v2-anchored"]
    for group in (_path_cases, _promise_cases, _shape_cases):
        for name, what, muts, check, outcome, code in group(log, anchored):
            rows.append((f"v2-anchored/{name}", "v2-anchored", False, muts, "inconsistent",
                         check, outcome, code, what))
    for name, what, muts, verdict, check, outcome, code in _rotation_cases(log, anchored):
        rows.append((f"v2-anchored/{name}", "v2-anchored", False, muts, verdict, check,
                     outcome, code, what))
    return rows + _pending_and_v1_rows(log, receipts)


def _pending_and_v1_rows(log: SmallLog,
                         receipts: dict[str, dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Before a checkpoint the batch proof is the only proof: tampering must show there too;
    and a v1 receipt must not be read as v2 (nor carry a batch proof)."""
    fail = ("inconsistent", "batch_proof", "failed", "batch_proof")
    pending = receipts["v2-pending"]
    return [
        ("v2-pending/batch-proof-hash-flipped", "v2-pending", False,
         [_set("receipt", "batch_proof", 0, value=_flip(pending["batch_proof"][0], 7))],
         *fail, "one bit of the first batch proof hash flipped (no checkpoint yet)"),
        ("v2-pending/index-moved-inside-batch", "v2-pending", False,
         [_set("receipt", "index", value=8)], *fail, "index 8: the same batch, another offset"),
        ("v2-pending/neighbours-leaf", "v2-pending", False, _entry_swap(log, 10, path_of=10),
         *fail, "event, leaf and batch proof of index 10 (same batch), index 9 kept"),
        ("anchored/v1-with-batch-proof", "anchored", False,
         [_set("receipt", "batch_proof", value=[])], "inconsistent", "format", "malformed",
         None, f"a {RECEIPT_FORMAT} receipt given an (empty) batch_proof"),
        ("anchored/v2-format-with-v1-promise", "anchored", False,
         [_set("receipt", "format", value=RECEIPT_FORMAT_V2),
          _set("receipt", "batch_proof", value=batch_path(log, 3))], "inconsistent",
         "promise_signature", "malformed", None,
         f"format {RECEIPT_FORMAT_V2} and a batch proof given to a v1 receipt"),
    ]


def add_v2(log: SmallLog, vectors: dict[str, Any]) -> dict[str, Any]:
    """``vectors`` (receipt_vectors) with the v2 receipts and cases added after the v1 ones."""
    receipts = {**vectors["receipts"], "v2-anchored": receipt_v2_of(log, 5, 8),
                "v2-sealed": receipt_v2_of(log, 4, 8), "v2-pending": receipt_v2_of(log, 9, None)}
    v2 = [_case(log, receipts, *row) for row in _rows(log, receipts)]
    return {**vectors, "batches": [{"first": f, "count": n} for f, n in BATCHES],
            "receipts": receipts, "cases": [*vectors["cases"], *v2]}

