"""The witness portal (见证门户): the browser pages of ``witness serve``, next to the API.

Server-side Jinja2 pages in Chinese first (English by ``?lang=en``), every asset local,
page scripts as files (no inline script), for four users: anyone checking a receipt
(回执核验, in the browser with the ``WitnessVerify`` bundle), bidders (我的投标),
supervisors (项目见证 with the in-browser audit), regulators (违规线索) and the center's
operators (运行状态). A role token is exchanged once at ``/login`` for a session cookie
(``session.py``); pages then show exactly what that token reads through the API, by calling
the same policies. ``GET`` requests to the API accept the session too (the pages' scripts
fetch bundles and receipts with it); anything that changes state still needs the bearer
token or a page form with its CSRF token. docs/portal.md describes the whole.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from witness_api.portal import (
    docs_pages,
    pages_bidder,
    pages_leads,
    pages_login,
    pages_ops,
    pages_projects,
    pages_public,
)
from witness_api.portal.context import PortalState, session_principal
from witness_api.portal.security import SecurityHeaders, browser_rpc, connect_source
from witness_api.portal.session import CertificateLogin
from witness_api.portal.static_files import mount_static
from witness_api.portal.throttle import LoginThrottle

__all__ = ["CertificateLogin", "install"]


def install(app: FastAPI, *, home: Path, policy_endpoint: str = "",
            certificate_login: CertificateLogin | None = None) -> None:
    """Add the portal to ``app``: pages, static files, /docs, /redoc, security headers.

    ``policy_endpoint`` is the public chain endpoint the trust policy names (if any): the
    pages read the chain there when it is an http(s) URL, else through ``/v1/chain/rpc``.
    """
    rpc_url, proxied = browser_rpc(policy_endpoint)
    connect = connect_source(rpc_url)
    app.state.portal = PortalState(home, rpc_url, proxied, connect, LoginThrottle(),
                                   certificate_login)
    app.state.session_principal = session_principal  # the API's GET path (witness_api.auth)
    mount_static(app)
    for module in (pages_public, pages_login, pages_bidder, pages_projects, pages_leads,
                   pages_ops, docs_pages):
        app.include_router(module.router)
    app.add_middleware(SecurityHeaders, connect_src=connect)
