"""Shared field types and the payload base model of the event catalogue.

Role: the bounded, JSON-stable scalar types (timestamps, money, hashes, identifiers,
pseudonymisable network/device identifiers) and the closed vocabularies that several
phases share. Pure schema code: it must not import the store, the API or the log.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

__all__ = [
    "DEFAULT_LIST_MAX",
    "MODEL_CONFIG",
    "TIME_MAX",
    "TIME_MIN",
    "AccountOrHash",
    "ActorRole",
    "B64Signature",
    "BigIdList",
    "ClassName",
    "DecimalStr",
    "DocRef",
    "EmailOrHash",
    "Hash",
    "HashList",
    "IdList",
    "Ident",
    "IpOrHash",
    "MacOrHash",
    "Money",
    "Name",
    "OpaqueOrHash",
    "Payload",
    "PhoneOrHash",
    "Round",
    "Text",
    "Timestamp",
    "Url",
    "ZoneKind",
]

MODEL_CONFIG = ConfigDict(extra="forbid", frozen=True, strict=True)
DEFAULT_LIST_MAX = 200

_NO_CTRL = r"^[^\x00-\x1f\x7f]*$"  # single-line text: no control characters at all
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # multi-line text: \t \n \r allowed
# Bidirectional overrides/isolates and zero-width characters: invisible in a display, they
# can make a name read differently from its bytes (a bidder "ABC" shown as "CBA").
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069]")
# The plausible window of a business time: it keeps typos such as year 0001 or 9999 out
# of deadlines that rules count from.
TIME_MIN = datetime(2000, 1, 1, tzinfo=UTC)
TIME_MAX = datetime(2100, 1, 1, tzinfo=UTC)
_HK1 = re.compile(r"^hk1:[0-9a-f]{32}$")
_TS_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_IPV4 = re.compile(
    r"^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$"
)


def _schema(kind: str, base: dict[str, Any]) -> WithJsonSchema:
    """A JSON schema carrying the named common type (``x-kind``) for the doc generator."""
    return WithJsonSchema({"type": "string", "x-kind": kind, **base})


def _check_timestamp(value: str) -> str:
    """Accept RFC 3339 with an explicit offset only; normalise ``t``/``z`` to upper case.

    The shape (and so the presence of an offset) is checked by the schema pattern first.
    """
    if value.endswith("-00:00"):
        raise ValueError(
            "offset -00:00 (unknown local offset) is not allowed; give the real offset"
        )
    if not value.isupper() and ("t" in value or "z" in value):
        value = value.upper()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a valid date-time: {exc}") from None
    if parsed.tzinfo is None:  # pragma: no cover - the pattern already requires an offset
        raise ValueError("naive timestamps are not allowed")
    # A year 2001–2098 is inside the window whatever the offset: only the years at its
    # ends need the comparison (which converts both sides to UTC; every event has several).
    if not "2001" <= value[:4] <= "2098" and not TIME_MIN <= parsed <= TIME_MAX:
        raise ValueError("outside the plausible window 2000-01-01T00:00:00Z .. "
                         "2100-01-01T00:00:00Z")
    return value


def _check_visible(value: str) -> str:
    """Refuse bidirectional-control and zero-width characters (see ``_INVISIBLE``)."""
    if value.isascii():  # every such character is beyond ASCII, and most codes are ASCII
        return value
    found = _INVISIBLE.search(value)
    if found:
        raise ValueError(f"invisible character U+{ord(found.group()):04X} "
                         "(bidirectional control or zero-width) is not allowed")
    return value


def _check_ip(value: str) -> str:
    """An IPv4/IPv6 address, or an already keyed-hashed ``hk1:`` pseudonym."""
    if _IPV4.fullmatch(value) or _HK1.fullmatch(value):
        return value
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError("must be an IPv4/IPv6 address or an hk1: pseudonym") from None
    return value


def _check_hk1_prefix(value: str) -> str:
    """A value starting with ``hk1:`` must be a well-formed pseudonym."""
    if value.startswith("hk1:") and not _HK1.fullmatch(value):
        raise ValueError("malformed hk1: pseudonym (expected hk1: + 32 lowercase hex)")
    return value


Timestamp = Annotated[
    str,
    StringConstraints(pattern=_TS_PATTERN, max_length=35),
    AfterValidator(_check_timestamp),
    _schema("Timestamp", {"format": "date-time", "maxLength": 35}),
]
"""RFC 3339 date-time with an explicit offset (``Z`` or ``±hh:mm``), kept as a string."""

_MONEY = r"^[0-9]{1,15}(\.[0-9]{1,4})?$"
Money = Annotated[
    str,
    StringConstraints(pattern=_MONEY, max_length=20),
    _schema("Money", {"pattern": _MONEY}),
]
"""Amount in yuan (CNY) as a decimal string, at most 4 decimals, never negative (no sign at
all, so no ``-0`` either); never a JSON number."""

DecimalStr = Annotated[
    str,
    StringConstraints(pattern=r"^-?[0-9]{1,12}(\.[0-9]{1,6})?$", max_length=20),
    _schema("Decimal", {"pattern": r"^-?[0-9]{1,12}(\.[0-9]{1,6})?$"}),
]
"""A non-money decimal quantity (score, distance, match score) as a string."""

Hash = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{64}$", min_length=64, max_length=64),
    _schema("Sha256", {"pattern": "^[0-9a-f]{64}$"}),
]
"""SHA-256 digest as 64 lowercase hex characters."""

Ident = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9._:-]+$", min_length=1, max_length=128),
    _schema("Ident", {"pattern": "^[A-Za-z0-9._:-]+$", "minLength": 1, "maxLength": 128}),
]
"""An identifier: 1–128 of ``A-Z a-z 0-9 . _ : -`` (org credit codes, person ids, refs)."""

Name = Annotated[
    str,
    StringConstraints(pattern=_NO_CTRL, min_length=1, max_length=200),
    AfterValidator(_check_visible),
    _schema("Name", {"minLength": 1, "maxLength": 200}),
]
"""A single-line human-readable name (1–200 characters, no control, bidirectional or
zero-width characters)."""

Text = Annotated[
    str,
    StringConstraints(pattern=_TEXT, min_length=1, max_length=2000),
    AfterValidator(_check_visible),
    _schema("Text", {"minLength": 1, "maxLength": 2000}),
]
"""Free text, 1–2000 characters (line breaks allowed; no bidirectional or zero-width
characters)."""

ClassName = Annotated[
    str,
    StringConstraints(pattern=_NO_CTRL, min_length=1, max_length=100),
    AfterValidator(_check_visible),
    _schema("ClassName", {"minLength": 1, "maxLength": 100}),
]
"""A classification entry as people write it: a code (``A010101``) or the national name
(评标专家专业分类 ``房屋建筑工程/施工``), 1–100 characters, single line, no invisible
characters. Compared as written: a platform uses one form for one classification."""

DocRef = Annotated[
    str,
    StringConstraints(pattern=_NO_CTRL, min_length=1, max_length=128),
    AfterValidator(_check_visible),
    _schema("DocRef", {"minLength": 1, "maxLength": 128}),
]
"""A document number as issued (文号, e.g. ``沈发改审批〔2026〕12号``) or a platform
reference: 1–128 characters, single line, no invisible characters."""

Round = Annotated[int, Field(ge=1, le=100)]
"""The tender round (1 = first tender, 2 = after the first RETENDER_STARTED, …)."""

Url = Annotated[
    str,
    StringConstraints(pattern=r"^https?://[^\s\x00-\x1f\x7f]+$", max_length=2048),
    _schema("Url", {"pattern": r"^https?://\S+$", "maxLength": 2048}),
]
"""An http(s) URL of at most 2048 characters."""

B64Signature = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9+/=_-]+$", min_length=1, max_length=8192),
    _schema("Signature", {"pattern": "^[A-Za-z0-9+/=_-]+$", "maxLength": 8192}),
]
"""A detached signature (base64 / base64url), at most 8192 characters."""

IpOrHash = Annotated[
    str,
    StringConstraints(min_length=2, max_length=45),
    AfterValidator(_check_ip),
    _schema("IpOrHash", {"maxLength": 45}),
]
"""IPv4/IPv6 address; replaced by an ``hk1:`` keyed hash before it enters the log."""

_H2 = "[0-9A-Fa-f]{2}"
_MAC_PATTERN = (
    rf"^(hk1:[0-9a-f]{{32}}|{_H2}(:{_H2}){{5}}|{_H2}(-{_H2}){{5}}"
    r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}|[0-9A-Fa-f]{12})$"
)
MacOrHash = Annotated[
    str,
    StringConstraints(pattern=_MAC_PATTERN, max_length=36),
    _schema("MacOrHash", {"maxLength": 36}),
]
"""48-bit MAC address; replaced by an ``hk1:`` keyed hash before it enters the log."""

_OPAQUE_C = StringConstraints(pattern=_NO_CTRL, min_length=1, max_length=256)
OpaqueOrHash = Annotated[
    str, _OPAQUE_C, AfterValidator(_check_hk1_prefix), _schema("OpaqueOrHash", {"maxLength": 256})
]
"""Device fingerprint / tool machine code; replaced by an ``hk1:`` keyed hash."""

PhoneOrHash = Annotated[
    str,
    StringConstraints(pattern=r"^(hk1:[0-9a-f]{32}|\+?[0-9][0-9 ()-]{2,30})$", max_length=36),
    _schema("PhoneOrHash", {"maxLength": 36}),
]
"""Telephone number; replaced by an ``hk1:`` keyed hash before it enters the log."""

EmailOrHash = Annotated[
    str,
    StringConstraints(pattern=r"^(hk1:[0-9a-f]{32}|[^\s@\x00-\x1f]{1,64}@[^\s@\x00-\x1f]{1,190})$"),
    _schema("EmailOrHash", {"maxLength": 255}),
]
"""E-mail address; replaced by an ``hk1:`` keyed hash before it enters the log."""

AccountOrHash = Annotated[
    str,
    StringConstraints(pattern=r"^(hk1:[0-9a-f]{32}|[0-9A-Za-z][0-9A-Za-z -]{3,63})$"),
    _schema("AccountOrHash", {"maxLength": 64}),
]
"""Bank account number; replaced by an ``hk1:`` keyed hash before it enters the log."""

ActorRole = Literal[
    "tenderer",
    "agent",
    "bidder",
    "expert",
    "tenderer_rep",
    "center_staff",
    "supervisor",
    "platform_operator",
    "regulator",
    "system",
]
ZoneKind = Literal[
    "opening_hall",
    "evaluation_room",
    "isolation_corridor",
    "bidder_waiting_area",
    "supervision_room",
    "deposit_point",
    "other",
]


IdList = Annotated[list[Ident], Field(max_length=DEFAULT_LIST_MAX)]
"""A list of at most 200 identifiers."""
BigIdList = Annotated[list[Ident], Field(max_length=2000)]
"""A list of at most 2000 identifiers (bidders, downloaders, recipients)."""
HashList = Annotated[list[Hash], Field(max_length=DEFAULT_LIST_MAX)]
"""A list of at most 200 SHA-256 digests."""


class Payload(BaseModel):
    """Base of every payload model: frozen, strict, unknown fields rejected."""

    model_config = MODEL_CONFIG

    EVENT_TYPE: ClassVar[str] = ""
    EMITTED_BY: ClassVar[str] = ""
    PHASE: ClassVar[str] = ""
