"""Receipt test vectors (tests/vectors/receipts.json): intact receipts of a small real log,
and a named tamper catalogue for independent verifiers (the browser's, portal-js/). The v2
receipts (one signed promise per batch) and their cases are added by receipts_v2.py.

Each case names a base receipt, the mutations applied to the case document ``{policy,
receipt, rpc, bid_file}`` (JSON path + new value, or a deletion), and what a verifier must
conclude: the verdict (``intact``, ``pending``, ``inconsistent``), the check that fails (the
browser report's check id), and the Python verifier's outcome and first problem code. Every
Python expectation is confirmed with ``verifier.receipt_check`` while generating.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from ledger.core.hashing import leaf_hash
from ledger.core.key_rotation import KeyRotation
from ledger.core.note import Checkpoint, NoteSigner, sign_checkpoint
from ledger.core.receipt import AnchoredProof, Promise, Receipt, sign_promise
from scripts.vectorlib.rpc_replay import VERDICTS, apply_mutations, python_outcome
from scripts.vectorlib.small_log import (
    BID_FILE,
    MMD_SECONDS,
    NEXT_KEY_SEED,
    ORIGIN,
    OTHER_KEY_SEED,
    RPC_URL,
    SmallLog,
    chain_rpc,
    log_signer,
    received_at,
    rotation_statement,
    witness,
)


def _flip(hex_text: str, bit: int = 0) -> str:
    raw = bytearray.fromhex(hex_text.removeprefix("0x"))
    raw[bit // 8] ^= 1 << (bit % 8)
    return ("0x" if hex_text.startswith("0x") else "") + raw.hex()


def receipt_of(log: SmallLog, index: int, size: int | None, *, anchored: bool = True,
               canonical: bytes | None = None) -> dict[str, Any]:
    """The receipt of entry ``index`` (``canonical``: other bytes, the log signing them)."""
    data = log.canonical[index] if canonical is None else canonical
    leaf = leaf_hash(data)
    promise = sign_promise(log.signer, Promise(ORIGIN, index, leaf, received_at(index),
                                               MMD_SECONDS))
    proof = None if size is None else AnchoredProof(
        log.note(size), tuple(log.tree.inclusion(index, size)),
        log.anchor(size) if anchored else None)
    return Receipt(ORIGIN, index, leaf, data, promise, proof).to_json()


def _set(*path: Any, value: Any) -> dict[str, Any]:
    return {"path": list(path), "value": value}


def _resigned(log: SmallLog, receipt: dict[str, Any], data: bytes,
              index: int | None = None) -> list[dict[str, Any]]:
    """Mutations replacing the event bytes, leaf and promise as if the log had signed them."""
    i = receipt["index"] if index is None else index
    leaf = leaf_hash(data)
    promise = sign_promise(log.signer, Promise(ORIGIN, i, leaf, received_at(receipt["index"]),
                                               MMD_SECONDS))
    return [_set("receipt", "index", value=i), _set("receipt", "leaf_hash", value=leaf.hex()),
            _set("receipt", "canonical_event", value=data.decode()),
            _set("receipt", "promise", value=promise)]


def _event_cases(log: SmallLog, r: dict[str, Any]) -> list[tuple[Any, ...]]:
    env = json.loads(r["canonical_event"])
    changed = json.dumps({**env, "payload": {**env["payload"], "doc_kind": "clarification"}},
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    unsorted = json.dumps(dict(reversed(list(env.items()))), separators=(",", ":"),
                          ensure_ascii=False)
    spaced = json.dumps(env, sort_keys=True, ensure_ascii=False)
    return [
        ("flip-payload-field", "a payload field changed (doc_kind), leaf and promise kept",
         [_set("receipt", "canonical_event", value=changed)], "leaf_hash", "failed", "leaf"),
        ("non-canonical-key-order", "the event's keys in reverse order (not RFC 8785)",
         [_set("receipt", "canonical_event", value=unsorted)], "jcs", "failed", "payload"),
        ("non-canonical-signed-by-log", "whitespace in the event bytes, leaf and promise "
         "re-made by the log key: still refused", _resigned(log, r, spaced.encode()), "jcs",
         "malformed", None),
        ("wrong-leaf-hash", "leaf_hash of another event, promise kept",
         [_set("receipt", "leaf_hash", value=log.leaf(2).hex())], "promise_signature",
         "failed", "signature"),
        ("wrong-leaf-hash-promised", "leaf_hash of another event, promise re-signed for it",
         [*_resigned(log, r, log.canonical[2]),
          _set("receipt", "canonical_event", value=log.canonical[3].decode())],
         "leaf_hash", "failed", "leaf"),
        ("receipt-for-another-origin", "origin field changed",
         [_set("receipt", "origin", value="other.example/log")], "promise_signature", "failed",
         "origin"),
    ]


def _proof_cases(log: SmallLog, r: dict[str, Any]) -> list[tuple[Any, ...]]:
    proof = r["anchored"]["inclusion_proof"]
    body = Checkpoint(ORIGIN, 4, log.tree.root(4)).body()
    other = log_signer(OTHER_KEY_SEED)
    wrong_origin = log.signer.sign(body.replace(ORIGIN, "other.example/log", 1))
    return [
        ("proof-sibling-flipped", "one bit of the first proof hash flipped",
         [_set("receipt", "anchored", "inclusion_proof", 0, value=_flip(proof[0], 7))],
         "inclusion_proof", "failed", "inclusion"),
        ("proof-too-short", "the last proof hash dropped",
         [_set("receipt", "anchored", "inclusion_proof", value=proof[:-1])],
         "inclusion_proof", "failed", "inclusion"),
        ("proof-too-long", "a hash appended to the proof",
         [_set("receipt", "anchored", "inclusion_proof", value=[*proof, log.leaf(0).hex()])],
         "inclusion_proof", "failed", "inclusion"),
        ("index-out-of-range", "index = checkpoint size, promise re-signed for it",
         _resigned(log, r, log.canonical[3], index=4), "inclusion_proof", "failed",
         "inclusion"),
        ("checkpoint-signed-by-other-key", "the checkpoint signed by another key",
         [_set("receipt", "anchored", "checkpoint", value=sign_checkpoint(
             Checkpoint(ORIGIN, 4, log.tree.root(4)), other))],
         "checkpoint_signature", "failed", "signature"),
        ("checkpoint-wrong-origin", "a checkpoint for another origin, signed by the log key",
         [_set("receipt", "anchored", "checkpoint", value=wrong_origin)],
         "checkpoint_signature", "failed", "signature"),
        ("checkpoint-control-character", "an ESC character in the checkpoint note",
         [_set("receipt", "anchored", "checkpoint", value=log.note(4).replace("\n", "\x1b\n", 1))],
         "checkpoint_signature", "malformed", None),
        ("promise-index-leading-zero", "the promise's index written 03, signed by the log key: "
         "a signed number has one spelling", [_set("receipt", "promise", value=log.signer.sign(
             Promise(ORIGIN, 3, log.leaf(3), received_at(3), MMD_SECONDS).body().replace(
                 f"\n{ORIGIN}\n3\n", f"\n{ORIGIN}\n03\n", 1)))],
         "promise_signature", "malformed", None),
        ("promise-signed-by-other-key", "the promise signed by another key",
         [_set("receipt", "promise", value=sign_promise(other, Promise(
             ORIGIN, 3, log.leaf(3), received_at(3), MMD_SECONDS)))],
         "promise_signature", "failed", "signature"),
        ("cosignature-dropped", "the witness's cosignature line removed (quorum 1)",
         [_set("receipt", "anchored", "checkpoint", value=log.note(4, cosigned=False))],
         "witness_cosignatures", "failed", "witness_quorum"),
        ("cosignature-of-another-tree", "the witness line of checkpoint 8 on checkpoint 4",
         [_set("receipt", "anchored", "checkpoint", value=log.note(4, cosigned=False) +
               witness().cosign(Checkpoint(ORIGIN, 8, log.tree.root(8)).body(), 1742900008))],
         "witness_cosignatures", "failed", "cosignature"),
    ]


def _chain_cases(log: SmallLog, r: dict[str, Any]) -> list[tuple[Any, ...]]:
    at0 = log_rpc_result(log, 0)
    other_tx = "0x" + hashlib.sha256(b"no such transaction").hexdigest()
    return [
        ("chain-root-mismatch", "the chain holds another root for the signed size (a fork)",
         [_set("rpc", "checkpoint_at_0", "result", value=at0[:66] + _flip(at0[66:130], 3) +
               at0[130:])], "anchor_on_chain", "failed", "fork"),
        ("chain-size-mismatch", "the chain's checkpoint #0 has another size",
         [_set("rpc", "checkpoint_at_0", "result", value=at0[:65] + "5" + at0[66:])],
         "anchor_on_chain", "failed", "anchor"),
        ("anchor-wrong-block-hash", "the anchor reference names another block hash",
         [_set("receipt", "anchored", "anchor", "block_hash",
               value=_flip(r["anchored"]["anchor"]["block_hash"]))],
         "anchor_on_chain", "failed", "anchor"),
        ("anchor-wrong-tx-hash", "the anchor reference names a transaction the chain lacks",
         [_set("receipt", "anchored", "anchor", "tx_hash", value=other_tx),
          _set("rpc", "tx_other", value={"method": "eth_getTransactionReceipt",
                                          "params": [other_tx], "result": None})],
         "anchor_on_chain", "failed", "anchor"),
        ("anchor-chain-index-out-of-range", "chain_index 3: the registry holds three",
         [_set("receipt", "anchored", "anchor", "chain_index", value=3)],
         "anchor_on_chain", "failed", "anchor"),
        ("anchor-wrong-registry", "the anchor names another registry",
         [_set("receipt", "anchored", "anchor", "registry",
               value="0x" + "ab" * 20)], "anchor_on_chain", "failed", "anchor"),
        ("chain-wrong-chain-id", "the endpoint answers another chain id",
         [_set("rpc", "chain_id", "result", value="0x7a69")], "anchor_on_chain", "malformed",
         None),
        ("anchor-malformed-block-number", "block_number is a string",
         [_set("receipt", "anchored", "anchor", "block_number", value="4")], "format",
         "malformed", None),
    ]


def log_rpc_result(log: SmallLog, k: int) -> str:
    return str(chain_rpc(log)[f"checkpoint_at_{k}"]["result"])


def _sealed_cases(log: SmallLog, r: dict[str, Any]) -> list[tuple[Any, ...]]:
    env = json.loads(r["canonical_event"])
    with_seq = json.dumps({**env, "project_seq": 3}, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode()
    return [
        ("sealed-with-project-seq", "a sealed envelope given a project_seq, re-signed by the "
         "log: neither shape, refused", _resigned(log, r, with_seq), "jcs", "malformed", None),
        ("bad-bid-file", "one byte of the bid file changed",
         [_set("bid_file", value=base64.b64encode(b"X" + BID_FILE[1:]).decode())],
         "bid_file_sha256", "failed", "file_mismatch"),
    ]


def _signed_by_next_key(log: SmallLog, r: dict[str, Any]) -> list[dict[str, Any]]:
    """Mutations giving the receipt a promise and a (cosigned) checkpoint 4 signed by the
    next log key, as a receipt fetched again after a rotation carries them."""
    nxt = log_signer(NEXT_KEY_SEED)
    promise = sign_promise(nxt, Promise(ORIGIN, r["index"], log.leaf(r["index"]),
                                        received_at(r["index"]), MMD_SECONDS))
    return [_set("receipt", "promise", value=promise),
            _set("receipt", "anchored", "checkpoint", value=log.note(4, signer=nxt))]


def _spelled_rotation(old: NoteSigner, new: NoteSigner, line: str, spelled: str) -> str:
    """A rotation statement whose ``line`` is written ``spelled``, signed by both keys as
    ``sign_rotation`` signs one."""
    body = KeyRotation(ORIGIN, old.verifier, new.verifier, 3).body().replace(line, spelled, 1)
    return old.sign(body) + new.sign(body)[len(body) + 1:]


def _rotation_cases(log: SmallLog, r: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(name, what, mutations, verdict, check, python outcome, code): a rotated log key."""
    nxt, other = log_signer(NEXT_KEY_SEED), log_signer(OTHER_KEY_SEED)
    signed_by_next = _signed_by_next_key(log, r)

    def rotations(*notes: str) -> dict[str, Any]:
        return _set("policy", "log_key_rotations", value=list(notes))

    return [
        ("rotated-key/intact", "promise and checkpoint 4 signed by the next key, which the "
         "policy's rotation (after size 3) hands over to",
         [rotations(rotation_statement(log.signer, nxt, 3)), *signed_by_next], "intact", None,
         "intact", None),
        ("rotated-key/rotation-not-in-policy", "signed by the next key, the policy without "
         "the rotation (a policy from before it)", signed_by_next, "inconsistent",
         "promise_signature", "failed", "signature"),
        ("rotated-key/forged-rotation", "the rotation signed by another key than the pinned "
         "one", [rotations(rotation_statement(other, nxt, 3)), *signed_by_next],
         "inconsistent", "key_rotation", "failed", "key_rotation"),
        ("rotated-key/after-leading-zero", "the rotation's after size written 03, signed by "
         "both keys: a signed number has one spelling",
         [rotations(_spelled_rotation(log.signer, nxt, "after 3\n", "after 03\n")),
          *signed_by_next], "inconsistent", "key_rotation", "malformed", None),
        ("rotated-key/at-hand-over-size", "checkpoint 4 signed by the next key, whose "
         "rotation hands over after size 4", [rotations(rotation_statement(log.signer, nxt, 4)),
                                             *signed_by_next], "inconsistent", "key_rotation",
         "failed", "key_rotation"),
    ]


