"""Checking one receipt: what a bidder runs on the file the center gave them.

Role: the signed promise, canonical bytes → leaf, the inclusion proof → the signed
checkpoint, the checkpoint on chain; optionally that the bidder's own event and bid file
match what the ledger recorded. "Accepted, not yet anchored" is the ``pending`` outcome.
A receipt for a sealed record (a bid-phase event before its section's opening) carries its
plaintext sealed envelope and verifies the same way; it has no ``project_seq``.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ledger.core.anchor_ref import AnchorRef
from ledger.core.batch import BatchPromise
from ledger.core.errors import MalformedError, VerificationError
from ledger.core.hashing import leaf_hash
from ledger.core.json_text import loads_strict
from ledger.core.receipt import Receipt, verify_receipt_offline
from verifier.anchor_check import check_anchor
from verifier.further_chains import FurtherChains, check_further
from verifier.policy import TrustPolicy
from verifier.readers.chain import RegistryReader
from verifier.readers.files import read_bounded, sha256_file
from verifier.report import Report
from verifier.witness_check import check_cosignatures

MAX_EVENT_FILE = 1024 * 1024
PSEUDONYM_PREFIX = "hk1:"  # the ledger replaces personal identifiers by keyed hashes
CORE_CODES = {"inclusion_proof": "inclusion", "consistency_proof": "consistency"}
COMPARED_FIELDS = ("event_id", "type", "project_id", "section_id", "occurred_at", "actor",
                   "context", "payload")


def problem_code(exc: VerificationError) -> str:
    return CORE_CODES.get(exc.code, exc.code)


def check_receipt(receipt: Receipt, policy: TrustPolicy, chain: RegistryReader | None = None,
                  event_file: Path | bytes | None = None,
                  bid_file: Path | bytes | None = None) -> Report:
    """Verify ``receipt`` against the pinned ``policy`` (and the chain when given)."""
    # the anchor reference is decoded first: a value no chain can hold is bad input (exit 2)
    anchor = anchor_of(receipt)
    further = () if receipt.anchored is None else receipt.anchored.anchor_refs
    report = Report("receipt", subject={"index": receipt.index, "origin": receipt.origin})
    where = {"index": receipt.index}
    if receipt.origin != policy.origin:
        report.fail("origin", f"receipt is for log {receipt.origin!r}, the policy trusts "
                    f"{policy.origin!r}", **where)
        return report
    try:  # decode_envelope bounds the event's size and nesting before parsing it
        checked = verify_receipt_offline(receipt, policy.log_keys)
    except VerificationError as exc:
        report.fail(problem_code(exc), str(exc), **where)
        return report
    except MalformedError as exc:
        if leaf_hash(receipt.canonical_event) == receipt.leaf_hash:
            raise
        report.fail("payload", f"event bytes do not hash to the signed leaf ({exc})", **where)
        return report
    env = checked.envelope
    report.subject.update({k: env[k] for k in ("event_id", "project_id", "project_seq",
                                               "seal", "type", "received_at") if k in env})
    if isinstance(checked.promise, BatchPromise):  # v2: the batch its promise signs
        report.subject.update(batch_first=checked.promise.first,
                              batch_count=checked.promise.count)
    report.count("signatures", 1 if checked.checkpoint is None else 2)
    report.count("leaves")
    if event_file is not None:
        _compare_event(report, env, _load(event_file, "event file"))
    if bid_file is not None:
        _compare_file(report, env, bid_file)
    _anchoring(report, receipt, policy, chain, checked.checkpoint, anchor)
    if receipt.anchored is not None and checked.checkpoint is not None:
        _further(report, policy, chain is not None, checked.checkpoint, anchor, further)
    return report


def _further(report: Report, policy: TrustPolicy, online: bool, checkpoint: Any,
             anchor: AnchorRef | None, further: tuple[AnchorRef, ...]) -> None:
    """The checkpoint on the policy's further chains (and any other chain the receipt names)."""
    if not policy.chains and not further:
        return
    chains = FurtherChains(policy, online)
    try:
        check_further(report, chains, checkpoint.size, checkpoint.root, anchor, further)
    finally:
        chains.close()


def anchor_of(receipt: Receipt) -> AnchorRef | None:
    """The receipt's anchor reference, decoded strictly (``MalformedError`` naming the field)."""
    return None if receipt.anchored is None else receipt.anchored.anchor_ref


def _anchoring(report: Report, receipt: Receipt, policy: TrustPolicy,
               chain: RegistryReader | None, checkpoint: Any, anchor: AnchorRef | None) -> None:
    if receipt.anchored is None or checkpoint is None:
        report.pending.append("accepted (signed promise), not yet in a checkpoint: run with "
                              "--upgrade URL later")
        return
    report.count("inclusion_proofs")
    report.subject["checkpoint_size"] = checkpoint.size
    check_cosignatures(report, policy, receipt.anchored.checkpoint_note, checkpoint.size)
    when = check_anchor(report, chain, policy, checkpoint.size, checkpoint.root, anchor)
    if when is not None:
        report.subject["anchored_at_block_time"] = when


def _load(source: Path | bytes, what: str) -> bytes:
    return source if isinstance(source, bytes) else read_bounded(source, MAX_EVENT_FILE, what)


def _compare_event(report: Report, env: dict[str, Any], data: bytes) -> None:
    mine = loads_strict(data, what="event file")  # a repeated key is refused, not resolved
    if not isinstance(mine, dict):
        raise MalformedError("event file is not a JSON object")
    report.count("event_fields")
    hidden: list[str] = []
    for key in COMPARED_FIELDS:
        if key in mine:
            _diff(report, key, mine[key], env.get(key), hidden)
    if hidden:
        report.skip("pseudonymised fields " + ", ".join(hidden[:10]),
                    "the ledger stores keyed hashes of personal identifiers")


def _diff(report: Report, path: str, mine: Any, theirs: Any, hidden: list[str]) -> None:
    if isinstance(mine, dict) and isinstance(theirs, dict):
        for key in mine.keys() | theirs.keys():
            if key in mine:
                _diff(report, f"{path}.{key}", mine[key], theirs.get(key), hidden)
        return
    if mine == theirs:
        return
    if isinstance(theirs, str) and theirs.startswith(PSEUDONYM_PREFIX):
        hidden.append(path)
        return
    report.fail("event_mismatch", f"{path}: your event has {mine!r}, the ledger recorded "
                f"{theirs!r}", event_id=str(report.subject.get("event_id")))


def _compare_file(report: Report, env: dict[str, Any], bid_file: Path | bytes) -> None:
    import hashlib

    recorded = (env.get("payload") or {}).get("file_hash")
    actual = (hashlib.sha256(bid_file).hexdigest() if isinstance(bid_file, bytes)
              else sha256_file(bid_file))
    report.count("files")
    report.subject["file_sha256"] = actual
    if not isinstance(recorded, str):
        report.fail("file_mismatch", f"the event ({env.get('type')}) records no file hash",
                    event_id=env.get("event_id"))
    elif recorded.lower() != actual:
        report.fail("file_mismatch", f"your file hashes to {actual}, the ledger recorded "
                    f"{recorded}", event_id=env.get("event_id"))
