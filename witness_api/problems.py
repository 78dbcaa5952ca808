"""RFC 9457 problem details: one place mapping errors to ``application/problem+json``.

Every error response of the API is a problem object ``{type, title, status, detail}``;
validation problems add ``errors: [{loc, msg}]`` with dotted field paths (``payload.price``).
Domain errors map as: not found → 404, idempotency conflict → 409, invalid event → 422,
malformed input → 400, impossible proof request → 422, uninitialised/unreachable store or
another unreachable source (the chain) → 503, any other chain error → 502.
A body refused by the JSON guard is 400 ``json-too-deep``, ``duplicate-key`` (the item names
the ``key``) or ``malformed-json``.
An unexpected exception is logged (without request headers) and answered 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from chain_access.errors import ChainError
from ledger.core.errors import (
    InvalidRequestError,
    MalformedError,
    SourceUnavailable,
    VerificationError,
    WitnessError,
)
from ledger.core.json_text import MAX_JSON_DEPTH, JsonInputError
from ledger.errors import ConflictError, NotFoundError, NotInitialisedError, StateConflictError
from ledger.events import EventValidationError
from ledger.sealing.views import SealedError
from ledger.store.database import StoreError

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:witness:problem:"
log = logging.getLogger("witness_api")

_TITLES = {
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 406: "Not acceptable", 409: "Conflict",
    413: "Content too large", 415: "Unsupported media type", 422: "Unprocessable content",
    500: "Internal server error", 501: "Not implemented", 502: "Bad gateway",
    503: "Service unavailable",
}

# (error class, status, problem slug) — the first matching class wins.
_DOMAIN: list[tuple[type[Exception], int, str]] = [
    (ConflictError, 409, "idempotency-conflict"),
    (SealedError, 409, "sealed"),
    (StateConflictError, 409, "state-conflict"),
    (NotFoundError, 404, "not-found"),
    (NotInitialisedError, 503, "not-initialised"),
    (StoreError, 503, "store-unavailable"),
    (SourceUnavailable, 503, "source-unavailable"),  # the chain, a witness… (retry later)
    (ChainError, 502, "chain-error"),  # the chain answered, but not as the ledger needs
    (EventValidationError, 422, "invalid-event"),
    (InvalidRequestError, 422, "invalid-request"),
    (MalformedError, 400, "malformed"),
    (VerificationError, 422, "verification-failed"),
    (WitnessError, 400, "bad-request"),
]


class ProblemError(Exception):
    """Raised by routers to answer a problem directly (e.g. 501 for a missing component)."""

    def __init__(self, status: int, slug: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.extra = extra


def problem(status: int, slug: str, detail: str, **extra: Any) -> JSONResponse:
    """A problem+json response."""
    body = {"type": TYPE_BASE + slug, "title": _TITLES.get(status, "Error"),
            "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": 'Bearer realm="witness"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def domain_problem(exc: Exception) -> JSONResponse:
    """The problem response for a domain error (see the table above)."""
    for cls, status, slug in _DOMAIN:
        if isinstance(exc, cls):
            extra: dict[str, Any] = {}
            if isinstance(exc, EventValidationError):
                extra["errors"] = exc.errors
            if isinstance(exc, ConflictError):
                extra.update(event_id=exc.event_id, index=exc.index)
            if isinstance(exc, SealedError):
                extra["sealed_until"] = exc.until
            return problem(status, slug, str(exc), **extra)
    raise TypeError(f"not a domain error: {type(exc).__name__}")


def json_input_problem(exc: JsonInputError) -> JSONResponse:
    """400 for a body refused as JSON (``witness_api.json_guard``): where, and which name."""
    item = {"loc": exc.loc, "msg": str(exc)}
    if exc.reason == "duplicate" and exc.key is not None:
        item.update(msg=f"duplicate key '{exc.key}'", key=exc.key)
        return problem(400, "duplicate-key", str(exc), errors=[item])
    if exc.reason == "depth":
        item["msg"] = f"nested deeper than {MAX_JSON_DEPTH} levels"
        return problem(400, "json-too-deep", str(exc), errors=[item])
    return problem(400, "malformed-json", "the request body is not valid JSON", errors=[item])


def _loc(parts: Any) -> str:
    """FastAPI's location tuple as a dotted path without the leading ``body``/``query``."""
    items = [str(p) for p in parts]
    return ".".join(items[1:] if len(items) > 1 else items)


def validation_problem(exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem(400, "malformed-json", "the request body is not valid JSON")
    items = [{"loc": _loc(e.get("loc", ())), "msg": str(e.get("msg", ""))} for e in errors]
    return problem(422, "invalid-request", "the request does not match the schema",
                   errors=items[:100])


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""

    async def on_problem(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return problem(exc.status, exc.slug, exc.detail, **exc.extra)

    async def on_domain(_request: Request, exc: Exception) -> JSONResponse:
        return domain_problem(exc)

    async def on_validation(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return validation_problem(exc)

    async def on_http(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem(exc.status_code, f"http-{exc.status_code}", str(exc.detail))

    async def on_store_down(_request: Request, exc: Exception) -> JSONResponse:
        log.error("store unavailable", extra={"error": type(exc).__name__})
        return problem(503, "store-unavailable", "the database is unavailable; retry later")

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem(500, "internal", "internal error; the event was not acknowledged")

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(WitnessError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(OperationalError, on_store_down)
    app.add_exception_handler(Exception, on_unexpected)


PROBLEM_RESPONSE: dict[str, Any] = {
    "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given problem status codes."""
    return {code: {"description": _TITLES.get(code, "Error"), **PROBLEM_RESPONSE}
            for code in codes}
