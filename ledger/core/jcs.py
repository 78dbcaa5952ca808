"""RFC 8785 (JCS) canonical JSON: the reference package, and the standard library's C
encoder wherever its output is provably the same bytes.

The fast path is what makes canonicalising an event cheap: ``json``'s C encoder with sorted
keys writes JCS exactly for values of strings, booleans, null, arrays, objects with string
keys and integers within ±2^53, except for key order where a key holds a character beyond
the BMP (JCS sorts UTF-16 code units) and for lone surrogates; those go to ``rfc8785``.
A property test compares the two on random values (``tests/core/test_canonical.py``).

Must not import anything outside the standard library and ``rfc8785``.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable, Sequence
from typing import Any

import rfc8785

from ledger.core.errors import MalformedError

MAX_SAFE_INT = 2**53 - 1
_json_dumps = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode
# The C encoder behind ``_json_dumps``, made once: ``JSONEncoder.encode`` builds a new one
# (and a closure) on every call, which cost more than the encoding of a typical field. No
# circular check: the walk of ``fast_path_applies_to`` never finishes on a cycle anyway.
_c_make_encoder: Callable[..., Callable[[Any, int], Sequence[str]]] | None = getattr(
    json.encoder, "c_make_encoder", None)
_c_encode = (None if _c_make_encoder is None else _c_make_encoder(
    None, None, json.encoder.encode_basestring, None, ":", ",", True, False, False))


def encode_text(obj: Any) -> str:
    """``_json_dumps(obj)`` (same text), through the C encoder when there is one."""
    if type(obj) is str:
        return json.encoder.encode_basestring(obj)
    if _c_encode is None:  # pragma: no cover - CPython always has the C encoder
        return _json_dumps(obj)
    return "".join(_c_encode(obj, 0))


_SCALARS = frozenset({str, bool, type(None)})


def fast_path_applies_to(obj: Any) -> bool:
    """True when json's output is provably JCS: no floats, no ints beyond 2^53, str keys.

    For such values the only remaining differences are key order for characters outside
    the BMP (JCS sorts UTF-16 code units) and lone surrogates; the caller checks the bytes.
    """
    kind = type(obj)
    if kind is not dict and kind is not list:
        return _scalar_ok(obj)
    stack = [obj]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        if type(item) is dict:
            if item and set(map(type, item)) != _STR_ONLY:
                return False
            values = item.values()
        else:
            values = item
        # Most containers of an event hold only strings, booleans and nulls: one set
        # built in C settles them without a Python-level look at each value.
        if _SCALARS.issuperset(map(type, values)):
            continue
        for value in values:
            kind = type(value)
            if kind is dict or kind is list:
                push(value)
            elif kind not in _SCALARS and not _scalar_ok(value):
                return False
    return True


def _scalar_ok(value: object) -> bool:
    if type(value) is int:
        return -MAX_SAFE_INT <= value <= MAX_SAFE_INT
    return type(value) in _SCALARS


_STR_ONLY = {str}


# Deleting every byte below F0 leaves the bytes F0-F4 that lead UTF-8 sequences beyond the
# BMP (valid UTF-8 has no F5-FF): one C pass, cheaper than a regex search.
BELOW_ASTRAL = bytes(range(0xF0))


def canonical_json(obj: Any) -> bytes:
    """RFC 8785 canonical JSON bytes of ``obj``.

    The ``rfc8785`` package is the reference; a stdlib fast path (about 4x faster) is taken
    only where its output is byte-identical, which a property test checks against it.
    """
    return canonical_bytes(obj, fast_path_applies_to(obj))


def canonical_bytes(obj: Any, fast_path_applies: bool) -> bytes:
    """``canonical_json(obj)`` for a caller that has already walked ``obj``:
    ``fast_path_applies`` is ``fast_path_applies_to(obj)``."""
    if fast_path_applies:
        try:
            data = encode_text(obj).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: let the reference reject it
            data = b"\xf0"
        if data.isascii() or not data.translate(None, BELOW_ASTRAL):  # all in the BMP
            return data
    try:
        return rfc8785.dumps(obj)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError) as exc:
        raise MalformedError(f"cannot canonicalise: {exc}") from exc
