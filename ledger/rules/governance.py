"""The lead's governance events: who transferred it (移送) and who acknowledged it (签收).

Role: build the LEAD_TRANSFERRED / LEAD_ACKNOWLEDGED events the rule service appends. Each
repeats the lead's rules, findings and evidence, names the package hash (SHA-256 of the
package file, ``ledger.rules.package.package_hash``) and the person: ``payload.by`` as
given (operator name, token label), ``actor.id`` that name when it is a valid actor id,
else a stable digest of it. Event ids are ``<lead_id>:transferred`` and
``<lead_id>:acknowledged``, so each is appended at most once and found by id
(``WitnessLog.index_of``). Format: docs/leads.md. Must not import the API or the verifier.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

# A sealed lead is transferred by the ledger itself, before anyone has read it.
ROUTING_ACTOR = {"id": "ledger:sealed-lead-routing", "role": "system"}
MAX_BY = 200
_IDENT = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def lead_fields(lead: dict[str, Any]) -> dict[str, Any]:
    """What every lead event repeats: the lead, its rules, findings, evidence, severity."""
    return {"lead_id": lead["lead_id"], "rule_ids": lead["rule_ids"],
            "finding_ids": lead["finding_ids"],
            "evidence_event_ids": [e for f in lead["findings"] for _, e in f["evidence"]],
            "evidence_indexes": [i for f in lead["findings"] for i, _ in f["evidence"]],
            "severity": lead["severity"]}


def person(by: str, role: str) -> dict[str, str]:
    """The actor of a governance event done by ``by`` in ``role``."""
    ident = by if _IDENT.match(by) else "person:" + hashlib.sha256(by.encode()).hexdigest()[:16]
    return {"id": ident, "role": role}


def governance_event(lead: dict[str, Any], step: str, etype: str, actor: dict[str, str],
                     occurred_at: str, extra: dict[str, Any]) -> dict[str, Any]:
    """The submitted form of the lead's ``step`` event (None values left out)."""
    payload = {**lead_fields(lead), **extra}
    event: dict[str, Any] = {
        "event_id": f"{lead['lead_id']}:{step}", "type": etype,
        "project_id": lead["project_id"], "occurred_at": occurred_at, "actor": actor,
        "payload": {k: v for k, v in payload.items() if v is not None}}
    if lead["section_id"]:
        event["section_id"] = lead["section_id"]
    return event


def transferred(lead: dict[str, Any], department: str, digest: str, by: str | None,
                occurred_at: str, cosigners: list[str]) -> dict[str, Any]:
    """LEAD_TRANSFERRED of ``lead`` to ``department``; ``by`` None: the ledger's routing;
    ``cosigners``: the witnesses whose cosignatures the transferred package carries."""
    actor = ROUTING_ACTOR if by is None else person(by, "center_staff")
    return governance_event(lead, "transferred", "LEAD_TRANSFERRED", actor, occurred_at, {
        "regulator": department, "package_hash": digest,
        "by": None if by is None else by[:MAX_BY], "cosigners": cosigners or None})


def acknowledged(lead: dict[str, Any], by: str, role: str, occurred_at: str) -> dict[str, Any]:
    """LEAD_ACKNOWLEDGED of a transferred ``lead`` (naming the hash its transfer recorded)."""
    return governance_event(lead, "acknowledged", "LEAD_ACKNOWLEDGED", person(by, role),
                            occurred_at, {
                                "regulator": lead["department"],
                                "package_hash": lead["package_hash"],
                                "transferred_index": int(lead["transferred_index"]),
                                "by": by[:MAX_BY]})
