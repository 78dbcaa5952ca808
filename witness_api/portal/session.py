"""Portal sessions: a role token exchanged once at ``POST /login`` for a signed cookie.

The cookie ``witness_session`` never holds the token. It holds the token's id, an expiry
and a random nonce, signed with HMAC-SHA256 under the portal's session key
(``<home>/portal-session.key``, 32 random bytes, mode 0600, created on first use): every
worker of one home reads the same key, so each accepts the others' cookies. On every
request the signature and expiry are checked and the token id must still be active in the
token store (read uncached): revoking the token ends its sessions at once. A session lasts
``SESSION_SECONDS`` (8 h), never beyond the token's own expiry.

CSRF: each state-changing form carries ``csrf`` = HMAC(key, purpose ‖ session nonce); the
login form, before any session exists, is bound the same way to a nonce in the short-lived
``witness_login`` cookie. Every MAC is domain-separated by a purpose label and compared in
constant time.

Certificate login (数字证书, CA锁) is not built in; ``CertificateLogin`` below is the
extension point a deployment implements to map a verified client certificate to a token.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fastapi import Request

from ledger.keys import PRIVATE_MODE, KeyFileError
from witness_api.tokens import TokenInfo

SESSION_COOKIE = "witness_session"
LOGIN_COOKIE = "witness_login"
KEY_FILE = "portal-session.key"
SESSION_SECONDS = 8 * 3600
LOGIN_NONCE_SECONDS = 3600
_VERSION = "v1"
_LABEL = b"witness-portal/v1\x00"
_COOKIE = re.compile(r"^v1\.([0-9a-f]{1,32})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})"
                     r"\.([A-Za-z0-9_-]{43})$")
_NONCE = re.compile(r"^[A-Za-z0-9_-]{22}$")


@dataclass(frozen=True)
class Session:
    """What the cookie carries: whose token, until when (Unix seconds), and a nonce."""

    token_id: str
    expires: int
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def new_nonce() -> str:
    return _b64(secrets.token_bytes(16))


def valid_nonce(value: str | None) -> bool:
    return bool(value) and _NONCE.match(value or "") is not None


class SessionKeys:
    """The portal's MAC key: session cookies, CSRF tokens and the login nonce."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise KeyFileError("the portal session key must be at least 32 bytes")
        self._key = key

    @classmethod
    def of_home(cls, home: Path) -> SessionKeys:
        return cls(load_or_create_key(home / KEY_FILE))

    def mac(self, purpose: str, text: str) -> str:
        message = _LABEL + purpose.encode("ascii") + b"\x00" + text.encode("utf-8")
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def seal(self, session: Session) -> str:
        body = f"{_VERSION}.{session.token_id}.{session.expires}.{session.nonce}"
        return f"{body}.{self.mac('session', body)}"

    def open(self, value: str, now: float | None = None) -> Session | None:
        """The session a cookie value carries, or None (malformed, forged or expired)."""
        found = _COOKIE.match(value or "")
        if found is None:
            return None
        body = value.rsplit(".", 1)[0]
        if not hmac.compare_digest(self.mac("session", body), found.group(4)):
            return None
        session = Session(found.group(1), int(found.group(2)), found.group(3))
        return session if session.expires > (time.time() if now is None else now) else None

    def csrf(self, purpose: str, nonce: str) -> str:
        """The CSRF token of a form: bound to the session's (or login cookie's) nonce."""
        return self.mac("csrf:" + purpose, nonce)

    def csrf_ok(self, purpose: str, nonce: str | None, given: str | None) -> bool:
        if not valid_nonce(nonce) or not given or len(given) > 100:
            return False
        return hmac.compare_digest(self.csrf(purpose, str(nonce)), given)


def session_for(info: TokenInfo, now: float | None = None) -> Session:
    """A new session for an active token: 8 hours, or until the token expires if sooner."""
    start = time.time() if now is None else now
    end = start + SESSION_SECONDS
    if info.expires_at is not None:
        end = min(end, datetime.fromisoformat(info.expires_at).timestamp())
    return Session(info.token_id, int(end), new_nonce())


def load_or_create_key(path: Path) -> bytes:
    """The key file's bytes; created (0600) on first use. Workers starting together race to
    create it: each writes a private temporary file and links it into place, so exactly one
    wins and nobody ever reads a half-written key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(32))
            with contextlib.suppress(FileExistsError):  # another worker won: use its key
                os.link(temp, path)
        finally:
            temp.unlink(missing_ok=True)
    if path.stat().st_mode & 0o077:
        raise KeyFileError(f"portal session key {path} is readable by others: chmod 600 it")
    return path.read_bytes()


class CertificateLogin(ABC):
    """Extension point: log in with a digital certificate (数字证书 / CA锁) instead of a token.

    A deployment whose users hold certificates from a CA the center trusts implements both
    methods and passes an instance to ``witness_api.create_app(settings,
    certificate_login=...)`` in its own app factory; the login page then offers 数字证书登录,
    which posts to ``POST /login/certificate``. The TLS terminator (or the CA锁's browser
    plug-in) verifies the certificate chain and the possession of the private key;
    ``certificate_of`` reads the verified certificate from the request as that terminator
    hands it over (e.g. a header only the terminator can set), and ``token_for`` answers the
    id of the token the holder logs in as (one created with ``witness token create`` for
    that bidder, supervisor or regulator), or None to refuse. The token must be active; the
    session that follows is a token login's: same cookie, same expiry rule, same revocation.
    Nothing is implemented here on purpose: which CA, which subject field names which bidder
    id or department, and how revocation lists are fetched are the deployment's decisions.
    """

    @abstractmethod
    def certificate_of(self, request: Request) -> str | None:
        """The verified client certificate (PEM) of ``request``, or None without one."""

    @abstractmethod
    def token_for(self, certificate_pem: str) -> str | None:
        """The token id this verified certificate logs in as, or None."""
