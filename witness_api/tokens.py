"""Bearer tokens of the API: created once, stored as a SHA-256 hash, revocable, expiring.

A token is ``wit_`` + 43 url-safe characters (256 random bits). Only its SHA-256 is stored,
so a copy of the database does not let anyone call the API. Roles: ``ingest`` (trading
systems; reads back only what it posted), ``supervisor`` and ``regulator`` (bound to the
projects, regions or departments they oversee: their *scope*), ``bidder`` (bound to one
bidder id = actor org / payload ``bidder_org``), ``admin``. Lookups are cached for a few
seconds per process, so a revocation takes effect within ``CACHE_SECONDS``.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, insert, select, update

from ledger.core.errors import InvalidRequestError
from ledger.errors import NotFoundError
from ledger.sealing.policy import Viewer
from ledger.store.database import Database
from ledger.store.schema import api_tokens

ROLES = ("ingest", "supervisor", "bidder", "regulator", "admin")
SCOPED_ROLES = ("supervisor", "regulator")
_REGION = re.compile(r"^[1-9][0-9]{1,5}$")
_SCOPE_MAX = 200


@dataclass(frozen=True)
class Scope:
    """What a supervisor or regulator oversees: project ids, region-code prefixes (行政区划
    代码, e.g. 21 for 辽宁省, 2101 for 沈阳市) and supervising departments (行政监督部门)."""

    projects: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.projects) + len(self.regions) + len(self.departments) > _SCOPE_MAX:
            raise InvalidRequestError(f"a token's scope names at most {_SCOPE_MAX} items")
        bad = [r for r in self.regions if not _REGION.match(r)]
        if bad:
            raise InvalidRequestError(f"region {bad[0]!r} is not a region-code prefix (2–6 digits)")
        if any(not 0 < len(x) <= 200 for x in (*self.projects, *self.departments)):
            raise InvalidRequestError("project ids and departments are 1–200 characters")

    @property
    def empty(self) -> bool:
        return not (self.projects or self.regions or self.departments)

    def to_json(self) -> dict[str, list[str]]:
        return {"projects": list(self.projects), "regions": list(self.regions),
                "departments": list(self.departments)}

    @classmethod
    def from_json(cls, text: str | None) -> Scope:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(tuple(data.get("projects", ())), tuple(data.get("regions", ())),
                   tuple(data.get("departments", ())))
TOKEN_PREFIX = "wit_"
CACHE_SECONDS = 5.0
_CACHE_MAX = 10_000


@dataclass(frozen=True)
class TokenInfo:
    """What the store knows about a token (never the token itself)."""

    token_id: str
    role: str
    bidder_id: str | None
    label: str | None
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    scope: Scope = field(default_factory=Scope)

    def active(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or datetime.fromisoformat(self.expires_at) > now

    @property
    def principal(self) -> Principal:
        return Principal(self.role, self.bidder_id, self.token_id, self.scope, self.label)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.__dict__)
        out["scope"] = self.scope.to_json() if self.role in SCOPED_ROLES else None
        return out


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a role, and what binds it (bidder id, token, scope)."""

    role: str
    bidder_id: str | None = None
    token_id: str | None = None
    scope: Scope = field(default_factory=Scope)
    label: str | None = None

    @property
    def viewer(self) -> Viewer:
        """The caller as the visibility policy sees it (``ledger.sealing.policy``)."""
        return Viewer(self.role, self.bidder_id, self.token_id, frozenset(self.scope.projects),
                      self.scope.regions, frozenset(self.scope.departments))


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


