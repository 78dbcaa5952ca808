"""违规线索 (regulators and the admin): the inbox with filters, a lead with its
rule, legal basis and article text, findings and evidence, acknowledgement (签收), the
signed package and a printable 移送函.

Who sees which lead is the API's decision, reused as is (``witness_api.routers.leads``:
``_view``, ``_visible``, ``_full_view``): a regulator only the leads transferred to its
department, the admin every lead (a sealed one as a stub). These pages are for the roles
the API lets handle a lead (regulator, admin); supervisors see the leads of their projects
on the project page. The package link is the API's own ``GET /v1/leads/{id}/package``,
read with the session.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ledger.rules.service import RuleService
from ledger.rules.wording import bj
from witness_api.deps import Services, get_services
from witness_api.portal.context import current_session, portal_state
from witness_api.portal.lead_view import evidence_rows, rules_of
from witness_api.portal.proof_status import proof_book
from witness_api.portal.render import PageError, PageRoute, page, require_page
from witness_api.routers.leads import (
    LEAD_HANDLERS,
    LeadId,
    _full_view,
    _stub,
    _summary,
    _view,
    _visible,
    _who,
    rule_service,
)
from witness_api.tokens import Principal

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Day = Annotated[str, Query(pattern=r"^(\d{4}-\d{2}-\d{2})?$", max_length=10)]
SEVERITIES = ("violation", "warning", "info")
STATUSES = ("raised", "transferred", "acknowledged")


def _day_of(created_at: str) -> str:
    """The Beijing calendar day of a lead's creation time (what the date filters compare)."""
    try:
        return bj(datetime.fromisoformat(created_at)).date().isoformat()
    except ValueError:
        return created_at[:10]


def _matches(lead: dict[str, Any], severity: str, rule: str, since: str, until: str) -> bool:
    if severity and lead.get("severity") != severity:
        return False
    if rule and not any(rule.upper() in r.upper() for r in lead.get("rule_ids", [])):
        return False
    day = _day_of(str(lead.get("created_at", "")))
    return not ((since and day < since) or (until and day > until))


@router.get("/leads")
def inbox(
    request: Request,
    status: Literal["", "raised", "transferred", "acknowledged"] = "",
    severity: Literal["", "violation", "warning", "info"] = "",
    rule: Annotated[str, Query(max_length=64)] = "",
    project: Annotated[str, Query(max_length=128)] = "",
    since: Day = "",
    until: Day = "",
    who: Principal = Depends(require_page(*LEAD_HANDLERS)),  # noqa: B008
    svc: RuleService = Depends(rule_service),  # noqa: B008
) -> HTMLResponse:
    shown = []
    for lead in svc.leads(project.strip() or None, None, status or None):
        view = _view(who, lead, svc)
        if view is not None and (view == "stub" or _matches(lead, severity, rule.strip(),
                                                            since, until)):
            shown.append({**(_summary(lead) if view == "full" else _stub(lead)), "view": view})
    shown.reverse()  # newest first
    filters = {"status": status, "severity": severity, "rule": rule, "project": project,
               "since": since, "until": until}
    return page(request, "leads.html", leads=shown, filters=filters, statuses=STATUSES,
                severities=SEVERITIES, today=date.today().isoformat())


def lead_context(services: Services, who: Principal, svc: RuleService,
                 lead_id: str) -> dict[str, Any]:
    lead, view = _visible(who, lead_id, svc)
    if view != "full":  # a sealed lead's stub: that it exists, nothing of its content
        return {"lead": _stub(lead), "view": view, "rules": [], "evidence": []}
    book = proof_book(services.log)
    return {"lead": lead, "view": view, "rules": rules_of(services, lead),
            "evidence": evidence_rows(services, who, lead, book)}


@router.get("/leads/{lead_id}")
def lead_page(
    request: Request,
    lead_id: LeadId,
    who: Principal = Depends(require_page(*LEAD_HANDLERS)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
    svc: RuleService = Depends(rule_service),  # noqa: B008
) -> HTMLResponse:
    context = lead_context(services, who, svc, lead_id)
    return page(request, "lead.html", **context,
                acknowledged=request.query_params.get("done") == "ack")


@router.post("/leads/{lead_id}/ack")
def acknowledge(
    request: Request,
    lead_id: LeadId,
    csrf: Annotated[str, Form(max_length=100)] = "",
    who: Principal = Depends(require_page(*LEAD_HANDLERS)),  # noqa: B008
    svc: RuleService = Depends(rule_service),  # noqa: B008
) -> Response:
    """签收: the API's acknowledge (LEAD_ACKNOWLEDGED once), behind the form's CSRF token."""
    found = current_session(request)
    if found is None or not portal_state(request).keys.csrf_ok("form", found[0].nonce, csrf):
        raise PageError(403, "error.csrf")
    _full_view(who, lead_id, svc)
    role = "regulator" if who.role == "regulator" else "center_staff"
    svc.acknowledge(lead_id, by=_who(who), role=role)
    return RedirectResponse(f"/leads/{lead_id}?done=ack", status_code=303)


@router.get("/leads/{lead_id}/letter")
def letter(
    request: Request,
    lead_id: LeadId,
    who: Principal = Depends(require_page(*LEAD_HANDLERS)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
    svc: RuleService = Depends(rule_service),  # noqa: B008
) -> HTMLResponse:
    """The printable 移送函 of a transferred lead (a sealed lead's stub has none: 409)."""
    _full_view(who, lead_id, svc)
    context = lead_context(services, who, svc, lead_id)
    return page(request, "letter.html", **context, printed_at=services.log.clock())
