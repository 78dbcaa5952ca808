"""The rule service: run rules as events arrive, persist findings, raise and transfer leads.

Role: after each append (``on_appended``, or ``ledger.rules.follower`` tailing the log),
re-evaluate only the touched projects with only the rules that read the new events' types;
store new findings (idempotent by finding key); for each lead finding without a recorded
lead (docs/rules.md §1.3; also one stored before a stop) record a lead and append a
LEAD_RAISED event so the warning's time is witnessed;
``transfer`` appends LEAD_TRANSFERRED (with the package hash and who), ``acknowledge``
LEAD_ACKNOWLEDGED. Must not import the API or the verifier.

Incremental evaluation keeps decoded trails in a ``TrailCache`` (LRU by project count):
new events extend a cached trail (``ledger.rules.trail_store``: in log-index order; a gap
left by another process's appends is filled from the store), so an append costs the
decoding of its own events plus the touched rules, not a re-read of each touched project's
whole trail. Cached trails are ``IndexedTrail``s: same answers as ``Trail``, with per-type
and per-section lookups memoised. Findings on sealed evidence are stored sealed
(``ledger.rules.findings_store``).

Due-date rules ("nothing happened by the due date") judge against the trail's own "now",
its latest ``received_at``. Live, that is the ingestion time, as it should be; when a past
project is back-filled, an evaluation between two batches of the same project sees a trail
cut short and may flag a step that the next batch brings. Ingest a back-filled project
whole (one batch per project, as the demo does) or run ``witness rules run`` after it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from ledger.errors import NotFoundError, StateConflictError
from ledger.events import event_to_json, parse_event
from ledger.log import Appended, WitnessLog
from ledger.rules import governance
from ledger.rules.context import RuleContext
from ledger.rules.engine import evaluate, run_rules
from ledger.rules.findings_store import (
    column_rows,
    finding_dict,
    finding_id,
    finding_rows,
    lead_id_for,
    stored_findings,
)
from ledger.rules.model import Finding, Trail
from ledger.rules.package import export_lead as export_lead_file
from ledger.rules.package import package_cosigners, package_hash
from ledger.rules.registry import REGISTRY, load_all
from ledger.rules.trail_cache import (  # noqa: F401  (re-exported: IndexedTrail, LogRow)
    DEFAULT_CACHE_PROJECTS,
    IndexedTrail,
    LogRow,
    TrailCache,
    loads,
)
from ledger.rules.trail_store import INTERNAL_TYPES, TrailStore  # noqa: F401 (re-exported)
from ledger.sealing.views import project_facts, released_scope_ids
from ledger.store.schema import findings, leads

ENGINE_ACTOR = {"id": "rules-engine", "role": "system"}


@dataclass(frozen=True)
class RunResult:
    """What one evaluation stored: new findings and newly raised lead ids."""

    projects: tuple[str, ...]
    new_findings: tuple[Finding, ...]
    new_leads: tuple[str, ...]


class RuleService:
    """Findings and leads over one witness log."""

    def __init__(self, log: WitnessLog, ctx: RuleContext, *,
                 cache_projects: int = DEFAULT_CACHE_PROJECTS) -> None:
        self.log = log
        self.ctx = ctx
        self.cache = TrailCache(cache_projects)
        self.trails = TrailStore(log, self.cache)
        self._lock = threading.RLock()
        # Ids known to be stored (findings and leads are never deleted): re-evaluations that
        # find the same again skip the store.
        self._stored: set[str] = set()
        self._recorded: set[str] = set()
        load_all()
        reading: dict[str, set[str]] = {}
        wildcard = {rid for rid, r in REGISTRY.items() if "*" in r.meta.reads}
        for rid, r in REGISTRY.items():
            for etype in r.meta.reads:
                reading.setdefault(etype, set()).add(rid)
        self._reading = {t: frozenset(ids | wildcard) for t, ids in reading.items()}
        self._wildcard = frozenset(wildcard)

    def rules_reading(self, event_type: str) -> frozenset[str]:
        """Ids of the rules that read ``event_type`` (``engine.rules_reading``, memoised)."""
        return self._reading.get(event_type, self._wildcard)

    # -- evaluation ------------------------------------------------------------------------

    def on_appended(self, appended: Iterable[Any]) -> RunResult:
        """Evaluate after an append; ``appended`` holds ``Appended`` or ``ItemResult``s.

        The fast path: the new events come from the receipts (no store read); the touched
        projects' cached trails are extended with them."""
        rows = [_row_of(a) for a in _appended(appended) if not a.duplicate]
        return self.process(rows)

    def process(self, rows: Sequence[LogRow], *, contiguous: bool = False) -> RunResult:
        """Take in newly appended events (any order, any projects) and evaluate the touched
        projects with the rules reading the new types; idempotent. ``contiguous``: the rows
        are all the log's events after the last ones taken in (the follower)."""
        with self._lock:
            plan = self.trails.absorb(rows, contiguous=contiguous)
            return self._run_cached(plan)

    def run_project(self, project_id: str) -> RunResult:
        """Evaluate every rule over one project's whole trail (on demand)."""
        with self._lock:
            return self._run({project_id: None})

    def _run_cached(self, touched: dict[str, set[str]]) -> RunResult:
        found: list[Finding] = []
        for pid in sorted(touched):
            rule_ids = sorted({r for t in touched[pid] for r in self.rules_reading(t)})
            if not rule_ids:
                continue
            # a cached trail may have been evicted by a batch touching more projects than the
            # cache holds: ``entry`` loads it again
            trail = self.trails.entry(pid).view(pid)
            if trail.events:
                found.extend(_evaluate(trail, self.ctx, rule_ids))
        new = self._store(found)  # one write for every touched project's findings
        raised = self._raise([f for f in found if f.lead])
        return RunResult(tuple(sorted(touched)), tuple(new), tuple(raised))

    def _run(self, plan: dict[str, list[str] | None]) -> RunResult:
        new: list[Finding] = []
        leading: list[Finding] = []
        for pid, rule_ids in sorted(plan.items()):
            if rule_ids is not None and not rule_ids:
                continue
            trail = self.trail(pid)
            if not trail.events:
                continue
            found = evaluate(trail, self.ctx, rule_ids)
            new.extend(self._store(found))
            leading.extend(f for f in found if f.lead)
        raised = self._raise(leading)
        return RunResult(tuple(sorted(plan)), tuple(new), tuple(raised))

    def trail(self, project_id: str) -> Trail:
        """The project's trail as the rules see it (ledger-internal events left out; sealed
        records included)."""
        return self.trails.trail(project_id)

    # -- persistence -----------------------------------------------------------------------

    def _store(self, found: Sequence[Finding]) -> list[Finding]:
        if not found:
            return []
        ids = {fid: f for f in found if (fid := finding_id(f)) not in self._stored}
        if not ids:
            return []
        now = self.log.clock()
        listed = list(ids)
        with self.log.db.write() as conn:
            known = set(column_rows(conn, findings.c.finding_id, listed))
            fresh = [f for fid, f in ids.items() if fid not in known]
            if fresh:
                conn.execute(insert(findings), finding_rows(self.log, conn, fresh, now))
        _remember(self._stored, ids)
        return fresh

    def _raise(self, lead_findings: Sequence[Finding]) -> list[str]:
        """Record a lead per lead finding and witness it with one LEAD_RAISED each. All of
        an evaluation's lead findings are asked for, not only new ones: a process stopped
        after storing findings raises their leads on its next evaluation."""
        asked = list({lid: f for f in lead_findings
                      if (lid := lead_id_for(f)) not in self._recorded}.items())
        if not asked:  # most polls: no read transaction for nothing
            return []
        with self.log.db.read() as conn:  # one lookup for all, not a query per lead
            known = set(column_rows(conn, leads.c.lead_id, [lid for lid, _ in asked]))
        _remember(self._recorded, known)
        todo = [(lid, f) for lid, f in asked if lid not in known]
        if not todo:
            return []
        batch = [self._lead_event(lid, f) for lid, f in todo]
        results = self.log.append(batch)
        self.trails.absorb([_row_of(a) for a in _appended(results) if not a.duplicate],
                           contiguous=False)
        scoped = self._record_leads(todo, results)
        _remember(self._recorded, [lid for lid, _ in todo])
        self._route_sealed(scoped)
        return [lid for lid, _ in todo]

    def _record_leads(self, todo: Sequence[tuple[str, Finding]],
                      results: Sequence[Any]) -> list[str]:
        """Insert the rows of the leads just witnessed (``results``: their appends); the ids
        ``_route_sealed`` may have to route: leads on sealed evidence, and those recorded by
        another evaluator meanwhile (whose scope is not read here)."""
        now = self.log.clock()
        scoped, rows = [], []
        with self.log.db.write() as conn:
            meanwhile = set(column_rows(conn, leads.c.lead_id, [lid for lid, _ in todo]))
            scopes = dict(column_rows(conn, findings.c.finding_id,
                                       [finding_id(f) for lid, f in todo if lid not in meanwhile],
                                       findings.c.seal_scope))
            for (lid, f), res in zip(todo, results, strict=True):
                if lid in meanwhile:
                    scoped.append(lid)
                    continue
                index = (res.index if isinstance(res, Appended)
                         else self.log.index_of(f"{lid}:raised"))  # raised before a crash
                scope = scopes.get(finding_id(f))
                rows.append(_lead_row(lid, f, index, now, scope))
                if scope is not None:
                    scoped.append(lid)
            if rows:
                conn.execute(insert(leads), rows)
        return scoped

    def _route_sealed(self, lead_ids: Sequence[str]) -> None:
        """A lead raised on records still sealed names bidders nobody may know yet: the
        ledger itself transfers it to the project's supervising department (行政监督部门),
        the only one who will read it before the opening. Without a known department it
        waits, shown to the admin as sealed (no content) to be transferred by id."""
        for lid in lead_ids:
            lead = self.lead(lid)
            if not lead["sealed"] or lead["transferred_index"] is not None:
                continue
            dept = project_facts(self.log, lead["project_id"]).supervisory_dept
            if dept:
                self.transfer(lid, dept, by=None)

    def _lead_event(self, lid: str, f: Finding) -> dict[str, Any]:
        note = f"{f.message_zh} / {f.message_en}"[:2000]
        event = {
            "event_id": f"{lid}:raised", "type": "LEAD_RAISED", "project_id": f.project_id,
            "occurred_at": self.log.clock(), "actor": ENGINE_ACTOR,
            "payload": {"lead_id": lid, "rule_ids": [f.rule_id], "finding_ids": [finding_id(f)],
                        "evidence_event_ids": [e for _, e in f.evidence],
                        "evidence_indexes": [i for i, _ in f.evidence],
                        "severity": f.severity, "note": note},
        }
        if f.section_id is not None:
            event["section_id"] = f.section_id
        return event_to_json(parse_event(event))

    # -- transfer and acknowledgement (ledger.rules.governance) ------------------------------

    def transfer(self, lead_id: str, department: str, *, by: str | None) -> int:
        """Transfer (移送) a lead: append LEAD_TRANSFERRED once, recording the hash of the
        package the regulator will download and who transferred it; its log index.
        ``by``: the person (operator, token label); None only for the ledger's own routing
        of a sealed lead. A second transfer elsewhere is a ``StateConflictError``."""
        lead = self.lead(lead_id)
        if lead["transferred_index"] is not None:
            if lead["department"] != department:
                raise StateConflictError(
                    f"lead {lead_id} was already transferred to {lead['department']} (log "
                    f"index {lead['transferred_index']}); it is not transferred twice")
            return int(lead["transferred_index"])
        # the package is fixed before the event naming its hash (it cannot contain it)
        data = export_lead_file(self.log, lead, seal=True)
        index = self._append_once(governance.transferred(
            lead, department, package_hash(data), by, self.log.clock(), package_cosigners(data)))
        digest = package_hash(data)
        with self.log.db.write() as conn:
            conn.execute(update(leads).where(leads.c.lead_id == lead_id).values(
                status="transferred", transferred_index=index,
                transferred_event_id=f"{lead_id}:transferred", department=department,
                package_hash=digest, updated_at=self.log.clock()))
        return index

    def export_lead(self, lead_id: str) -> bytes:
        """The signed lead package (``ledger.rules.package``): the same bytes on every
        export, from the first checkpoint covering the lead."""
        lead = self.lead(lead_id)
        cosigners = None
        if lead["transferred_index"] is not None:
            payload = json.loads(self.log.event_bytes(int(lead["transferred_index"])))["payload"]
            cosigners = payload.get("cosigners", [])
        return export_lead_file(self.log, lead, cosigners=cosigners)

    def acknowledge(self, lead_id: str, *, by: str, role: str = "regulator") -> int:
        """The regulator acknowledges receipt (签收): append LEAD_ACKNOWLEDGED once (who, the
        package hash transferred); its log index. Before the transfer: a conflict."""
        lead = self.lead(lead_id)
        if lead["transferred_index"] is None:
            raise StateConflictError(f"lead {lead_id} has not been transferred: there is "
                                     "nothing to acknowledge yet")
        index = self._append_once(governance.acknowledged(lead, by, role, self.log.clock()))
        if lead["status"] != "acknowledged":
            with self.log.db.write() as conn:
                conn.execute(update(leads).where(leads.c.lead_id == lead_id).values(
                    status="acknowledged", updated_at=self.log.clock()))
        return index

    def _append_once(self, event: dict[str, Any]) -> int:
        """Append a governance event unless the log has its id already (idempotent, also
        across a crash between the append and the status update); its log index."""
        with self._lock:
            try:
                return self.log.index_of(event["event_id"])
            except NotFoundError:
                pass
            (res,) = self.log.append([event_to_json(parse_event(event))])
            self.trails.absorb([_row_of(a) for a in _appended([res]) if not a.duplicate],
                               contiguous=False)
        return res.index if isinstance(res, Appended) else self.log.index_of(event["event_id"])

    # -- queries ---------------------------------------------------------------------------

    def leads(self, project_id: str | None = None, since: str | None = None,
              status: str | None = None) -> list[dict[str, Any]]:
        query = select(leads).order_by(leads.c.created_at, leads.c.lead_id)
        if project_id:
            query = query.where(leads.c.project_id == project_id)
        if since:
            query = query.where(leads.c.created_at >= since)
        if status:
            query = query.where(leads.c.status == status)
        with self.log.db.read() as conn:
            rows = conn.execute(query).all()
            released: dict[str, set[str]] = {}
            for r in rows:
                if r.seal_scope and r.project_id not in released:
                    released[r.project_id] = released_scope_ids(conn, r.project_id)
            return [_lead_dict(r, released.get(r.project_id, set())) for r in rows]

    def lead(self, lead_id: str) -> dict[str, Any]:
        with self.log.db.read() as conn:
            row = conn.execute(select(leads).where(leads.c.lead_id == lead_id)).first()
            if row is None:
                raise NotFoundError(f"no lead {lead_id!r}")
            out = _lead_dict(row, released_scope_ids(conn, row.project_id)
                             if row.seal_scope else set())
            out["findings"] = stored_findings(self.log, conn, out["finding_ids"])
        return out

    def findings(self, project_id: str) -> list[dict[str, Any]]:
        with self.log.db.read() as conn:
            rows = conn.execute(select(findings).where(findings.c.project_id == project_id)
                                .order_by(findings.c.rule_id, findings.c.finding_id)).all()
            return [finding_dict(self.log, conn, r) for r in rows]


