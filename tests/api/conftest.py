"""Fixtures for the API tests: an initialised log in a temp dir, an app, a token per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.events import example_event
from ledger.home import init_home
from ledger.settings import Settings
from witness_api import create_app
from witness_api.config import ApiSettings
from witness_api.tokens import Scope

BIDDER = "91210100MA27X8Y643"  # bidder_org of the BID_SUBMITTED example
OTHER_BIDDER = "91210000MA0THE004G"
ROLES = ("ingest", "supervisor", "bidder", "regulator", "admin")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "home")
    init_home(s)
    return s


@pytest.fixture
def api_settings() -> ApiSettings:
    return ApiSettings(access_log=False, max_body_bytes=64 * 1024,
                       max_batch_body_bytes=4 * 1024 * 1024)


@pytest.fixture
def client(settings: Settings, api_settings: ApiSettings) -> Iterator[TestClient]:
    app = create_app(settings, api=api_settings)
    with TestClient(app) as c:
        yield c


EXAMPLE_PROJECT = example_event("PROJECT_REGISTERED")["project_id"]
SCOPES = {"supervisor": Scope(projects=(EXAMPLE_PROJECT,)),
          "regulator": Scope(departments=(
              example_event("PROJECT_REGISTERED")["payload"]["supervisory_dept"],))}


@pytest.fixture
def tokens(client: TestClient) -> dict[str, str]:
    """A token per role; the supervisor oversees the example project, the regulator is the
    example project's supervising department."""
    store = client.app.state.tokens  # type: ignore[attr-defined]
    out = {}
    for role in ROLES:
        out[role], _ = store.create(role, bidder_id=BIDDER if role == "bidder" else None,
                                    scope=SCOPES.get(role))
    out["other_bidder"], _ = store.create("bidder", bidder_id=OTHER_BIDDER)
    return out


def auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture
def seeded(client: TestClient, tokens: dict[str, str]) -> dict[str, Any]:
    """Index 0: PROJECT_REGISTERED (not the bidder's); 1: BID_SUBMITTED (the bidder's);
    2: ANNOUNCEMENT_PUBLISHED; then a checkpoint of size 3."""
    events = [example_event(t) for t in
              ("PROJECT_REGISTERED", "BID_SUBMITTED", "ANNOUNCEMENT_PUBLISHED")]
    r = client.post("/v1/events/batch", json={"events": events}, headers=auth(tokens["ingest"]))
    assert r.status_code == 200, r.text
    assert [i["status"] for i in r.json()["results"]] == ["created"] * 3
    r = client.post("/v1/checkpoints", headers=auth(tokens["admin"]))
    assert r.status_code == 201, r.text
    return {"events": events, "project": events[0]["project_id"]}
