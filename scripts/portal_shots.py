"""Screenshots of every page of the witness portal (见证门户), as each role sees it.

``take_screenshots(base_url, tokens, out_dir)`` logs in through the login form as each role it
has a token for, finds its way to the pages that need an object (a receipt, a project, a lead)
through the list pages as a user would, and saves one PNG per page: ``<page>-zh.png``, and for
the receipt check (回执核验, with a receipt checked in the browser) also ``-en``; the API docs
are English only (``-en``). ``readme-verify.png`` and ``readme-project.png`` are one screen
each of a verdict and of a project's timeline, as the README shows them (docs/img/). Used by
``scripts/demo.py`` (into ``demo-output/portal/``) and shares its page table and browser launch
with the browser tests (tests/portal/browser). May import anything (scripts/ layer).

    python scripts/portal_shots.py URL --token-file tokens.json -o demo-output/portal
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run")
VIEWPORT = {"width": 1200, "height": 800}
#: Taller pages are shot as the first screen only (a timeline of hundreds of events would
#: make a PNG of many megabytes).
FULL_PAGE_MAX_HEIGHT = 4000


@dataclass(frozen=True)
class Page:
    """One page of the portal: its file stem, URL template and who may open it."""

    name: str
    path: str  # may name {receipt_index}, {project_id}, {lead_id}
    roles: tuple[str, ...] = ()  # empty: public; else the roles that may open it, in the
    # order the screenshots prefer them


PAGES = (
    Page("home", "/"),
    Page("verify", "/verify"),
    Page("login", "/login"),
    Page("me", "/me", ("bidder",)),
    Page("receipt", "/me/receipts/{receipt_index}", ("bidder",)),
    Page("projects", "/projects", ("supervisor", "regulator", "admin")),
    Page("project", "/projects/{project_id}", ("supervisor", "regulator", "admin")),
    Page("report", "/projects/{project_id}/report", ("supervisor", "regulator", "admin")),
    Page("leads", "/leads", ("regulator", "admin")),
    Page("lead", "/leads/{lead_id}", ("regulator", "admin")),
    Page("letter", "/leads/{lead_id}/letter", ("regulator", "admin")),
    Page("ops", "/ops", ("admin",)),
    Page("docs", "/docs"),
    Page("redoc", "/redoc"),
)

#: pages in the API's own language, English, whatever the portal's setting
ENGLISH_ONLY = ("docs", "redoc")


def chromium_missing() -> str | None:
    """Why no browser can run here, or None."""
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, offline: no update checks, no sync, no first-run screens."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))


def login(page: Any, base_url: str, token: str) -> None:
    """Through the login form, as a user pastes a token (never in a URL)."""
    page.goto(base_url + "/login")
    page.fill("#token", token)
    with page.expect_navigation():
        page.click("#login-form [type=submit]")


def logout(page: Any) -> None:
    with page.expect_navigation():
        page.click("#logout-form [type=submit]")


def shoot(page: Any, path: Path) -> None:
    """A PNG of the page: the whole page unless it is very tall."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=str(path), full_page=height <= FULL_PAGE_MAX_HEIGHT)


