"""A project's trail: its timeline, its audit and its bundle (supervisors, regulators, admin).

Supervisors and regulators see only the projects in their scope (any other is the same 404
as an unknown project). What each role sees of a project, and when, is decided by
``ledger.sealing.policy`` (docs/sealing.md). The timeline lists the events in log order
with type, times, actor and the scalar payload fields. The bundle is ``ledger.export``'s
``witness-bundle/v1``; the audit runs the standalone verifier's bundle check on it,
server-side.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from ledger.errors import NotFoundError
from ledger.export import sealed_sections
from ledger.sealing.policy import Viewer, in_scope, may_see
from ledger.sealing.views import ProjectRecords, Record, load_project
from witness_api import verification
from witness_api.auth import AUDITORS, require
from witness_api.deps import Services, get_services
from witness_api.models import TimelineOut
from witness_api.problems import ProblemError, responses
from witness_api.tokens import SCOPED_ROLES, Principal

router = APIRouter(prefix="/v1/projects", tags=["projects"])
ProjectId = Annotated[str, Path(min_length=1, max_length=128)]
_KEY_FIELD_LIMIT = 20


def _entry(record: Record, viewer: Viewer) -> dict[str, Any] | None:
    """A timeline line: the event, a placeholder for a chain entry closed to this role, or
    None for a record that is not on the chain and not visible (a sealed one)."""
    if not may_see(viewer, record.seen):
        if not record.in_chain:
            return None
        until = "opening" if record.seen.phase == "bidding" else "result"
        return {"index": record.index, "project_seq": record.project_seq, "sealed_until": until}
    env = record.envelope or {}
    payload = env.get("payload") or {}
    key_fields = {k: v for k, v in payload.items()
                  if isinstance(v, str | int | bool) and not k.endswith("_hash") and k != "key"}
    return {
        "index": record.index, "project_seq": record.project_seq,
        "event_id": env["event_id"], "type": env["type"],
        "occurred_at": env["occurred_at"], "received_at": env["received_at"],
        "actor": env.get("actor", {}), "section_id": env.get("section_id"),
        "key_fields": dict(list(key_fields.items())[:_KEY_FIELD_LIMIT]),
    }


def scoped_project(services: Services, who: Principal, project_id: str) -> ProjectRecords:
    """The project's records if ``who`` oversees it; the same 404 as an unknown project."""
    if who.role in SCOPED_ROLES and who.scope.empty:
        raise ProblemError(403, "no-scope", f"this {who.role} token oversees no project: "
                           "issue one with --project, --region or --department")
    project = load_project(services.log, project_id)
    if not in_scope(who.viewer, project_id, project.facts):
        raise NotFoundError(f"no project {project_id!r}")
    return project


@router.get("/{project_id}/timeline", response_model=TimelineOut,
            summary="A project's events in order", responses=responses(401, 403, 404, 422))
def timeline(
    project_id: ProjectId,
    after_index: Annotated[int, Query(ge=-1, le=2**62)] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    who: Principal = Depends(require(*AUDITORS)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> JSONResponse:
    """The project's events in log order, as this role may see them: bid-phase records
    sealed until the opening are left out (the ``sealed`` list names their sections, never
    a count); evaluation records are closed to the admin role until the result."""
    project = scoped_project(services, who, project_id)
    lines = [e for r in project.records if r.index > after_index
             if (e := _entry(r, who.viewer)) is not None]
    shown = [r for r in project.records if may_see(who.viewer, r.seen)]
    page, more = lines[:limit], len(lines) > limit
    return JSONResponse({"project_id": project_id, "events": page,
                         "sealed": sealed_sections(project, shown),
                         "next_after_index": page[-1]["index"] if more else None})


@router.get("/{project_id}/bundle", summary="Download the project bundle",
            responses=responses(401, 403, 404))
def bundle(
    project_id: ProjectId,
    who: Principal = Depends(require(*AUDITORS)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> JSONResponse:
    scoped_project(services, who, project_id)
    return JSONResponse(verification.project_bundle(services, project_id, who.viewer))


@router.get("/{project_id}/audit", summary="Audit the project (bundle check, server-side)",
            responses=responses(401, 403, 404))
def audit(
    project_id: ProjectId,
    who: Principal = Depends(require(*AUDITORS)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> JSONResponse:
    scoped_project(services, who, project_id)
    return JSONResponse(verification.audit_project(services, project_id, who.viewer))
