"""The guard's body parser is ``loads_strict``: same value (types included) or same refusal,
for every body, including those its orjson fast path must hand over."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ledger.core.json_text import JsonInputError, loads_strict
from ledger.events import example_event
from witness_api.json_body import parse_body


def outcome(body: bytes) -> tuple[str, Any]:
    try:
        return "value", typed(loads_strict(body, what="request body"))
    except JsonInputError as exc:
        return "error", (str(exc), exc.reason, exc.loc, exc.key)


def fast_outcome(body: bytes) -> tuple[str, Any]:
    try:
        return "value", typed(parse_body(body))
    except JsonInputError as exc:
        return "error", (str(exc), exc.reason, exc.loc, exc.key)


def typed(value: Any) -> Any:
    """The value with every scalar's type beside it (1, 1.0 and True differ; so do ±0.0)."""
    if isinstance(value, dict):
        return ("dict", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    return (type(value).__name__, repr(value))


def same(body: bytes) -> None:
    assert fast_outcome(body) == outcome(body), body[:200]


scalars = (st.none() | st.booleans() | st.integers() | st.integers(-2**70, 2**70)
           | st.floats(allow_nan=False) | st.text(max_size=8)
           | st.sampled_from([":", "a:b", "\ud800", "\\", '"', "\u2028", "é", "\x00", "\x7f"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=3) | st.just(":"), inner, max_size=4),
                      max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(values, st.booleans(), st.sampled_from([None, 0, 2]))
def test_any_value_as_text_parses_the_same(value: Any, ascii_only: bool,
                                           indent: int | None) -> None:
    same(json.dumps(value, ensure_ascii=ascii_only, indent=indent).encode("utf-8",
                                                                            "surrogatepass"))


def _object_text(pairs: list[tuple[str, Any]], ascii_only: bool) -> str:
    return "{" + ",".join(f"{json.dumps(k, ensure_ascii=ascii_only)}:"
                          f"{json.dumps(v, ensure_ascii=ascii_only)}" for k, v in pairs) + "}"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", ":", "a:", "é", ""]), scalars), max_size=5),
       st.booleans(), st.integers(0, 3))
def test_objects_with_repeated_names_are_refused_the_same(
        pairs: list[tuple[str, Any]], ascii_only: bool, nesting: int) -> None:
    text = _object_text(pairs, ascii_only)
    for _ in range(nesting):
        text = f'{{"events":[{text},{text}]}}'
    same(text.encode("utf-8", "surrogatepass"))


TOKENS = [b"{", b"}", b"[", b"]", b":", b",", b" ", b"\n", b'"a"', b'"b"', b'":"', b'"\\u003a"',
          b'"\\u0061"', b'"\\ud800"', b'"\\"', b"\\", b'"', b"1", b"-0", b"1.5", b"1e400", b"1E2",
          b"99999999999999999999", b"-9223372036854775809", b"true", b"false", b"null", b"NaN",
          b"\xef\xbb\xbf", b"\xff", b"\xed\xa0\x80", b"\x00", b'"\t"', b"0x1", b'"\\udc00"',
          b'"\\uD800\\uDC00"', b'"\\ud800\\u0041"', b'"\\u003A"', b'"\\u0030"']


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=24))
@example([b"{", b'"a"', b":", b"1", b",", b'"\\u0061"', b":", b"2", b"}"])
@example([b"\xef\xbb\xbf", b"{", b"}"])
@example([b"[", b"99999999999999999999", b"]"])
def test_token_soup_parses_or_fails_the_same(tokens: list[bytes]) -> None:
    same(b"".join(tokens))


@pytest.mark.parametrize("levels", [1, 63, 64, 65, 1023, 1024, 1025, 5000])
def test_depth_around_both_limits(levels: int) -> None:
    same(b"[" * levels + b"]" * levels)
    same(b'{"a":' * levels + b"1" + b"}" * levels)
    same(b'[{"a":' * levels + b"1" + b"}]" * levels)


def test_a_batch_of_events_takes_the_fast_path_and_equals_the_strict_parse() -> None:
    events = [example_event("BID_SUBMITTED") for _ in range(50)]
    body = json.dumps({"events": events}, ensure_ascii=False).encode()
    same(body)
    same(json.dumps({"events": events}).encode())  # \u escapes for every CJK character
    assert typed(parse_body(body)) == typed({"events": events})


def test_the_fast_path_does_not_parse_a_batch_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("parsed again")

    events = [example_event("BID_SUBMITTED") for _ in range(3)]
    monkeypatch.setattr("witness_api.json_body.loads_strict", refuse)
    for body in (json.dumps({"events": events}), json.dumps(events[0], ensure_ascii=False)):
        assert parse_body(body.encode()) == json.loads(body)
