"""Receipts: by log index (the path the verifier's ``--upgrade URL`` calls) and by event id.

A receipt is upgraded with the inclusion proof against the newest checkpoint once one
covers the event (and with the anchor once anchoring records it). Who gets which receipt
is ``ledger.sealing.policy``'s: a bidder its own events (its sealed bid too, before the
opening), an ingest token what it posted, supervisors and regulators the events of their
projects that the phase allows; anything else answers 404, exactly as a missing one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from ledger.core.receipt import Receipt
from ledger.errors import NotFoundError
from witness_api.auth import READERS, require
from witness_api.deps import Services, get_services
from witness_api.models import ReceiptOut
from witness_api.problems import responses
from witness_api.tokens import Principal
from witness_api.visibility import visible_record

router = APIRouter(prefix="/v1", tags=["receipts"])
MAX_INDEX = 2**62
Index = Annotated[int, Path(ge=0, le=MAX_INDEX, description="Log index of the event.")]
EventId = Annotated[str, Path(min_length=1, max_length=128, description="Source event id.")]


def visible_receipt(services: Services, who: Principal, index: int) -> Receipt:
    """The receipt at ``index`` if ``who`` may see it, else the same 404 as a missing one."""
    visible_record(services, who, index)
    return services.log.receipt(index)


@router.get("/receipts/{index}", response_model=ReceiptOut, response_class=JSONResponse,
            summary="Receipt of the event at a log index",
            responses=responses(401, 403, 404, 422))
def receipt_by_index(
    index: Index,
    who: Principal = Depends(require(*READERS)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> JSONResponse:
    return JSONResponse(visible_receipt(services, who, index).to_json())


@router.get("/events/{event_id}/receipt", response_model=ReceiptOut,
            response_class=JSONResponse, summary="Receipt of an event by its source event id",
            responses=responses(401, 403, 404, 422))
def receipt_by_event_id(
    event_id: EventId,
    who: Principal = Depends(require(*READERS)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> JSONResponse:
    try:
        index = services.log.index_of(event_id)
    except NotFoundError:
        raise NotFoundError("no such event") from None
    try:
        receipt = visible_receipt(services, who, index)
    except NotFoundError:
        raise NotFoundError("no such event") from None
    return JSONResponse(receipt.to_json())
