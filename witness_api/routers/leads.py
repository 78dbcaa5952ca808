"""Violation leads (违规线索) for the regulator: list, fetch, export the package, acknowledge,
transfer (移送).

Roles: a regulator sees the leads transferred to its department(s) — and only those —
and fetches, exports and acknowledges them; a supervisor lists and fetches the leads of
the projects it oversees; an admin sees every lead and is the only one who transfers
(which appends LEAD_TRANSFERRED to the log). A lead raised on records still sealed before
their opening names bidders nobody may know yet: it is shown only to the department it
was transferred to (the ledger transfers it to the project's supervising department
itself); the admin sees that it exists, sealed, and nothing of its content; supervisors do
not see it. Anything a caller may not see answers 404, as an unknown lead. Every other
role is refused with 403. The package is ``ledger.rules.package``'s signed
``witness-bundle/v1`` of ``kind: "lead"`` (docs/leads.md): the same bytes on every download
(``X-Content-SHA256`` is the hash LEAD_TRANSFERRED records); it needs a checkpoint covering
the lead's events (a transfer seals one). Acknowledging appends LEAD_ACKNOWLEDGED.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ledger.core.errors import WitnessError
from ledger.errors import NotFoundError
from ledger.rules.context import RuleContext
from ledger.rules.package import package_hash
from ledger.rules.service import RuleService
from ledger.sealing.policy import in_scope
from ledger.sealing.views import project_facts
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


SEALED_NOTE = ("开标前密封：线索涉及尚未开标的投标信息（招标投标法第二十二条），仅移送部门可阅。 / "
               "Sealed until the opening: it names bid-phase records (Tendering Law art. 22); "
               "only the department it was transferred to may read it.")


def _summary(lead: dict[str, Any]) -> dict[str, Any]:
    out = {k: lead[k] for k in (
        "lead_id", "status", "severity", "project_id", "section_id", "rule_ids",
        "finding_ids", "raised_index", "raised_event_id", "transferred_index",
        "transferred_event_id", "department", "package_hash", "created_at", "updated_at",
        "sealed")}
    if lead["sealed"]:
        out["sealed_note"] = SEALED_NOTE
    return out


def _stub(lead: dict[str, Any]) -> dict[str, Any]:
    """What the admin sees of a sealed lead: that it exists, where it went; no content."""
    out = {k: lead[k] for k in ("lead_id", "status", "project_id", "section_id",
                                "department", "created_at", "updated_at", "sealed")}
    out["sealed_note"] = SEALED_NOTE
    return out


def _view(who: Principal, lead: dict[str, Any], svc: RuleService) -> str | None:
    """"full", "stub" (a sealed lead for the admin) or None (not visible: 404)."""
    if who.role == "regulator":
        return "full" if lead["department"] in who.scope.departments else None
    if who.role == "admin":
        return "stub" if lead["sealed"] else "full"
    if who.role == "supervisor" and not lead["sealed"]:
        facts = project_facts(svc.log, lead["project_id"])
        return "full" if in_scope(who.viewer, lead["project_id"], facts) else None
    return None


def _visible(who: Principal, lead_id: str, svc: RuleService) -> tuple[dict[str, Any], str]:
    try:
        lead = svc.lead(lead_id)
    except NotFoundError:
        raise NotFoundError(f"no lead {lead_id!r}") from None
    view = _view(who, lead, svc)
    if view is None:
        raise NotFoundError(f"no lead {lead_id!r}")
    return lead, view


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
    who: Principal = Depends(require(*LEAD_READERS)),  # noqa: B008
    svc: RuleService = Depends(rule_service),  # noqa: B008
) -> JSONResponse:
    shown = []
    for lead in svc.leads(project, since, status):
        view = _view(who, lead, svc)
        if view is not None:
            shown.append(_stub(lead) if view == "stub" else _summary(lead))
    return JSONResponse({"leads": shown})


@router.get("/{lead_id}", summary="One lead with its findings and evidence",
            responses=responses(401, 403, 404, 422))
def get_lead(
    lead_id: LeadId,
    who: Principal = Depends(require(*LEAD_READERS)),  # noqa: B008
    svc: RuleService = Depends(rule_service),  # noqa: B008
) -> JSONResponse:
    lead, view = _visible(who, lead_id, svc)
    return JSONResponse(_stub(lead) if view == "stub" else _detail(lead))


@router.get("/{lead_id}/package", summary="Download the signed lead package",
            responses={**responses(401, 403, 404, 409, 422),
                       200: {"content": {"application/json": {}},
                             "description": "witness-bundle/v1, kind lead"}})
def export_package(
    lead_id: LeadId,
    who: Principal = Depends(require(*LEAD_HANDLERS)),  # noqa: B008
    svc: RuleService = Depends(rule_service),  # noqa: B008
) -> Response:
    _full_view(who, lead_id, svc)
    try:
        data = svc.export_lead(lead_id)
    except NotFoundError:
        raise
    except WitnessError as exc:  # e.g. no checkpoint covers the lead's events yet
        raise ProblemError(409, "lead-not-exportable", str(exc)) from None
    return Response(data, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="lead-{lead_id}.json"',
        "X-Content-SHA256": package_hash(data)})


@router.post("/{lead_id}/acknowledge", summary="Acknowledge receipt of a lead",
             responses=responses(401, 403, 404, 409, 422))
def acknowledge(
    lead_id: LeadId,
    who: Principal = Depends(require(*LEAD_HANDLERS)),  # noqa: B008
    svc: RuleService = Depends(rule_service),  # noqa: B008
) -> JSONResponse:
    """Appends LEAD_ACKNOWLEDGED once (who: the token's label, else its id; the package hash
    the transfer recorded); again → 200, no new event; before the transfer → 409."""
    _full_view(who, lead_id, svc)
    # the admin acknowledging on a department's behalf is center staff in the log
    role = "regulator" if who.role == "regulator" else "center_staff"
    index = svc.acknowledge(lead_id, by=_who(who), role=role)
    return JSONResponse({**_summary(svc.lead(lead_id)), "acknowledged_index": index})


def _who(who: Principal) -> str:
    """The person a governance event names: the token's label, else its id."""
    return who.label or f"token:{who.token_id}"


def _full_view(who: Principal, lead_id: str, svc: RuleService) -> dict[str, Any]:
    lead, view = _visible(who, lead_id, svc)
    if view != "full":
        raise ProblemError(409, "sealed", SEALED_NOTE, sealed_until="opening")
    return lead


@router.post("/{lead_id}/transfer", summary="Transfer (移送) a lead: appends LEAD_TRANSFERRED",
             responses=responses(401, 403, 404, 409, 422))
def transfer(
    lead_id: LeadId,
    body: TransferIn,
    who: Principal = Depends(require(*LEAD_TRANSFERRERS)),  # noqa: B008
    svc: RuleService = Depends(rule_service),  # noqa: B008
) -> JSONResponse:
    """Transfer a lead (a sealed one too: by id, its content unseen): LEAD_TRANSFERRED names
    the package's hash and the token's label; a second transfer to another department is
    refused with 409."""
    index = svc.transfer(lead_id, body.department, by=_who(who))
    lead = svc.lead(lead_id)
    return JSONResponse({"lead_id": lead_id, "department": lead["department"],
                         "index": index, "status": lead["status"],
                         "package_hash": lead["package_hash"]})
