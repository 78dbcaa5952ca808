"""Every page for every role, in the browser: allowed, sent to the login page, 403 or 404.

The page table is the one the screenshots use (scripts/portal_shots.PAGES): a public page
opens for everyone; a role page sends a visitor without a session to /login?next=<path> (303)
and answers a logged-in role it is not for with 403; an object outside the caller's view is
a 404, as in the API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from scripts.portal_shots import PAGES, Page
from tests.portal.browser.helpers import outcome
from tests.portal.browser.server import Portal

VISITORS = ("anonymous", "bidder", "supervisor", "regulator", "admin")


def fill(path: str, portal: Portal) -> str:
    return path.format(receipt_index=portal.bid_index, project_id=portal.project_id,
                       lead_id=portal.lead_id)


def expected(spec: Page, visitor: str) -> str:
    if not spec.roles:
        return "ok"
    if visitor == "anonymous":
        return "login"
    return "ok" if visitor in spec.roles else "403"


@pytest.mark.parametrize("visitor", VISITORS)
def test_every_page_for_every_role(visitor: str, portal: Portal, page: Any,
                                   page_as: Callable[..., Any]) -> None:
    tab = page if visitor == "anonymous" else page_as(visitor)
    got = {spec.name: outcome(tab, fill(spec.path, portal)) for spec in PAGES}
    assert got == {spec.name: expected(spec, visitor) for spec in PAGES}


def test_a_bidder_cannot_open_another_bidders_receipt(portal: Portal,
                                                      page_as: Callable[..., Any]) -> None:
    mine, theirs = portal.bid_index, portal.other_bid_index
    bidder_a, bidder_b = page_as("bidder"), page_as("other_bidder")
    assert outcome(bidder_a, f"/me/receipts/{mine}") == "ok"
    assert outcome(bidder_a, f"/me/receipts/{theirs}") == "404"
    assert outcome(bidder_a, f"/me/receipts/{theirs}.json") == "404"
    assert outcome(bidder_b, f"/me/receipts/{mine}") == "404"
    assert outcome(bidder_b, f"/me/receipts/{theirs}") == "ok"
    assert outcome(bidder_a, "/me/receipts/999999") == "404"


def test_the_own_receipt_downloads_as_json(portal: Portal, page_as: Callable[..., Any]) -> None:
    bidder = page_as("bidder")
    response = bidder.request.get(f"/me/receipts/{portal.bid_index}.json")
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["index"] == portal.bid_index


def test_objects_outside_the_scope_are_404(portal: Portal, page_as: Callable[..., Any]) -> None:
    other = portal.other_project_id
    supervisor, regulator, admin = page_as("supervisor"), page_as("regulator"), page_as("admin")
    got = {
        "supervisor other project": outcome(supervisor, f"/projects/{other}"),
        "supervisor other report": outcome(supervisor, f"/projects/{other}/report"),
        "regulator other project": outcome(regulator, f"/projects/{other}"),
        "regulator unknown lead": outcome(regulator, "/leads/L-000000000000000000000000"),
        "admin unknown project": outcome(admin, "/projects/LN-SY-2099-0000"),
        "admin other project": outcome(admin, f"/projects/{other}"),
    }
    assert got == {"supervisor other project": "404", "supervisor other report": "404",
                   "regulator other project": "404", "regulator unknown lead": "404",
                   "admin unknown project": "404", "admin other project": "ok"}


def test_error_pages_are_pages_of_the_portal(portal: Portal, page_as: Callable[..., Any]) -> None:
    """A 403 and a 404 are full Chinese pages (navigation, content), not bare JSON."""
    bidder = page_as("bidder")
    for path, status in (("/ops", "403"), (f"/me/receipts/{portal.other_bid_index}", "404")):
        assert outcome(bidder, path) == status
        assert bidder.get_attribute("html", "lang") == "zh-CN"
        assert bidder.query_selector("main#content") is not None, path
        assert bidder.query_selector("form#logout-form") is not None, path
