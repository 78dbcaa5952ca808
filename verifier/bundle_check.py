"""Checking a project bundle (``witness-bundle/v1``): what a supervisor or regulator runs.

Role: every event's canonical bytes → leaf → inclusion proof against the bundle's proof
checkpoint; every checkpoint's signature with the pinned key; forks (two roots signed for
one size); consistency between consecutive checkpoints; the per-project chain (seq gap-free
from 0, every prev link right) up to the signed project head; the anchors on chain; and a
readable timeline with the result for each event.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from typing import Any

from ledger.core.canonical import ZERO_HASH, decode_envelope, envelope_prev, is_sealed_envelope
from ledger.core.errors import MalformedError, VerificationError
from ledger.core.hashing import leaf_hash
from ledger.core.note import Checkpoint
from ledger.core.project_head import ProjectHead
from ledger.core.receipt import Receipt
from ledger.core.verify import verify_consistency, verify_inclusion
from verifier import lead_check
from verifier.anchor_check import check_anchor
from verifier.bundle_parse import Bundle, BundleEvent, parse_bundle
from verifier.bundle_seals import BundleSeals
from verifier.further_chains import FurtherChains, check_further
from verifier.policy import TrustPolicy
from verifier.readers.chain import RegistryReader
from verifier.readers.files import check_json_depth
from verifier.receipt_check import problem_code
from verifier.report import Report
from verifier.timeline import timeline_row
from verifier.witness_check import check_bundle_notes


def check_bundle(bundle_bytes: bytes, policy: TrustPolicy,
                 chain: RegistryReader | None = None, receipts: Sequence[Receipt] = ()) -> Report:
    """Verify a project bundle against the pinned ``policy`` (and the chain when given);
    ``receipts``: a lead package's governance events (``lead_check.check_governance``)."""
    bundle = parse_bundle(bundle_bytes)
    report = Report("bundle", subject={"project_id": bundle.project_id, "origin": bundle.origin,
                                       "events": len(bundle.events),
                                       "proof_size": bundle.proof_size})
    if bundle.origin != policy.origin:
        report.fail("origin", f"bundle is for log {bundle.origin!r}, the policy trusts "
                    f"{policy.origin!r}")
        return report
    cps = _checkpoints(report, bundle, policy)
    _consistency(report, bundle, cps)
    target = cps.get(bundle.proof_size)
    if target is None:
        report.fail("signature", f"no validly signed checkpoint of the proof size "
                    f"{bundle.proof_size} in the bundle")
    check_bundle_notes(report, policy, [n for n, _ in bundle.checkpoints], bundle.proof_size)
    anchored_at = _anchors(report, bundle, cps, policy, chain)
    if bundle.kind == "lead":
        report.subject["kind"] = "lead"
        lead_check.check_signature(report, bundle, policy)
        envs = _evidence(report, bundle, target, anchored_at)
        _head(report, bundle, policy, None, evidence_only=True)
        lead_check.check_lead(report, bundle, envs)
        gov = lead_check.check_governance(report, bundle, bundle_bytes, receipts, policy, chain)
        lead_check.summarize(report, bundle, envs, anchored_at, gov)
        BundleSeals(report, bundle).markers()
        report.skip("completeness of the project trail", "a lead package carries only the "
                    "lead's evidence, not the whole project")
        return report
    last = _events(report, bundle, target, anchored_at)
    _head(report, bundle, policy, last)
    return report


def _checkpoints(report: Report, bundle: Bundle, policy: TrustPolicy) -> dict[int, Checkpoint]:
    """Verified checkpoints by size; a second root for a size already seen is a fork."""
    out: dict[int, Checkpoint] = {}
    for note, _ in bundle.checkpoints:
        try:
            cp = policy.log_keys.open_checkpoint(note, policy.origin)[0]
        except VerificationError as exc:
            report.fail(problem_code(exc), f"checkpoint note: {exc}")
            continue
        report.count("checkpoints")
        seen = out.get(cp.size)
        if seen is not None and seen.root != cp.root:
            report.fail("fork", f"two roots signed for size {cp.size}: {seen.root.hex()} and "
                        f"{cp.root.hex()} — the log key signed a fork",
                        evidence={"size": cp.size, "roots": [seen.root.hex(), cp.root.hex()]})
        out.setdefault(cp.size, cp)
    return out


