"""Bearer-token authentication and role checks, as FastAPI dependencies.

``require(*roles)`` gives a dependency that answers 401 without a valid token and 403 for
a role that may not call the endpoint. Which events and projects a caller then sees is
``ledger.sealing.policy``'s decision (``witness_api.visibility``): anything it may not see
answers 404, so the existence of sealed, other bidders' or other projects' events does not
leak.
The token is never logged; only the role and token id are put on the request state.
A ``GET`` or ``HEAD`` without a bearer token is also accepted with a valid portal session
cookie (the portal's page scripts read bundles, receipts and packages with it); every other
method needs the bearer token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from witness_api.problems import ProblemError
from witness_api.tokens import Principal, TokenStore

# Role groups used by the routers.
WRITERS = ("ingest", "admin")
READERS = ("ingest", "supervisor", "regulator", "admin", "bidder")
AUDITORS = ("supervisor", "regulator", "admin")
ADMINS = ("admin",)

_bearer = HTTPBearer(auto_error=False, description="A token from `witness token create`.")


def authenticate(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),  # noqa: B008
) -> Principal:
    """The caller's principal, or 401."""
    if credentials is None and request.method in ("GET", "HEAD"):
        # A portal session (signed cookie, witness_api.portal.session) may read, never
        # write: state-changing requests still need the bearer token (no CSRF surface).
        from_session = getattr(request.app.state, "session_principal", None)
        principal = from_session(request) if from_session is not None else None
        if principal is not None:
            request.state.principal = principal
            return cast(Principal, principal)
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ProblemError(401, "unauthenticated", "a bearer token is required")
    store: TokenStore = request.app.state.tokens
    principal = store.resolve(credentials.credentials)
    if principal is None:
        raise ProblemError(401, "unauthenticated", "the token is unknown, revoked or expired")
    request.state.principal = principal
    return principal


def require(*roles: str) -> Callable[..., Principal]:
    """A dependency admitting only ``roles`` (403 for the others)."""

    def check(principal: Principal = Depends(authenticate)) -> Principal:  # noqa: B008
        if principal.role not in roles:
            raise ProblemError(403, "forbidden",
                               f"the {principal.role} role may not call this endpoint")
        return principal

    check.__name__ = "require_" + "_".join(roles)
    return check