_REMEMBER_MAX = 200_000


def _remember(known: set[str], ids: Iterable[str]) -> None:
    """Add to a known-stored id set, bounded (forgetting only costs a store lookup)."""
    if len(known) > _REMEMBER_MAX:
        known.clear()
    known.update(ids)


def _appended(items: Iterable[Any]) -> list[Appended]:
    out = []
    for item in items:
        app = item if isinstance(item, Appended) else getattr(item, "appended", None)
        if isinstance(app, Appended):
            out.append(app)
    return out


def _row_of(app: Appended) -> LogRow:
    data = app.receipt.canonical_event
    env = loads(data)
    return LogRow(app.index, env["project_id"], env["type"], data, env)


def _evaluate(trail: Trail, ctx: RuleContext, rule_ids: Sequence[str]) -> list[Finding]:
    """``engine.evaluate`` without re-importing the catalogue on every call."""
    return run_rules(trail, ctx, rule_ids)


def _lead_row(lid: str, f: Finding, index: int | None, now: str,
              scope: str | None) -> dict[str, Any]:
    return {"lead_id": lid, "finding_ids": json.dumps([finding_id(f)]),
            "rule_ids": json.dumps([f.rule_id]), "project_id": f.project_id,
            "section_id": f.section_id, "severity": f.severity, "status": "raised",
            "raised_index": index, "raised_event_id": f"{lid}:raised", "created_at": now,
            "updated_at": now, "seal_scope": scope}


def _lead_dict(r: Any, released: set[str]) -> dict[str, Any]:
    """A lead row; ``sealed`` while its evidence's section is not opened (``released``: the
    project's scope ids whose key the log has published)."""
    d = dict(r._mapping)
    d["finding_ids"] = json.loads(d["finding_ids"])
    d["rule_ids"] = json.loads(d["rule_ids"])
    scope = d.pop("seal_scope", None)
    d["sealed"] = scope is not None and scope not in released
    return d
