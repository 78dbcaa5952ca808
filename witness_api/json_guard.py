"""Request bodies checked as JSON before anything else reads them (ASGI middleware).

Role: no request body reaches authentication, routing or FastAPI's parser unless it is
UTF-8 JSON nested at most 64 levels with unique names in every object
(``ledger.core.json_text.loads_strict``; ``witness_api.json_body`` gives the same answers,
faster). The standard parser recurses once per level, and with the recursion limit that
py_ecc sets (100000) a body of nested brackets overflows the C stack: the worker dies
without a word. A refused body is answered 400 problem+json with
``errors: [{loc, msg, key?}]``; a body that passes is handed on unchanged.

Which bodies: a JSON media type by FastAPI's own rule (``application/json``,
``application/…+json``, parameters ignored) and bodies without a Content-Type. FastAPI
refuses the latter by default (strict content type), so checking them only costs a parse,
and keeps the guard right should that setting change. Other media types pass untouched:
FastAPI never parses them as JSON. Invalid JSON is answered here too (400
``malformed-json``): FastAPI's parser accepts UTF-16, whose bytes the depth count cannot
read. The guard sits inside ``BodySizeLimit``, so what it buffers is bounded.

The value it parsed is kept in the request scope; routes of ``GuardedRoute`` hand it to
FastAPI instead of letting FastAPI parse the same bytes again (for a batch of 500 events
the second parse was about a sixth of the request's CPU on the event loop). Both parsers
give the same value for every body the guard lets through (UTF-8, no NaN, unique names).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from ledger.core.json_text import JsonInputError
from witness_api.json_body import parse_body
from witness_api.limits import ASGIApp, Message, Receive, Scope, Send
from witness_api.problems import json_input_problem

PARSED = "witness.json_body"
"""Scope key of the guard's parse of the request body."""


class JsonGuard:
    """Buffer each JSON request body, check it, then replay it to ``app`` (or answer 400)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _json_body_expected(scope):
            await self.app(scope, receive, send)
            return
        message = await _read_body(receive)
        body = message.get("body", b"")
        if message["type"] == "http.request" and body:
            try:
                scope[PARSED] = parse_body(body, what="request body")
            except JsonInputError as exc:
                await json_input_problem(exc)(scope, receive, send)
                return
        await self.app(scope, _replay(message, receive), send)


def _json_body_expected(scope: Scope) -> bool:
    """A body is announced (Content-Length > 0 or chunked) and its type is JSON or unset."""
    has_body, content_type = False, None
    for name, value in scope["headers"]:
        if name == b"content-length":
            has_body = has_body or value.strip() not in (b"0", b"")
        elif name == b"transfer-encoding":
            has_body = True
        elif name == b"content-type" and content_type is None:
            content_type = value.decode("latin-1")
    return has_body and (not content_type or is_json_media_type(content_type))


def is_json_media_type(value: str) -> bool:
    """FastAPI's test (``email.message`` parsing): application/json or application/*+json."""
    media = value.partition(";")[0].strip().lower()
    if media.count("/") != 1:
        return False
    main, sub = media.split("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


async def _read_body(receive: Receive) -> Message:
    """The whole body as one ``http.request`` message, or the disconnect that cut it short."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}


def _replay(first: Message, receive: Receive) -> Receive:
    """``receive`` for the app: the buffered message, then the server's (a disconnect)."""
    pending = [first]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


class _ParsedRequest(Request):
    async def json(self) -> Any:
        if PARSED in self.scope:
            return self.scope[PARSED]
        return await super().json()


class GuardedRoute(APIRoute):
    """A route whose JSON body FastAPI takes from the guard's parse (``route_class``)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def parsed(request: Request) -> Response:
            return await handler(_ParsedRequest(request.scope, request.receive))

        return parsed
