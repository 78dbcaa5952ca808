"""The regulator's lead endpoints: list (filters), fetch, export the signed package,
acknowledge, transfer (移送, appends LEAD_TRANSFERRED); the role matrix of those endpoints;
and the elected rule follower of the app's lifespan raising a lead on its own. Leads on
sealed records: tests/api/test_sealing_matrix.py."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.core.note import open_note
from ledger.demo import generate_project
from ledger.rules.context import RuleContext
from ledger.rules.package import package_digest, signature_body
from ledger.rules.service import RuleService
from tests.api.conftest import BIDDER, OTHER_BIDDER, ROLES, auth
from witness_api.tokens import Scope

RULE = "R-TB-46-CONTRACT-30D"
READERS = {"supervisor", "regulator", "admin"}
HANDLERS = {"regulator", "admin"}
TRANSFERRERS = {"admin"}


@pytest.fixture(autouse=True)
def _no_background_follower(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests raise leads themselves (deterministic); one test turns the follower on."""
    monkeypatch.delenv("WITNESS_API_RULES", raising=False)


def _post_project(client: TestClient, token: str, events: list[dict[str, Any]]) -> None:
    for k in range(0, len(events), 500):
        r = client.post("/v1/events/batch", json={"events": events[k:k + 500]},
                        headers=auth(token))
        assert r.status_code == 200, r.text
        assert all(i["status"] == "created" for i in r.json()["results"])


DEPT = "浙江省住房和城乡建设厅"  # the supervising department of the generated project


@pytest.fixture
def tokens(client: TestClient) -> dict[str, str]:
    """A token per role; the supervisor oversees the generated project, the regulator is its
    supervising department."""
    store = client.app.state.tokens  # type: ignore[attr-defined]
    project = generate_project(2, "works", {"late_contract"}).project_id
    scopes = {"supervisor": Scope(projects=(project,)), "regulator": Scope(departments=(DEPT,))}
    out = {role: store.create(role, bidder_id=BIDDER if role == "bidder" else None,
                              scope=scopes.get(role))[0] for role in ROLES}
    out["other_bidder"], _ = store.create("bidder", bidder_id=OTHER_BIDDER)
    out["other_regulator"], _ = store.create("regulator", scope=Scope(departments=("别的局",)))
    return out


@pytest.fixture
def raised(client: TestClient, tokens: dict[str, str]) -> dict[str, Any]:
    """A planted late contract, evaluated, with a checkpoint covering its LEAD_RAISED."""
    p = generate_project(2, "works", {"late_contract"})
    _post_project(client, tokens["ingest"], p.events)
    svc = RuleService(client.app.state.services.log, RuleContext.default())  # type: ignore[attr-defined]
    svc.run_project(p.project_id)
    found = [x for x in svc.leads(p.project_id) if RULE in x["rule_ids"]]
    assert len(found) == 1
    r = client.post("/v1/checkpoints", headers=auth(tokens["admin"]))
    assert r.status_code == 201, r.text
    return {**found[0], "project": p.project_id}


@pytest.fixture
def lead(client: TestClient, tokens: dict[str, str], raised: dict[str, Any]) -> dict[str, Any]:
    """The raised lead, transferred to the regulator's department."""
    r = client.post(f"/v1/leads/{raised['lead_id']}/transfer", json={"department": DEPT},
                    headers=auth(tokens["admin"]))
    assert r.status_code == 200, r.text
    assert client.post("/v1/checkpoints", headers=auth(tokens["admin"])).status_code == 201
    return {**raised, "transferred_index": r.json()["index"]}


def _endpoints(lid: str) -> list[tuple[str, str, Any, set[str]]]:
    return [
        ("GET", "/v1/leads", None, READERS),
        ("GET", f"/v1/leads/{lid}", None, READERS),
        ("GET", f"/v1/leads/{lid}/package", None, HANDLERS),
        ("POST", f"/v1/leads/{lid}/acknowledge", None, HANDLERS),
        ("POST", f"/v1/leads/{lid}/transfer", {"department": DEPT}, TRANSFERRERS),
    ]


