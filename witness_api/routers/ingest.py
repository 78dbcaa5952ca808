"""Ingestion: append one event, or a batch with one result per item.

Both go through ``ledger.ingest.Ingestor`` (validation with field paths, pseudonymisation,
one transaction for the valid items of a batch). Idempotent by event id: the same body
again gives the same receipt (200 instead of 201), another body under a known id is 409.

Concurrent requests of a worker share transactions through the ingestor's group committer
(``ledger.group_commit``): a request is answered after the commit holding its events, with
its receipts (the transaction's one batch promise, signed in it, and each event's path in
the batch). The single-event endpoint is a coroutine (it awaits the commit instead of
holding a thread); the batch endpoint runs in the thread pool (its validation takes tens of
milliseconds of CPU that should not stall the event loop).
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from fastapi import APIRouter, Body, Depends
from fastapi.openapi.models import Example

from ledger.events import example_event
from ledger.ingest import MAX_BATCH, ItemResult
from witness_api.auth import WRITERS
from witness_api.deps import Services, get_services, require_on_loop
from witness_api.json_guard import GuardedRoute
from witness_api.models import AppendOut, BatchIn, BatchOut, FastJSONResponse
from witness_api.problems import domain_problem, responses
from witness_api.tokens import Principal

# The bodies are parsed once, by the JSON guard (witness_api.json_guard).
router = APIRouter(prefix="/v1/events", tags=["ingest"], route_class=GuardedRoute)

_EXAMPLE_TYPES = ("PROJECT_REGISTERED", "ANNOUNCEMENT_PUBLISHED", "BID_SUBMITTED", "BID_OPENED")


def _examples() -> dict[str, Example]:
    out: dict[str, Example] = {}
    for name in _EXAMPLE_TYPES:
        try:
            out[name] = Example(summary=name, value=example_event(name))
        except KeyError:
            continue
    return out


def _batch_examples() -> dict[str, Example]:
    events = [e.get("value") for e in _examples().values()]
    return {"batch": Example(summary="a small batch", value={"events": events})}


def _item(result: ItemResult) -> dict[str, Any]:
    """One batch result (built as a dict: a batch carries up to MAX_BATCH receipts)."""
    a = result.appended
    if a is not None:  # one literal, in the order of the answer's keys
        return {"position": result.position, "event_id": result.event_id,
                "warnings": result.warnings, "status": "duplicate" if a.duplicate else "created",
                "index": a.index, "receipt": a.receipt.to_json()}
    assert result.error is not None
    return {"position": result.position, "event_id": result.event_id,
            "warnings": result.warnings, "status": "rejected",
            "problem": orjson.loads(bytes(domain_problem(result.error).body))}


@router.post(
    "", status_code=201, response_model=AppendOut, response_class=FastJSONResponse,
    summary="Append one event",
    responses={200: {"description": "Already in the log with the same content: same receipt",
                     "model": AppendOut}, **responses(400, 401, 403, 409, 413, 422)},
)
async def append_event(
    event: dict[str, Any] = Body(openapi_examples=_examples()),  # noqa: B008
    who: Principal = Depends(require_on_loop(*WRITERS)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> FastJSONResponse:
    """Validate and append one event; answered with its receipt once committed."""
    started = time.perf_counter()
    [result] = await services.ingestor.submit_async([event], who.token_id)
    services.metrics.latency_single.observe(time.perf_counter() - started)
    if result.appended is None:
        services.metrics.count_outcomes(0, 0, 1)
        assert result.error is not None
        raise result.error
    a = result.appended
    services.metrics.count_outcomes(0 if a.duplicate else 1, 1 if a.duplicate else 0, 0)
    body = {"status": "duplicate" if a.duplicate else "created", "event_id": a.event_id,
            "index": a.index, "receipt": a.receipt.to_json(), "warnings": result.warnings}
    return FastJSONResponse(body, status_code=200 if a.duplicate else 201)


@router.post(
    "/batch", response_model=BatchOut, response_class=FastJSONResponse,
    summary=f"Append up to {MAX_BATCH} events",
    responses=responses(400, 401, 403, 413, 422),
)
def append_batch(
    batch: BatchIn = Body(openapi_examples=_batch_examples()),  # noqa: B008
    who: Principal = Depends(require_on_loop(*WRITERS)),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> FastJSONResponse:
    """Append the valid items in one transaction; report every bad item with field paths.

    The answer is 200 with one result per submitted item, in order: ``created``,
    ``duplicate`` (same receipt as before) or ``rejected`` (with a problem object).
    """
    started = time.perf_counter()
    results = services.ingestor.submit(batch.events, who.token_id)
    services.metrics.latency_batch.observe(time.perf_counter() - started)
    items = [_item(r) for r in results]
    counts = dict.fromkeys(("created", "duplicate", "rejected"), 0)
    for item in items:
        counts[item["status"]] += 1
    services.metrics.count_outcomes(counts["created"], counts["duplicate"], counts["rejected"])
    return FastJSONResponse({"created": counts["created"], "duplicates": counts["duplicate"],
                             "rejected": counts["rejected"], "results": items})
