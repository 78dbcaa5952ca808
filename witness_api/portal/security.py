"""Security headers of every response, and the Content-Security-Policy of the pages.

Every response gets ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``
(a page URL never travels to another site) and ``X-Frame-Options: DENY``. An HTML response
that sets no policy of its own gets the portal's CSP: everything from this origin only, no
inline script, no framing (``frame-ancestors 'none'``), forms posting only here, and
``connect-src`` naming this origin plus the chain JSON-RPC endpoint the pages use when it is
another origin (``connect_src``). ``/docs`` and ``/redoc`` set their own, computed from the
page FastAPI generates (``witness_api.portal.docs_pages``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from witness_api.limits import ASGIApp, Message, Receive, Scope, Send

PROXY_PATH = "/v1/chain/rpc"
_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def browser_rpc(policy_endpoint: str) -> tuple[str, bool]:
    """(URL the pages ask, proxied?): the policy's public chain endpoint when it is an
    http(s) URL a browser can reach, else this server's read-only proxy."""
    parts = urlsplit(policy_endpoint.strip())
    if parts.scheme in ("http", "https") and parts.hostname:
        return policy_endpoint.strip(), False
    return PROXY_PATH, True


def connect_source(rpc_url: str) -> str:
    """``'self'`` plus the origin of ``rpc_url`` when it is another one."""
    parts = urlsplit(rpc_url)
    if parts.scheme in ("http", "https") and parts.netloc:
        host = parts.hostname or ""
        origin = f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
        return f"'self' {origin}"
    return "'self'"


def page_policy(connect_src: str) -> str:
    return "; ".join((
        "default-src 'self'", "script-src 'self'", "style-src 'self'",
        "img-src 'self' data:", "font-src 'self'", f"connect-src {connect_src}",
        "object-src 'none'", "base-uri 'none'", "form-action 'self'",
        "frame-ancestors 'none'",
    ))


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response."""

    def __init__(self, app: ASGIApp, *, connect_src: str) -> None:
        self.app = app
        self.csp = page_policy(connect_src).encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in _ALWAYS if k not in names]
                html = any(n.lower() == b"content-type" and v.startswith(b"text/html")
                           for n, v in headers)
                if html and b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", self.csp))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
