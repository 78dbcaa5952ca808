"""/docs and /redoc render from local assets only: every request to another host is aborted
(as on the center's intranet) and none may be attempted."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

#: page → an element that only appears once the documentation rendered
RENDERED = {"/docs": ".swagger-ui .information-container .title",
            "/redoc": "redoc .api-content h1"}


@pytest.mark.parametrize("path", sorted(RENDERED))
def test_api_docs_render_offline(path: str, page: Any) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    off_host: list[str] = []

    def only_local(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            off_host.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_local)
    response = page.goto(path)
    assert response is not None and response.status == 200
    try:
        page.wait_for_selector(RENDERED[path], timeout=15_000)
    except PlaywrightTimeout:
        pytest.fail(f"{path} did not render; requests to other hosts: {off_host}",
                    pytrace=False)
    page.wait_for_load_state("networkidle")
    assert not off_host, f"{path} reached for {off_host}"
