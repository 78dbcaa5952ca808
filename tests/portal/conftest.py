"""Fixtures of the portal's page tests: one small real ledger per session, served in-process.

``portal_world`` (session): an initialised home bound to the embedded EVM chain; three
generated Liaoning projects posted as a trading system would (A: the supervisor's and the
regulator's; B: outside both scopes; C: the regulator's department too), each with a
planted late contract that the rule engine turns into a lead; checkpoints anchored on the
chain; A's and C's leads transferred to the regulator's department, B's elsewhere; the
example project's sealed bid (still before its opening) and one last event not yet in any
checkpoint. A token per role. ``portal_client`` gives each test a fresh TestClient (its own
cookie jar) on that app; ``login`` logs it in through the form, as a browser does.
The browser tests (tests/portal/browser) have fixtures of their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ledger.anchoring import bind_chain
from ledger.anchoring.anchorer import Anchorer
from ledger.anchoring.binding import anchorer_account, open_bound_chain
from ledger.anchoring.signer import load_checkpoint_key
from ledger.demo import generate_project
from ledger.events import example_event
from ledger.home import init_home
from ledger.rules.context import RuleContext
from ledger.rules.service import RuleService
from ledger.settings import Settings
from witness_api import create_app
from witness_api.config import ApiSettings
from witness_api.tokens import Scope

EXAMPLE_BIDDER = "91210100MA27X8Y643"  # bidder_org of the BID_SUBMITTED example
LATE_CONTRACT = "R-TB-46-CONTRACT-30D"  # the rule the planted late contract breaks
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class World:
    """The ledger the page tests read, and what they need to know about it."""

    app: FastAPI
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)
    token_ids: dict[str, str] = field(default_factory=dict)
    projects: dict[str, str] = field(default_factory=dict)  # "A", "B", "C" → project id
    leads: dict[str, str] = field(default_factory=dict)  # "A", "B", "C" → lead id
    departments: dict[str, str] = field(default_factory=dict)
    bids: dict[str, int] = field(default_factory=dict)  # bidder A / A2's bid, example bid
    bidders: dict[str, str] = field(default_factory=dict)
    last_index: int = -1  # an event in no checkpoint yet


def _post(client: TestClient, token: str, events: list[dict[str, Any]]) -> list[int]:
    r = client.post("/v1/events/batch", json={"events": events},
                    headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert all(i["status"] == "created" for i in results), results
    return [int(i["index"]) for i in results]


def _anchor(world: World) -> None:
    log = world.app.state.services.log
    chain, binding = open_bound_chain(world.settings, log)
    try:
        acct = anchorer_account(world.settings, create=False)
        anchorer = Anchorer(log, chain, binding, acct,
                            checkpoint_key=load_checkpoint_key(world.settings.home))
        assert anchorer.anchor_once().action == "anchored"
    finally:
        chain.close()


def _projects(world: World) -> list[list[dict[str, Any]]]:
    made = [generate_project(seed, "works", {"late_contract"}, sections=1, bidders=3)
            for seed in (2, 3, 5)]
    regs = [next(e for e in p.events if e["type"] == "PROJECT_REGISTERED") for p in made]
    regs[2]["payload"]["supervisory_dept"] = regs[0]["payload"]["supervisory_dept"]
    for name, p, reg in zip("ABC", made, regs, strict=True):
        world.projects[name] = p.project_id
        world.departments[name] = reg["payload"]["supervisory_dept"]
    bids = [e for e in made[0].events if e["type"] == "BID_SUBMITTED"]
    world.bidders = {"A": bids[0]["payload"]["bidder_org"], "A2": bids[1]["payload"]["bidder_org"]}
    return [p.events for p in made]


def _tokens(world: World) -> None:
    store = world.app.state.tokens
    a, b = world.projects["A"], world.projects["B"]
    specs: dict[str, dict[str, Any]] = {
        "ingest": {}, "admin": {"label": "ops-wang"},
        "supervisor": {"scope": Scope(projects=(a,))},
        "regulator": {"scope": Scope(departments=(world.departments["A"],)), "label": "监管-李"},
        "other_supervisor": {"scope": Scope(projects=(b,))},
        "other_regulator": {"scope": Scope(departments=("别的局",))},
        "bidder": {"bidder_id": world.bidders["A"]},
        "other_bidder": {"bidder_id": world.bidders["A2"]},
        "example_bidder": {"bidder_id": EXAMPLE_BIDDER},
    }
    for name, spec in specs.items():
        role = name.split("_")[-1] if name.startswith(("other_", "example_")) else name
        world.tokens[name], info = store.create(role, **spec)
        world.token_ids[name] = info.token_id


def _raise_and_transfer(world: World, client: TestClient) -> None:
    svc = RuleService(world.app.state.services.log, RuleContext.default())
    for name in "ABC":
        svc.run_project(world.projects[name])
        found = [x for x in svc.leads(world.projects[name]) if LATE_CONTRACT in x["rule_ids"]]
        assert len(found) == 1, svc.leads(world.projects[name])
        world.leads[name] = found[0]["lead_id"]
    admin = {"Authorization": f"Bearer {world.tokens['admin']}"}
    assert client.post("/v1/checkpoints", headers=admin).status_code == 201
    _anchor(world)
    for name, dept in (("A", world.departments["A"]), ("B", "别的局"),
                       ("C", world.departments["A"])):
        r = client.post(f"/v1/leads/{world.leads[name]}/transfer", json={"department": dept},
                        headers=admin)
        assert r.status_code == 200, r.text


def _build(world: World, client: TestClient) -> None:
    events = _projects(world)
    _tokens(world)
    ingest = world.tokens["ingest"]
    indexes = [_post(client, ingest, batch) for batch in events]
    bid_positions = [n for n, e in enumerate(events[0]) if e["type"] == "BID_SUBMITTED"]
    world.bids["A"], world.bids["A2"] = (indexes[0][bid_positions[0]],
                                         indexes[0][bid_positions[1]])
    example = [example_event(t) for t in ("PROJECT_REGISTERED", "BID_SUBMITTED")]
    world.bids["example"] = _post(client, ingest, example)[1]
    _raise_and_transfer(world, client)
    admin = {"Authorization": f"Bearer {world.tokens['admin']}"}
    assert client.post("/v1/checkpoints", headers=admin).status_code == 201
    _anchor(world)
    world.last_index = _post(client, ingest, [example_event("ANNOUNCEMENT_PUBLISHED")])[0]


@pytest.fixture(scope="session")
def portal_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home: Path = tmp_path_factory.mktemp("portal-pages") / "home"
    settings = Settings(home=home, chain="embedded")
    init_home(settings)
    app = create_app(settings, api=ApiSettings(access_log=False, anchor=False))
    bind_chain(settings, app.state.services.log)
    world = World(app=app, settings=settings)
    with TestClient(app) as client:
        _build(world, client)
        yield world


def fresh_client(world: World, **options: Any) -> TestClient:
    """A client with its own cookie jar, not following redirects. Not entered as a context:
    the app's lifespan runs once, in ``portal_world``."""
    return TestClient(world.app, follow_redirects=False, **options)


@pytest.fixture
def portal_client(portal_world: World) -> Iterator[TestClient]:
    client = fresh_client(portal_world)
    yield client
    client.close()


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "no csrf field on the page"
    return found.group(1)


def login(client: TestClient, token: str, next_path: str = "") -> Any:
    """Log in through the form; the answer of POST /login (303 on success)."""
    form = client.get("/login")
    assert form.status_code == 200, form.text
    return client.post("/login", data={"token": token, "csrf": csrf_of(form.text),
                                       "next": next_path})


@pytest.fixture
def as_role(portal_world: World) -> Iterator[Any]:
    """``as_role("regulator")``: a fresh client logged in with that token."""
    clients: list[TestClient] = []

    def make(name: str) -> TestClient:
        client = fresh_client(portal_world)
        clients.append(client)
        answer = login(client, portal_world.tokens[name])
        assert answer.status_code == 303, answer.text
        return client

    yield make
    for client in clients:
        client.close()
