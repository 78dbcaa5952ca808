"""The regulator's lead endpoints: list (filters), fetch, export the signed package,
acknowledge, transfer (移送, appends LEAD_TRANSFERRED); the role matrix of those endpoints;
the governance events (LEAD_TRANSFERRED names the package hash and the person,
LEAD_ACKNOWLEDGED once with the token's label; the package is byte-identical from the API and
the CLI, before and after later events and a later anchor); and the elected rule follower of
the app's lifespan raising a lead on its own. Leads on sealed records:
tests/api/test_sealing_matrix.py and tests/api/test_sealed_leads.py."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from ledger.core.note import open_note
from ledger.core.receipt import Receipt
from ledger.demo import generate_project
from ledger.rules.context import RuleContext
from ledger.rules.package import package_digest, signature_body
from ledger.rules.service import RuleService
from ledger.store.schema import events as events_table
from tests.api.conftest import BIDDER, OTHER_BIDDER, ROLES, auth
from verifier import check_bundle
from verifier.policy import build
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


PROJECT = generate_project(2, "works", {"late_contract"})
DEPT = next(e["payload"]["supervisory_dept"] for e in PROJECT.events
            if e["type"] == "PROJECT_REGISTERED")  # the generated project's supervisor


@pytest.fixture
def tokens(client: TestClient) -> dict[str, str]:
    """A token per role; the supervisor oversees the generated project, the regulator is its
    supervising department."""
    store = client.app.state.tokens  # type: ignore[attr-defined]
    project = PROJECT.project_id
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
    assert r.json()["acknowledged_index"] > first["index"]
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
    # settings are read when built: these two come from the variables just set
    api = type(api_settings)(**api_settings.model_dump(exclude={"rules", "rules_poll_seconds"}))
    with TestClient(create_app(settings, api=api)) as c:
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


def log_of(client: TestClient) -> Any:
    return client.app.state.services.log  # type: ignore[attr-defined]


def _event(client: TestClient, index: int) -> dict[str, Any]:
    """The witnessed envelope at ``index``, as the log holds it."""
    log = client.app.state.services.log  # type: ignore[attr-defined]
    env: dict[str, Any] = json.loads(log.event_bytes(index))
    return env


def test_transfer_records_the_package_hash_and_the_person(
        client: TestClient, tokens: dict[str, str], raised: dict[str, Any]) -> None:
    store = client.app.state.tokens  # type: ignore[attr-defined]
    clerk, _ = store.create("admin", label="移送经办 张三")
    lid = raised["lead_id"]
    r = client.post(f"/v1/leads/{lid}/transfer", json={"department": DEPT}, headers=auth(clerk))
    assert r.status_code == 200, r.text
    env = _event(client, r.json()["index"])
    assert env["type"] == "LEAD_TRANSFERRED" and env["event_id"] == f"{lid}:transferred"
    assert env["payload"]["by"] == "移送经办 张三" and env["actor"]["role"] == "center_staff"
    assert env["actor"]["id"].startswith("person:")  # the name is not an actor id
    assert env["payload"]["regulator"] == DEPT
    pkg = client.get(f"/v1/leads/{lid}/package", headers=auth(tokens["regulator"]))
    digest = hashlib.sha256(pkg.content).hexdigest()
    assert env["payload"]["package_hash"] == r.json()["package_hash"] == digest
    assert pkg.headers["x-content-sha256"] == digest
    got = client.get(f"/v1/leads/{lid}", headers=auth(tokens["regulator"])).json()
    assert got["package_hash"] == digest
    assert f"{lid}:transferred" not in pkg.text  # a package cannot carry its own transfer
    # what docs/api.md shows: the department fetches the transfer's receipt and checks both
    receipt = client.get(f"/v1/receipts/{r.json()['index']}", headers=auth(tokens["regulator"]))
    assert receipt.status_code == 200, receipt.text
    policy = build(key=log_of(client).signer.verifier.vkey(), origin=log_of(client).origin)
    report = check_bundle(pkg.content, policy, None, [Receipt.loads(receipt.content)])
    assert report.exit_code == 0, report.to_text()
    assert report.subject["lead"]["governance"][0]["by"] == "移送经办 张三"


def test_acknowledge_is_witnessed_once_and_only_after_the_transfer(
        client: TestClient, tokens: dict[str, str], raised: dict[str, Any]) -> None:
    store = client.app.state.tokens  # type: ignore[attr-defined]
    regulator, _ = store.create("regulator", label="sy-zjj-li", scope=Scope(departments=(DEPT,)))
    lid = raised["lead_id"]
    early = client.post(f"/v1/leads/{lid}/acknowledge", headers=auth(tokens["admin"]))
    assert early.status_code == 409 and "not been transferred" in early.json()["detail"]
    assert early.headers["content-type"].startswith("application/problem+json")
    moved = client.post(f"/v1/leads/{lid}/transfer", json={"department": DEPT},
                        headers=auth(tokens["admin"])).json()
    first = client.post(f"/v1/leads/{lid}/acknowledge", headers=auth(regulator))
    again = client.post(f"/v1/leads/{lid}/acknowledge", headers=auth(regulator))
    assert first.status_code == again.status_code == 200, first.text
    index = first.json()["acknowledged_index"]
    assert again.json()["acknowledged_index"] == index
    log = client.app.state.services.log  # type: ignore[attr-defined]
    with log.db.read() as conn:
        acks = conn.execute(sa.select(sa.func.count()).select_from(events_table)
                            .where(events_table.c.event_type == "LEAD_ACKNOWLEDGED")).scalar()
    assert acks == 1
    env = _event(client, index)
    assert env["event_id"] == f"{lid}:acknowledged"
    assert env["actor"] == {"id": "sy-zjj-li", "role": "regulator"}
    assert env["payload"]["by"] == "sy-zjj-li" and env["payload"]["regulator"] == DEPT
    assert env["payload"]["package_hash"] == moved["package_hash"]
    assert env["payload"]["transferred_index"] == moved["index"]


def test_package_is_the_same_file_from_the_api_and_the_cli_before_and_after_an_anchor(
        tmp_path: Path, api_settings: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Against the embedded chain: the package downloaded and exported, then again after
    other projects' events, a checkpoint and an anchor: one file, the one transferred."""
    from ledger.anchoring import bind_chain
    from ledger.anchoring.anchorer import Anchorer
    from ledger.anchoring.binding import anchorer_account, open_bound_chain
    from ledger.anchoring.signer import load_checkpoint_key
    from ledger.cli.app import main as witness
    from ledger.home import init_home, open_log
    from ledger.settings import Settings
    from witness_api import create_app

    settings = Settings(home=tmp_path / "home", chain="embedded")
    init_home(settings)
    log = open_log(settings)
    bind_chain(settings, log)

    def anchor() -> None:
        chain, binding = open_bound_chain(settings, log)
        try:
            acct = anchorer_account(settings, create=False)
            anchorer = Anchorer(log, chain, binding, acct,
                                checkpoint_key=load_checkpoint_key(settings.home))
            assert anchorer.anchor_once().action == "anchored"
        finally:
            chain.close()

    def cli_export(name: str) -> bytes:
        out = tmp_path / name
        witness(["--home", str(settings.home), "lead", "export", lid, "-o", str(out)])
        assert "lead package" in capsys.readouterr().out  # exits only on an error
        return out.read_bytes()

    with TestClient(create_app(settings, api=api_settings)) as c:
        store = c.app.state.tokens  # type: ignore[attr-defined]
        ingest, admin = store.create("ingest")[0], store.create("admin", label="ops-wang")[0]
        regulator = store.create("regulator", scope=Scope(departments=(DEPT,)))[0]
        p = generate_project(2, "works", {"late_contract"})
        _post_project(c, ingest, p.events)
        svc = RuleService(c.app.state.services.log, RuleContext.default())  # type: ignore[attr-defined]
        svc.run_project(p.project_id)
        lid = next(x["lead_id"] for x in svc.leads(p.project_id) if RULE in x["rule_ids"])
        moved = c.post(f"/v1/leads/{lid}/transfer", json={"department": DEPT},
                       headers=auth(admin)).json()  # no checkpoint yet: the transfer seals one
        before = c.get(f"/v1/leads/{lid}/package", headers=auth(regulator)).content
        assert cli_export("before.json") == before
        _post_project(c, ingest, generate_project(3, "goods").events)
        c.post(f"/v1/leads/{lid}/acknowledge", headers=auth(regulator))
    anchor()  # the app holds the embedded chain while it runs
    with TestClient(create_app(settings, api=api_settings)) as c:
        after = c.get(f"/v1/leads/{lid}/package", headers=auth(regulator))
    assert after.content == before == cli_export("after.json")
    assert after.headers["x-content-sha256"] == moved["package_hash"]
    assert json.loads(before)["checkpoints"][0]["anchor"] is None
    assert log.anchor_for(log.latest_checkpoint().size) is not None  # type: ignore[union-attr]
    log.db.dispose()
