"""The services an app holds (log, ingestor, tokens, metrics) and the dependency to get them.

Built once per app by ``create_app``; routers receive them through ``get_services`` and stay
thin: parse the request, call the ledger, shape the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from ledger.home import read_log_info
from ledger.ingest import Ingestor
from ledger.log import WitnessLog
from ledger.store.database import Database
from witness_api.auth import _bearer, authenticate, require
from witness_api.metrics import Metrics
from witness_api.tokens import Principal, TokenStore

# A readiness check returns (name, ok, detail); ledger.anchoring registers its own here.
ReadinessCheck = Callable[[], tuple[str, bool, str]]


@dataclass
class Services:
    """Everything a request handler may use."""

    db: Database
    log: WitnessLog
    ingestor: Ingestor
    tokens: TokenStore
    metrics: Metrics
    readiness: list[ReadinessCheck] = field(default_factory=list)

    def vkey(self) -> str:
        return read_log_info(self.db)["vkey"]

    def sizes(self) -> tuple[int, int]:
        """(log size, latest checkpoint size) for the metrics gauges."""
        cp = self.log.latest_checkpoint()
        return self.log.size(), 0 if cp is None else cp.size


async def get_services(request: Request) -> Services:
    # A coroutine so that FastAPI does not send it to the thread pool (a hop per request).
    services: Services = request.app.state.services
    return services


def require_on_loop(*roles: str) -> Callable[..., Any]:
    """``auth.require(*roles)`` run on the event loop instead of in the thread pool.

    The same checks and answers (401, 403): it calls ``auth.authenticate`` and the role check
    of ``auth.require`` directly. Token lookups are cached per process (``TokenStore``), so
    the loop touches the database at most once per token every few seconds; the hot
    endpoints save two thread-pool round trips per request.
    """
    check = require(*roles)

    async def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008
    ) -> Principal:
        principal: Principal = check(authenticate(request, credentials))
        return principal

    dependency.__name__ = check.__name__
    return dependency
