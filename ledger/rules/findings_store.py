"""Findings and leads in the database, sealed while their evidence is.

A finding raised on records still sealed (a late bid, two bidders on one device, before the
opening) names bidders: its evidence, computed values and messages are then stored as one
encrypted text under the evidence's scope key (``ledger.sealing.keys.Sealer.seal_text``),
with ``seal_scope`` set, so the raw database reads no bidder before the opening. Its id and
key carry only the rule, the project, the section and log indexes. The ledger reads it back
with its seal key; who may see it is the leads API's decision.

Must not import the API or the verifier.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from ledger.log import WitnessLog
from ledger.rules.model import Finding
from ledger.sealing.views import closed_scope
from ledger.store.database import in_lists
from ledger.store.schema import events, findings, section_phases


def finding_id(f: Finding) -> str:
    return "F-" + hashlib.sha256(f.key.encode()).hexdigest()[:24]


def lead_id_for(f: Finding) -> str:
    return "L-" + hashlib.sha256(f.key.encode()).hexdigest()[:24]


def finding_rows(log: WitnessLog, conn: Connection, found: Sequence[Finding],
                 now: str) -> list[dict[str, Any]]:
    """The ``findings`` rows of ``found`` (``finding_row`` each). One lookup says which of
    their evidence is sealed at all: a finding resting on none of it has no scope to look
    for, so the per-finding scope query is made only for those that rest on some."""
    if log.sealer is None:
        return [finding_row(log, conn, f, now, sealed=False) for f in found]
    indexes = sorted({i for f in found for i, _ in f.evidence})
    sealed = _sealed_indexes(conn, indexes)
    return [finding_row(log, conn, f, now, sealed=any(i in sealed for i, _ in f.evidence))
            for f in found]


def _sealed_indexes(conn: Connection, indexes: Sequence[int]) -> set[int]:
    """Those of ``indexes`` whose record carries a seal scope (what ``closed_scope`` reads)."""
    out: set[int] = set()
    for part in in_lists(indexes):
        out.update(int(i) for i in conn.execute(
            select(events.c.idx).where(events.c.idx.in_(part))
            .where(events.c.seal_scope.is_not(None))).scalars())
    return out


def finding_row(log: WitnessLog, conn: Connection, f: Finding, now: str, *,
                sealed: bool = True) -> dict[str, Any]:
    """The ``findings`` row of ``f``; its details sealed while its evidence is (``sealed``
    False: none of its evidence is a sealed record, so it is not looked for)."""
    fid = finding_id(f)
    details = {"evidence": [list(e) for e in f.evidence], "computed": f.computed,
               "message_zh": f.message_zh, "message_en": f.message_en}
    row: dict[str, Any] = {
        "finding_id": fid, "finding_key": f.key, "rule_id": f.rule_id,
        "rule_version": f.rule_version, "severity": f.severity, "lead": int(f.lead),
        "project_id": f.project_id, "section_id": f.section_id, "created_at": now,
        "evidence": json.dumps(details["evidence"]),
        "computed": json.dumps(f.computed, ensure_ascii=False, default=str),
        "message_zh": f.message_zh, "message_en": f.message_en, "seal_scope": None}
    scope = (closed_scope(conn, log.sealer, f.project_id, [i for i, _ in f.evidence])
             if log.sealer is not None and sealed else None)
    if scope is not None and log.sealer is not None:
        text = json.dumps(details, ensure_ascii=False, default=str)
        row.update(evidence="[]", message_zh="", message_en="", seal_scope=scope[0],
                   computed=log.sealer.seal_text(f.project_id, scope[1], text, fid))
    return row


def seal_scope_of(rows: Sequence[dict[str, Any]]) -> str | None:
    """The scope a lead is kept under: that of its (first) sealed finding."""
    return next((r["seal_scope"] for r in rows if r.get("seal_scope")), None)


def finding_dict(log: WitnessLog, conn: Connection, row: Any) -> dict[str, Any]:
    """A stored finding as the service returns it (opened with the seal key if sealed)."""
    d = dict(row._mapping)
    if d.get("seal_scope"):
        if log.sealer is None:
            raise RuntimeError("a sealed finding needs the log's seal key")
        sections = [str(s) for s in conn.execute(
            select(section_phases.c.section_key)
            .where(section_phases.c.project_id == d["project_id"])).scalars()]
        d.update(json.loads(log.sealer.open_text(d["project_id"], d["computed"],
                                                 d["finding_id"], sections)))
        d["evidence"] = [tuple(e) for e in d["evidence"]]
    else:
        d["evidence"] = [tuple(e) for e in json.loads(d["evidence"])]
        d["computed"] = json.loads(d["computed"])
    d["lead"] = bool(d["lead"])
    return d


def stored_findings(log: WitnessLog, conn: Connection, ids: Sequence[str]) -> list[dict[str, Any]]:
    rows = conn.execute(select(findings).where(findings.c.finding_id.in_(list(ids)))).all()
    return [finding_dict(log, conn, r) for r in rows]


def column_rows(conn: Connection, column: Any, ids: Sequence[str], *also: Any) -> list[Any]:
    """``column`` (with ``also``) of the rows whose ``column`` is among ``ids``, in chunked
    ``IN (...)`` lookups: a single column's values, else tuples."""
    out: list[Any] = []
    for part in in_lists(ids):  # a poll's findings span many projects
        found = conn.execute(select(column, *also).where(column.in_(part)))
        out.extend(found.scalars() if not also else map(tuple, found))
    return out
