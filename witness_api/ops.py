"""Operations endpoints: liveness, readiness and Prometheus metrics (no token).

``/healthz`` answers as long as the process serves requests. ``/readyz`` checks that the
store answers and runs the registered readiness checks (anchoring registers the chain and
its lag there); any failure gives 503 with the failing checks named.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

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


@router.get("/readyz", summary="Readiness: store (and chain once anchoring runs)",
            responses={503: {"description": "Not ready"}})
def readyz(services: Services = Depends(get_services)) -> JSONResponse:  # noqa: B008
    results = [_store_check(services)]
    for check in services.readiness:
        try:
            results.append(check())
        except Exception as exc:  # a broken check is a failed check
            results.append((getattr(check, "__name__", "check"), False, type(exc).__name__))
    ready = all(ok for _, ok, _ in results)
    body = {"status": "ready" if ready else "not ready",
            "checks": {name: {"ok": ok, "detail": detail} for name, ok, detail in results}}
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics",
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})
def metrics(services: Services = Depends(get_services)) -> Response:  # noqa: B008
    return Response(services.metrics.render(), media_type=CONTENT_TYPE)