def _consistency(report: Report, bundle: Bundle, cps: dict[int, Checkpoint]) -> None:
    proofs = {(a, b): p for a, b, p in bundle.consistency}
    sizes = sorted(cps)
    for a, b in itertools.pairwise(sizes):
        proof = proofs.get((a, b))
        if proof is None:
            report.fail("consistency", f"no consistency proof from size {a} to size {b}")
            continue
        try:
            verify_consistency(a, b, cps[a].root, cps[b].root, proof)
        except VerificationError as exc:
            report.fail(problem_code(exc), str(exc), evidence={"from": a, "to": b})
            continue
        report.count("consistency_proofs")


def _anchors(report: Report, bundle: Bundle, cps: dict[int, Checkpoint], policy: TrustPolicy,
             chain: RegistryReader | None) -> dict[int, int]:
    """Block time of each checkpoint found on chain, by size."""
    out: dict[int, int] = {}
    refs = {Checkpoint.parse(policy.log_keys.open(n)).size: (a, more)
            for (n, a), more in zip(bundle.checkpoints, bundle.further or
                                    [()] * len(bundle.checkpoints), strict=True)
            if _signed(n, policy)}
    further = FurtherChains(policy, chain is not None)
    try:
        for size, cp in sorted(cps.items()):
            ref, more = refs.get(size, (None, ()))
            when = check_anchor(report, chain, policy, size, cp.root, ref)
            if when is not None:
                out[size] = when
            if policy.chains or more:
                check_further(report, further, size, cp.root, ref, more)
    finally:
        further.close()
    return out


def _signed(note: str, policy: TrustPolicy) -> bool:
    try:
        policy.log_keys.open_checkpoint(note, policy.origin)
    except VerificationError:
        return False
    return True


def _events(report: Report, bundle: Bundle, target: Checkpoint | None,
            anchored_at: dict[int, int]) -> tuple[int, bytes, int] | None:
    """Check each event, the project chain and the sealed records; the last (seq, leaf,
    index) of the chain."""
    last: tuple[int, bytes, int] | None = None
    seals = BundleSeals(report, bundle)
    for ev in bundle.events:
        env, result = _event(report, bundle, ev, target)
        if env is not None and not is_sealed_envelope(env):
            result = _chain_link(report, bundle, ev, env, last) or result
            last = (env["project_seq"], leaf_hash(ev.canonical), ev.index)
        fixed = min((s for s in anchored_at if s > ev.index), default=None)
        row = timeline_row(ev.index, env, result, None if fixed is None else anchored_at[fixed])
        report.timeline.append(row)
        if env is not None:
            seals.see(ev.index, env, row)
    seals.finish()
    return last


def _evidence(report: Report, bundle: Bundle, target: Checkpoint | None,
              anchored_at: dict[int, int]) -> dict[int, dict[str, Any]]:
    """Lead package: each event checked on its own (no project chain); envelopes by index."""
    envs: dict[int, dict[str, Any]] = {}
    roles = lead_check.roles(bundle)
    previous = -1
    for ev in bundle.events:
        env, result = _event(report, bundle, ev, target)
        if ev.index <= previous:
            report.fail("sequence", f"events out of log order or repeated: index {ev.index} "
                        f"after {previous}", index=ev.index, project_id=bundle.project_id)
            result = "FAIL sequence"
        previous = max(previous, ev.index)
        if env is not None:
            envs.setdefault(ev.index, env)
        fixed = min((s for s in anchored_at if s > ev.index), default=None)
        row = timeline_row(ev.index, env, result,
                           None if fixed is None else anchored_at[fixed])
        if ev.index in roles:
            row["role"] = roles[ev.index]
        report.timeline.append(row)
    return envs


