"""Fetching an upgraded receipt from a running ledger over HTTP(S) (stdlib ``urllib``).

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from ledger.core.errors import MalformedError
from verifier.readers import SourceUnavailable

TIMEOUT = 15.0


def receipt_url(base: str, path_template: str, index: int) -> str:
    if not base.startswith(("http://", "https://")):
        raise MalformedError(f"upgrade URL must be http(s)://, not {base!r}")
    return base.rstrip("/") + "/" + path_template.format(index=index).lstrip("/")


def fetch(url: str, limit: int, token: str | None = None) -> bytes:
    """GET ``url`` (with the bearer ``token`` when given; it is never printed); the body,
    refused beyond ``limit`` bytes. Unreachable → SourceUnavailable; refused → bad input."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as resp:
            body: bytes = resp.read(limit + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise MalformedError(f"{url}: the ledger knows no such receipt (404)") from exc
        if exc.code in (401, 403):  # reached, and refused: the caller's token, not the network
            raise MalformedError(
                f"{url}: the ledger refused the request (HTTP {exc.code}): "
                + ("the token is not accepted for this receipt" if token else
                   "it needs your token: set $WITNESS_TOKEN or pass --token-file")) from exc
        raise SourceUnavailable(f"{url}: HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise SourceUnavailable(f"{url}: {getattr(exc, 'reason', exc)}") from exc
    if len(body) > limit:
        raise MalformedError(f"{url}: response larger than {limit} bytes")
    return body
