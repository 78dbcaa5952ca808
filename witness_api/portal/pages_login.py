"""Login and logout: a role token exchanged once for a session cookie (``session.py``).

``GET /login`` sets a short-lived ``witness_login`` nonce cookie and binds the form's CSRF
token to it; ``POST /login`` checks that token, the throttle and the token itself (active,
a portal role), then sets ``witness_session`` — HttpOnly, SameSite=Strict, Secure over TLS,
expiring with the session — and redirects to ``next`` (a path on this site) or the role's
home. The token is only ever in the POST body: never in a URL, a cookie or a log line (the
access log records no bodies). ``POST /logout`` (CSRF-checked) deletes the cookie.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from witness_api.portal.context import PORTAL_ROLES, current_session, portal_state
from witness_api.portal.render import PageError, PageRoute, page
from witness_api.portal.session import (
    LOGIN_COOKIE,
    LOGIN_NONCE_SECONDS,
    SESSION_COOKIE,
    new_nonce,
    session_for,
    valid_nonce,
)
from witness_api.tokens import TokenInfo, TokenStore

router = APIRouter(route_class=PageRoute, include_in_schema=False)
HOMES = {"bidder": "/me", "supervisor": "/projects", "regulator": "/leads", "admin": "/ops"}
_MAX_TOKEN = 200


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site (never another host, never a scheme)."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return None
    if target.startswith("//") or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_form(request: Request, *, status: int = 200, error: str | None = None,
                next_path: str | None = None) -> HTMLResponse:
    state = portal_state(request)
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    fresh = not valid_nonce(nonce)
    if fresh:
        nonce = new_nonce()
    response = page(request, "login.html", status=status, error=error,
                    login_csrf=state.keys.csrf("login", nonce), next_path=next_path or "",
                    certificate=state.certificate_login is not None)
    if fresh:
        response.set_cookie(LOGIN_COOKIE, nonce, max_age=LOGIN_NONCE_SECONDS, path="/login",
                            httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
    return response


@router.get("/login")
def login_page(request: Request) -> Response:
    next_path = safe_next(request.query_params.get("next"))
    found = current_session(request)
    if found is not None:
        return RedirectResponse(next_path or HOMES[found[1].role], status_code=303)
    return _login_form(request, next_path=next_path)


def _check_login_csrf(request: Request, csrf: str) -> None:
    if not portal_state(request).keys.csrf_ok("login", request.cookies.get(LOGIN_COOKIE), csrf):
        raise PageError(403, "error.csrf")


def start_session(request: Request, info: TokenInfo, next_path: str | None) -> Response:
    """The redirect that carries a new session cookie for ``info``'s token."""
    session = session_for(info)
    response = RedirectResponse(next_path or HOMES[info.role], status_code=303)
    response.set_cookie(SESSION_COOKIE, portal_state(request).keys.seal(session),
                        max_age=max(0, session.expires - int(time.time())), path="/",
                        httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/login")
def login(request: Request, token: Annotated[str, Form(max_length=_MAX_TOKEN)] = "",
          csrf: Annotated[str, Form(max_length=100)] = "",
          next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    _check_login_csrf(request, csrf)
    state, client = portal_state(request), _client(request)
    next_path = safe_next(next)
    if state.throttle.blocked(client):
        return _login_form(request, status=429, error="login.throttled", next_path=next_path)
    store: TokenStore = request.app.state.tokens
    principal = store.resolve(token.strip())
    info = store.active(principal.token_id) if principal and principal.token_id else None
    if info is None:
        state.throttle.failed(client)
        return _login_form(request, status=401, error="login.invalid", next_path=next_path)
    if info.role not in PORTAL_ROLES:
        return _login_form(request, status=403, error="login.not_portal_role",
                           next_path=next_path)
    return start_session(request, info, next_path)


@router.post("/login/certificate")
def login_certificate(request: Request, csrf: Annotated[str, Form(max_length=100)] = "",
                      next: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Certificate login, when a ``CertificateLogin`` is installed (else 404)."""
    _check_login_csrf(request, csrf)
    plugin = portal_state(request).certificate_login
    if plugin is None:
        raise PageError(404, "error.not_found_text")
    pem = plugin.certificate_of(request)
    token_id = plugin.token_for(pem) if pem else None
    store: TokenStore = request.app.state.tokens
    info = store.active(token_id) if token_id else None
    if info is None or info.role not in PORTAL_ROLES:
        return _login_form(request, status=401, error="login.certificate_refused",
                           next_path=safe_next(next))
    return start_session(request, info, safe_next(next))


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    found = current_session(request)
    if found is not None and not portal_state(request).keys.csrf_ok("form", found[0].nonce,
                                                                     csrf):
        raise PageError(403, "error.csrf")
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")
    return response
