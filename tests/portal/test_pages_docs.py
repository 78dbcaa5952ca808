"""``/docs`` and ``/redoc`` from local assets only, with a CSP admitting exactly their inline
start-up script; while the assets are not built, one line says what to run."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from witness_api.portal import docs_pages

_REFS = re.compile(r'(?:src|href)="([^"]*)"')
_INLINE = re.compile(r"<script>(.*?)</script>", re.DOTALL)


@pytest.mark.parametrize("path,asset", [
    ("/docs", "/static/vendor/swagger-ui/swagger-ui-bundle.js"),
    ("/redoc", "/static/vendor/redoc/redoc.standalone.js")])
def test_docs_use_local_assets_only(portal_client: TestClient, path: str, asset: str,
                                    monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (docs_pages.SWAGGER_JS, docs_pages.SWAGGER_CSS, docs_pages.REDOC_JS):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("/* stand-in */", encoding="utf-8")
    monkeypatch.setattr(docs_pages, "VENDOR", tmp_path)
    page = portal_client.get(path)
    assert page.status_code == 200 and '<html lang="en">' in page.text
    refs = _REFS.findall(page.text)
    assert asset in refs and all(r.startswith("/") for r in refs), refs
    assert "cdn" not in page.text.lower() and "fonts.googleapis" not in page.text
    csp = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    for body in _INLINE.findall(page.text):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "'unsafe-eval'" not in csp and "script-src 'self' 'unsafe-inline'" not in csp


def test_missing_assets_say_what_to_run(portal_client: TestClient,
                                        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(docs_pages, "VENDOR", tmp_path / "none")
    for path in ("/docs", "/redoc"):
        page = portal_client.get(path)
        assert page.status_code == 503
        assert "python scripts/build_portal_js.py --vendor-only" in page.text
        assert "<script" not in page.text


def test_the_openapi_document_is_still_served(portal_client: TestClient) -> None:
    schema = portal_client.get("/openapi.json").json()
    assert "/v1/chain/rpc" in schema["paths"]
    assert not any(p in schema["paths"] for p in ("/", "/verify", "/login", "/me"))