ENDPOINT_IDS = ["list", "fetch", "package", "acknowledge", "transfer"]


@pytest.mark.parametrize("which", range(5), ids=ENDPOINT_IDS)
@pytest.mark.parametrize("role", [*ROLES, "other_bidder", None])
def test_role_matrix(client: TestClient, tokens: dict[str, str], lead: dict[str, Any],
                     which: int, role: str | None) -> None:
    method, path, body, allowed = _endpoints(lead["lead_id"])[which]
    r = client.request(method, path, json=body, headers=auth(tokens[role] if role else None))
    if role is None:
        assert r.status_code == 401, r.text
    elif role in allowed:
        assert r.status_code == 200, r.text
    else:  # bidders included: a lead is nobody's own event, as for the project endpoints
        assert r.status_code == 403, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"].endswith(":forbidden")


def test_list_and_filters(client: TestClient, tokens: dict[str, str],
                          lead: dict[str, Any]) -> None:
    h = auth(tokens["regulator"])
    listed = client.get("/v1/leads", headers=h).json()["leads"]
    assert lead["lead_id"] in {x["lead_id"] for x in listed}
    one = client.get("/v1/leads", params={"project": lead["project"]}, headers=h).json()
    assert {x["project_id"] for x in one["leads"]} == {lead["project"]}
    assert client.get("/v1/leads", params={"project": "NOPE"}, headers=h).json()["leads"] == []
    assert client.get("/v1/leads", params={"since": "2999-01-01"},
                      headers=h).json()["leads"] == []
    assert client.get("/v1/leads", params={"status": "raised"},
                      headers=h).json()["leads"] == []
    r = client.get("/v1/leads", params={"status": "bogus"}, headers=h)
    assert r.status_code == 422


def test_a_regulator_sees_only_what_was_transferred_to_it(
        client: TestClient, tokens: dict[str, str], raised: dict[str, Any]) -> None:
    lid = raised["lead_id"]
    for token in ("regulator", "other_regulator"):  # raised, not transferred: nobody's yet
        assert client.get("/v1/leads", headers=auth(tokens[token])).json()["leads"] == []
        assert client.get(f"/v1/leads/{lid}", headers=auth(tokens[token])).status_code == 404
    client.post(f"/v1/leads/{lid}/transfer", json={"department": DEPT},
                headers=auth(tokens["admin"]))
    assert client.get(f"/v1/leads/{lid}", headers=auth(tokens["regulator"])).status_code == 200
    other = auth(tokens["other_regulator"])
    assert client.get(f"/v1/leads/{lid}", headers=other).status_code == 404
    assert client.get(f"/v1/leads/{lid}/package", headers=other).status_code == 404
    assert client.post(f"/v1/leads/{lid}/acknowledge", headers=other).status_code == 404


