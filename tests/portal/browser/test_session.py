"""Sessions in the browser: login, the session cookie, CSRF refusals, logout, the English switch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.portal.browser.helpers import RequestLog, html_lang, login, outcome
from tests.portal.browser.server import Portal

POST_WITHOUT_CSRF = """async (path) => {
    const r = await fetch(path, {method: 'POST', redirect: 'manual',
        headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'x=1'});
    return r.status;
}"""


def log_size(portal: Portal) -> int:
    return int(httpx.get(portal.url("/v1/log"), timeout=10).json()["size"])


def test_login_sets_a_strict_http_only_session_and_keeps_the_token_out_of_urls(
        portal: Portal, page: Any) -> None:
    log = RequestLog(page)
    login(page, portal.tokens["supervisor"])
    assert outcome(page, "/projects") == "ok"
    token = portal.tokens["supervisor"]
    assert not [s.url for s in log.sent if token in s.url]
    assert token not in page.content()
    [session] = [c for c in page.context.cookies() if c["name"] == "witness_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"
    assert session["expires"] > 0, "a session cookie without an expiry"
    assert token not in session["value"]


def test_a_wrong_token_does_not_log_in(page: Any) -> None:
    page.goto("/login")
    page.fill("#token", "wit_this-is-not-a-token-of-this-ledger-000000000")
    page.click("#login-form [type=submit]")
    page.wait_for_load_state()
    assert page.query_selector("form#logout-form") is None
    assert "not-a-token" not in page.url
    assert outcome(page, "/ops") == "login"


def test_posts_without_the_csrf_token_are_refused(portal: Portal,
                                                  page_as: Callable[..., Any]) -> None:
    regulator = page_as("regulator", fresh=True)
    regulator.goto("/leads")
    size = log_size(portal)
    refused = {path: regulator.evaluate(POST_WITHOUT_CSRF, path)
               for path in ("/logout", f"/leads/{portal.lead_id}/ack", "/login")}
    assert refused == {"/logout": 403, f"/leads/{portal.lead_id}/ack": 403, "/login": 403}
    assert outcome(regulator, "/leads") == "ok", "the refused logout logged out"
    assert log_size(portal) == size, "a refused acknowledgement was witnessed"


def test_logout_ends_the_session(page_as: Callable[..., Any]) -> None:
    bidder = page_as("bidder", fresh=True)
    assert outcome(bidder, "/me") == "ok"
    with bidder.expect_navigation():
        bidder.click("#logout-form [type=submit]")
    assert bidder.query_selector("form#logout-form") is None
    assert outcome(bidder, "/me") == "login"
    assert not [c for c in bidder.context.cookies() if c["name"] == "witness_session"
                and c["value"]]


def test_the_english_switch(page: Any) -> None:
    page.goto("/verify")
    assert html_lang(page) == "zh-CN"
    chinese = page.inner_text("button#verify-button")
    with page.expect_navigation():
        page.click("a#lang-switch")
    assert html_lang(page) == "en"
    english = page.inner_text("button#verify-button")
    assert english != chinese and english.isascii(), (chinese, english)
    page.goto("/")  # the choice is a cookie: it holds on the next page
    assert html_lang(page) == "en"
    with page.expect_navigation():
        page.click("a#lang-switch")
    assert html_lang(page) == "zh-CN"