def _event(report: Report, bundle: Bundle, ev: BundleEvent,
           target: Checkpoint | None) -> tuple[dict[str, Any] | None, str]:
    where = {"index": ev.index, "project_id": bundle.project_id}
    calculated = leaf_hash(ev.canonical)
    if ev.leaf is not None and calculated != ev.leaf:
        report.fail("payload", "event bytes do not hash to the leaf listed", **where)
        return None, "FAIL payload"
    try:
        check_json_depth(ev.canonical)
        env = decode_envelope(ev.canonical)
        if not is_sealed_envelope(env):  # a sealed one has no project_seq/prev
            envelope_prev(env)
            if not isinstance(env["project_seq"], int):
                raise MalformedError("project_seq has the wrong type")
        if not isinstance(env["event_id"], str):
            raise MalformedError("event_id has the wrong type")
    except MalformedError as exc:
        report.fail("payload", f"event bytes are not a valid envelope: {exc}", **where)
        return None, "FAIL payload"
    where["event_id"] = env["event_id"]
    if env["origin"] != bundle.origin or env["project_id"] != bundle.project_id:
        report.fail("origin", "event is for another log or project", **where)
        return env, "FAIL origin"
    report.count("events")
    if target is None:
        return env, "unproven"
    try:
        verify_inclusion(ev.index, target.size, calculated, ev.proof, target.root)
    except VerificationError as exc:
        report.fail(problem_code(exc), str(exc), **where)
        return env, "FAIL inclusion"
    report.count("inclusion_proofs")
    return env, "ok"


def _chain_link(report: Report, bundle: Bundle, ev: BundleEvent, env: dict[str, Any],
                last: tuple[int, bytes, int] | None) -> str | None:
    seq, prev = env["project_seq"], envelope_prev(env)
    exp_seq, exp_prev = (0, ZERO_HASH) if last is None else (last[0] + 1, last[1])
    where = {"index": ev.index, "event_id": env["event_id"], "project_id": bundle.project_id}
    if last is not None and ev.index <= last[2]:
        report.fail("sequence", f"events out of log order: index {ev.index} after {last[2]}",
                    **where)
        return "FAIL sequence"
    if seq != exp_seq:
        report.fail("sequence", f"project seq {seq} follows {exp_seq - 1}: "
                    f"{seq - exp_seq} event(s) missing before it" if seq > exp_seq else
                    f"project seq {seq} where {exp_seq} was expected", **where)
        return "FAIL sequence"
    if prev != exp_prev:
        report.fail("sequence", "prev does not name the project's previous event", **where)
        return "FAIL sequence"
    report.count("links")
    return None


def _head(report: Report, bundle: Bundle, policy: TrustPolicy,
          last: tuple[int, bytes, int] | None, *, evidence_only: bool = False) -> None:
    """The signed project head; unless ``evidence_only`` (a lead), the bundle must end there."""
    try:
        head = ProjectHead.open(bundle.head, policy.log_keys, "bundle head")
    except VerificationError as exc:
        report.fail("signature", f"project head: {exc}")
        return
    if (head.origin, head.project_id, head.size) != (bundle.origin, bundle.project_id,
                                                     bundle.proof_size):
        report.fail("sequence", "the signed project head is for another log, project or size")
    elif not evidence_only and last != (head.seq, head.leaf, head.index):
        have = "nothing" if last is None else f"seq {last[0]} at index {last[2]}"
        report.fail("sequence", f"the signed head of the project is seq {head.seq} at index "
                    f"{head.index}; the bundle ends with {have}: the trail is cut short",
                    index=head.index, project_id=bundle.project_id)
    else:
        report.subject["head"] = {"project_seq": head.seq, "index": head.index}
        report.count("signatures")


def dumps_report(report: Report) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False, indent=2)
