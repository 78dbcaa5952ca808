"""项目见证 (supervisors, regulators in scope, admin): project search, a project's witnessed
trail per lot with each event's proof status and the leads on its evidence, the in-browser
integrity audit (``static/js/audit-page.js`` running ``WitnessVerify.verifyBundle`` on
``GET /v1/projects/{id}/bundle``) and a printable audit report.

What a page shows is what the same token reads through the API: the project must be in
scope (``witness_api.routers.projects.scoped_project``, else 404), each timeline line is
``witness_api.routers.projects._entry`` (``may_see`` per record, chain placeholders for
records closed to this role), and leads are those ``witness_api.routers.leads._view``
admits.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from ledger.export import sealed_sections
from ledger.rules.service import RuleService
from ledger.sealing.policy import may_see
from witness_api.deps import Services, get_services
from witness_api.portal.pages_public import verifier_data
from witness_api.portal.proof_status import proof_book
from witness_api.portal.queries import search_projects
from witness_api.portal.render import PageRoute, page, require_page
from witness_api.routers.leads import LEAD_HANDLERS, _view, rule_service
from witness_api.routers.projects import ProjectId, _entry, scoped_project
from witness_api.tokens import Principal

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PROJECT_ROLES = ("supervisor", "regulator", "admin")


@router.get("/projects")
def projects(
    request: Request,
    q: Annotated[str, Query(max_length=128)] = "",
    who: Principal = Depends(require_page(*PROJECT_ROLES)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> HTMLResponse:
    found = search_projects(services.log, who.viewer, q)
    return page(request, "projects.html", q=q, projects=found)


def leads_by_index(who: Principal, svc: RuleService, project_id: str
                   ) -> tuple[list[dict[str, Any]], dict[int, list[str]]]:
    """The project's leads this caller may see, and evidence index → lead ids."""
    shown: list[dict[str, Any]] = []
    attached: dict[int, list[str]] = {}
    for lead in svc.leads(project_id):
        view = _view(who, lead, svc)
        if view is None:
            continue
        shown.append({**lead, "view": view})
        if view != "full":
            continue
        for finding in svc.lead(lead["lead_id"])["findings"]:
            for index, _event_id in finding["evidence"]:
                attached.setdefault(int(index), []).append(lead["lead_id"])
    return shown, attached


def trail(services: Services, who: Principal, project_id: str) -> dict[str, Any]:
    """The project's trail as ``who`` sees it, grouped by lot, with proof statuses."""
    project = scoped_project(services, who, project_id)
    book = proof_book(services.log)
    lots: dict[str, list[dict[str, Any]]] = {}
    registration: dict[str, Any] = {}
    for record in project.records:
        line = _entry(record, who.viewer)
        if line is None:
            continue
        line["proof"] = book.of(record.index)
        lots.setdefault(line.get("section_id") or "", []).append(line)
        env = record.envelope or {}
        if env.get("type") == "PROJECT_REGISTERED" and not registration and "type" in line:
            registration = dict(env.get("payload") or {})
    shown = [r for r in project.records if may_see(who.viewer, r.seen)]
    return {"project_id": project_id, "registration": registration,
            "lots": sorted(lots.items(), key=lambda item: (item[0] != "", item[0])),
            "sealed": sealed_sections(project, shown), "book": book}


@router.get("/projects/{project_id}")
def project(
    request: Request,
    project_id: ProjectId,
    who: Principal = Depends(require_page(*PROJECT_ROLES)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
    svc: RuleService = Depends(rule_service),  # noqa: B008
) -> HTMLResponse:
    data = trail(services, who, project_id)
    leads, attached = leads_by_index(who, svc, project_id)
    return page(request, "project.html", **data, leads=leads, attached=attached,
                lead_links=who.role in LEAD_HANDLERS,
                page_data=verifier_data(request) | {"project_id": project_id})


@router.get("/projects/{project_id}/report")
def report(
    request: Request,
    project_id: ProjectId,
    who: Principal = Depends(require_page(*PROJECT_ROLES)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
    svc: RuleService = Depends(rule_service),  # noqa: B008
) -> HTMLResponse:
    data = trail(services, who, project_id)
    leads, attached = leads_by_index(who, svc, project_id)
    return page(request, "report.html", **data, leads=leads, attached=attached,
                printed_at=services.log.clock(),
                page_data=verifier_data(request) | {"project_id": project_id,
                                                    "autorun": True})
