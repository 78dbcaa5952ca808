"""Keyed hashing of personal identifiers before an event enters the log.

Role: replace raw IPs, MACs, device fingerprints, tool machine codes, bank account numbers,
phone numbers and e-mail addresses with ``hk1:`` + the first 32 hex digits of
HMAC-SHA256(key, normalised value). The rules only compare these values for equality, so a
keyed hash keeps them useful while the public log leaks nothing (a plain hash of an IPv4
address is trivially brute-forced). Which fields: ``PSEUDONYMISED_KINDS`` names, at the top
level of ``payload`` and of ``context``.
Pure code: it must not import the store, the API or the log.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Callable
from typing import Any

from ledger.events.catalogue import PSEUDONYMISED_FIELDS, PSEUDONYMISED_KINDS

__all__ = ["CONTEXT_FIELDS", "PREFIX", "Pseudonymizer", "normalise"]

PREFIX = "hk1:"
_CACHE_MAX = 65536  # recent (kind, raw value) → token; the same bidder IP recurs a lot
_HEX12 = re.compile(r"^[0-9a-f]{12}$")
CONTEXT_FIELDS: tuple[str, ...] = ("client_ip", "client_mac", "device_fp", "tool_machine_code")


def _norm_ip(value: str) -> str:
    """Canonical text of an IP; an IPv4-mapped IPv6 address becomes the IPv4 address."""
    addr = ipaddress.ip_address(value.strip())
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


def _norm_mac(value: str) -> str:
    """``aa:bb:cc:dd:ee:ff`` from any of the usual MAC spellings."""
    digits = re.sub(r"[:.\-\s]", "", value).lower()
    if not _HEX12.match(digits):
        raise ValueError("not a 48-bit MAC address")
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def _norm_phone(value: str) -> str:
    """Digits only, the mainland country prefix (+86 / 0086) dropped."""
    digits = re.sub(r"[^0-9+]", "", value)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            return digits[len(prefix) :]
    return digits.lstrip("+")


_NORMALISERS: dict[str, Callable[[str], str]] = {
    "ip": _norm_ip,
    "mac": _norm_mac,
    "email": lambda v: v.strip().lower(),
    "phone": _norm_phone,
    "account": lambda v: re.sub(r"[\s-]", "", v).upper(),
    "opaque": lambda v: v.strip().lower(),
}


def normalise(kind: str, value: str) -> str:
    """The normalised form of ``value`` for the given kind (see ``PSEUDONYMISED_KINDS``)."""
    return _NORMALISERS[kind](value)


class Pseudonymizer:
    """Replaces personal identifiers in an event's JSON with keyed hashes (``hk1:``)."""

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray) or len(key) < 16:
            raise ValueError("pseudonymisation key must be at least 16 bytes")
        self._key = bytes(key)
        self._cache: dict[tuple[str, str], str] = {}

    def token(self, kind: str, value: str) -> str:
        """``hk1:`` + 32 hex digits of HMAC-SHA256(key, normalised value); idempotent."""
        if value.startswith(PREFIX):
            return value
        cached = self._cache.get((kind, value))
        if cached is None:
            norm = normalise(kind, value).encode("utf-8")
            cached = PREFIX + hmac.digest(self._key, norm, "sha256").hex()[:32]
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[(kind, value)] = cached
        return cached

    def _replace(self, obj: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
        """A copy of ``obj`` with the string values of ``fields`` replaced."""
        out = dict(obj)
        for name in fields:
            value = out.get(name)
            if isinstance(value, str):
                out[name] = self.token(PSEUDONYMISED_KINDS[name], value)
        return out

    def apply(self, event_json: dict[str, Any]) -> dict[str, Any]:
        """A new event dict with every listed identifier pseudonymised (input untouched)."""
        out = dict(event_json)
        payload = out.get("payload")
        fields = PSEUDONYMISED_FIELDS.get(str(out.get("type")), ())
        if isinstance(payload, dict) and fields:
            out["payload"] = self._replace(payload, fields)
        context = out.get("context")
        if isinstance(context, dict):
            out["context"] = self._replace(context, CONTEXT_FIELDS)
        return out
