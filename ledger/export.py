"""Writing a project bundle (``witness-bundle/v1``): one self-contained JSON file per project.

Role: the ledger side of the supervisor's audit. For every event of a project the viewer
may see (``ledger.sealing.policy``), in order: its canonical bytes and an inclusion proof
against ONE checkpoint (the newest anchored one that covers the project, else the newest);
sections still sealed are named without counts; the signed checkpoints that first covered
each event, consistency proofs between consecutive ones, their anchor references; a *project
head* note signed by the log key (so a bundle cut short is detectable); the log public key
(informational: verifiers use their pinned key). Format: docs/verifier.md.

Must not import the API or the verifier.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from ledger.core.errors import WitnessError
from ledger.core.formats import BUNDLE_FORMAT
from ledger.core.project_head import ProjectHead
from ledger.errors import NotFoundError
from ledger.log import WitnessLog
from ledger.sealing.policy import OPERATOR, Viewer, in_scope, may_see
from ledger.sealing.views import ProjectRecords, Record, SealedError, load_project
from ledger.store.log_queries import anchor_references
from ledger.store.schema import anchors, checkpoints


def _first_covering(conn: Connection, index: int) -> int | None:
    size = conn.execute(select(func.min(checkpoints.c.size)).where(checkpoints.c.size > index))
    value = size.scalar()
    return None if value is None else int(value)


def _checkpoint_entry(log: WitnessLog, conn: Connection, size: int) -> dict[str, Any]:
    """A bundle's checkpoint: the note, the primary chain's ``anchor`` and, when the log is
    anchored on further chains, their references as ``anchors``."""
    cp = log.checkpoint_at(size)
    primary, others = anchor_references(conn, size, cp.root)
    return ({"note": cp.note, "anchor": None if primary is None else primary.to_json()}
            | ({"anchors": [a.to_json() for a in others]} if others else {}))


def _target_size(conn: Connection, last_index: int) -> int:
    anchored = conn.execute(select(func.max(anchors.c.checkpoint_size))
                            .where(anchors.c.checkpoint_size > last_index)).scalar()
    if anchored is not None:
        return int(anchored)
    latest = conn.execute(select(func.max(checkpoints.c.size))).scalar()
    if latest is None or int(latest) <= last_index:
        raise WitnessError("the project's last event is not in a checkpoint yet: run "
                           "`witness checkpoint` (and let anchoring catch up) first")
    return int(latest)


def export_project(log: WitnessLog, project_id: str, viewer: Viewer = OPERATOR,
                   progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """The bundle of ``project_id`` as ``viewer`` may see it, as a JSON-ready mapping.

    The whole public chain, the sealed records whose section was opened, and a ``sealed``
    list naming the sections still sealed (no count). Raises ``SealedError`` when part of
    the chain is closed to ``viewer`` for now (an admin during the evaluation), and
    ``NotFoundError`` for a project outside a supervisor's or regulator's scope.
    ``progress(n, total)`` is told of every event done (``witness export``'s progress)."""
    project = load_project(log, project_id)
    if not in_scope(viewer, project_id, project.facts):
        raise NotFoundError(f"no project {project_id!r}")
    chosen = bundle_records(project, viewer)
    head = [r for r in chosen if r.in_chain][-1]
    with log.db.read() as conn:
        target = _target_size(conn, chosen[-1].index)
        sizes = sorted({s for s in (_first_covering(conn, r.index) for r in chosen) if s}
                       | {target})
        cps = [_checkpoint_entry(log, conn, s) for s in sizes]
    consistency = [{"from": a, "to": b, "proof": [h.hex() for h in log.consistency_proof(a, b)]}
                   for a, b in itertools.pairwise(sizes)]
    evs = []
    for r in chosen:  # an inclusion proof each: the part that takes a while
        evs.append({"index": r.index, "leaf_hash": r.leaf.hex(),
                    "canonical": (r.canonical or b"").decode("utf-8"),
                    "inclusion_proof": [h.hex() for h in log.inclusion_proof(r.index, target)]})
        if progress is not None:
            progress(1, len(chosen))
    note = ProjectHead(log.origin, project_id, int(head.project_seq or 0), head.leaf,
                       head.index, target).sign(log.signer)
    return {"format": BUNDLE_FORMAT, "kind": "project", "origin": log.origin,
            "project_id": project_id, "log_key": log.signer.verifier.vkey(),
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "proof_size": target, "checkpoints": cps, "consistency": consistency,
            "head": note, "sealed": sealed_sections(project, chosen), "events": evs}


def bundle_records(project: ProjectRecords, viewer: Viewer) -> list[Record]:
    """The records a bundle for ``viewer`` carries: the whole public chain (or an error
    saying until when it is closed) and the opened sealed records."""
    out = []
    for r in project.records:
        visible = may_see(viewer, r.seen)
        if r.in_chain and not visible:
            until = "opening" if r.seen.phase == "bidding" else "result"
            raise SealedError(f"project {project.project_id!r} has records sealed until the "
                              f"{until} for this role; its bundle is available then", until)
        if visible and (r.in_chain or r.seen.released):
            out.append(r)
    if not any(r.in_chain for r in out):
        raise NotFoundError(f"no project {project.project_id!r}")
    return out


def sealed_sections(project: ProjectRecords, shown: list[Record]) -> list[dict[str, Any]]:
    """The sections still before their opening, named by what the view shows anyway (the
    project itself, declared sections, sections of shown events): never a count, and never
    a section known only from sealed records."""
    named = {""}
    for r in shown:
        env = r.envelope or {}
        named.add(env.get("section_id") or "")
        if env.get("type") == "PROJECT_REGISTERED":
            named.update((env.get("payload") or {}).get("sections") or [])
    return [{"section_id": key or None, "until": "opening"}
            for key, phase in sorted(project.phases.items())
            if key in named and phase.opened_index is None]


def dumps_bundle(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle, ensure_ascii=False, indent=1) + "\n"
