"""Every page for every role: 200, 303 to the login page, 403, or 404 — and a bidder sees
only its own events, a supervisor or regulator only its own projects, on every page."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.portal.conftest import World

VISITORS = ("anonymous", "bidder", "supervisor", "regulator", "admin")
# page → roles admitted (empty: public)
PAGES: dict[str, tuple[str, ...]] = {
    "/": (), "/verify": (), "/login": (), "/docs": (), "/redoc": (),
    "/me": ("bidder",),
    "/me/receipts/{bid}": ("bidder",),
    "/me/receipts/{bid}.json": ("bidder",),
    "/projects": ("supervisor", "regulator", "admin"),
    "/projects/{project}": ("supervisor", "regulator", "admin"),
    "/projects/{project}/report": ("supervisor", "regulator", "admin"),
    "/leads": ("regulator", "admin"),
    "/leads/{lead}": ("regulator", "admin"),
    "/leads/{lead}/letter": ("regulator", "admin"),
    "/ops": ("admin",),
}


def _path(template: str, world: World) -> str:
    return template.format(bid=world.bids["A"], project=world.projects["A"],
                           lead=world.leads["A"])


HOMES = {"bidder": "/me", "supervisor": "/projects", "regulator": "/leads", "admin": "/ops"}


def _expected(roles: tuple[str, ...], visitor: str, template: str) -> int:
    if template == "/login" and visitor != "anonymous":
        return 303  # already logged in: on to the role's home
    if not roles:
        return 200
    if visitor == "anonymous":
        return 303
    return 200 if visitor in roles else 403


@pytest.mark.parametrize("visitor", VISITORS)
def test_every_page_for_every_role(visitor: str, portal_world: World, portal_client: TestClient,
                                   as_role: Callable[[str], TestClient]) -> None:
    client = portal_client if visitor == "anonymous" else as_role(visitor)
    got, want = {}, {}
    for template, roles in PAGES.items():
        path = _path(template, portal_world)
        answer = client.get(path)
        got[template], want[template] = (answer.status_code,
                                         _expected(roles, visitor, template))
        if answer.status_code == 303:
            assert answer.headers["location"] == HOMES.get(
                visitor, f"/login?next={quote(path, safe='')}")
        if answer.status_code == 403:
            assert answer.headers["content-type"].startswith("text/html")
            assert 'id="logout-form"' in answer.text and 'lang="zh-CN"' in answer.text
    assert got == want


def test_a_bidder_sees_only_its_own_events(portal_world: World,
                                           as_role: Callable[[str], TestClient]) -> None:
    mine, theirs = portal_world.bids["A"], portal_world.bids["A2"]
    bidder, other = as_role("bidder"), as_role("other_bidder")
    listed = bidder.get("/me").text
    assert f'data-index="{mine}"' in listed and f'data-index="{theirs}"' not in listed
    for path in (f"/me/receipts/{theirs}", f"/me/receipts/{theirs}.json",
                 "/me/receipts/999999", f"/me/receipts/{portal_world.bids['example']}"):
        answer = bidder.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html")
    assert other.get(f"/me/receipts/{mine}").status_code == 404
    assert other.get(f"/me/receipts/{theirs}").status_code == 200


def test_a_bidder_sees_its_own_sealed_bid_and_nobody_else_does(
        portal_world: World, as_role: Callable[[str], TestClient]) -> None:
    sealed = portal_world.bids["example"]  # its section is not opened
    owner = as_role("example_bidder")
    assert f'data-index="{sealed}"' in owner.get("/me").text
    receipt = owner.get(f"/me/receipts/{sealed}.json")
    assert receipt.status_code == 200 and receipt.json()["index"] == sealed
    assert f'data-index="{sealed}"' not in as_role("bidder").get("/me").text
    admin = as_role("admin").get("/projects/LN-SY-2025-0317").text
    assert f'data-index="{sealed}"' not in admin
    assert 'id="sealed-note"' in admin


def test_projects_outside_the_scope_are_404(portal_world: World,
                                            as_role: Callable[[str], TestClient]) -> None:
    a, b = portal_world.projects["A"], portal_world.projects["B"]
    supervisor, regulator = as_role("supervisor"), as_role("regulator")
    for client in (supervisor, regulator):
        for path in (f"/projects/{b}", f"/projects/{b}/report", "/projects/LN-NO-SUCH-0000"):
            assert client.get(path).status_code == 404, path
    listed = supervisor.get("/projects").text
    assert a in listed and b not in listed
    assert b in as_role("admin").get(f"/projects?q={b}").text
    assert as_role("admin").get(f"/projects/{b}").status_code == 200


def test_leads_outside_the_department_are_404(portal_world: World,
                                              as_role: Callable[[str], TestClient]) -> None:
    regulator, other = as_role("regulator"), as_role("other_regulator")
    inbox = regulator.get("/leads").text
    assert portal_world.leads["A"] in inbox and portal_world.leads["B"] not in inbox
    for path in (f"/leads/{portal_world.leads['B']}", f"/leads/{portal_world.leads['B']}/letter",
                 "/leads/L-000000000000000000000000"):
        assert regulator.get(path).status_code == 404, path
    assert other.get(f"/leads/{portal_world.leads['A']}").status_code == 404
    assert portal_world.leads["B"] in as_role("admin").get("/leads").text


def test_a_supervisor_sees_the_projects_leads_without_the_lead_pages(
        portal_world: World, as_role: Callable[[str], TestClient]) -> None:
    page = as_role("supervisor").get(f"/projects/{portal_world.projects['A']}").text
    assert portal_world.leads["A"] in page
    assert f'href="/leads/{portal_world.leads["A"]}"' not in page
    assert f'href="/leads/{portal_world.leads["A"]}"' in as_role("regulator").get(
        f"/projects/{portal_world.projects['A']}").text


def test_an_unknown_page_is_not_a_page_error(portal_client: TestClient) -> None:
    assert portal_client.get("/no-such-page").status_code == 404
