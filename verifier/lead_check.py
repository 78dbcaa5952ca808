"""The lead-specific checks of a lead package (``witness-bundle/v1``, ``kind: "lead"``).

Role: what a regulator runs on a package the center transferred (docs/leads.md): the package
signature (a signed note over the SHA-256 of the RFC 8785 canonical package without its
``signature``) with the pinned key; the lead's statements against the witnessed events (the
``LEAD_RAISED`` event at ``raised_index`` names this lead, its rule ids, findings, severity
and evidence; every finding's evidence ``[index, event_id]`` is in the package; the
``LEAD_TRANSFERRED`` event when one is named); the lead's governance events given as
receipts (``LEAD_TRANSFERRED``, ``LEAD_ACKNOWLEDGED``: each verified as a receipt, naming
this lead and, as ``package_hash``, the SHA-256 of this very file — a package cannot carry
the event that records its own hash); and a readable summary with who transferred and
acknowledged it, when (Beijing time). The events, their inclusion proofs, the checkpoint and
its anchor are checked by ``bundle_check``. A lead is evidence only: no per-project
completeness is claimed or checked.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from ledger.core.canonical import canonical_json, decode_envelope
from ledger.core.errors import MalformedError, VerificationError
from ledger.core.receipt import Receipt
from verifier.bundle_parse import Bundle
from verifier.policy import TrustPolicy
from verifier.readers.chain import RegistryReader
from verifier.receipt_check import check_receipt
from verifier.report import Report
from verifier.timeline import timeline_row

PACKAGE_HEADER = "witness-lead-package/v1"
MAX_TEXT = 160
BEIJING = timezone(timedelta(hours=8), "UTC+08:00")
GOVERNANCE = {"LEAD_TRANSFERRED": "TRANSFERRED", "LEAD_ACKNOWLEDGED": "ACKNOWLEDGED"}


def package_digest(raw: dict[str, Any]) -> bytes:
    """SHA-256 of the RFC 8785 canonical JSON of the package without ``signature``."""
    body = {k: v for k, v in raw.items() if k != "signature"}
    return hashlib.sha256(canonical_json(body)).digest()


def _lead(bundle: Bundle) -> dict[str, Any]:
    lead = bundle.lead or {}
    if not isinstance(lead.get("lead_id"), str) or not isinstance(lead.get("findings"), list):
        raise MalformedError("lead package: lead.lead_id and lead.findings are required")
    for f in lead["findings"]:
        if not isinstance(f, dict) or not isinstance(f.get("evidence"), list):
            raise MalformedError("lead package: every finding needs an evidence list")
    return lead


def check_signature(report: Report, bundle: Bundle, policy: TrustPolicy) -> None:
    """The package signature, with the pinned key, over this very content."""
    lead = _lead(bundle)
    try:
        body = policy.log_keys.open(str(bundle.signature))
    except VerificationError as exc:
        report.fail("signature", f"lead package signature: {exc}")
        return
    try:
        digest = package_digest(bundle.raw or {})
    except (ValueError, TypeError) as exc:
        raise MalformedError(f"lead package cannot be canonicalised: {exc}") from exc
    expected = (f"{PACKAGE_HEADER}\n{bundle.origin}\n{lead['lead_id']}\n"
                f"{base64.b64encode(digest).decode()}\n")
    if body != expected:
        report.fail("signature", "the package signature is over other content: the package "
                    "was changed after it was signed", evidence={
                        "signed": body[:300], "package_sha256": digest.hex()})
        return
    report.count("signatures")


def roles(bundle: Bundle) -> dict[int, str]:
    """What each event index is in the lead: evidence of which rule, raised, transferred."""
    lead = _lead(bundle)
    out: dict[int, str] = {}
    for f in lead["findings"]:
        for item in f["evidence"]:
            if isinstance(item, list) and item and isinstance(item[0], int):
                out.setdefault(item[0], f"evidence {f.get('rule_id')}")
    for key, role in (("raised_index", "LEAD RAISED"), ("transferred_index", "TRANSFERRED")):
        if isinstance(lead.get(key), int):
            out[lead[key]] = role
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    return bool(a == b)


def check_lead(report: Report, bundle: Bundle, envs: dict[int, dict[str, Any]]) -> None:
    """The lead's statements against the witnessed events the package carries."""
    lead = _lead(bundle)
    lid = lead["lead_id"]
    evidence: list[tuple[int, str]] = []
    for f in lead["findings"]:
        if f.get("rule_id") not in (lead.get("rule_ids") or []):
            report.fail("lead", f"finding {f.get('finding_id')} is of rule {f.get('rule_id')!r}, "
                        f"not one of the lead's rules {lead.get('rule_ids')}")
        for item in f["evidence"]:
            if (not isinstance(item, list) or len(item) != 2 or not isinstance(item[0], int)
                    or not isinstance(item[1], str)):
                raise MalformedError("lead package: evidence items are [index, event_id]")
            evidence.append((item[0], item[1]))
            env = envs.get(item[0])
            if env is None or env.get("event_id") != item[1]:
                have = "missing" if env is None else f"event {env.get('event_id')}"
                report.fail("lead", f"evidence of finding {f.get('finding_id')} names event "
                            f"{item[1]} at index {item[0]}; the package has {have}",
                            index=item[0], event_id=item[1], project_id=bundle.project_id)
    for rule in lead.get("rules") or []:
        if isinstance(rule, dict) and rule.get("id") not in (lead.get("rule_ids") or []):
            report.fail("lead", f"rule text for {rule.get('id')!r}, not a rule of the lead")
    _witnessed(report, lead, envs, "raised_index", "LEAD_RAISED", evidence, required=True)
    _witnessed(report, lead, envs, "transferred_index", "LEAD_TRANSFERRED", evidence,
               required=False)
    report.subject["lead_id"] = lid


