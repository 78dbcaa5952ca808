"""Strict JSON input (ledger.core.json_text): depth without recursion, UTF-8, unique names."""

from __future__ import annotations

import contextlib
import json
import json.scanner
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.errors import MalformedError
from ledger.core.json_text import MAX_JSON_DEPTH, JsonInputError, check_json_depth, loads_strict
from ledger.core.receipt import Receipt

# Strings full of what a byte scanner could mistake for structure.
TRICKY = st.text(alphabet='[]{}"\\:,ab\n\u00e9\u4e2d\U0001f600', max_size=8)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TRICKY,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY, inner, max_size=3),
    max_leaves=30)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


@settings(max_examples=400, deadline=None)
@given(VALUES, st.integers(0, 6), st.booleans())
def test_depth_check_agrees_with_the_real_depth(value: Any, limit: int, ascii_only: bool) -> None:
    for data in (json.dumps(value, ensure_ascii=ascii_only),
                 json.dumps(value, ensure_ascii=ascii_only).encode()):
        if depth(value) > limit:
            with pytest.raises(JsonInputError) as caught:
                check_json_depth(data, limit)
            assert caught.value.reason == "depth"
        else:
            check_json_depth(data, limit)


@pytest.mark.parametrize("opener, closer", [("[", "]"), ('{"k":', "}")])
def test_the_limit_itself_passes_one_more_is_refused(opener: str, closer: str) -> None:
    at_limit = opener * MAX_JSON_DEPTH + "1" + closer * MAX_JSON_DEPTH
    assert loads_strict(at_limit) is not None
    with pytest.raises(JsonInputError, match="nested deeper than 64 levels"):
        loads_strict(opener + at_limit + closer)


@pytest.mark.parametrize("text", [
    '["' + "[" * 200 + '"]',                 # brackets inside a string
    '["\\"' + "[" * 200 + '"]',              # after an escaped quote, still in the string
    '{"a\\\\": "' + "{" * 200 + '"}',        # an escaped backslash, then the string ends
])
def test_brackets_in_strings_do_not_count(text: str) -> None:
    loads_strict(text)


def test_an_escaped_backslash_ends_the_string_before_real_nesting() -> None:
    with pytest.raises(JsonInputError, match="nested deeper"):
        loads_strict('["\\\\",' + "[" * 100 + "]" * 100 + "]")


@pytest.mark.parametrize("text, loc", [
    ("[" * 100_000, ".".join(["0"] * 64)),
    ('{"a":' * 100_000, ".".join(["a"] * 64)),
    ('{"events": [{}, {}, {"payload": ' + "[" * 70, "events.2.payload" + ".0" * 61),
])
def test_depth_errors_name_where(text: str, loc: str) -> None:
    with pytest.raises(JsonInputError) as caught:
        loads_strict(text.encode(), what="body")
    assert caught.value.reason == "depth" and caught.value.loc == loc
    assert str(caught.value).startswith("body nested deeper than 64 levels at ")


@pytest.mark.parametrize("text, loc, key", [
    ('{"a": 1, "a": 2}', "a", "a"),
    ('{"payload": {"file_meta": {"author": "x", "author": "y"}}}',
     "payload.file_meta.author", "author"),
    ('{"events": [{}, {}, {}, {"payload": {"k": 1, "b": 0, "k": 1}}]}', "events.3.payload.k",
     "k"),
    ('{"\\u00e9": 1, "\\u00e9": 2}', "\u00e9", "\u00e9"),
    ('{"a\\nb": 1, "a\\nb": 2}', "a\\nb", "a\\nb"),  # shown escaped: one line
    ('{"x": {"q": 1, "q": 2}, "y": ]', "q", "q"),  # broken later: name only
])
def test_duplicate_names_are_refused_with_path_and_name(text: str, loc: str, key: str) -> None:
    with pytest.raises(JsonInputError) as caught:
        loads_strict(text, what="event")
    err = caught.value
    assert (err.reason, err.loc, err.key) == ("duplicate", loc, key)
    assert str(err) == f"event has a duplicate key '{key}' at {loc}"
    assert "\n" not in str(err)


def test_same_name_in_different_objects_is_fine() -> None:
    assert loads_strict('[{"a": 1}, {"a": 2, "b": {"a": 3}}]') == [
        {"a": 1}, {"a": 2, "b": {"a": 3}}]


@pytest.mark.parametrize("data, reason", [
    ('["a"]'.encode("utf-16-le"), "syntax"),   # NULs: not JSON once read as UTF-8
    ('["a"]'.encode("utf-16"), "encoding"),    # with a BOM: not UTF-8 at all
    ('["a"]'.encode("utf-32"), "encoding"),
    (b'["\xff"]', "encoding"),
    (b"[NaN]", "syntax"), (b"[-Infinity]", "syntax"),
    (b"[" + b"9" * 5000 + b"]", "syntax"),     # beyond the interpreter's integer digits
    (b'{"a": 1} {"a": 1}', "syntax"),
    (b"", "syntax"),
])
def test_what_is_not_utf8_json_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(JsonInputError) as caught:
        loads_strict(data)
    assert caught.value.reason == reason and isinstance(caught.value, MalformedError)


def test_a_leading_utf8_bom_is_ignored() -> None:
    assert loads_strict(b'\xef\xbb\xbf{"a": [1]}') == {"a": [1]}


def test_receipt_with_a_duplicate_name_is_refused() -> None:
    text = '{"format": "witness-receipt/v1", "index": 1, "index": 2}'
    with pytest.raises(MalformedError, match="receipt has a duplicate key 'index' at index"):
        Receipt.loads(text)


_DEEP = """
{pre}
from ledger.core.json_text import JsonInputError, loads_strict
for text in ("[" * 200_000, '{{"a":' * 200_000, "[" * 200_000 + "]" * 200_000):
    try:
        loads_strict(text.encode())
    except JsonInputError as exc:
        print(exc.reason)
"""


@pytest.mark.parametrize("pre", ["", "import py_ecc"])
def test_deep_input_is_refused_not_a_crash(pre: str) -> None:
    if pre:
        pytest.importorskip("py_ecc")
    proc = subprocess.run([sys.executable, "-c", _DEEP.format(pre=pre)], capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["depth"] * 3


class _DepthProbe(json.JSONDecoder):
    """The pure-Python reference parser, recording how deep it went before it stopped."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = self.deepest = 0
        for name in ("parse_object", "parse_array"):
            setattr(self, name, self._counted(getattr(self, name)))
        self.scan_once = json.scanner.py_make_scanner(self)  # type: ignore[attr-defined]

    def _counted(self, parse: Any) -> Any:
        def counted(*args: Any) -> Any:
            self.depth += 1
            self.deepest = max(self.deepest, self.depth)
            try:
                return parse(*args)
            finally:
                self.depth -= 1
        return counted


JSONISH = st.text(alphabet='[]{}"\\:, 1a\u00e9', max_size=60)


@settings(max_examples=1000, deadline=None)
@given(JSONISH, st.integers(0, 4))
def test_a_parser_never_goes_deeper_than_a_passed_check(text: str, limit: int) -> None:
    """Also for broken input: whatever passes the check, the parser stays within the limit."""
    try:
        check_json_depth(text, limit)
    except JsonInputError:
        return
    probe = _DepthProbe()
    with contextlib.suppress(ValueError):
        probe.decode(text)
    assert probe.deepest <= limit
