"""A project's trail: its timeline, its audit and its bundle (supervisors, regulators, admin).

The timeline lists the project's events in project order with type, times, actor and the
scalar payload fields. The bundle is ``ledger.export``'s ``witness-bundle/v1``; the audit
runs the standalone verifier's bundle check on it, server-side.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select

from ledger.core.canonical import decode_envelope
from ledger.errors import NotFoundError
from ledger.store.schema import events
from witness_api import verification
from witness_api.auth import AUDITORS, require
from witness_api.deps import Services, get_services
from witness_api.models import TimelineOut
from witness_api.problems import responses
from witness_api.tokens import Principal

router = APIRouter(prefix="/v1/projects", tags=["projects"])
ProjectId = Annotated[str, Path(min_length=1, max_length=128)]
_KEY_FIELD_LIMIT = 20


def _entry(idx: int, seq: int, canonical: bytes) -> dict[str, Any]:
    env = decode_envelope(canonical)
    payload = env.get("payload") or {}
    key_fields = {k: v for k, v in payload.items()
                  if isinstance(v, str | int | bool) and not k.endswith("_hash")}
    return {
        "index": idx, "project_seq": seq, "event_id": env["event_id"], "type": env["type"],
        "occurred_at": env["occurred_at"], "received_at": env["received_at"],
        "actor": env.get("actor", {}), "section_id": env.get("section_id"),
        "key_fields": dict(list(key_fields.items())[:_KEY_FIELD_LIMIT]),
    }


@router.get("/{project_id}/timeline", response_model=TimelineOut,
            summary="A project's events in order", responses=responses(401, 403, 404, 422))
def timeline(
    project_id: ProjectId,
    after_seq: Annotated[int, Query(ge=-1, le=2**31)] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    _who: Principal = Depends(require(*AUDITORS)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> JSONResponse:
    with services.db.read() as conn:
        rows = conn.execute(
            select(events.c.idx, events.c.project_seq, events.c.canonical)
            .where(events.c.project_id == project_id, events.c.project_seq > after_seq)
            .order_by(events.c.project_seq).limit(limit + 1)
        ).all()
    if not rows and after_seq < 0:
        raise NotFoundError(f"no project {project_id!r}")
    page = [_entry(int(r[0]), int(r[1]), bytes(r[2])) for r in rows[:limit]]
    more = len(rows) > limit
    return JSONResponse({"project_id": project_id, "events": page,
                         "next_after_seq": page[-1]["project_seq"] if more else None})


@router.get("/{project_id}/bundle", summary="Download the project bundle",
            responses=responses(401, 403, 404))
def bundle(
    project_id: ProjectId,
    _who: Principal = Depends(require(*AUDITORS)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> JSONResponse:
    return JSONResponse(verification.project_bundle(services, project_id))


@router.get("/{project_id}/audit", summary="Audit the project (bundle check, server-side)",
            responses=responses(401, 403, 404))
def audit(
    project_id: ProjectId,
    _who: Principal = Depends(require(*AUDITORS)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> JSONResponse:
    return JSONResponse(verification.audit_project(services, project_id))
