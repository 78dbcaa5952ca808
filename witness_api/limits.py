"""Request body size limit (ASGI middleware): 413 before the body is read into memory.

A declared ``Content-Length`` above the limit is refused at once; a chunked body is
counted as it streams and refused when it crosses the limit. The batch endpoint has its
own, larger limit (``MAX_BATCH`` events of typical size).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from witness_api.problems import problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_MAX_BODY = 512 * 1024
DEFAULT_MAX_BATCH_BODY = 16 * 1024 * 1024
BATCH_PATH_SUFFIX = "/events/batch"


class _TooLarge(Exception):
    pass


class BodySizeLimit:
    """Refuse request bodies larger than the limit for their path with a 413 problem."""

    def __init__(self, app: ASGIApp, *, max_body: int = DEFAULT_MAX_BODY,
                 max_batch_body: int = DEFAULT_MAX_BATCH_BODY) -> None:
        self.app = app
        self.max_body = max_body
        self.max_batch_body = max_batch_body

    def limit_for(self, path: str) -> int:
        return self.max_batch_body if path.endswith(BATCH_PATH_SUFFIX) else self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared, chunked = _framing(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send, limit)
            return
        if not chunked:
            # The server delivers at most Content-Length bytes (none without it), and that
            # is within the limit: nothing to count, so no wrappers on this request's path.
            await self.app(scope, receive, send)
            return
        await self._counted(scope, receive, send, limit)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Run the app on a streamed body, refusing it once it crosses ``limit``."""
        seen = 0
        state = {"started": False, "exceeded": False}

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    state["exceeded"] = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # Whatever the app answers after the limit was crossed becomes the 413.
            if state["exceeded"]:
                if message["type"] == "http.response.start" and not state["started"]:
                    state["started"] = True
                    await _refuse(scope, receive, send, limit)
                return
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _TooLarge:
            if not state["started"]:
                state["started"] = True
                await _refuse(scope, receive, send, limit)


def _framing(scope: Scope) -> tuple[int | None, bool]:
    """The declared Content-Length (None: absent or unreadable) and whether the body comes
    with a Transfer-Encoding (chunked: its length is known only as it streams)."""
    declared: int | None = None
    chunked = False
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                chunked = True  # unreadable: count what arrives
        elif name == b"transfer-encoding":
            chunked = True
    return declared, chunked


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    response = problem(413, "body-too-large", f"request body larger than {limit} bytes")
    await response(scope, receive, send)
