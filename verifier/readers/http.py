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


def fetch(url: str, limit: int) -> bytes:
    """GET ``url``; the body, refused beyond ``limit`` bytes. Unreachable → SourceUnavailable."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as resp:
            body: bytes = resp.read(limit + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise MalformedError(f"{url}: the ledger knows no such receipt (404)") from exc
        raise SourceUnavailable(f"{url}: HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise SourceUnavailable(f"{url}: {getattr(exc, 'reason', exc)}") from exc
    if len(body) > limit:
        raise MalformedError(f"{url}: response larger than {limit} bytes")
    return body
