"""The witness's HTTP face: ``POST /add-checkpoint`` (C2SP tlog-witness) and a health check.

Answers are plain text, as the protocol wants: the cosignature line on 200, the witness's
size as ``text/x.tlog.size`` on 409, one line saying why on any other refusal. Bodies are
read up to a bound and refused beyond it without being buffered whole.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from witness_cosign.protocol import MAX_BODY, Refusal, Witness

SIZE_TYPE = "text/x.tlog.size"
_log = logging.getLogger("witness.cosign")


async def _bounded_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise Refusal(413, f"request body is larger than {MAX_BODY} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Refusal(413, f"request body is larger than {MAX_BODY} bytes")
    return bytes(body)


def create_app(witness: Witness) -> Starlette:
    async def add_checkpoint(request: Request) -> Response:
        try:
            body = await _bounded_body(request)
            # SQLite and Ed25519 work is blocking: keep it off the event loop.
            line = await run_in_threadpool(witness.add_checkpoint, body)
        except Refusal as exc:
            _log.info("refused (%d): %s", exc.status, exc)
            if exc.status == 409:
                return PlainTextResponse(f"{exc.size}\n", 409, media_type=SIZE_TYPE)
            return PlainTextResponse(f"{exc}\n", exc.status)
        return PlainTextResponse(line, 200)

    async def health(_request: Request) -> Response:
        return PlainTextResponse(witness.cosigner.public.vkey() + "\n")

    return Starlette(routes=[Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
                             Route("/", health, methods=["GET"])])
