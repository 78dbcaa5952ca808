"""The role matrix: every endpoint refuses each role that may not call it; bidders get 404.

Anonymous and bad tokens → 401; a role outside the endpoint's list → 403; a bidder asking
for another bidder's (or nobody's) event → 404, exactly as for an event that does not exist.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.events import example_event
from tests.api.conftest import ROLES, auth

WRITERS = {"ingest", "admin"}
READERS = set(ROLES)
AUDITORS = {"supervisor", "regulator", "admin"}
ADMINS = {"admin"}
PROJECT = "LN-SY-2025-0317"


def _event() -> dict[str, Any]:
    ev = example_event("DOC_ISSUED")
    ev["event_id"] = "EV-ROLE-MATRIX"
    return ev


# (method, path, json body, roles allowed); bidder-visible endpoints use the bidder's index 1.
PROTECTED: list[tuple[str, str, Any, set[str]]] = [
    ("POST", "/v1/events", _event(), WRITERS),
    ("POST", "/v1/events/batch", {"events": [_event()]}, WRITERS),
    ("GET", "/v1/receipts/1", None, READERS),
    ("GET", "/v1/events/EV-BID_SUBMITTED-0001/receipt", None, READERS),
    ("GET", "/v1/proofs/inclusion?index=1&size=3", None, READERS),
    ("GET", "/v1/proofs/consistency?from=1&to=3", None, READERS),
    ("GET", f"/v1/projects/{PROJECT}/timeline", None, AUDITORS),
    ("GET", f"/v1/projects/{PROJECT}/bundle", None, AUDITORS),
    ("GET", f"/v1/projects/{PROJECT}/audit", None, AUDITORS),
    ("POST", "/v1/checkpoints", None, ADMINS),
]
PUBLIC: list[tuple[str, str, Any]] = [
    ("GET", "/v1/checkpoints/latest", None),
    ("GET", "/v1/checkpoints/3", None),
    ("GET", "/v1/checkpoints", None),
    ("GET", "/v1/log", None),
    ("GET", "/v1/log/key", None),
    ("GET", "/v1/chain", None),
    ("POST", "/v1/verify/receipt", {"format": "witness-receipt/v1"}),
    ("POST", "/v1/verify/bundle", {"format": "x"}),
    ("GET", "/healthz", None),
    ("GET", "/readyz", None),
    ("GET", "/metrics", None),
]
REFUSALS = [(m, p, b, role) for m, p, b, allowed in PROTECTED for role in ROLES
            if role not in allowed]
ALLOWED = [(m, p, b, role) for m, p, b, allowed in PROTECTED for role in sorted(allowed)]


def _call(client: TestClient, method: str, path: str, body: Any, token: str | None) -> Any:
    return client.request(method, path, json=body, headers=auth(token))


@pytest.mark.parametrize(("method", "path", "body"), [p[:3] for p in PROTECTED],
                         ids=[f"{p[0]} {p[1]}" for p in PROTECTED])
@pytest.mark.parametrize("token", [None, "wit_not-a-real-token", "garbage"])
def test_anonymous_and_unknown_tokens_get_401(client, seeded, method, path, body, token):
    r = _call(client, method, path, body, token)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(("method", "path", "body", "role"), REFUSALS,
                         ids=[f"{r[3]}-{r[0]} {r[1]}" for r in REFUSALS])
def test_role_refused_with_403(client, tokens, seeded, method, path, body, role):
    r = _call(client, method, path, body, tokens[role])
    assert r.status_code == 403, r.text
    assert r.json()["type"].endswith(":forbidden")


@pytest.mark.parametrize(("method", "path", "body", "role"), ALLOWED,
                         ids=[f"{r[3]}-{r[0]} {r[1]}" for r in ALLOWED])
def test_role_allowed(client, tokens, seeded, method, path, body, role):
    """The role gate lets the role through; which events it then sees (200 or 404) is the
    visibility table's, tested role × endpoint × phase in test_sealing_matrix.py."""
    r = _call(client, method, path, body, tokens[role])
    assert r.status_code in (200, 201, 404), r.text
    if r.status_code == 404:
        assert path.startswith(("/v1/receipts/", "/v1/events/EV-BID")), (role, path)


@pytest.mark.parametrize(("method", "path", "body"), PUBLIC, ids=[p[1] for p in PUBLIC])
def test_public_endpoints_need_no_token(client, seeded, method, path, body):
    r = _call(client, method, path, body, None)
    assert r.status_code not in (401, 403), r.text
    assert r.status_code < 500


BIDDER_HIDDEN = [
    "/v1/receipts/0",                                  # another actor's event
    "/v1/receipts/2",
    "/v1/receipts/999",                                # does not exist at all
    "/v1/events/EV-PROJECT_REGISTERED-0001/receipt",
    "/v1/events/EV-NOPE/receipt",
    "/v1/proofs/inclusion?index=0&size=3",
    "/v1/proofs/inclusion?index=999&size=3",
]


@pytest.mark.parametrize("path", BIDDER_HIDDEN)
def test_bidder_sees_404_for_what_is_not_its_own(client, tokens, seeded, path):
    r = client.get(path, headers=auth(tokens["bidder"]))
    assert r.status_code == 404, r.text


@pytest.mark.parametrize("path", ["/v1/receipts/1", "/v1/events/EV-BID_SUBMITTED-0001/receipt",
                                  "/v1/proofs/inclusion?index=1&size=3"])
def test_other_bidder_gets_404_for_a_bidders_event(client, tokens, seeded, path):
    assert client.get(path, headers=auth(tokens["bidder"])).status_code == 200
    r = client.get(path, headers=auth(tokens["other_bidder"]))
    assert r.status_code == 404, r.text
    missing = client.get("/v1/receipts/999", headers=auth(tokens["other_bidder"]))
    assert r.json()["type"] == missing.json()["type"]  # indistinguishable from a missing one


def test_revoked_and_expired_tokens_are_refused(client, seeded):
    from datetime import timedelta

    from witness_api.tokens import Scope

    store = client.app.state.tokens
    scope = Scope(projects=(PROJECT,))
    token, info = store.create("supervisor", scope=scope)
    assert client.get("/v1/receipts/0", headers=auth(token)).status_code == 200
    store.revoke(info.token_id)
    assert client.get("/v1/receipts/0", headers=auth(token)).status_code == 401
    expired, _ = store.create("supervisor", expires_in=timedelta(seconds=-1), scope=scope)
    assert client.get("/v1/receipts/0", headers=auth(expired)).status_code == 401


def test_only_the_hash_of_a_token_is_stored(client):
    from sqlalchemy import select

    from ledger.store.schema import api_tokens

    token, _ = client.app.state.tokens.create("ingest")
    with client.app.state.services.db.read() as conn:
        rows = [tuple(r) for r in conn.execute(select(api_tokens)).all()]
    assert rows and all(token not in str(v) for row in rows for v in row)
