"""Rendering pages: the Jinja2 environment, the page context, and HTML error pages.

Pages are server-side Jinja2 templates (``templates/``), autoescaped; page scripts are
files under ``static/js`` (no inline script: the CSP forbids it). ``PageRoute`` is the route
class of every page: what the API answers as problem+json (401, 403, 404, 409, 422) a page
answers as an HTML page with the same status — and "not logged in" as 303 to ``/login``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException

from ledger.core.errors import WitnessError
from ledger.events.labels import actor_role_label, event_label, field_label
from witness_api.portal import formatting
from witness_api.portal.context import current_session, portal_state
from witness_api.portal.i18n import HTML_LANG, LANG_COOKIE, Translator, as_lang, request_lang
from witness_api.problems import ProblemError, domain_problem
from witness_api.tokens import Principal

TEMPLATES = Path(__file__).with_name("templates")
LANG_COOKIE_SECONDS = 365 * 24 * 3600

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                   trim_blocks=True, lstrip_blocks=True)
_env.globals.update(beijing=formatting.beijing, short_hash=formatting.short_hash,
                    is_pseudonym=formatting.is_pseudonym)

NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/me", "nav.me", ("bidder",)),
    ("/projects", "nav.projects", ("supervisor", "regulator", "admin")),
    ("/leads", "nav.leads", ("regulator", "admin")),
    ("/ops", "nav.ops", ("admin",)),
)


class LoginRequired(Exception):
    """The page needs a session: answered 303 to the login page (back here afterwards)."""


class PageError(Exception):
    """An error page: status and the message key (or text) to show."""

    def __init__(self, status: int, message: str, **values: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.values = values


def switch_url(request: Request, lang: str) -> str:
    """This page in the other language (its query kept, ``lang`` replaced)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return f"{request.url.path}?{urlencode([*query, ('lang', lang)])}"


def base_context(request: Request) -> dict[str, Any]:
    lang = request_lang(request)
    t = Translator(lang)
    found = current_session(request)
    principal: Principal | None = None if found is None else found[1]
    csrf = "" if found is None else portal_state(request).keys.csrf("form", found[0].nonce)
    role = principal.role if principal else None
    return {
        "request": request, "t": t, "lang": lang, "html_lang": HTML_LANG[lang],
        "other_lang": "en" if lang == "zh" else "zh",
        "switch_url": switch_url(request, "en" if lang == "zh" else "zh"),
        "principal": principal, "csrf": csrf, "path": request.url.path,
        "nav": [(href, key) for href, key, roles in NAV if role in roles],
        "event_label": lambda etype: event_label(etype, lang),
        "role_label": lambda r: actor_role_label(r, lang),
        "field_label": lambda name: field_label(name, lang),
        "value_label": lambda name: formatting.value_label(name, lang),
        "field_value": lambda etype, name, v: formatting.field_value(etype, name, v, t),
        "computed_value": lambda name, v: formatting.computed_value(name, v, t),
        "yuan": lambda amount: formatting.yuan(amount, t),
    }


def page(request: Request, template: str, *, status: int = 200,
         headers: dict[str, str] | None = None, **values: Any) -> HTMLResponse:
    """Render ``template`` with the base context and ``values``."""
    context = base_context(request) | values
    html = _env.get_template(template).render(context)
    response = HTMLResponse(html, status_code=status, headers=headers)
    chosen = as_lang(request.query_params.get("lang"))
    if chosen is not None:
        response.set_cookie(LANG_COOKIE, chosen, max_age=LANG_COOKIE_SECONDS, path="/",
                            samesite="lax", secure=request.url.scheme == "https")
    return response


def error_page(request: Request, status: int, message: str, **values: Any) -> HTMLResponse:
    t = Translator(request_lang(request))
    text = t(message, **values) if message in t.messages else message
    return page(request, "error.html", status=status, error_status=status,
                error_title=t(f"error.{status}") if f"error.{status}" in t.messages
                else t("error.other"), error_message=text)


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _as_page(request: Request, exc: Exception) -> Response:
    if isinstance(exc, LoginRequired):
        return login_redirect(request)
    if isinstance(exc, PageError):
        return error_page(request, exc.status, exc.message, **exc.values)
    if isinstance(exc, ProblemError | WitnessError):
        status = exc.status if isinstance(exc, ProblemError) else \
            domain_problem(exc).status_code
        # A 404 says the same whatever was asked for (the API's detail names the object).
        return error_page(request, status, "error.not_found_text" if status == 404
                          else str(exc))
    if isinstance(exc, RequestValidationError):
        return error_page(request, 422, "error.invalid_request")
    assert isinstance(exc, HTTPException)
    return error_page(request, exc.status_code, str(exc.detail))


class PageRoute(APIRoute):
    """A page: errors become HTML pages with the API's status codes."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except (LoginRequired, PageError, ProblemError, WitnessError,
                    RequestValidationError, HTTPException) as exc:
                return _as_page(request, exc)

        return page_handler


def require_page(*roles: str) -> Callable[[Request], Principal]:
    """A page dependency: the session's principal if its role is one of ``roles``."""

    def check(request: Request) -> Principal:
        found = current_session(request)
        if found is None:
            raise LoginRequired
        principal = found[1]
        if principal.role not in roles:
            raise PageError(403, "error.role_forbidden")
        return principal

    check.__name__ = "page_" + "_".join(roles)
    return check
