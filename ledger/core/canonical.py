"""The versioned event envelope and its canonical bytes (RFC 8785 JCS).

The envelope binds a submitted event to its place in the log: origin, project sequence,
the previous leaf of the same project, the ledger's receive time and a random salt (so a
leaf hash or proof sibling leaks nothing about low-entropy fields such as a price).
``leaf = SHA-256(0x00 ‖ canonical bytes)``.

Must not import anything outside the standard library and ``rfc8785``; no clock, no
randomness (the caller passes ``received_at`` and ``salt``).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import json
import json.encoder
import re
from binascii import hexlify
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ledger.core.errors import MalformedError
from ledger.core.hashing import HASH_SIZE
from ledger.core.jcs import BELOW_ASTRAL as _BELOW_ASTRAL
from ledger.core.jcs import MAX_SAFE_INT as _MAX_SAFE_INT
from ledger.core.jcs import canonical_bytes as _canonical
from ledger.core.jcs import canonical_json as canonical_json  # re-export: it was here
from ledger.core.jcs import encode_text as _dumps
from ledger.core.jcs import fast_path_applies_to as _fast_path_applies
from ledger.core.json_text import MAX_JSON_DEPTH as MAX_JSON_DEPTH  # re-export: it was here
from ledger.core.json_text import check_json_depth as check_json_depth  # re-export: idem

ENVELOPE_VERSION = 1
SALT_SIZE = 32
MAX_CANONICAL_SIZE = 256 * 1024
ZERO_HASH = bytes(HASH_SIZE)

# Fields a submitter provides (the rest is assigned by the ledger).
SUBMITTED_FIELDS = ("event_id", "type", "project_id", "section_id", "occurred_at", "actor",
                    "context", "payload")
OPTIONAL_FIELDS = frozenset({"section_id", "context"})
ENVELOPE_FIELDS = frozenset(
    {"v", "origin", "project_seq", "prev", "received_at", "salt", *SUBMITTED_FIELDS}
)
# A sealed event (a bid-phase event recorded before its section's opening) is outside the
# project's public chain: no ``project_seq``/``prev`` (they would let its owner count the
# sealed events before it), and ``seal`` names the phase it was sealed in. The opening's
# BIDS_UNSEALED event lists it (ledger.core.sealed).
SEALED_ENVELOPE_FIELDS = frozenset({"v", "origin", "received_at", "salt", "seal",
                                    *SUBMITTED_FIELDS})
SEAL_PHASES = frozenset({"bidding"})


def submission_digest(event: Mapping[str, Any]) -> bytes:
    """Digest of what a submitter sent (what the idempotency check compares): SHA-256 of the
    canonical JSON of the submitted fields; the same value as ``prepare_event(...).digest``."""
    submitted = {k: event[k] for k in SUBMITTED_FIELDS if event.get(k) is not None}
    return hashlib.sha256(_join((k, canonical_json(submitted[k])) for k in sorted(submitted)))\
        .digest()


def make_envelope(
    *,
    origin: str,
    event: Mapping[str, Any],
    project_seq: int,
    prev: bytes,
    received_at: str,
    salt: bytes,
) -> dict[str, Any]:
    """The envelope of a validated event (a JSON-ready mapping with the submitted fields)."""
    if len(prev) != HASH_SIZE or len(salt) != SALT_SIZE:
        raise MalformedError("prev must be 32 bytes and salt 32 bytes")
    env: dict[str, Any] = {
        "v": ENVELOPE_VERSION,
        "origin": origin,
        "project_seq": project_seq,
        "prev": prev.hex(),
        "received_at": received_at,
        "salt": salt.hex(),
    }
    for key in SUBMITTED_FIELDS:
        if key in event and event[key] is not None:
            env[key] = event[key]
        elif key not in OPTIONAL_FIELDS:
            raise MalformedError(f"event lacks {key}")
    return env


@dataclass(frozen=True, slots=True)
class PreparedEvent:
    """A submitted event with its fields canonicalised once, ready to be enveloped.

    JCS sorts an object's keys and canonicalises each value on its own, so the canonical
    bytes of the envelope are the canonical bytes of its values joined in key order. The
    submitted values are encoded once, before the sequencer lock; under the lock only the
    six small ledger fields are added. ``digest`` (the idempotency key's content hash) is
    SHA-256 of the canonical JSON of the submitted fields alone. ``runs``: the ``"key":value``
    members falling in each gap between the ledger's own keys (``_OWN_KEYS``), joined, so
    that enveloping is a concatenation, not a sort.
    """

    event_id: str
    project_id: str
    digest: bytes
    runs: tuple[bytes, ...]


# Every key the ledger adds to an envelope, public or sealed, in JCS order; a submitted key
# sorts into one gap between two of them (gap i: before _OWN_KEYS[i]; the last: after all).
_OWN_KEYS = ("origin", "prev", "project_seq", "received_at", "salt", "seal", "v")
_GAP_OF = {k: bisect.bisect(_OWN_KEYS, k) for k in SUBMITTED_FIELDS}
_SORTED_FIELDS = tuple(sorted(SUBMITTED_FIELDS))
_MEMBER = {k: b'"' + k.encode() + b'":' for k in (*SUBMITTED_FIELDS, *_OWN_KEYS)}
_VERSION = str(ENVELOPE_VERSION).encode()
_REQUIRED_FIELDS = frozenset(SUBMITTED_FIELDS) - OPTIONAL_FIELDS


@functools.cache
def _gap_slices(keys: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """For the submitted keys present (in key order): the members of each gap, as a slice."""
    gaps = [_GAP_OF[k] for k in keys]
    return tuple((bisect.bisect_left(gaps, g), bisect.bisect_right(gaps, g))
                 for g in range(len(_OWN_KEYS) + 1))


def prepare_event(event: Mapping[str, Any]) -> PreparedEvent:
    """Canonicalise the submitted fields of a validated event (floats refused)."""
    submitted = {k: v for k in _SORTED_FIELDS if (v := event.get(k)) is not None}
    if not submitted.keys() >= _REQUIRED_FIELDS:
        missing = [k for k in SUBMITTED_FIELDS if k not in submitted and k not in OPTIONAL_FIELDS]
        raise MalformedError(f"event lacks {', '.join(missing)}")
    if not _fast_path_applies(submitted):
        raise MalformedError("event values must be strings, booleans, null, arrays, objects "
                             "and integers within ±2^53 (no floats: use decimal strings)")
    try:
        members = [_MEMBER[k] + _dumps(v).encode("utf-8") for k, v in submitted.items()]
    except UnicodeEncodeError:  # a lone surrogate: the reference path below rejects it
        members = []
    body = b"{" + b",".join(members) + b"}"
    if not members or (not body.isascii() and body.translate(None, _BELOW_ASTRAL)):
        members = [_MEMBER[k] + _canonical(v, True) for k, v in submitted.items()]
        body = b"{" + b",".join(members) + b"}"
    runs = tuple([b",".join(members[lo:hi]) for lo, hi in _gap_slices(tuple(submitted))])
    return PreparedEvent(str(submitted["event_id"]), str(submitted["project_id"]),
                         hashlib.sha256(body).digest(), runs)


def _join(fragments: Iterable[tuple[str, bytes]]) -> bytes:
    # Keys are ASCII field names: code-point order is UTF-16 order.
    return b"{" + b",".join(b'"' + k.encode() + b'":' + v for k, v in fragments) + b"}"


def _interleave(prepared: PreparedEvent, own: Mapping[str, bytes]) -> bytes:
    """The envelope's members in key order: each gap's submitted run, then the own key."""
    runs = prepared.runs
    parts = [runs[0]]
    for i, key in enumerate(_OWN_KEYS):
        value = own.get(key)
        if value is not None:
            parts.append(_MEMBER[key] + value)
        parts.append(runs[i + 1])
    return b"{" + b",".join([p for p in parts if p]) + b"}"


# The submitted fields fill the gaps before "origin", between "origin" and "prev", between
# "prev" and "project_seq", and between "seal" and "v" (each holding a required field), and
# no other: envelopes are then joined in one straight line; otherwise gap by gap.
_STATIC_LAYOUT = ({_GAP_OF[k] for k in SUBMITTED_FIELDS} == {0, 1, 2, 6}
                  and {_GAP_OF[k] for k in SUBMITTED_FIELDS if k not in OPTIONAL_FIELDS}
                  == {0, 1, 2, 6})


def assemble_envelope(prepared: PreparedEvent, *, origin: str, project_seq: int, prev: bytes,
                      received_at: str, salt: bytes) -> bytes:
    """Canonical envelope bytes: equal to ``encode_envelope(make_envelope(...))``."""
    if len(prev) != HASH_SIZE or len(salt) != SALT_SIZE:
        raise MalformedError("prev must be 32 bytes and salt 32 bytes")
    if not 0 <= project_seq <= _MAX_SAFE_INT:
        raise MalformedError("project_seq out of range")
    origin_b, seq_b, received_b = (_canonical(origin, True), str(project_seq).encode(),
                                   _plain(received_at))
    runs = prepared.runs
    if _STATIC_LAYOUT:
        data = b"".join((b"{", runs[0], b',"origin":', origin_b, b",", runs[1], b',"prev":"',
                         hexlify(prev), b'",', runs[2], b',"project_seq":', seq_b,
                         b',"received_at":', received_b, b',"salt":"', hexlify(salt), b'",',
                         runs[6], b',"v":', _VERSION, b"}"))
    else:
        data = _interleave(prepared, {
            "origin": origin_b, "prev": b'"' + hexlify(prev) + b'"', "project_seq": seq_b,
            "received_at": received_b, "salt": b'"' + hexlify(salt) + b'"', "v": _VERSION})
    if len(data) > MAX_CANONICAL_SIZE:
        raise MalformedError(f"envelope is {len(data)} bytes, more than {MAX_CANONICAL_SIZE}")
    return data


def assemble_sealed_envelope(prepared: PreparedEvent, *, origin: str, received_at: str,
                             salt: bytes, seal: str = "bidding") -> bytes:
    """Canonical bytes of a sealed envelope (no ``project_seq``/``prev``, ``seal`` set)."""
    if len(salt) != SALT_SIZE or seal not in SEAL_PHASES:
        raise MalformedError("salt must be 32 bytes and seal a known phase")
    origin_b, received_b = _canonical(origin, True), _plain(received_at)
    runs = prepared.runs
    if _STATIC_LAYOUT:
        data = b"".join((b"{", runs[0], b',"origin":', origin_b, b",", runs[1], b",",
                         runs[2], b',"received_at":', received_b, b',"salt":"', hexlify(salt),
                         b'","seal":', _plain(seal), b",", runs[6], b',"v":', _VERSION, b"}"))
    else:
        data = _interleave(prepared, {
            "origin": origin_b, "received_at": received_b,
            "salt": b'"' + hexlify(salt) + b'"', "seal": _plain(seal), "v": _VERSION})
    if len(data) > MAX_CANONICAL_SIZE:
        raise MalformedError(f"envelope is {len(data)} bytes, more than {MAX_CANONICAL_SIZE}")
    return data


def is_sealed_envelope(envelope: Mapping[str, Any]) -> bool:
    """True for a decoded sealed envelope (outside the public project chain)."""
    return "seal" in envelope


_PLAIN = re.compile(r"[0-9A-Za-z:.+-]*")


def _plain(text: str) -> bytes:
    """A JSON string for text that needs no escaping (timestamps), else the full encoder."""
    return b'"' + text.encode() + b'"' if _PLAIN.fullmatch(text) else _canonical(text, True)


def encode_envelope(envelope: Mapping[str, Any]) -> bytes:
    """Canonical bytes of an envelope. Floats are refused: JCS writes an integral float such
    as 1e16 as an integer that would not decode back (amounts are decimal strings)."""
    if not _fast_path_applies(envelope):
        raise MalformedError("envelope values must be strings, booleans, null, arrays, objects "
                             "and integers within ±2^53 (no floats: use decimal strings)")
    data = _canonical(envelope, True)  # the walk above already proved the fast path applies
    if len(data) > MAX_CANONICAL_SIZE:
        raise MalformedError(f"envelope is {len(data)} bytes, more than {MAX_CANONICAL_SIZE}")
    return data


def decode_envelope(data: bytes) -> dict[str, Any]:
    """Parse canonical envelope bytes, checking version, fields and canonical form."""
    if len(data) > MAX_CANONICAL_SIZE:
        raise MalformedError(f"envelope is {len(data)} bytes, more than {MAX_CANONICAL_SIZE}")
    check_json_depth(data)
    env = _proven_canonical(data)
    if env is None:  # not proven here: the reference check decides, and words any refusal
        return _decode_checked(data)
    return _check_fields(env)


def _decode_checked(data: bytes) -> dict[str, Any]:
    """The reference check: parse, then compare with ``canonical_json`` of the value."""
    try:
        env = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # JSON, UTF-8, int digits, nesting
        raise MalformedError(f"envelope is not UTF-8 JSON: {exc}") from exc
    env = _check_fields(env)  # a refusal names the field before the form, as it always did
    if canonical_json(env) != data:
        raise MalformedError("envelope bytes are not in canonical (RFC 8785) form")
    return env


class _NotProven(Exception):
    """A number left to the reference check (floats, NaN, integers beyond ±2^53)."""


def _safe_int(text: str) -> int:
    if not -_MAX_SAFE_INT <= (value := int(text)) <= _MAX_SAFE_INT:
        raise _NotProven
    return value


def _not_proven(text: str) -> Any:
    raise _NotProven


# What it returns is a value ``_fast_path_applies`` to, by construction (str keys; str,
# bool, None and integers within ±2^53): ``_canonical`` of it is ``_dumps`` of it.
_PROVING = json.JSONDecoder(parse_int=_safe_int, parse_float=_not_proven,
                            parse_constant=_not_proven)


def _proven_canonical(data: bytes) -> Any:
    """The parsed value if ``data`` is its own canonical form by the short proof, else None.

    The proof is the reference check restricted to where it is plain: a value
    ``_fast_path_applies`` to (ensured while parsing), encoded by the C encoder, compared as
    text (equal text is valid UTF-8 whose encoding is ``data``), and no character beyond
    the BMP (where JCS key order and the encoder's differ). Whatever it does not prove goes
    to the reference check, which alone refuses: the verdicts are the reference's.
    """
    try:
        text = data.decode("utf-8")
        value = _PROVING.decode(text)
    except (ValueError, RecursionError, _NotProven):
        return None
    if _dumps(value) != text:
        return None
    if not data.isascii() and data.translate(None, _BELOW_ASTRAL):
        return None
    return value


def _check_fields(env: Any) -> dict[str, Any]:
    """``env`` once its version, fields and seal phase are checked."""
    if not isinstance(env, dict):
        raise MalformedError("envelope is not a JSON object")
    version = env.get("v")
    if type(version) is not int or version != ENVELOPE_VERSION:  # JSON true is not 1
        raise MalformedError(f"unsupported envelope version {version!r}")
    fields = SEALED_ENVELOPE_FIELDS if "seal" in env else ENVELOPE_FIELDS
    missing = fields - OPTIONAL_FIELDS - env.keys()
    extra = env.keys() - fields
    if missing or extra:
        raise MalformedError(f"envelope fields: missing {sorted(missing)}, unknown {sorted(extra)}")
    if "seal" in env and env["seal"] not in SEAL_PHASES:
        raise MalformedError(f"unknown seal phase {str(env['seal'])[:32]!r}")
    return env


def envelope_prev(envelope: Mapping[str, Any]) -> bytes:
    try:
        prev = bytes.fromhex(envelope["prev"])
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedError("envelope prev is not hex") from exc
    if len(prev) != HASH_SIZE:
        raise MalformedError("envelope prev is not 32 bytes")
    return prev