def test_fetch_shows_findings_with_evidence(client: TestClient, tokens: dict[str, str],
                                            lead: dict[str, Any]) -> None:
    r = client.get(f"/v1/leads/{lead['lead_id']}", headers=auth(tokens["supervisor"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "transferred" and body["raised_index"] == lead["raised_index"]
    (finding,) = [f for f in body["findings"] if f["rule_id"] == RULE]
    assert finding["evidence"] and all(len(e) == 2 for e in finding["evidence"])
    assert finding["message_zh"] and finding["message_en"]
    missing = client.get("/v1/leads/L-nope", headers=auth(tokens["regulator"]))
    assert missing.status_code == 404
    assert missing.json()["type"].endswith(":not-found")


def test_package_download_is_signed(client: TestClient, tokens: dict[str, str],
                                    lead: dict[str, Any]) -> None:
    r = client.get(f"/v1/leads/{lead['lead_id']}/package", headers=auth(tokens["regulator"]))
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    assert r.headers["x-content-sha256"] == hashlib.sha256(r.content).hexdigest()
    pkg = json.loads(r.content)
    assert pkg["kind"] == "lead" and pkg["lead"]["lead_id"] == lead["lead_id"]
    log = client.app.state.services.log  # type: ignore[attr-defined]
    signed = open_note(pkg["signature"], [log.signer.verifier])
    assert signed == signature_body(log.origin, lead["lead_id"], package_digest(pkg))
    assert lead["raised_index"] in {e["index"] for e in pkg["events"]}


def test_package_before_a_checkpoint_is_a_conflict(client: TestClient,
                                                   tokens: dict[str, str]) -> None:
    p = generate_project(5, "works", {"short_deadline"})
    _post_project(client, tokens["ingest"], p.events)
    svc = RuleService(client.app.state.services.log, RuleContext.default())  # type: ignore[attr-defined]
    svc.run_project(p.project_id)
    lid = svc.leads(p.project_id)[0]["lead_id"]
    r = client.get(f"/v1/leads/{lid}/package", headers=auth(tokens["admin"]))
    assert r.status_code == 409, r.text
    assert r.json()["type"].endswith(":lead-not-exportable")


def test_transfer_then_acknowledge(client: TestClient, tokens: dict[str, str],
                                   raised: dict[str, Any]) -> None:
    lid = raised["lead_id"]
    dept = {"department": DEPT}
    r = client.post(f"/v1/leads/{lid}/transfer", json=dept, headers=auth(tokens["admin"]))
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["status"] == "transferred" and first["department"] == dept["department"]
    again = client.post(f"/v1/leads/{lid}/transfer", json=dept, headers=auth(tokens["admin"]))
    assert again.json()["index"] == first["index"]  # LEAD_TRANSFERRED appended once
    elsewhere = client.post(f"/v1/leads/{lid}/transfer", json={"department": "别的局"},
                            headers=auth(tokens["admin"]))
    assert elsewhere.status_code == 409 and DEPT in elsewhere.json()["detail"]
    receipt = client.get(f"/v1/receipts/{first['index']}", headers=auth(tokens["admin"]))
    assert receipt.status_code == 200
    listed = client.get("/v1/leads", params={"status": "transferred"},
                        headers=auth(tokens["regulator"])).json()["leads"]
    assert [x["lead_id"] for x in listed] == [lid]
    r = client.post(f"/v1/leads/{lid}/acknowledge", headers=auth(tokens["regulator"]))
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    for bad in ({}, {"department": ""}, {"department": "x", "extra": 1}):
        r = client.post(f"/v1/leads/{lid}/transfer", json=bad, headers=auth(tokens["admin"]))
        assert r.status_code == 422, r.text
    r = client.post("/v1/leads/L-nope/transfer", json=dept, headers=auth(tokens["admin"]))
    assert r.status_code == 404


def test_follower_in_the_lifespan_raises_leads(monkeypatch: pytest.MonkeyPatch,
                                               settings: Any, api_settings: Any) -> None:
    from witness_api import create_app

    monkeypatch.setenv("WITNESS_API_RULES", "1")
    monkeypatch.setenv("WITNESS_API_RULES_POLL_SECONDS", "0.1")
    with TestClient(create_app(settings, api=api_settings)) as c:
        store = c.app.state.tokens  # type: ignore[attr-defined]
        ingest, _ = store.create("ingest")
        regulator, _ = store.create("admin")  # the lead is raised, not yet transferred
        p = generate_project(6, "works", {"late_bid"})
        _post_project(c, ingest, p.events)
        deadline = time.monotonic() + 15
        found: list[dict[str, Any]] = []
        while time.monotonic() < deadline and not found:
            found = [x for x in c.get("/v1/leads", params={"project": p.project_id},
                                      headers=auth(regulator)).json()["leads"]
                     if "R-TB-28-LATE-BID" in x["rule_ids"]]
            time.sleep(0.1)
        assert found, "the follower did not raise the planted lead"
    assert (settings.home / "rules.lock").exists()


def test_follower_is_off_unless_asked(client: TestClient, tokens: dict[str, str]) -> None:
    from witness_api.background import start_follower

    services = client.app.state.services  # type: ignore[attr-defined]
    assert start_follower(services.log, client.app.state.settings) is None  # type: ignore[attr-defined]
