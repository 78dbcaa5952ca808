"""The per-request shortcuts keep the answers: log lines, token cache, body parsed once."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Body, FastAPI, Request
from fastapi.testclient import TestClient

from ledger.events import example_event
from ledger.settings import Settings
from witness_api import create_app
from witness_api.config import ApiSettings
from witness_api.json_guard import PARSED, GuardedRoute
from witness_api.logs import JsonFormatter
from witness_api.tokens import TokenStore


def _line(**extra: object) -> dict[str, object]:
    record = logging.makeLogRecord({"msg": "请求", "levelname": "INFO", "name": "t", **extra})
    return dict(json.loads(JsonFormatter().format(record)))


def test_log_line_fields_time_and_secrets() -> None:
    entry = _line(route="/v1/项目", token="wit_secret", status=201)
    assert entry["message"] == "请求" and entry["route"] == "/v1/项目" and entry["status"] == 201
    assert "token" not in entry
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", str(entry["time"]))


def test_log_line_falls_back_for_what_orjson_refuses() -> None:
    assert _line(big=2**70)["big"] == 2**70
    assert _line(obj=object())["obj"].startswith("<object")  # type: ignore[union-attr]


def test_log_line_unicode_is_not_escaped() -> None:
    record = logging.makeLogRecord({"msg": "见证", "levelname": "INFO", "name": "t"})
    assert "见证" in JsonFormatter().format(record)


def test_token_cache_honours_revocation_and_expiry(client: TestClient) -> None:
    store: TokenStore = client.app.state.tokens  # type: ignore[attr-defined]
    token, info = store.create("ingest")
    assert store.resolve(token) is not None
    assert store.resolve(token) is not None  # cached
    store.revoke(info.token_id)  # clears this process's cache at once
    assert store.resolve(token) is None
    expired, _ = store.create("ingest", expires_in=timedelta(seconds=-1))
    assert store.resolve(expired) is None


def test_request_counter_counts_every_request(settings: Settings,
                                              tokens: dict[str, str]) -> None:
    app = create_app(settings, api=ApiSettings(access_log=True))
    with TestClient(app) as c:
        for _ in range(3):
            c.get("/v1/checkpoints/latest")
        text = c.get("/metrics", headers={"Authorization": f"Bearer {tokens['admin']}"}).text
    assert re.search(r'witness_http_requests_total\{method="GET",route="/v1/checkpoints/latest",'
                     r'status="\d+"\} 3\.0', text), text


def _echo_app(stash: object | None) -> FastAPI:
    router = APIRouter(route_class=GuardedRoute)

    @router.post("/echo")
    async def echo(body: dict[str, Any] = Body()) -> dict[str, Any]:  # noqa: B008
        return body

    app = FastAPI()
    app.include_router(router)

    @app.middleware("http")
    async def stash_value(request: Request, call_next: Any) -> Any:
        if stash is not None:
            request.scope[PARSED] = stash
        return await call_next(request)

    return app


def test_guarded_route_takes_the_guards_value() -> None:
    with TestClient(_echo_app({"from": "guard"})) as c:
        assert c.post("/echo", json={"from": "body"}).json() == {"from": "guard"}
    with TestClient(_echo_app(None)) as c:  # nothing kept: FastAPI parses the body
        assert c.post("/echo", json={"from": "body"}).json() == {"from": "body"}


def test_ingest_refuses_duplicate_names_first(client: TestClient,
                                              tokens: dict[str, str]) -> None:
    h = {"Authorization": f"Bearer {tokens['ingest']}", "content-type": "application/json"}
    ev = example_event("DOC_ISSUED")
    assert client.post("/v1/events", content=json.dumps(ev), headers=h).status_code == 201
    r = client.post("/v1/events", content=b'{"event_id": "a", "event_id": "b"}', headers=h)
    assert r.status_code == 400 and "duplicate" in r.text
