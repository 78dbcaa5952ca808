"""Violation leads (违规线索) for the regulator: list, fetch, export the package, acknowledge,
transfer (移送).

Roles: a regulator lists, fetches, exports and acknowledges; a supervisor lists and
fetches; an admin may do all of it and is the only one who transfers (which appends
LEAD_TRANSFERRED to the log). Every other role is refused with 403, as for the project
endpoints. The package is ``ledger.rules.package``'s signed ``witness-bundle/v1`` of
``kind: "lead"`` (docs/leads.md); it needs a checkpoint covering the lead's events.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ledger.core.errors import WitnessError
from ledger.errors import NotFoundError
from ledger.rules.context import RuleContext
from ledger.rules.service import RuleService
from witness_api.auth import require
from witness_api.deps import Services, get_services
from witness_api.problems import ProblemError, responses
from witness_api.tokens import Principal

router = APIRouter(prefix="/v1/leads", tags=["leads"])

LEAD_READERS = ("supervisor", "regulator", "admin")
LEAD_HANDLERS = ("regulator", "admin")
LEAD_TRANSFERRERS = ("admin",)
LeadId = Annotated[str, Path(min_length=1, max_length=64, description="Lead id (L-…).")]
Status = Literal["raised", "transferred", "acknowledged"]


class TransferIn(BaseModel):
    """Where a lead goes (移送): the receiving department."""

    model_config = ConfigDict(extra="forbid")

    department: str = Field(min_length=1, max_length=200,
                            description="Receiving regulator / department.")


def rule_service(request: Request, services: Services = Depends(get_services),  # noqa: B008
                 ) -> RuleService:
    """One RuleService per app (its calendar and catalogue are loaded once)."""
    svc: RuleService | None = getattr(request.app.state, "rule_service", None)
    if svc is None or svc.log is not services.log:
        svc = RuleService(services.log, RuleContext.default())
        request.app.state.rule_service = svc
    return svc


def _summary(lead: dict[str, Any]) -> dict[str, Any]:
    return {k: lead[k] for k in (
        "lead_id", "status", "severity", "project_id", "section_id", "rule_ids",
        "finding_ids", "raised_index", "raised_event_id", "transferred_index",
        "transferred_event_id", "department", "package_hash", "created_at", "updated_at")}


def _detail(lead: dict[str, Any]) -> dict[str, Any]:
    out = _summary(lead)
    out["findings"] = [{**f, "evidence": [list(e) for e in f["evidence"]]}
                       for f in lead["findings"]]
    return out


@router.get("", summary="List violation leads", responses=responses(401, 403, 422))
def list_leads(
    project: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    since: Annotated[str | None, Query(min_length=1, max_length=40,
                                       description="Raised at or after (ISO 8601).")] = None,
    status: Status | None = None,
    _who: Principal = Depends(require(*LEAD_READERS)),  # noqa: B008
    svc: RuleService = Depends(rule_service),  # noqa: B008
) -> JSONResponse:
    found = svc.leads(project, since, status)
    return JSONResponse({"leads": [_summary(x) for x in found]})


@router.get("/{lead_id}", summary="One lead with its findings and evidence",
            responses=responses(401, 403, 404, 422))
def get_lead(
    lead_id: LeadId,
    _who: Principal = Depends(require(*LEAD_READERS)),  # noqa: B008
    svc: RuleService = Depends(rule_service),  # noqa: B008
) -> JSONResponse:
    return JSONResponse(_detail(svc.lead(lead_id)))


@router.get("/{lead_id}/package", summary="Download the signed lead package",
            responses={**responses(401, 403, 404, 409, 422),
                       200: {"content": {"application/json": {}},
                             "description": "witness-bundle/v1, kind lead"}})
def export_package(
    lead_id: LeadId,
    _who: Principal = Depends(require(*LEAD_HANDLERS)),  # noqa: B008
    svc: RuleService = Depends(rule_service),  # noqa: B008
) -> Response:
    try:
        data = svc.export_lead(lead_id)
    except NotFoundError:
        raise
    except WitnessError as exc:  # e.g. no checkpoint covers the lead's events yet
        raise ProblemError(409, "lead-not-exportable", str(exc)) from None
    return Response(data, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="lead-{lead_id}.json"',
        "X-Content-SHA256": hashlib.sha256(data).hexdigest()})


@router.post("/{lead_id}/acknowledge", summary="Acknowledge receipt of a lead",
             responses=responses(401, 403, 404, 422))
def acknowledge(
    lead_id: LeadId,
    _who: Principal = Depends(require(*LEAD_HANDLERS)),  # noqa: B008
    svc: RuleService = Depends(rule_service),  # noqa: B008
) -> JSONResponse:
    svc.acknowledge(lead_id)
    return JSONResponse(_summary(svc.lead(lead_id)))


@router.post("/{lead_id}/transfer", summary="Transfer (移送) a lead: appends LEAD_TRANSFERRED",
             responses=responses(401, 403, 404, 422))
def transfer(
    lead_id: LeadId,
    body: TransferIn,
    _who: Principal = Depends(require(*LEAD_TRANSFERRERS)),  # noqa: B008
    svc: RuleService = Depends(rule_service),  # noqa: B008
) -> JSONResponse:
    index = svc.transfer(lead_id, body.department)
    lead = svc.lead(lead_id)
    return JSONResponse({"lead_id": lead_id, "department": lead["department"],
                         "index": index, "status": lead["status"]})
