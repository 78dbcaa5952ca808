"""Project bundle test vectors (tests/vectors/bundles.json): the bundle of the small log's
project, and a named tamper catalogue, in the same case format as receipts.json.

The bundle is what ``ledger.export.export_project`` writes for an operator: the project's
public chain and its opened sealed bids in index order, each with an inclusion proof against
the newest anchored checkpoint, the first checkpoint covering each event, consistency proofs
between them, their anchor references and the signed project head. Every Python expectation
is confirmed with ``verifier.bundle_check`` while generating.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from ledger.core.formats import BUNDLE_FORMAT
from ledger.core.note import Checkpoint, sign_checkpoint, split_note
from ledger.core.project_head import ProjectHead
from scripts.vectorlib.receipts import _flip, _set, log_rpc_result
from scripts.vectorlib.rpc_replay import VERDICTS, apply_mutations, python_outcome
from scripts.vectorlib.small_log import (
    CHECKPOINT_SIZES,
    ENTRIES,
    NEXT_KEY_SEED,
    ORIGIN,
    OTHER_KEY_SEED,
    PROJECT,
    RPC_URL,
    SECTION,
    SmallLog,
    chain_rpc,
    log_signer,
    rotation_statement,
)

PROOF_SIZE = CHECKPOINT_SIZES[-1]


def project_bundle(log: SmallLog) -> dict[str, Any]:
    indexes = [i for i, (project, _, _) in enumerate(ENTRIES) if project == PROJECT]
    last = max(i for i in indexes if not ENTRIES[i][2])
    events = [{"index": i, "leaf_hash": log.leaf(i).hex(), "canonical": log.canonical[i].decode(),
               "inclusion_proof": [h.hex() for h in log.tree.inclusion(i, PROOF_SIZE)]}
              for i in indexes]
    sizes = sorted({min(s for s in CHECKPOINT_SIZES if s > i) for i in indexes} | {PROOF_SIZE})
    seq = json.loads(log.canonical[last])["project_seq"]
    head = ProjectHead(ORIGIN, PROJECT, seq, log.leaf(last), last, PROOF_SIZE).sign(log.signer)
    return {"format": BUNDLE_FORMAT, "kind": "project", "origin": ORIGIN, "project_id": PROJECT,
            "log_key": log.signer.verifier.vkey(), "exported_at": "2025-03-27T02:30:00+00:00",
            "proof_size": PROOF_SIZE,
            "checkpoints": [{"note": log.note(s), "anchor": log.anchor(s)} for s in sizes],
            "consistency": [{"from": a, "to": b,
                             "proof": [h.hex() for h in log.tree.consistency(a, b)]}
                            for a, b in itertools.pairwise(sizes)],
            "head": head, "sealed": [], "events": events}


def _event_cases(log: SmallLog, b: dict[str, Any]) -> list[tuple[Any, ...]]:
    env = json.loads(b["events"][2]["canonical"])
    changed = json.dumps({**env, "payload": {**env["payload"], "doc_kind": "clarification"}},
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    unsorted = json.dumps(dict(reversed(list(env.items()))), separators=(",", ":"),
                          ensure_ascii=False)
    first_proof = b["events"][0]["inclusion_proof"]
    return [
        ("drop-last-event", "the project's last event removed: the trail is cut short",
         [{"path": ["bundle", "events", 7], "delete": True}], "project_head", "sequence"),
        ("drop-middle-event", "a public event (project seq 1) removed",
         [{"path": ["bundle", "events", 1], "delete": True}], "project_chain", "sequence"),
        ("swap-two-events", "two public events in swapped order",
         [_set("bundle", "events", 1, value=b["events"][2]),
          _set("bundle", "events", 2, value=b["events"][1])], "project_chain", "sequence"),
        ("flip-payload-leaf-listed", "a payload field changed, the listed leaf kept",
         [_set("bundle", "events", 2, "canonical", value=changed)], "leaf_hash", "payload"),
        ("flip-payload-no-leaf-listed", "a payload field changed, no leaf listed",
         [_set("bundle", "events", 2, "canonical", value=changed),
          _set("bundle", "events", 2, "leaf_hash", value=None)], "inclusion_proof", "inclusion"),
        ("non-canonical-event", "an event's keys in reverse order, no leaf listed",
         [_set("bundle", "events", 2, "canonical", value=unsorted),
          _set("bundle", "events", 2, "leaf_hash", value=None)], "jcs", "payload"),
        ("proof-sibling-flipped", "one bit of the first event's first proof hash flipped",
         [_set("bundle", "events", 0, "inclusion_proof", 0, value=_flip(first_proof[0], 9))],
         "inclusion_proof", "inclusion"),
        ("sealed-record-dropped", "a sealed bid listed by BIDS_UNSEALED removed",
         [{"path": ["bundle", "events", 3], "delete": True}], "sealed_records", "sequence"),
        ("opened-section-named-sealed", "the opened section also named as still sealed",
         [_set("bundle", "sealed", value=[{"section_id": SECTION, "until": "opening"}])],
         "sealed_records", "sequence"),
    ]


def _checkpoint_cases(log: SmallLog, b: dict[str, Any]) -> list[tuple[Any, ...]]:
    other = log_signer(OTHER_KEY_SEED)
    proof = b["consistency"][0]["proof"]
    forked = sign_checkpoint(Checkpoint(ORIGIN, 8, log.tree.root(9)), log.signer)
    hides = ProjectHead(ORIGIN, PROJECT, 4, log.leaf(8), 8, PROOF_SIZE).sign(log.signer)
    at2 = log_rpc_result(log, 2)
    return [
        ("checkpoint-signed-by-other-key", "the first checkpoint signed by another key",
         [_set("bundle", "checkpoints", 0, "note", value=sign_checkpoint(
             Checkpoint(ORIGIN, 4, log.tree.root(4)), other))], "checkpoint_signature",
         "signature"),
        ("consistency-proof-flipped", "one bit of a consistency proof flipped",
         [_set("bundle", "consistency", 0, "proof", 0, value=_flip(proof[0], 1))],
         "consistency_proof", "consistency"),
        ("consistency-proof-missing", "the proof from size 4 to 8 removed",
         [{"path": ["bundle", "consistency", 0], "delete": True}], "consistency_proof",
         "consistency"),
        ("forked-checkpoint", "a second root signed by the log key for size 8",
         [_set("bundle", "checkpoints", 3, value={"note": forked, "anchor": None})],
         "consistency_proof", "fork"),
        ("head-signed-by-other-key", "the project head signed by another key",
         [_set("bundle", "head", value=ProjectHead(
             ORIGIN, PROJECT, 5, log.leaf(9), 9, PROOF_SIZE).sign(other))], "project_head",
         "signature"),
        ("head-names-earlier-event", "the log signed a head that hides the last event",
         [_set("bundle", "head", value=hides)], "project_head", "sequence"),
        ("proof-size-without-checkpoint", "proof_size names no checkpoint of the bundle",
         [_set("bundle", "proof_size", value=10)], "checkpoint_signature", "signature"),
        ("chain-root-mismatch", "the chain holds another root for size 11 (a fork)",
         [_set("rpc", "checkpoint_at_2", "result", value=at2[:66] + _flip(at2[66:130], 5) +
               at2[130:])], "anchor_on_chain", "fork"),
        ("anchor-wrong-block-number", "checkpoint 8's anchor names another block",
         [_set("bundle", "checkpoints", 1, "anchor", "block_number", value=6)],
         "anchor_on_chain", "anchor"),
        ("bundle-for-another-origin", "origin changed",
         [_set("bundle", "origin", value="other.example/log")], "format", "origin"),
    ]


def _head_cases(log: SmallLog, b: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Heads signed by the log key whose body has a second spelling of a field: one head
    has one spelling, so a verifier must refuse them (they would pass a lax reader)."""
    lines = split_note(b["head"])[0].split("\n")  # 7 lines and the empty text after them

    def signed(at: int, value: str) -> str:
        return log.signer.sign("\n".join([*lines[:at], value, *lines[at + 1:]]))

    leaf = lines[4]
    twin = leaf[:42] + _B64[(_B64.index(leaf[42]) + 1) % 64] + leaf[43:]  # same 32 bytes
    return [
        (f"head-{name}", what, [_set("bundle", "head", value=signed(at, value))],
         "project_head")
        for name, what, at, value in [
            ("seq-leading-zero", "the head's seq written with a leading zero", 3,
             "0" + lines[3]),
            ("size-beyond-uint64", "the head's size is 2^64 + 11", 6, str(2**64 + 11)),
            ("leaf-non-canonical-base64", "the head's leaf in a second base64 spelling of "
             "the same bytes", 4, twin),
        ]]


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _rotation_cases(log: SmallLog, b: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(name, what, mutations, verdict, check, outcome, code): checkpoints 8 and 11 and the
    project head signed by the next log key, as after a rotation at size 4."""
    nxt, other = log_signer(NEXT_KEY_SEED), log_signer(OTHER_KEY_SEED)
    sizes = [int(c["anchor"]["tree_size"]) for c in b["checkpoints"]]
    head = nxt.sign(split_note(b["head"])[0])
    by_next = [*(_set("bundle", "checkpoints", k, "note", value=log.note(s, signer=nxt))
                 for k, s in enumerate(sizes) if s > 4), _set("bundle", "head", value=head)]

    def rotations(*notes: str) -> dict[str, Any]:
        return _set("policy", "log_key_rotations", value=list(notes))

    return [
        ("rotated-key/intact", "the policy's rotation hands over after size 4",
         [rotations(rotation_statement(log.signer, nxt, 4)), *by_next], "intact", None,
         "intact", None),
        ("rotated-key/rotation-not-in-policy", "the policy without the rotation", by_next,
         "inconsistent", "checkpoint_signature", "failed", "signature"),
        ("rotated-key/forged-rotation", "the rotation signed by another key than the pinned "
         "one", [rotations(rotation_statement(other, nxt, 4)), *by_next], "inconsistent",
         "key_rotation", "failed", "key_rotation"),
        ("rotated-key/at-hand-over-size", "the rotation hands over after size 8, checkpoint 8 "
         "signed by the next key", [rotations(rotation_statement(log.signer, nxt, 8)),
                                    *by_next], "inconsistent", "key_rotation", "failed",
         "key_rotation"),
    ]


def cases(log: SmallLog, bundle: dict[str, Any]) -> list[dict[str, Any]]:
    unanchored = [_set("bundle", "checkpoints", k, "anchor", value=None)
                  for k in range(len(bundle["checkpoints"]))]
    rows: list[tuple[Any, ...]] = [
        ("project/intact", [], "intact", None, "intact", None, "the bundle as exported"),
        ("project/not-anchored-yet", [*unanchored, _set("rpc", "checkpoint_count", "result",
                                                        value="0x" + "0" * 64)],
         "pending", "anchor_on_chain", "pending", None,
         "no anchor references and no checkpoint on chain yet"),
        ("project/events-not-a-list", [_set("bundle", "events", value={})], "inconsistent",
         "format", "malformed", None, "events is an object"),
    ]
    for group in (_event_cases, _checkpoint_cases):
        for name, what, muts, check, code in group(log, bundle):
            rows.append((f"project/{name}", muts, "inconsistent", check, "failed", code, what))
    for name, what, muts, check in _head_cases(log, bundle):  # Python: a malformed bundle
        rows.append((f"project/{name}", muts, "inconsistent", check, "malformed", None, what))
    for name, what, muts, verdict, check, outcome, code in _rotation_cases(log, bundle):
        rows.append((f"project/{name}", muts, verdict, check, outcome, code, what))
    return [_case(log, bundle, *row) for row in rows]


def _case(log: SmallLog, bundle: dict[str, Any], name: str, mutations: list[dict[str, Any]],
          verdict: str, check: str | None, outcome: str, code: str | None,
          what: str) -> dict[str, Any]:
    doc = apply_mutations({"policy": log.policy(), "bundle": bundle, "rpc": chain_rpc(log)},
                          mutations)
    got = python_outcome(doc, "bundle")
    if got != (outcome, code) or VERDICTS[outcome] != verdict:
        raise AssertionError(f"bundle case {name}: expected {outcome}/{code}, Python says {got}")
    expected = {"verdict": verdict, "python": outcome, "python_code": code}
    return {"name": name, "bundle": "project", "description": what, "mutations": mutations,
            "expected": expected | ({"check": check} if check else {})}


def bundle_vectors(log: SmallLog) -> dict[str, Any]:
    bundle = project_bundle(log)
    return {
        "description": "A project bundle (docs/verifier.md) of the small deterministic log of "
                       "receipts.json and a named tamper catalogue. A case applies its "
                       "mutations to {policy, bundle: bundles[case.bundle], rpc}; rpc and "
                       "rpc_url as in receipts.json. TEST keys: never trust them.",
        "rpc_url": RPC_URL, "policy": log.policy(), "rpc": chain_rpc(log),
        "bundles": {"project": bundle}, "cases": cases(log, bundle),
    }
