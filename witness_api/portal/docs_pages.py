"""``/docs`` (Swagger UI) and ``/redoc`` from local files: the intranet has no CDN.

FastAPI's own pages load their scripts from a CDN; these are FastAPI's page builders
pointed at ``/static/vendor/`` (copied there by ``scripts/build_portal_js.py``, not
committed). While those files are missing, the page says in one line what to run. Each page
gets a CSP of its own: the inline start-up script FastAPI writes is allowed by its hash (and
nothing else inline), styles inline are allowed (both UIs inject them at run time).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from witness_api.portal.static_files import STATIC_DIR

router = APIRouter(include_in_schema=False)
VENDOR = STATIC_DIR / "vendor"
SWAGGER_JS = "swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui/swagger-ui.css"
REDOC_JS = "redoc/redoc.standalone.js"
FAVICON = "/static/img/favicon.svg"
#: Contrast fixes for both UIs, and names for ReDoc's pickers (the accessibility check holds
#: these pages to the same level as the portal's own).
A11Y_HEAD = ('<link rel="stylesheet" href="/static/css/api-docs.css">'
             '<script src="/static/js/api-docs-a11y.js" defer></script>')
BUILD_HINT = ("API 文档的本地资源尚未生成，请在代码目录运行：python scripts/build_portal_js.py "
              "--vendor-only / The API docs' local assets are not built yet: run python "
              "scripts/build_portal_js.py --vendor-only")
#: ReDoc's colours that fall below 4.5:1 contrast, replaced through its theme option.
REDOC_THEME = json.dumps({
    "typography": {"code": {"color": "#a4161a"}},
    "colors": {"text": {"secondary": "#4a4f55"},
               "responses": {"success": {"tabTextColor": "#5ed16b"},
                             "error": {"tabTextColor": "#ff7b78"},
                             "redirect": {"tabTextColor": "#ffb74d"},
                             "info": {"tabTextColor": "#7fb8ff"}}},
}, separators=(",", ":"))
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_policy(html: str) -> str:
    """The CSP of a docs page: its inline scripts by hash, everything else from here."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html))
    return "; ".join((
        "default-src 'self'", f"script-src 'self' {hashes}".strip(),
        "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "font-src 'self'",
        "connect-src 'self'", "worker-src 'self' blob:", "object-src 'none'",
        "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
    ))


def _page(html: str) -> HTMLResponse:
    # FastAPI's pages have no lang attribute; the API's own words are English.
    html = html.replace("<html>", '<html lang="en">', 1)
    html = html.replace("</head>", A11Y_HEAD + "</head>", 1)
    return HTMLResponse(html, headers={"Content-Security-Policy": docs_policy(html)})


def _missing(*names: str) -> HTMLResponse | None:
    if all((VENDOR / name).is_file() for name in names):
        return None
    return HTMLResponse(
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>API 文档</title></head><body><main><p>{BUILD_HINT}</p></main></body></html>",
        status_code=503)


@router.get("/docs")
def swagger(request: Request) -> HTMLResponse:
    missing = _missing(SWAGGER_JS, SWAGGER_CSS)
    if missing is not None:
        return missing
    return _page(bytes(get_swagger_ui_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title=f"{request.app.title} — Swagger UI",
        swagger_js_url=f"/static/vendor/{SWAGGER_JS}",
        swagger_css_url=f"/static/vendor/{SWAGGER_CSS}",
        swagger_favicon_url=FAVICON,
        # no validator badge: it would ask validator.swagger.io, outside the intranet
        # deepLinking puts a link inside each operation's toggle button (nested controls)
        swagger_ui_parameters={"validatorUrl": None, "deepLinking": False}).body).decode("utf-8"))


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    missing = _missing(REDOC_JS)
    if missing is not None:
        return missing
    return _page(bytes(get_redoc_html(
        openapi_url=request.app.openapi_url or "/openapi.json",
        title=f"{request.app.title} — ReDoc", redoc_js_url=f"/static/vendor/{REDOC_JS}",
        redoc_favicon_url=FAVICON, with_google_fonts=False).body).decode("utf-8").replace(
            "<redoc ", f"<redoc theme='{REDOC_THEME}' ", 1))
