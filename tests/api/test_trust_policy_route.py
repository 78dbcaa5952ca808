"""``GET /v1/trust-policy``: public, the policy document itself (it loads in the verifier
unchanged), its fingerprint in a header; no endpoint unless configured; 404 while unbound."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger.anchoring import bind_chain
from ledger.core.trust import policy_fingerprint
from ledger.home import init_home, open_log
from ledger.settings import Settings
from verifier.policy import build, parse_policy
from witness_api.app import create_app
from witness_api.config import ApiSettings
from witness_api.routers.trust import FINGERPRINT_HEADER


def _client(settings: Settings, **api: str) -> TestClient:
    return TestClient(create_app(settings, api=ApiSettings(access_log=False, anchor=False,
                                                           **api)))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def bound(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    settings = Settings(home=tmp_path_factory.mktemp("trust") / "home", chain="embedded")
    init_home(settings)
    log = open_log(settings)
    bind_chain(settings, log)
    log.db.dispose()
    yield settings


def test_policy_loads_in_the_verifier_unchanged(bound: Settings) -> None:
    with _client(bound) as client:
        resp = client.get("/v1/trust-policy")
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert resp.headers[FINGERPRINT_HEADER] == policy_fingerprint(doc)
    assert doc["chain"]["endpoint"] is None and doc["chain"]["genesis_hash"]
    policy = build(key=None, base=parse_policy(doc))
    assert policy.fingerprint == resp.headers[FINGERPRINT_HEADER]
    assert policy.genesis_hash == doc["chain"]["genesis_hash"]
    assert policy.to_json() == doc


def test_configured_endpoint_keeps_the_fingerprint(bound: Settings) -> None:
    with _client(bound) as client:
        plain = client.get("/v1/trust-policy")
    with _client(bound, policy_endpoint="https://chain.example/rpc") as client:
        resp = client.get("/v1/trust-policy")
    assert resp.json()["chain"]["endpoint"] == "https://chain.example/rpc"
    assert resp.headers[FINGERPRINT_HEADER] == plain.headers[FINGERPRINT_HEADER]


def test_unbound_log_is_404_problem(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    init_home(settings)
    with _client(settings) as client:
        resp = client.get("/v1/trust-policy")
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert "not bound" in resp.json()["detail"]
