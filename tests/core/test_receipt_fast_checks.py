"""The short ways a receipt check takes, against the reference ways they stand in for.

- ``decode_envelope`` proves most canonical envelopes without ``canonical_json``; here it
  is compared with the reference check (the whole comparison, as it was written before the
  short proof) on random envelopes in canonical and non-canonical spellings and on
  adversarial edits: the same value or the same refusal, word for word.
- ``_hex_hashes`` decodes a list with ``fromhex`` mapped in C: the same hashes or the same
  error as one ``_hex_hash`` each.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.canonical import (
    ENVELOPE_FIELDS,
    ENVELOPE_VERSION,
    OPTIONAL_FIELDS,
    SEAL_PHASES,
    SEALED_ENVELOPE_FIELDS,
    canonical_json,
    check_json_depth,
    decode_envelope,
)
from ledger.core.errors import MalformedError
from ledger.core.receipt import _hex_hash, _hex_hashes

# -- the envelope --------------------------------------------------------------------------


def _reference_decode(data: bytes) -> dict[str, Any]:
    """``decode_envelope`` as it was before the short proof (size checks aside)."""
    check_json_depth(data)
    try:
        env = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise MalformedError(f"envelope is not UTF-8 JSON: {exc}") from exc
    if not isinstance(env, dict):
        raise MalformedError("envelope is not a JSON object")
    version = env.get("v")
    if type(version) is not int or version != ENVELOPE_VERSION:
        raise MalformedError(f"unsupported envelope version {version!r}")
    fields = SEALED_ENVELOPE_FIELDS if "seal" in env else ENVELOPE_FIELDS
    missing = fields - OPTIONAL_FIELDS - env.keys()
    extra = env.keys() - fields
    if missing or extra:
        raise MalformedError(f"envelope fields: missing {sorted(missing)}, unknown {sorted(extra)}")
    if "seal" in env and env["seal"] not in SEAL_PHASES:
        raise MalformedError(f"unknown seal phase {str(env['seal'])[:32]!r}")
    if canonical_json(env) != data:
        raise MalformedError("envelope bytes are not in canonical (RFC 8785) form")
    return env


def _outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    try:
        value = fn(*args)
    except MalformedError as exc:
        return "refused", (type(exc), str(exc))
    return "value", repr(value)  # a dict's repr shows its key order, which a reader sees


def _same_verdict(data: bytes) -> None:
    assert _outcome(decode_envelope, data) == _outcome(_reference_decode, data), data


# Text that stresses the encoder: escapes, controls, DEL, characters beyond the BMP (whose
# JCS order differs from Python's), and a lone surrogate (no UTF-8 spelling).
_chars = st.sampled_from(["a", "Z", " ", '"', "\\", "/", "\n", "\t", "\x00", "\x1f", "\x7f",
                          "é", "中", "\u2028", "\ufeff", "\U0001f600", "\U00010000", "\ud800"])
_text = st.text(_chars, max_size=6) | st.text(max_size=6)
_scalars = (st.none() | st.booleans() | _text
            | st.integers(-(2**53) + 1, 2**53 - 1) | st.integers() | st.just(-0)
            | st.floats(allow_nan=True, allow_infinity=True))
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(_text, inner, max_size=3), max_leaves=8)


@st.composite
def _envelopes(draw: st.DrawFn) -> dict[str, Any]:
    sealed = draw(st.booleans())
    names = sorted(SEALED_ENVELOPE_FIELDS if sealed else ENVELOPE_FIELDS)
    env: dict[str, Any] = {}
    for name in names:
        if name in OPTIONAL_FIELDS and draw(st.booleans()):
            continue
        env[name] = draw(st.sampled_from(["x", "2024-05-01T01:30:00Z", 7, None]))
    env["v"] = draw(st.sampled_from([1, 1, 1, 2, True, "1"]))
    if sealed:
        env["seal"] = draw(st.sampled_from(["bidding", "bidding", "opening"]))
    env["payload"] = draw(st.dictionaries(_text, _values, max_size=4))
    if draw(st.booleans()):
        env[draw(_text)] = draw(_values)  # perhaps an unknown field
    return env


def _spellings(env: dict[str, Any]) -> list[bytes]:
    """The envelope in canonical form (if it has one) and in near misses."""
    out = []
    with contextlib.suppress(rfc8785.CanonicalizationError, UnicodeEncodeError):
        out.append(rfc8785.dumps(env))
    for ascii_only in (True, False):
        for sort in (True, False):
            text = json.dumps(env, ensure_ascii=ascii_only, sort_keys=sort,
                              separators=(",", ":"))
            out.append(text.encode("utf-8", "surrogatepass"))
    out.append(json.dumps(env, sort_keys=True).encode("utf-8", "surrogatepass"))
    return out


@settings(deadline=None, max_examples=300)
@given(_envelopes())
def test_envelope_verdicts_match_the_reference(env: dict[str, Any]) -> None:
    for data in _spellings(env):
        _same_verdict(data)


_EDITS = [b" ", b"\n", b"\t", b"\r", b",", b"\\", b'"', b"\\/", b"\\u0041", b"\\u00E9", b"-0",
          b"0", b"1.0", b"1e2", b"NaN", b"\xef\xbb\xbf", b"\xf0\x9f\x98\x80", b"\xff", b"\x00"]


@settings(deadline=None, max_examples=300)
@given(_envelopes(), st.data())
def test_edited_envelopes_match_the_reference(env: dict[str, Any], data: st.DataObject
                                              ) -> None:
    spellings = _spellings(env)
    base = data.draw(st.sampled_from(spellings))
    at = data.draw(st.integers(0, len(base)))
    cut = data.draw(st.integers(0, 2))
    edit = data.draw(st.sampled_from(_EDITS))
    _same_verdict(base[:at] + edit + base[at + cut:])


def _envelope(payload: dict[str, Any]) -> dict[str, Any]:
    return {name: "x" for name in ENVELOPE_FIELDS} | {"v": 1, "project_seq": 3,
                                                      "payload": payload}


def _canonical(**payload: Any) -> bytes:
    return rfc8785.dumps(_envelope(payload))


def _python_sorted(**payload: Any) -> bytes:
    """Keys in code point order, which is JCS order except next to characters beyond the BMP
    (JCS compares UTF-16 code units: U+1F600 is D83D DE00, before U+FF61)."""
    return json.dumps(_envelope(payload), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode()


@pytest.mark.parametrize("data", [
    _canonical(a="b"),
    _canonical(a="\u00e9\u4e2d"),
    _canonical(**{"\U0001f600": 1, "\uff61": 2}),  # JCS order differs from Python's here
    _canonical(**{"\uff61": 2, "\U0001f600": 1}),
    _python_sorted(**{"\uff61": 2, "\U0001f600": 1}),
    _python_sorted(a={"\U00010000": 1, "\ufeff": 2}),
    _python_sorted(a="\U0001f600"),
    _canonical(a="\x00\x1f\x7f\n\t\"\\/"),
    _canonical(a=2**53 - 1, b=-(2**53) + 1),
    _canonical(a=[], b={}, c=[[{}]], d=None, e=True, f=False),
    _canonical(a="x").replace(b'"a":"x"', b'"a":"x","a":"x"'),  # a repeated name
    _canonical(a="x").replace(b'"a":"x"', b'"a":"x","a":"y"'),
    _canonical(a=0).replace(b'"a":0', b'"a":-0'),
    _canonical(a=1).replace(b'"a":1', b'"a":1.0'),
    _canonical(a=1).replace(b'"a":1', b'"a":9007199254740992'),
    _canonical(a=1).replace(b'"a":1', b'"a":1e400'),
    _canonical(a=1).replace(b'"a":1', b'"a":NaN'),
    _canonical(a=1).replace(b'"a":1', b'"a":-Infinity'),
    _canonical(a="\x01").replace(b"\\u0001", b"\\u0001".upper()),
    _canonical(a="\n").replace(b"\\n", b"\\u000a"),
    _canonical(a="/").replace(b"/", b"\\/"),
    _canonical(a="\u2028").replace("\u2028".encode(), b"\\u2028"),
    _canonical(a="x").replace(b'"x"', b'"\\ud800"'),
    _canonical(a="x").replace(b'"x"', b'"\\ud83d\\ude00"'),
    b"\xef\xbb\xbf" + _canonical(a="x"),
    _canonical(a="x") + b" ",
    b" " + _canonical(a="x"),
    b'"a string"', b"5", b"null", b"[]", b"{}", b"",
])
def test_adversarial_envelopes_match_the_reference(data: bytes) -> None:
    _same_verdict(data)


# -- inclusion proofs ------------------------------------------------------------------------


def _verdict(fn: Any, *args: Any) -> Any:
    try:
        fn(*args)
    except Exception as exc:  # the class and the words are what is compared
        return type(exc), str(exc)
    return None


# -- hex hashes ------------------------------------------------------------------------------

_hexish = st.text("0123456789abcdefABCDEF \t\ng\u0660", min_size=60, max_size=68)
_items = (st.builds(lambda b: b.hex(), st.binary(min_size=32, max_size=32))
          | _hexish | st.integers() | st.none() | st.lists(st.just("a"), max_size=64))


@settings(deadline=None, max_examples=300)
@given(st.lists(_items, max_size=6))
def test_hex_hashes_match_one_by_one(texts: list[Any]) -> None:
    assert _outcome(_hex_hashes, texts, "proof hash") == _outcome(
        lambda: tuple(_hex_hash(h, "proof hash") for h in texts))


def test_hex_hashes_keep_what_fromhex_made_of_whitespace() -> None:
    # one at a time, 64 characters with two spaces are 31 bytes (refused later, by the
    # proof's own check); the joined decoding must not make them a hash
    texts = ["00" * 32, "ab" * 30 + " ab "]
    assert _hex_hashes(texts, "h") == (bytes(32), bytes.fromhex("ab" * 31))
