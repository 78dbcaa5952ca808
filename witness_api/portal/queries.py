"""Reads the portal needs beyond the API's own: the project list a search runs over.

A project is listed from its first ``PROJECT_REGISTERED`` (a public record, never sealed),
and shown to a supervisor or regulator only when ``ledger.sealing.policy.in_scope`` says it
oversees it — the same rule as ``GET /v1/projects/{id}/timeline``, so the list never names
a project the caller would get a 404 for.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlalchemy import select

from ledger.log import WitnessLog
from ledger.sealing.policy import ProjectFacts, Viewer, in_scope
from ledger.store.schema import events

SCAN_MAX = 20_000
"""Registrations read per search, newest first (a bound on the work of one request)."""
RESULTS_MAX = 100


@dataclass(frozen=True)
class ProjectSummary:
    project_id: str
    name: str
    regime: str | None
    region_code: str | None
    supervisory_dept: str | None
    tenderer: str | None
    registered_at: str
    index: int


def _summary(index: int, data: bytes) -> ProjectSummary:
    env = orjson.loads(data)
    payload = env.get("payload") or {}
    tenderer = payload.get("tenderer_org") or {}
    return ProjectSummary(
        str(env["project_id"]), str(payload.get("name", "")), payload.get("regime"),
        payload.get("region_code"), payload.get("supervisory_dept"),
        tenderer.get("name") if isinstance(tenderer, dict) else None,
        str(env.get("received_at", "")), index)


def search_projects(log: WitnessLog, viewer: Viewer, query: str = "",
                    limit: int = RESULTS_MAX) -> list[ProjectSummary]:
    """Projects whose id or name contains ``query`` (any case), newest first, in scope."""
    with log.db.read() as conn:
        rows = conn.execute(select(events.c.idx, events.c.project_id, events.c.canonical)
                            .where(events.c.event_type == "PROJECT_REGISTERED")
                            .order_by(events.c.idx.desc()).limit(SCAN_MAX)).all()
    first: dict[str, tuple[int, bytes]] = {}
    for idx, project_id, data in rows:  # newest first: the last one seen is the first
        first[str(project_id)] = (int(idx), bytes(data))
    needle = query.strip().lower()
    found = []
    for index, data in sorted(first.values(), key=lambda item: -item[0]):
        summary = _summary(index, data)
        if needle and needle not in summary.project_id.lower() \
                and needle not in summary.name.lower():
            continue
        facts = ProjectFacts(summary.region_code, summary.supervisory_dept)
        if in_scope(viewer, summary.project_id, facts):
            found.append(summary)
            if len(found) >= limit:
                break
    return found
