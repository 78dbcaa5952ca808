"""Fixtures of the browser tests: the real service with demo data, and Chromium.

``portal`` (session): ``witness serve --workers 1`` on a free port, a fresh WITNESS_HOME, the
embedded chain, two Liaoning demo projects posted and anchored, a token per role (server.py).
``browser`` (session): Debian's Chromium through Playwright. ``page``: a fresh context (no
cookies) per test; ``page_as``: a page logged in through the login form as a role.
Chromium, Playwright or the console script missing: skipped with the reason, failed under
CI=true (tests.conftest.unavailable).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.portal_shots import VIEWPORT, chromium_missing, launch_chromium
from tests.conftest import unavailable
from tests.portal.browser import server
from tests.portal.browser.helpers import login


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[server.Portal]:
    reason = chromium_missing()
    if reason:
        unavailable(reason)
    if not (server.BIN / "witness").exists():
        unavailable(f"no console script {server.BIN / 'witness'} (pip install -e .)")
    tmp = tmp_path_factory.mktemp("portal")
    try:
        running = server.launch(tmp)
    except RuntimeError as exc:
        problem = str(exc)
    else:
        problem = ""
    if problem:
        log = tmp / "serve.log"
        errors = [line for line in log.read_text("utf-8", "replace").splitlines()
                  if '"level": "info"' not in line] if log.exists() else []
        pytest.fail(f"the portal could not be set up: {problem}\n" + "\n".join(errors[-20:]),
                    pytrace=False)
    yield running
    server.stop(running)
    for name in ("bid_large", "bid_small", "bid_wrong"):  # 64 MB need not outlive the run
        running.files[name].unlink(missing_ok=True)


@pytest.fixture(scope="session")
def browser(portal: server.Portal) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any, portal: server.Portal) -> Iterator[Callable[..., Any]]:
    """Pages in fresh contexts (own cookies), closed after the test."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(base_url=portal.base, viewport=VIEWPORT, locale="zh-CN",
                                      **options)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    return new_page()


@pytest.fixture(scope="session")
def sessions() -> dict[str, Any]:
    """Role → the cookies of one login through the form, reused by later pages of the role
    (a login costs a form, a POST and the role's home page)."""
    return {}


@pytest.fixture
def page_as(new_page: Callable[..., Any], portal: server.Portal,
            sessions: dict[str, Any]) -> Callable[..., Any]:
    """``page_as("regulator")``: a new page logged in as that role (``fresh=True``: through
    the login form now, for tests of the session itself)."""

    def make(role: str, fresh: bool = False, **options: Any) -> Any:
        if fresh or role not in sessions:
            tab = new_page(**options)
            login(tab, portal.tokens[role])
            if not fresh:
                sessions[role] = tab.context.storage_state()
            return tab
        return new_page(storage_state=sessions[role], **options)

    return make


@pytest.fixture(scope="session")
def shots_dir() -> Path:
    out = Path(__file__).resolve().parents[3] / "test-output" / "portal"
    out.mkdir(parents=True, exist_ok=True)
    return out
