"""The role pages doing their work in the browser: my bids, project search and timeline, the
in-browser audit, the lead inbox and its acknowledgement, the operator's status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from scripts.portal_shots import verdict_selector
from tests.portal.browser.server import Portal


def api(portal: Portal, role: str, path: str) -> Any:
    resp = httpx.get(portal.url(path), timeout=30,
                     headers={"Authorization": f"Bearer {portal.tokens[role]}"})
    resp.raise_for_status()
    return resp.json()


def test_my_bids_lists_my_events_with_their_receipts(portal: Portal,
                                                     page_as: Callable[..., Any]) -> None:
    bidder = page_as("bidder")
    bidder.goto("/me")
    hrefs = [a.get_attribute("href") for a in
             bidder.query_selector_all("table#my-events a.receipt-print")]
    assert f"/me/receipts/{portal.bid_index}" in hrefs, hrefs
    assert f"/me/receipts/{portal.other_bid_index}" not in hrefs
    downloads = [a.get_attribute("href") for a in
                 bidder.query_selector_all("table#my-events a.receipt-json")]
    assert f"/me/receipts/{portal.bid_index}.json" in downloads, downloads
    row = bidder.query_selector(f"table#my-events tr[data-index='{portal.bid_index}']")
    assert row is not None and row.get_attribute("data-type") == "BID_SUBMITTED"
    assert "投标文件递交" in row.inner_text()  # the event type in Chinese


def test_the_printable_receipt_has_a_qr_code(portal: Portal,
                                             page_as: Callable[..., Any]) -> None:
    bidder = page_as("bidder")
    bidder.goto(f"/me/receipts/{portal.bid_index}")
    assert bidder.query_selector("svg#receipt-qr, img#receipt-qr") is not None
    assert portal.project_id in bidder.inner_text("main#content")


def test_project_search(portal: Portal, page_as: Callable[..., Any]) -> None:
    admin = page_as("admin")
    admin.goto("/projects")
    admin.fill("input#project-q", portal.other_project_id)
    with admin.expect_navigation():
        admin.press("input#project-q", "Enter")
    found = admin.inner_text("table#projects")
    assert portal.other_project_id in found and portal.project_id not in found
    supervisor = page_as("supervisor")
    supervisor.goto("/projects")
    listed = supervisor.inner_text("table#projects")
    assert portal.project_id in listed and portal.other_project_id not in listed


def test_the_project_timeline_shows_every_event_anchored(portal: Portal,
                                                         page_as: Callable[..., Any]) -> None:
    timeline = api(portal, "supervisor", f"/v1/projects/{portal.project_id}/timeline")
    supervisor = page_as("supervisor")
    supervisor.goto(f"/projects/{portal.project_id}")
    assert supervisor.query_selector(f"section.lot[data-section='{portal.project_id}-S01']")
    rows = supervisor.query_selector_all("tr.event[data-index][data-type]")
    assert len(rows) == len(timeline["events"])
    statuses = {td.get_attribute("data-status") for td in
                supervisor.query_selector_all("tr.event td.proof")}
    assert statuses == {"anchored"}
    assert "投标" in supervisor.inner_text("main#content")  # event types in Chinese


def test_the_audit_button_checks_the_project_bundle_in_the_browser(
        portal: Portal, page_as: Callable[..., Any]) -> None:
    supervisor = page_as("supervisor")
    supervisor.goto(f"/projects/{portal.project_id}")
    supervisor.click("button#audit-button")
    report = supervisor.wait_for_selector(verdict_selector("section#audit-report"),
                                          timeout=90_000)
    assert report.get_attribute("data-verdict") == "intact", report.inner_text()
    assert "完整" in report.inner_text()
    assert supervisor.get_attribute("a#audit-print", "href") == \
        f"/projects/{portal.project_id}/report"


def test_the_regulator_acknowledges_a_lead_through_the_page(
        portal: Portal, page_as: Callable[..., Any]) -> None:
    regulator = page_as("regulator")
    regulator.goto("/leads")
    assert portal.lead_id in regulator.inner_text("table#leads")
    regulator.goto(f"/leads/{portal.lead_id}")
    assert regulator.get_attribute("a#package-download", "href")
    assert regulator.get_attribute("a#letter-print", "href") == f"/leads/{portal.lead_id}/letter"
    with regulator.expect_navigation():
        regulator.click("form#ack-form [type=submit]")
    assert urlsplit(regulator.url).path == f"/leads/{portal.lead_id}"
    lead = api(portal, "admin", f"/v1/leads/{portal.lead_id}")
    assert lead["status"] == "acknowledged", lead["status"]


def test_the_operator_status_page(portal: Portal, page_as: Callable[..., Any]) -> None:
    admin = page_as("admin")
    admin.goto("/ops")
    status = admin.inner_text("dl#ops-status")
    size = httpx.get(portal.url("/v1/log"), timeout=10).json()["size"]
    assert str(size) in status.replace(",", ""), status
    assert "0x" in status, "no anchor transaction shown"
