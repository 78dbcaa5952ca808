"""Checkpoints: signed tree heads as C2SP signed notes (``text/plain``) or JSON. Public.

``Accept: text/plain`` gives the note itself, exactly as signed; anything else gives JSON
with the note inside. Sealing a checkpoint on demand is for admins (the anchorer seals them
on its own schedule).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from ledger.errors import NotFoundError
from ledger.log import CheckpointRecord
from witness_api.auth import ADMINS, require
from witness_api.deps import Services, get_services
from witness_api.models import CheckpointOut
from witness_api.problems import responses
from witness_api.routers.receipts import MAX_INDEX
from witness_api.tokens import Principal

router = APIRouter(prefix="/v1/checkpoints", tags=["checkpoints"])
NOTE_EXAMPLE = ("witness.ggzy.example/log\n42\nq2+zDwl0kLJ6Vl2ELi6vXb0s1d0w8vC7m5u0i0Qe8bA=\n\n"
                "— witness.ggzy.example/log Az3grn0x...\n")
_NOTE_OR_JSON: dict[int | str, dict[str, Any]] = {
    200: {"description": "The checkpoint (JSON) or, with `Accept: text/plain`, the signed note",
          "content": {"text/plain": {"schema": {"type": "string"}, "example": NOTE_EXAMPLE}}},
}


def _as_json(cp: CheckpointRecord) -> dict[str, Any]:
    return {"size": cp.size, "root": cp.root.hex(), "created_at": cp.created_at, "note": cp.note}


def _negotiate(request: Request, cp: CheckpointRecord) -> Response:
    accept = request.headers.get("accept", "")
    if "text/plain" in accept and "application/json" not in accept:
        return PlainTextResponse(cp.note)
    return JSONResponse(_as_json(cp))


@router.get("/latest", response_model=CheckpointOut, summary="Latest checkpoint",
            responses={**_NOTE_OR_JSON, **responses(404)})
def latest(request: Request, services: Services = Depends(get_services)) -> Response:  # noqa: B008
    cp = services.log.latest_checkpoint()
    if cp is None:
        raise NotFoundError("no checkpoint yet")
    return _negotiate(request, cp)


@router.get("/{size}", response_model=CheckpointOut, summary="Checkpoint of a given size",
            responses={**_NOTE_OR_JSON, **responses(404, 422)})
def at_size(
    request: Request,
    size: Annotated[int, Path(ge=0, le=MAX_INDEX)],
    services: Services = Depends(get_services),  # noqa: B008
) -> Response:
    return _negotiate(request, services.log.checkpoint_at(size))


@router.get("", response_model=list[CheckpointOut], summary="Checkpoints in a size range",
            responses=responses(422))
def between(
    size_from: Annotated[int, Query(alias="from", ge=0, le=MAX_INDEX)] = 0,
    size_to: Annotated[int, Query(alias="to", ge=0, le=MAX_INDEX)] = MAX_INDEX,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    services: Services = Depends(get_services),  # noqa: B008
) -> JSONResponse:
    found = services.log.checkpoints_between(size_from, size_to)[:limit]
    return JSONResponse([_as_json(cp) for cp in found])


@router.post("", response_model=CheckpointOut, status_code=201,
             summary="Seal the current tree head now (admin)",
             responses=responses(401, 403))
def seal(
    _who: Principal = Depends(require(*ADMINS)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> JSONResponse:
    return JSONResponse(_as_json(services.log.checkpoint()), status_code=201)
