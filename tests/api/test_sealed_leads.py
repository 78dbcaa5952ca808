"""Rules see everything, people see what the law allows: two bidders building their bids on
one machine are flagged before the opening; the lead is sealed (its findings encrypted in the
database), goes to the project's supervising department only, and opens with the section."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from ledger.demo import generate_project
from ledger.rules.context import RuleContext
from ledger.rules.follower import RuleFollower
from ledger.rules.governance import ROUTING_ACTOR
from ledger.rules.service import RuleService
from ledger.sealing.classes import OPENING_TRIGGERS
from tests.api.conftest import auth
from witness_api.tokens import Scope

RULE = "R-CL-E-SAME-MACHINE"


@pytest.fixture
def project() -> Any:
    return generate_project(3, "works", {"same_mac"}, sections=1)


def _post(client: TestClient, token: str, events: list[dict[str, Any]]) -> None:
    for k in range(0, len(events), 500):
        r = client.post("/v1/events/batch", json={"events": events[k:k + 500]},
                        headers=auth(token))
        assert r.status_code == 200 and r.json()["rejected"] == 0, r.text


def _split(project: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    cut = next(i for i, e in enumerate(project.events) if e["type"] in OPENING_TRIGGERS)
    return project.events[:cut], project.events[cut:]


def _bidders(events: list[dict[str, Any]]) -> set[str]:
    return {str(e["payload"][k]) for e in events for k in ("bidder_org", "bidder_name")
            if e["type"] == "BID_SUBMITTED" and e["payload"].get(k)}


def test_a_sealed_lead_reaches_only_its_department_and_opens_with_the_section(
        client: TestClient, project: Any) -> None:
    services = client.app.state.services  # type: ignore[attr-defined]
    store = client.app.state.tokens  # type: ignore[attr-defined]
    dept = next(e for e in project.events
                if e["type"] == "PROJECT_REGISTERED")["payload"]["supervisory_dept"]
    ingest, admin = store.create("ingest")[0], store.create("admin")[0]
    regulator = store.create("regulator", scope=Scope(departments=(dept,)))[0]
    other_regulator = store.create("regulator", scope=Scope(departments=("别的局",)))[0]
    supervisor = store.create("supervisor", scope=Scope(projects=(project.project_id,)))[0]
    before, after = _split(project)
    _post(client, ingest, before)
    follower = RuleFollower(RuleService(services.log, RuleContext.default()))
    follower.catch_up()

    def listed(token: str) -> list[dict[str, Any]]:
        leads = client.get("/v1/leads", headers=auth(token)).json()["leads"]
        return [x for x in leads if x["project_id"] == project.project_id]

    (lead,) = [x for x in listed(regulator) if RULE in x["rule_ids"]]
    assert lead["sealed"] and lead["status"] == "transferred" and lead["department"] == dept
    detail = client.get(f"/v1/leads/{lead['lead_id']}", headers=auth(regulator)).json()
    assert detail["findings"] and detail["findings"][0]["message_zh"]
    assert listed(other_regulator) == [] and listed(supervisor) == []
    (stub,) = [x for x in listed(admin) if x["lead_id"] == lead["lead_id"]]
    assert "rule_ids" not in stub and "findings" not in stub and stub["sealed"]
    pkg = client.get(f"/v1/leads/{lead['lead_id']}/package", headers=auth(admin))
    assert pkg.status_code == 409
    # routed by the ledger itself, naming the package the department downloads
    moved = json.loads(services.log.event_bytes(lead["transferred_index"]))
    assert moved["actor"] == ROUTING_ACTOR and "by" not in moved["payload"]
    mine = client.get(f"/v1/leads/{lead['lead_id']}/package", headers=auth(regulator))
    assert mine.headers["x-content-sha256"] == moved["payload"]["package_hash"]
    assert hashlib.sha256(mine.content).hexdigest() == lead["package_hash"]
    _assert_database_names_no_bidder(services, _bidders(before))

    _post(client, ingest, after)
    follower.catch_up()
    (opened,) = [x for x in listed(supervisor) if x["lead_id"] == lead["lead_id"]]
    assert not opened["sealed"]
    again = client.get(f"/v1/leads/{lead['lead_id']}/package", headers=auth(regulator))
    assert again.content == mine.content  # the same file after the opening
    (full,) = [x for x in listed(admin) if x["lead_id"] == lead["lead_id"]]
    assert RULE in full["rule_ids"]


def _assert_database_names_no_bidder(services: Any, bidders: set[str]) -> None:
    assert bidders
    with services.db.read() as conn:
        for table in ("events", "findings", "leads"):
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")):
                text = " ".join(bytes(v).decode("utf-8", "replace")
                                if isinstance(v, bytes | memoryview) else str(v) for v in row)
                for bidder in bidders:
                    assert bidder not in text, (table, bidder)