def _witnessed(report: Report, lead: dict[str, Any], envs: dict[int, dict[str, Any]],
               key: str, etype: str, evidence: list[tuple[int, str]], *, required: bool) -> None:
    index = lead.get(key)
    if index is None and not required:
        return
    where = {"index": index if isinstance(index, int) else None}
    env = envs.get(index) if isinstance(index, int) else None
    if env is None or env.get("type") != etype:
        report.fail("lead", f"the lead names {key} {index!r}, but the package has no "
                    f"{etype} event there", **where)
        return
    payload = env.get("payload") if isinstance(env.get("payload"), dict) else {}
    assert isinstance(payload, dict)
    where["event_id"] = env.get("event_id")
    if payload.get("lead_id") != lead["lead_id"]:
        report.fail("lead", f"the {etype} event is for lead {payload.get('lead_id')!r}, the "
                    f"package for {lead['lead_id']!r}", **where)
        return
    if key == "raised_index" and lead.get("raised_event_id") not in (None, env.get("event_id")):
        report.fail("lead", f"raised_event_id {lead.get('raised_event_id')!r} is not the "
                    f"LEAD_RAISED event {env.get('event_id')!r}", **where)
    witnessed = {"rule_ids": payload.get("rule_ids"), "severity": payload.get("severity")}
    if payload.get("finding_ids") is not None:
        witnessed["finding_ids"] = payload["finding_ids"]
    if etype == "LEAD_RAISED":
        witnessed["evidence_event_ids"] = payload.get("evidence_event_ids")
        if payload.get("evidence_indexes") is not None:
            witnessed["evidence_indexes"] = payload["evidence_indexes"]
    stated = {"rule_ids": lead.get("rule_ids"), "severity": lead.get("severity"),
              "finding_ids": lead.get("finding_ids"),
              "evidence_event_ids": [e for _, e in evidence],
              "evidence_indexes": [i for i, _ in evidence]}
    for field, value in witnessed.items():
        if not _same(stated[field], value):
            report.fail("lead", f"the lead states {field} {stated[field]!r}; the witnessed "
                        f"{etype} event says {value!r}", **where)
    report.count("links")


