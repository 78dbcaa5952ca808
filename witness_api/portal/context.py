"""The portal's per-app state and the caller of a page: session → token → principal.

``PortalState`` lives on ``app.state.portal`` (built by ``witness_api.portal.install``).
``session_principal`` is what both the pages and the API's cookie path use: the signed
cookie is opened, then its token id must still be active in the token store (read
uncached, so a revoked token's session ends on its next request).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from fastapi import Request

from witness_api.portal.session import SESSION_COOKIE, CertificateLogin, Session, SessionKeys
from witness_api.portal.throttle import LoginThrottle
from witness_api.tokens import Principal, TokenStore

PORTAL_ROLES = ("bidder", "supervisor", "regulator", "admin")
"""Roles that may log in to the portal (an ingest token belongs to a trading system)."""


@dataclass
class PortalState:
    home: Path  # where the session key file lives
    rpc_url: str  # what the pages pass to WitnessVerify as ``rpc``
    rpc_proxied: bool  # True: the chain is read through this server's /v1/chain/rpc
    connect_src: str  # the CSP connect-src of the pages
    throttle: LoginThrottle
    certificate_login: CertificateLogin | None = None

    @cached_property
    def keys(self) -> SessionKeys:
        """The session key, read (or created) on first use, not when the app is built."""
        return SessionKeys.of_home(self.home)


def portal_state(request: Request) -> PortalState:
    state: PortalState = request.app.state.portal
    return state


def current_session(request: Request) -> tuple[Session, Principal] | None:
    """The request's valid session and its principal, or None (cached per request)."""
    cached: Any = getattr(request.state, "portal_session", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    found: tuple[Session, Principal] | None = None
    cookie = request.cookies.get(SESSION_COOKIE)
    session = portal_state(request).keys.open(cookie) if cookie else None
    if session is not None:
        store: TokenStore = request.app.state.tokens
        info = store.active(session.token_id)
        if info is not None and info.role in PORTAL_ROLES:
            found = (session, info.principal)
            request.state.principal = info.principal  # for the access log (role, token id)
    request.state.portal_session = found
    return found


def session_principal(request: Request) -> Principal | None:
    found = current_session(request)
    return None if found is None else found[1]
