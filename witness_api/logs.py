"""Structured JSON logs and the access log, without secrets.

One JSON object per line on stderr: time, level, logger, message and the ``extra`` fields.
The access log records method, route template, status, duration, role and token id; it
never records headers (so never an ``Authorization`` header or a token) nor bodies.

The access log writes a line per request, so its cost is per-request cost: the line is
encoded with orjson and the time text is formatted once per second (together about a third
of the standard ``json`` + ``strftime`` formatting), and the request counter's labelled
child is looked up once per (method, route, status).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

import orjson
from prometheus_client import Counter

from witness_api.limits import ASGIApp, Message, Receive, Scope, Send
from witness_api.metrics import Metrics

access_log = logging.getLogger("witness_api.access")
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_SECRET_KEYS = {"authorization", "token", "password", "secret"}
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON line; drop any extra field that names a secret."""

    _second: tuple[int, str] = (-1, "")

    def _time(self, record: logging.LogRecord) -> str:
        # The text has a resolution of one second: format it once per second.
        second = int(record.created)
        if self._second[0] != second:
            self._second = (second, self.formatTime(record, _TIME_FORMAT))
        return self._second[1]

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self._time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key.lower() not in _SECRET_KEYS:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        try:
            return orjson.dumps(entry, default=str).decode("utf-8")
        except TypeError:  # what orjson refuses (an integer beyond 64 bits, a non-str key)
            return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Route the service's loggers (and uvicorn's error log) through the JSON formatter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("witness_api", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


class AccessLog:
    """ASGI middleware: one access-log line and one request metric per HTTP request."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self._counters: dict[tuple[str, str, str], Counter] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            self._record(scope, status["code"], time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        self._counter(scope.get("method", ""), template, status).inc()
        state = scope.get("state") or {}
        principal = state.get("principal")
        access_log.info("request", extra={
            "method": scope.get("method"), "route": template, "status": status,
            "ms": round(elapsed * 1000, 2),
            "role": getattr(principal, "role", None),
            "token_id": getattr(principal, "token_id", None),
        })

    def _counter(self, method: str, template: str, status: int) -> Counter:
        key = (method, template, str(status))
        counter = self._counters.get(key)
        if counter is None:
            if len(self._counters) >= 4096:  # methods come from clients: keep it bounded
                self._counters.clear()
            counter = self._counters[key] = self.metrics.requests.labels(*key)
        return counter