def _clip(text: Any, n: int = MAX_TEXT) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= n else s[: n - 1] + "…"


def summarize(report: Report, bundle: Bundle, envs: dict[int, dict[str, Any]],
              anchored_at: dict[int, int], governance: Sequence[dict[str, Any]] = ()) -> None:
    """The lead in ``subject["lead"]`` (JSON) and in readable lines (text); ``governance``:
    what ``check_governance`` established."""
    lead = _lead(bundle)
    raised = lead.get("raised_index")
    env = envs.get(raised) if isinstance(raised, int) else None
    fixed = [t for s, t in sorted(anchored_at.items()) if isinstance(raised, int) and s > raised]
    when = datetime.fromtimestamp(fixed[0], UTC).astimezone(BEIJING).isoformat() if fixed else None
    rules = [r for r in lead.get("rules") or [] if isinstance(r, dict)]
    report.subject["lead"] = {
        "lead_id": lead["lead_id"], "status": _status(governance),
        "severity": lead.get("severity"), "rule_ids": lead.get("rule_ids"),
        "section_id": lead.get("section_id"), "raised_index": raised,
        "raised_at": None if env is None else env.get("received_at"),
        "raised_anchored_at": when, "department": lead.get("department") or next(
            (g["department"] for g in governance if g["type"] == "LEAD_TRANSFERRED"), None),
        "findings": [{"rule_id": f.get("rule_id"), "severity": f.get("severity"),
                      "message_zh": f.get("message_zh"), "message_en": f.get("message_en"),
                      "evidence": f.get("evidence")} for f in lead["findings"]],
        "rules": [{"id": r.get("id"), "title_zh": r.get("title_zh"),
                   "title_en": r.get("title_en"), "basis": r.get("basis")} for r in rules],
        "governance": list(governance),
    }
    lines = [f"lead {lead['lead_id']} ({lead.get('severity')}, "
             f"{report.subject['lead']['status']}) — "
             f"project {bundle.project_id}"
             + (f" section {lead['section_id']}" if lead.get("section_id") else ""),
             f"  raised at {report.subject['lead']['raised_at']} (index {raised})"
             + (f", anchored on chain at {when}" if when else "")]
    for r in rules:
        lines.append(f"  rule {r.get('id')} v{r.get('version')}: {r.get('title_zh')} / "
                     f"{r.get('title_en')}")
        lines.append(f"    basis: {_clip(r.get('basis'))}")
        for t in (r.get("legal_text") or [])[:2]:
            if isinstance(t, dict):
                lines.append(f"    {t.get('law')} {t.get('article')}: {_clip(t.get('text'))}")
    for f in lead["findings"]:
        lines.append(f"  finding {f.get('rule_id')}: {_clip(f.get('message_zh'))}")
        lines.append(f"    {_clip(f.get('message_en'))}")
    lines += [_governance_line(g) for g in governance]
    lines.append("  evidence timeline:")
    report.summary.extend(lines)


def _governance_line(g: dict[str, Any]) -> str:
    verb = "transferred to" if g["type"] == "LEAD_TRANSFERRED" else "acknowledged by"
    same = "this file" if g["package_hash_matches"] else "ANOTHER file"
    return (f"  {verb} {g['department']}: by {g['by']} at {g['at']} (index {g['index']}); "
            f"package hash {str(g['package_hash'])[:16]}… is {same}")


def beijing(stamp: Any) -> str | None:
    """An RFC 3339 time as Beijing time (UTC+08:00), the time the parties read."""
    try:
        return datetime.fromisoformat(str(stamp)).astimezone(BEIJING).isoformat()
    except ValueError:
        return None


