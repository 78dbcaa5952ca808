"""The app factory: ``create_app(settings)`` builds the whole service from a settings object.

Nothing happens at import time. ``app_from_env`` is the zero-argument factory uvicorn
calls in each worker (``witness serve`` → ``uvicorn.run(..., factory=True)``). On shutdown
the lifespan disposes the database engine; uvicorn itself stops accepting connections and
lets in-flight requests finish (each append is one transaction, so nothing is half-written).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.telemetry import TelemetryConfig

from ledger.cosigning import start_cosigner
from ledger.events import Pseudonymizer
from ledger.group_commit import GroupCommitter
from ledger.home import open_log
from ledger.ingest import MAX_BATCH, Ingestor
from ledger.keys import load_secret
from ledger.runtime import tune_gc
from ledger.settings import Settings
from ledger.store.database import Database
from witness_api import ops, portal, problems
from witness_api.background import start_anchorer, start_follower
from witness_api.config import ApiSettings
from witness_api.deps import Services
from witness_api.hooks import find
from witness_api.json_guard import JsonGuard
from witness_api.limits import BodySizeLimit
from witness_api.logs import AccessLog, configure_logging
from witness_api.metrics import Metrics
from witness_api.models import Problem
from witness_api.routers import (
    chain_rpc,
    checkpoints,
    ingest,
    leads,
    meta,
    projects,
    proofs,
    receipts,
    trust,
)
from witness_api.tokens import TokenStore

DESCRIPTION = f"""The trading witness ledger (交易见证链) service.

Trading systems append events (`ingest` token); bidders fetch receipts and proofs of their
own events (`bidder` token); supervisors and regulators read project trails; checkpoints,
the log key and chain information are public. Batches hold at most {MAX_BATCH} events.
Errors are RFC 9457 problem details (`application/problem+json`) with field paths.
"""


def build_services(settings: Settings) -> Services:
    """Open the log and everything the routers need."""
    db = Database(settings.database_url)
    log = open_log(settings, db=db)
    # One writer per process: concurrent requests share transactions (ledger.group_commit).
    ingestor = Ingestor(log, Pseudonymizer(load_secret(settings.pseudonym_key_path)),
                        max_clock_skew_seconds=settings.max_clock_skew_seconds,
                        committer=GroupCommitter(log))
    services = Services(db=db, log=log, ingestor=ingestor, tokens=TokenStore(db),
                        metrics=Metrics(lambda: services.sizes()))
    readiness = find("ledger.anchoring", "readiness")
    if readiness is not None:
        services.readiness.append(lambda: readiness(settings))
    return services


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, description=app.description,
                             routes=app.routes, tags=app.openapi_tags)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema()
        app.openapi_schema = schema
    return app.openapi_schema


def create_app(settings: Settings, *, api: ApiSettings | None = None,
               certificate_login: portal.CertificateLogin | None = None) -> FastAPI:
    """A ready FastAPI app over the log in ``settings.home`` / ``settings.database_url``;
    ``certificate_login``: the deployment's certificate login for the portal (docs/portal.md)."""
    api = api or ApiSettings()
    configure_logging(api.log_level)
    services = build_services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anchorer = start_anchorer(services.log, settings, api.anchor, services.metrics)
        follower = start_follower(services.log, settings, api, services.ingestor)
        # Witnesses are asked next to the anchorer, in their own thread (ledger.cosigning).
        cosigner = start_cosigner(services.log, settings) if anchorer is not None else None
        try:
            yield
        finally:
            if cosigner is not None:
                cosigner.set()
            if follower is not None:
                follower.stop()
            if anchorer is not None:
                anchorer.stop()
            chain_rpc.chain_reader(_app).reset()
            if services.ingestor.committer is not None:
                services.ingestor.committer.close()  # queued commits finish first
            services.db.dispose()

    # /docs and /redoc are the portal's, from local assets (witness_api.portal.docs_pages).
    app = FastAPI(title="Trading witness ledger API", version="1", description=DESCRIPTION,
                  lifespan=lifespan, docs_url=None, redoc_url=None,
                  telemetry=_telemetry(api.telemetry))
    app.state.settings = settings
    app.state.api = api
    app.state.services = services
    app.state.tokens = services.tokens
    problems.install(app)
    for module in (ingest, receipts, proofs, checkpoints, projects, leads, meta, trust,
                   chain_rpc):
        app.include_router(module.router)
    app.include_router(ops.router)
    portal.install(app, home=settings.home, policy_endpoint=api.policy_endpoint,
                   certificate_login=certificate_login)
    # A middleware added later wraps those added before: the size limit runs before the
    # JSON guard (which buffers the body, so it must only see a bounded one), and both run
    # before authentication, routing and FastAPI's body parsing.
    app.add_middleware(JsonGuard)
    app.add_middleware(BodySizeLimit, max_body=api.max_body_bytes,
                       max_batch_body=api.max_batch_body_bytes)
    if api.access_log:
        app.add_middleware(AccessLog, metrics=services.metrics)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _telemetry(on: bool) -> TelemetryConfig:
    """FastAPI's native OpenTelemetry settings: all off unless asked for."""
    return {"tracing": on, "metrics": on, "logs": on, "operation_spans": on}


def app_from_env() -> FastAPI:
    """Factory for uvicorn workers: settings from ``WITNESS_*`` at call time; the worker's
    collector tuned once the app is built (``ledger.runtime``)."""
    app = create_app(Settings())
    tune_gc()
    return app
