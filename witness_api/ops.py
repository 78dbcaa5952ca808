"""Operations endpoints: liveness, readiness and Prometheus metrics (no token).

``/healthz`` answers as long as the process serves requests. ``/readyz`` checks that the
store answers, runs the registered readiness checks (anchoring registers the chain and its
lag there) and the operational ones ``witness status`` shows too (the disk, the merge-delay
promise, a stalled anchorer, the background loops' last failures:
``ledger.anchoring.readiness_checks``); any failure gives 503 with the failing checks named.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from ledger.anchoring.readiness_checks import operational_checks, readiness_body
from witness_api.deps import Services, get_services
from witness_api.metrics import CONTENT_TYPE

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _store_check(services: Services) -> tuple[str, bool, str]:
    try:
        return "store", True, f"log size {services.log.size()}"
    except Exception as exc:  # any failure means not ready; the reason is reported
        return "store", False, type(exc).__name__


@router.get("/readyz", summary="Readiness: store, disk, merge delay, anchoring, loops, chain",
            responses={503: {"description": "Not ready"}})
def readyz(request: Request,
           services: Services = Depends(get_services)) -> JSONResponse:  # noqa: B008
    results = [_store_check(services)]
    for check in services.readiness:
        try:
            results.append(check())
        except Exception as exc:  # a broken check is a failed check
            results.append((getattr(check, "__name__", "check"), False, type(exc).__name__))
    results += operational_checks(request.app.state.settings, services.log)
    body = readiness_body(results)
    return JSONResponse(body, status_code=200 if body["status"] == "ready" else 503)


@router.get("/metrics", summary="Prometheus metrics",
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})
def metrics(services: Services = Depends(get_services)) -> Response:  # noqa: B008
    return Response(services.metrics.render(), media_type=CONTENT_TYPE)