def check_governance(report: Report, bundle: Bundle, data: bytes, receipts: Sequence[Receipt],
                     policy: TrustPolicy, chain: RegistryReader | None) -> list[dict[str, Any]]:
    """The lead's governance events, from their receipts: each receipt verifies, is a
    LEAD_TRANSFERRED / LEAD_ACKNOWLEDGED of this lead and project, and its ``package_hash``
    is the SHA-256 of ``data`` (the package file's bytes). What each says, for the report."""
    if not receipts:
        report.skip("that this file is the package transferred", "no LEAD_TRANSFERRED "
                    "receipt given (witness-verify bundle FILE --receipt RECEIPT)")
        return []
    digest = hashlib.sha256(data).hexdigest()
    return [g for r in receipts if (g := _governance(report, bundle, digest, r, policy, chain))]


def _governance(report: Report, bundle: Bundle, digest: str, receipt: Receipt,
                policy: TrustPolicy, chain: RegistryReader | None) -> dict[str, Any] | None:
    sub = check_receipt(receipt, policy, chain)
    for p in sub.problems:
        report.fail(p.code, f"receipt of index {receipt.index}: {p.detail}", index=p.index,
                    event_id=p.event_id, evidence=p.evidence)
    report.pending += [f"receipt of index {receipt.index}: {x}" for x in sub.pending]
    for u in sub.unchecked:
        report.skip(f"{u['what']} (receipt of index {receipt.index})", u["reason"],
                    unreachable=sub.unreachable)
    if sub.problems:
        return None
    report.count("governance_receipts")
    env = decode_envelope(receipt.canonical_event)
    return _governance_event(report, bundle, digest, receipt.index, env,
                             sub.subject.get("anchored_at_block_time"))


def _governance_event(report: Report, bundle: Bundle, digest: str, index: int,
                      env: dict[str, Any], anchored: int | None) -> dict[str, Any] | None:
    lead_id = _lead(bundle)["lead_id"]
    payload = env.get("payload") if isinstance(env.get("payload"), dict) else {}
    assert isinstance(payload, dict)
    where = {"index": index, "event_id": env.get("event_id"), "project_id": bundle.project_id}
    if env.get("type") not in GOVERNANCE:
        report.fail("lead", f"the receipt of index {index} is of a {env.get('type')} event, "
                    "not a LEAD_TRANSFERRED or LEAD_ACKNOWLEDGED", **where)
        return None
    if payload.get("lead_id") != lead_id or env.get("project_id") != bundle.project_id:
        report.fail("lead", f"the {env['type']} event at index {index} is for lead "
                    f"{payload.get('lead_id')!r} of project {env.get('project_id')!r}, the "
                    f"package for lead {lead_id!r} of {bundle.project_id!r}", **where)
        return None
    matches = payload.get("package_hash") == digest
    if not matches:
        report.fail("lead", f"the {env['type']} event at index {index} names package hash "
                    f"{payload.get('package_hash')!r}; this file's SHA-256 is {digest}: it is "
                    "not the package transferred", evidence={
                        "recorded": payload.get("package_hash"), "file_sha256": digest},
                    **where)
    actor = env.get("actor") if isinstance(env.get("actor"), dict) else {}
    assert isinstance(actor, dict)
    row = timeline_row(index, env, "ok" if matches else "FAIL lead", anchored)
    row["role"] = GOVERNANCE[env["type"]]
    report.timeline.append(row)
    return {"type": env["type"], "index": index, "department": payload.get("regulator"),
            "by": payload.get("by") or actor.get("id"), "actor": actor,
            "at": beijing(env.get("received_at")), "package_hash": payload.get("package_hash"),
            "package_hash_matches": matches,
            "anchored_at": None if anchored is None else
            datetime.fromtimestamp(anchored, UTC).astimezone(BEIJING).isoformat()}


def _status(governance: Sequence[Mapping[str, Any]]) -> str:
    """What the governance receipts given prove of the lead (the package itself is fixed
    before its transfer, so it carries no status): raised, transferred or acknowledged."""
    types = {g.get("type") for g in governance}
    if "LEAD_ACKNOWLEDGED" in types:
        return "acknowledged"
    return "transferred" if "LEAD_TRANSFERRED" in types else "raised"
