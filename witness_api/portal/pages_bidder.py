"""我的投标 (bidder): the bidder's own events, its receipts, and a printable receipt with a QR
code that opens the 回执核验 page for that receipt.

Exactly what the bidder's token sees through the API: the list is
``ledger.sealing.views.owned_records`` (``may_see`` per record), a receipt is
``witness_api.routers.receipts.visible_receipt`` — another bidder's event, or one that does
not exist, is the same 404. The page is the bidder's alone (an admin is no bidder: 403).
"""

from __future__ import annotations

import html
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
import segno
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from ledger.core.batch import BatchPromise
from ledger.core.note import split_note
from ledger.core.receipt import Receipt
from ledger.sealing.views import Record, owned_records
from witness_api.deps import Services, get_services
from witness_api.portal.i18n import Translator, request_lang
from witness_api.portal.proof_status import ProofBook, proof_book
from witness_api.portal.render import PageRoute, page, require_page
from witness_api.routers.receipts import MAX_INDEX, visible_receipt
from witness_api.tokens import Principal

router = APIRouter(route_class=PageRoute, include_in_schema=False)
WINDOW = 5000
"""Log indexes scanned per page of 我的投标 (older ones behind the 更早的记录 link)."""
Index = Annotated[int, Path(ge=0, le=MAX_INDEX)]


def _row(record: Record, book: ProofBook) -> dict[str, Any]:
    env = record.envelope or {}
    return {"index": record.index, "event_id": env.get("event_id", ""),
            "type": env.get("type", ""), "project_id": record.project_id,
            "section_id": env.get("section_id"), "received_at": env.get("received_at"),
            "proof": book.of(record.index)}


@router.get("/me")
def my_events(
    request: Request,
    before: Annotated[int | None, Query(ge=1, le=MAX_INDEX)] = None,
    who: Principal = Depends(require_page("bidder")),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> HTMLResponse:
    size = services.log.size()
    end = min(before or size, size)
    records = owned_records(services.log, who.viewer, before=end, window=WINDOW)
    book = proof_book(services.log)
    return page(request, "me.html", rows=[_row(r, book) for r in records],
                scanned_from=max(0, end - WINDOW), scanned_to=end, log_size=size,
                earlier=max(0, end - WINDOW) if end > WINDOW else None)


@router.get("/me/receipts/{index}.json")
def receipt_json(
    index: Index,
    who: Principal = Depends(require_page("bidder")),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> JSONResponse:
    receipt = visible_receipt(services, who, index)
    return JSONResponse(receipt.to_json(), headers={
        "Content-Disposition": f'attachment; filename="receipt-{index}.json"'})


def verify_link(request: Request, index: int, leaf: str) -> str:
    """The absolute 回执核验 URL a printed receipt's QR code opens."""
    base = str(request.base_url).rstrip("/")
    return f"{base}/verify?{urlencode({'index': index, 'leaf': leaf})}"


def qr_svg(target: str, label: str) -> str:
    """The QR code of ``target`` as inline SVG (``svg#receipt-qr``), with a text name."""
    svg: str = segno.make(target, error="m").svg_inline(scale=3, svgid="receipt-qr",
                                                       svgclass="qr", title=label,
                                                       omitsize=True)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(label)}" ', 1)


@router.get("/me/receipts/{index}")
def receipt_page(
    request: Request,
    index: Index,
    who: Principal = Depends(require_page("bidder")),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> HTMLResponse:
    receipt = visible_receipt(services, who, index)
    data = receipt.to_json()
    record = receipt_subject(data)
    link = verify_link(request, index, data["leaf_hash"])
    label = Translator(request_lang(request))("receipt.qr_label")
    return page(request, "receipt.html", receipt=data, event=record,
                anchor=None if receipt.anchored is None else receipt.anchored.anchor_ref,
                batch=receipt_batch(receipt), proof=proof_book(services.log).of(index),
                verify_url=link, qr=qr_svg(link, label))


def receipt_batch(receipt: Receipt) -> dict[str, int] | None:
    """The batch a v2 receipt's signed promise covers (first, last, count); None for v1,
    whose promise is the event's own. The log signed it, so it is read, not re-checked."""
    if receipt.batch_proof is None:
        return None
    promise = BatchPromise.parse(split_note(receipt.promise_note)[0])
    return {"first": promise.first, "last": promise.first + promise.count - 1,
            "count": promise.count}


def receipt_subject(data: dict[str, Any]) -> dict[str, Any]:
    """The event a receipt carries (its canonical bytes are JSON)."""
    event: dict[str, Any] = orjson.loads(data["canonical_event"])
    return event
