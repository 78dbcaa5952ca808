"""The framework floor: a bare FastAPI app answering like the service, doing nothing else.

``scripts/bench_api.py`` serves it with uvicorn (same workers, uvloop, httptools) and loads
it with the same client in the same run as ``witness serve``, so "ours = X% of the floor"
says how much of the machine the service's own work (authentication, validation, durable
commits, signing, proofs, middleware, logging) costs on top of the framework. The endpoints
parse and validate their input the plain FastAPI way and answer JSON of about the size of
the service's answers: a proof (a list of hashes, a root, a checkpoint note) for ``GET``,
a receipt that carries the event back for ``POST`` (one per event of a batch). Nothing is
authenticated, stored, signed or logged.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query

_HASH = "ab" * 32
_NOTE = ("witness.example/log\n1000000\n" + "q" * 44 + "\n\n\u2014 witness.example/log "
         + "s" * 88 + "\n")


def _answer(event: dict[str, Any]) -> dict[str, Any]:
    receipt = {"format": "witness-receipt/v2", "origin": "witness.example/log", "index": 1,
               "leaf_hash": _HASH, "canonical_event": json.dumps(event, ensure_ascii=False),
               "promise": _NOTE, "anchored": None}
    return {"status": "created", "event_id": event.get("event_id"), "index": 1,
            "receipt": receipt, "warnings": []}


def create_app() -> FastAPI:
    """The floor app (uvicorn ``--factory``)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/floor/proof")
    async def proof(index: Annotated[int, Query(ge=0)],
                    size: Annotated[int, Query(ge=1)]) -> dict[str, Any]:
        return {"index": index, "size": size, "leaf_hash": _HASH, "root": _HASH,
                "proof": [_HASH] * 20, "checkpoint": _NOTE}

    @app.post("/floor/events", status_code=201)
    async def event(body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        return _answer(body)

    @app.post("/floor/events/batch")
    async def batch(body: Annotated[dict[str, list[dict[str, Any]]], Body()]) -> dict[str, Any]:
        items = [_answer(e) for e in body["events"]]
        return {"created": len(items), "duplicates": 0, "rejected": 0, "results": items}

    return app
