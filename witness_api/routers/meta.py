"""Public facts about the log (identity, key, chain) and the verify endpoints. No token.

The verify endpoints run the standalone verifier server-side against the log's own pinned
key — a convenience: whoever does not trust the center runs ``witness-verify`` locally.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import JSONResponse, PlainTextResponse

from witness_api import verification
from witness_api.deps import Services, get_services
from witness_api.models import LogOut
from witness_api.problems import responses

router = APIRouter(prefix="/v1", tags=["public"])


@router.get("/log", response_model=LogOut, summary="Log identity, public key and size")
def log_info(services: Services = Depends(get_services)) -> LogOut:  # noqa: B008
    log = services.log
    return LogOut(origin=log.origin, vkey=services.vkey(), size=log.size(),
                  mmd_seconds=log.mmd_seconds)


@router.get("/log/key", response_class=PlainTextResponse, summary="The log's verifier key",
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})
def log_key(services: Services = Depends(get_services)) -> PlainTextResponse:  # noqa: B008
    return PlainTextResponse(services.vkey() + "\n")


@router.get("/chain", summary="Chain and registry the log is anchored on",
            responses=responses(404))
def chain_info(services: Services = Depends(get_services)) -> JSONResponse:  # noqa: B008
    return JSONResponse(verification.chain_info(services))


@router.post("/verify/receipt", summary="Verify a receipt server-side",
             responses=responses(400, 413, 422))
def verify_receipt(
    receipt: dict[str, Any] = Body(description="A receipt file (witness-receipt/v2 or v1)."),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> JSONResponse:
    return JSONResponse(verification.verify_receipt(services, receipt))


@router.post("/verify/bundle", summary="Verify a project bundle or lead package server-side",
             responses=responses(400, 413, 422))
def verify_bundle(
    bundle: dict[str, Any] = Body(description="A project bundle or lead package."),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> JSONResponse:
    raw = json.dumps(bundle, ensure_ascii=False).encode("utf-8")
    return JSONResponse(verification.verify_bundle(services, raw))