def _baselines() -> list[tuple[Any, ...]]:
    """(name, receipt, bid file?, mutations, verdict, check, python outcome, code)."""
    return [
        ("anchored/intact", "anchored", False, [], "intact", None, "intact", None),
        ("sealed/intact", "sealed", False, [], "intact", None, "intact", None),
        ("sealed/intact-with-bid-file", "sealed", True, [], "intact", None, "intact", None),
        ("pending/accepted-not-checkpointed", "pending", False, [], "pending",
         "anchor_on_chain", "pending", None),
        ("checkpointed/found-on-chain-by-size", "checkpointed", False, [], "intact", None,
         "intact", None),
        ("checkpointed/chain-size-missing", "checkpointed", False,
         [_set("rpc", "checkpoint_count", "result", value="0x" + "0" * 63 + "2")], "pending",
         "anchor_on_chain", "pending", None),
        ("anchored/bid-file-for-event-without-file-hash", "anchored", True, [], "inconsistent",
         "bid_file_sha256", "failed", "file_mismatch"),
    ]


def cases(log: SmallLog, receipts: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = _baselines()
    for group, base in ((_event_cases, "anchored"), (_proof_cases, "anchored"),
                        (_chain_cases, "anchored"), (_sealed_cases, "sealed")):
        for name, what, muts, check, outcome, code in group(log, receipts[base]):
            bid = name == "bad-bid-file"
            rows.append((f"{base}/{name}", base, bid, muts, "inconsistent", check, outcome,
                         code, what))
    for name, what, muts, verdict, check, outcome, code in _rotation_cases(
            log, receipts["anchored"]):
        rows.append((f"anchored/{name}", "anchored", False, muts, verdict, check, outcome,
                     code, what))
    return [_case(log, receipts, *row) for row in rows]


def _case(log: SmallLog, receipts: dict[str, dict[str, Any]], name: str, base: str, bid: bool,
          mutations: list[dict[str, Any]], verdict: str, check: str | None, outcome: str,
          code: str | None, what: str = "") -> dict[str, Any]:
    doc = apply_mutations(case_document(log, receipts[base], bid), mutations)
    got = python_outcome(doc, "receipt")
    if got != (outcome, code) or VERDICTS[outcome] != verdict:
        raise AssertionError(f"receipt case {name}: expected {outcome}/{code}, Python says {got}")
    expected = {"verdict": verdict, "python": outcome, "python_code": code}
    return {"name": name, "receipt": base, "bid_file": bid, "description": what or name,
            "mutations": mutations, "expected": expected | ({"check": check} if check else {})}


def case_document(log: SmallLog, receipt: dict[str, Any], bid: bool) -> dict[str, Any]:
    """What a case's mutations apply to (the same shape the tests build)."""
    return {"policy": log.policy(), "receipt": receipt, "rpc": chain_rpc(log),
            "bid_file": base64.b64encode(BID_FILE).decode() if bid else None}


def receipt_vectors(log: SmallLog) -> dict[str, Any]:
    receipts = {"anchored": receipt_of(log, 3, 4), "sealed": receipt_of(log, 4, 8),
                "pending": receipt_of(log, 9, None),
                "checkpointed": receipt_of(log, 9, 11, anchored=False)}
    return {
        "description": "Receipts (docs/formats.md §4) of a small deterministic log and a named "
                       "tamper catalogue; receipts and cases named v2-… are witness-receipt/v2 "
                       "(one signed promise per committed batch; batches lists them). A case "
                       "applies its mutations (path + value, or delete) to {policy, receipt: "
                       "receipts[case.receipt], rpc, bid_file (base64, only when "
                       "case.bid_file)}; rpc holds the chain's recorded "
                       "JSON-RPC answers (requests matched on method and params, strings "
                       "compared in lower case), to be asked at rpc_url. TEST keys: never "
                       "trust them.",
        "rpc_url": RPC_URL, "policy": log.policy(), "rpc": chain_rpc(log),
        "bid_file": {"base64": base64.b64encode(BID_FILE).decode(),
                     "sha256": hashlib.sha256(BID_FILE).hexdigest()},
        "receipts": receipts, "cases": cases(log, receipts),
    }
