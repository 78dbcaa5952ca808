"""Server-side verification and export: the standalone verifier run against the log's key.

The trust policy is built from the log's own public key and origin (the server trusts
itself; whoever does not runs ``witness-verify`` with their pinned key). Chain checks are
skipped here until a registry reader is wired to the bound chain (reported as unchecked).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, select

from ledger.anchoring import ChainBinding
from ledger.anchoring.bound import bound_chains
from ledger.core.note import NoteVerifier
from ledger.core.receipt import Receipt
from ledger.errors import NotFoundError
from ledger.export import export_project
from ledger.sealing.policy import Viewer
from ledger.signers.log_key import rotation_events
from ledger.store.schema import anchors
from verifier import TrustPolicy, check_bundle, check_receipt
from witness_api.deps import Services


def policy(services: Services) -> TrustPolicy:
    """The log's first key and the rotations the log recorded (docs/keys.md)."""
    rotations = tuple(p["statement"] for _, p in rotation_events(services.db))
    return TrustPolicy(verifier=NoteVerifier.from_vkey(services.vkey()),
                       origin=services.log.origin, rotations=rotations)


def verify_receipt(services: Services, obj: dict[str, Any]) -> dict[str, Any]:
    """The verifier's report on a posted receipt (MalformedError → 400)."""
    report = check_receipt(Receipt.from_json(obj), policy(services))
    return report.to_json()


def verify_bundle(services: Services, bundle: bytes) -> dict[str, Any]:
    return check_bundle(bundle, policy(services)).to_json()


def project_bundle(services: Services, project_id: str, viewer: Viewer) -> dict[str, Any]:
    """The project bundle (``witness-bundle/v1``) as ``viewer`` may see it; 404 for an
    unknown project or one outside the viewer's scope, 409 while sealed for the viewer."""
    return export_project(services.log, project_id, viewer)


def audit_project(services: Services, project_id: str, viewer: Viewer) -> dict[str, Any]:
    bundle = json.dumps(project_bundle(services, project_id, viewer), ensure_ascii=False)
    return verify_bundle(services, bundle.encode("utf-8"))


def chain_info(services: Services) -> dict[str, Any]:
    """The primary chain and registry with its latest anchor, and (``chains``) every further
    chain the log is anchored on with its own; 404 while the log is unbound."""
    bound = bound_chains(services.log)
    if not bound or not bound[0].primary:
        raise NotFoundError("the log is not bound to a chain yet (`witness init`)")
    with services.db.read() as conn:
        facts = [{**asdict(b.binding), "latest_anchor": _latest(conn, b.binding)}
                 for b in bound]
    return facts[0] | ({"chains": facts[1:]} if len(facts) > 1 else {})


def _latest(conn: Connection, binding: ChainBinding) -> dict[str, Any] | None:
    mine = (anchors.c.chain_id == binding.chain_id) & (anchors.c.registry == binding.registry)
    row = conn.execute(select(anchors).where(mine)
                       .order_by(anchors.c.checkpoint_size.desc()).limit(1)).first()
    return None if row is None else dict(row._mapping)