def shoot_from(page: Any, selector: str, path: Path) -> None:
    """One screen of the page starting at ``selector`` (the README's pictures)."""
    page.locator(selector).first.evaluate(
        "e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(path), full_page=False)


def first_href(page: Any, selector: str) -> str | None:
    """The path of the first link matching ``selector`` on the page, if any."""
    link = page.query_selector(selector)
    href = link.get_attribute("href") if link else None
    return href.split("?", 1)[0] if href else None


def discover(page: Any, base_url: str, role: str) -> dict[str, str]:
    """Paths of the first receipt, project and lead this role's list pages show."""
    found: dict[str, str] = {}
    if role == "bidder":
        page.goto(base_url + "/me")
        # the receipt of a bid shows best what a bidder checks; any receipt will do
        href = first_href(page, "table#my-events tr[data-type=BID_SUBMITTED] a.receipt-print") \
            or first_href(page, "table#my-events a.receipt-print")
        if href:
            found["receipt"] = href
    if role in ("supervisor", "regulator", "admin"):
        page.goto(base_url + "/projects")
        href = first_href(page, "table#projects a[href^='/projects/']")
        if href:
            found["project"], found["report"] = href, href + "/report"
    if role in ("regulator", "admin"):
        page.goto(base_url + "/leads")
        href = first_href(page, "table#leads a[href^='/leads/']")
        if href:
            found["lead"], found["letter"] = href, href + "/letter"
    return found


def verify_receipt(page: Any, base_url: str, receipt: Path) -> str:
    """The receipt check in the browser; its verdict."""
    page.goto(base_url + "/verify")
    page.set_input_files("#receipt-file", str(receipt))
    page.click("#verify-button")
    return wait_verdict(page)


def wait_verdict(page: Any, timeout: float = 60_000) -> str:
    """Wait until the page shows a verdict (section#verdict's data-verdict); that verdict."""
    # a selector, not a JS predicate: the portal's CSP (no 'unsafe-eval') refuses those
    found = page.wait_for_selector(verdict_selector("section#verdict"), timeout=timeout)
    return str(found.get_attribute("data-verdict"))


def verdict_selector(element: str) -> str:
    """``element`` once it carries one of the three verdicts."""
    return ", ".join(f"{element}[data-verdict={v}]" for v in ("intact", "pending",
                                                               "inconsistent"))


def download_receipt(page: Any, base_url: str, receipt_page: str, out: Path) -> Path | None:
    """The bidder's own receipt JSON, with the logged-in session (as the download link)."""
    resp = page.request.get(base_url + receipt_page + ".json")
    if not resp.ok:
        return None
    out.write_bytes(resp.body())
    return out


class BrowserMissing(RuntimeError):
    """No Chromium or no Playwright on this machine: the screenshots cannot be taken."""


def with_lang(path: str, lang: str) -> str:
    return path + ("&" if "?" in path else "?") + f"lang={lang}"


def shoot_verified_receipt(page: Any, base_url: str, receipt: Path, out_dir: Path) -> list[Path]:
    """回执核验 with a receipt checked, in Chinese and in English; back to Chinese after."""
    written = []
    for lang in ("en", "zh"):  # the last one leaves the lang cookie on Chinese
        page.goto(base_url + with_lang("/verify", lang))
        verify_receipt(page, base_url, receipt)
        written.append(out_dir / f"verify-result-{lang}.png")
        shoot(page, written[-1])
    written.append(out_dir / "readme-verify.png")
    shoot_from(page, "section#verdict", written[-1])
    return written


def shoot_role(page: Any, base_url: str, role: str, done: set[str], out_dir: Path) -> list[Path]:
    """Every page not shot yet that ``role`` may open and can find."""
    found = discover(page, base_url, role)
    written = []
    for spec in PAGES:
        path = found.get(spec.name) if "{" in spec.path else spec.path
        if spec.name in done or role not in spec.roles or path is None:
            continue
        page.goto(base_url + path)
        written.append(out_dir / f"{spec.name}-zh.png")
        shoot(page, written[-1])
        done.add(spec.name)
        if spec.name == "project":
            written.append(out_dir / "readme-project.png")
            shoot_from(page, "section.lot", written[-1])
    if role == "bidder" and "receipt" in found:
        with tempfile.TemporaryDirectory() as tmp:
            receipt = download_receipt(page, base_url, found["receipt"], Path(tmp) / "r.json")
            if receipt is not None:
                written += shoot_verified_receipt(page, base_url, receipt, out_dir)
    return written


def shoot_public(browser: Any, base_url: str, done: set[str], out_dir: Path) -> list[Path]:
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = context.new_page()
    written = []
    for spec in PAGES:
        if spec.roles:
            continue
        page.goto(base_url + spec.path)
        if spec.name in ENGLISH_ONLY:
            page.wait_for_load_state("networkidle")
        lang = "en" if spec.name in ENGLISH_ONLY else "zh"
        written.append(out_dir / f"{spec.name}-{lang}.png")
        shoot(page, written[-1])
        done.add(spec.name)
    page.goto(base_url + with_lang("/verify", "en"))
    written.append(out_dir / "verify-en.png")
    shoot(page, written[-1])
    context.close()
    return written


def take_screenshots(base_url: str, tokens: dict[str, str], out_dir: Path) -> list[Path]:
    """Log in as each role of ``tokens`` (bidder, supervisor, regulator, admin) and save a
    screenshot of every page it may open into ``out_dir``; the files written."""
    reason = chromium_missing()
    if reason:
        raise BrowserMissing(reason)
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    done: set[str] = set()
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            written = shoot_public(browser, base_url, done, out_dir)
            for role in ("bidder", "supervisor", "regulator", "admin"):
                if role not in tokens:
                    continue
                context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
                page = context.new_page()
                login(page, base_url, tokens[role])
                written += shoot_role(page, base_url, role, done, out_dir)
                context.close()
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="the running service, e.g. http://127.0.0.1:8080")
    parser.add_argument("--token-file", type=Path, required=True,
                        help='JSON {"bidder": "wit_…", …}: tokens stay off the command line')
    parser.add_argument("-o", "--out", type=Path, default=Path("demo-output/portal"))
    args = parser.parse_args(argv)
    tokens = json.loads(args.token_file.read_text(encoding="utf-8"))
    try:
        shutil.rmtree(args.out, ignore_errors=True)
        written = take_screenshots(args.base_url.rstrip("/"), tokens, args.out)
    except BrowserMissing as exc:
        print(f"portal_shots: {exc}", file=sys.stderr)
        return 3
    print(f"{len(written)} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
