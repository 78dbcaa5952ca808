"""The services an app holds (log, ingestor, tokens, metrics) and the dependency to get them.

Built once per app by ``create_app``; routers receive them through ``get_services`` and stay
thin: parse the request, call the ledger, shape the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request

from ledger.home import read_log_info
from ledger.ingest import Ingestor
from ledger.log import WitnessLog
from ledger.store.database import Database
from witness_api.metrics import Metrics
from witness_api.tokens import TokenStore

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


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services
