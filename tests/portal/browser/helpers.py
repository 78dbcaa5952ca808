"""What the browser tests do on a page: log in, classify a navigation, run axe, record requests.

Pages come from a context whose ``base_url`` is the portal, so paths are relative.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scripts.build_portal_js import AXE
from scripts.portal_shots import login as login_with_form
from scripts.portal_shots import wait_verdict as wait_verdict

#: axe impacts a page may not have at all
BLOCKING_IMPACTS = ("serious", "critical")


def login(page: Any, token: str) -> None:
    """Through the login form; fails with what the page said if no session came of it."""
    login_with_form(page, "", token)
    if page.query_selector("form#logout-form") is None:
        text = page.inner_text("body")[:500] if page.query_selector("body") else ""
        raise AssertionError(f"login did not succeed: now at {page.url}: {text}")


def outcome(page: Any, path: str) -> str:
    """Open ``path``: "ok", "login" (sent to the login page with next=path), or the status."""
    response = page.goto(path)
    assert response is not None, f"no response for {path}"
    url = urlsplit(page.url)
    if url.path == "/login" and not path.startswith("/login"):
        first = response.request.redirected_from
        status = first.response().status if first and first.response() else None
        nxt = parse_qs(url.query).get("next", [""])[0]
        return "login" if status == 303 and nxt == path else f"login({status}, next={nxt!r})"
    if response.status == 200:
        return "ok"
    return str(response.status)


def html_lang(page: Any) -> str:
    return str(page.get_attribute("html", "lang"))


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now.

    Table rows after the 20th are left out: a timeline's rows all come from one template, and
    axe over hundreds of them costs tens of seconds on this machine for nothing more."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => {
            const r = await axe.run({exclude: [['tbody > tr:nth-child(n+21)']]},
                                    {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(' '),
                    html: n.html.slice(0, 200), why: n.failureSummary}))}));
        }""")
    return [v for v in found if v["impact"] in BLOCKING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, ensure_ascii=False, indent=1)


@dataclass
class Sent:
    """One request the page made."""

    method: str
    url: str
    body: bytes


class RequestLog:
    """Every request a page makes from now on, with its body."""

    def __init__(self, page: Any) -> None:
        self.sent: list[Sent] = []
        page.on("request", self._record)

    def _record(self, request: Any) -> None:
        self.sent.append(Sent(request.method, request.url, request.post_data_buffer or b""))

    def posts(self) -> list[Sent]:
        return [s for s in self.sent if s.method != "GET"]


def check_statuses(page: Any) -> dict[str, str]:
    """Check id → status of the result list."""
    return {str(li.get_attribute("data-check")): str(li.get_attribute("data-status"))
            for li in page.query_selector_all("ul#checks > li[data-check]")}