class TokenStore:
    """Create, revoke, list and resolve tokens in the ``api_tokens`` table."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[bytes, _Cached] = {}
        self._lock = threading.Lock()

    def create(
        self, role: str, *, bidder_id: str | None = None, label: str | None = None,
        expires_in: timedelta | None = timedelta(days=365), scope: Scope | None = None,
    ) -> tuple[str, TokenInfo]:
        """A new token (returned once, never stored) and its record."""
        scope = scope or Scope()
        if role not in ROLES:
            raise InvalidRequestError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        if (role == "bidder") != bool(bidder_id):
            raise InvalidRequestError("a bidder token needs --bidder ID, and only a bidder token")
        if (role in SCOPED_ROLES) == scope.empty:
            raise InvalidRequestError("a supervisor or regulator token needs a scope (--project, "
                                      "--region or --department), and only such a token has one")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = _now()
        info = TokenInfo(
            token_id=secrets.token_hex(8), role=role, bidder_id=bidder_id, label=label,
            created_at=_iso(now), expires_at=_iso(now + expires_in) if expires_in else None,
            revoked_at=None, scope=scope,
        )
        row = {**info.__dict__, "token_hash": hash_token(token),
               "scope": json.dumps(scope.to_json(), ensure_ascii=False)
               if role in SCOPED_ROLES else None}
        with self.db.write() as conn:
            conn.execute(insert(api_tokens), [row])
        return token, info

    def revoke(self, token_id: str) -> TokenInfo:
        with self.db.write() as conn:
            done = conn.execute(
                update(api_tokens).where(api_tokens.c.token_id == token_id)
                .where(api_tokens.c.revoked_at.is_(None)).values(revoked_at=_iso(_now()))
            )
        if done.rowcount == 0 and self._by_id(token_id) is None:
            raise NotFoundError(f"no token with id {token_id!r}")
        with self._lock:
            self._cache.clear()
        info = self._by_id(token_id)
        assert info is not None
        return info

    def list(self) -> list[TokenInfo]:
        with self.db.read() as conn:
            rows = conn.execute(select(api_tokens).order_by(api_tokens.c.created_at)).all()
        return [_info(r) for r in rows]

    def _by_id(self, token_id: str) -> TokenInfo | None:
        with self.db.read() as conn:
            row = conn.execute(
                select(api_tokens).where(api_tokens.c.token_id == token_id)
            ).first()
        return None if row is None else _info(row)

    def active(self, token_id: str) -> TokenInfo | None:
        """An active token's record by id, read from the store every time (no cache): the
        portal checks its session's token on each request, so a revocation ends it at once."""
        info = self._by_id(token_id)
        return info if info is not None and info.active(_now()) else None

    def resolve(self, token: str) -> Principal | None:
        """The principal of an active token, or None (unknown, revoked or expired)."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        entry = self._lookup(hash_token(token))
        if entry.principal is None or (entry.expires is not None and entry.expires <= _now()):
            return None
        return entry.principal

    def _lookup(self, digest: bytes) -> _Cached:
        clock = time.monotonic()
        cached = self._cache.get(digest)  # one dict read: atomic, no lock needed
        if cached is not None and clock - cached.at < CACHE_SECONDS:
            return cached
        with self.db.read() as conn:
            row = conn.execute(
                select(api_tokens).where(api_tokens.c.token_hash == digest)
            ).first()
        entry = _Cached.of(clock, None if row is None else _info(row))
        with self._lock:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[digest] = entry
        return entry


@dataclass(frozen=True)
class _Cached:
    """A token lookup as the hot path needs it: the principal (None: unknown or revoked)
    and the expiry, parsed once per lookup rather than once per request."""

    at: float
    principal: Principal | None
    expires: datetime | None

    @classmethod
    def of(cls, clock: float, info: TokenInfo | None) -> _Cached:
        if info is None or info.revoked_at is not None:
            return cls(clock, None, None)
        expires = None if info.expires_at is None else datetime.fromisoformat(info.expires_at)
        return cls(clock, info.principal, expires)


def _info(row: Row[Any]) -> TokenInfo:
    return TokenInfo(
        token_id=row.token_id, role=row.role, bidder_id=row.bidder_id, label=row.label,
        created_at=row.created_at, expires_at=row.expires_at, revoked_at=row.revoked_at,
        scope=Scope.from_json(row.scope),
    )
