"""ledger.core.canonical: RFC 8785 canonical JSON and the versioned event envelope.

``canonical_json`` must equal the reference ``rfc8785.dumps`` byte for byte on every JSON
value, and reject (with MalformedError) exactly what the reference rejects.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core import canonical, jcs
from ledger.core.canonical import (
    ENVELOPE_FIELDS,
    MAX_CANONICAL_SIZE,
    canonical_json,
    decode_envelope,
    encode_envelope,
    envelope_prev,
    make_envelope,
    submission_digest,
)
from ledger.core.errors import MalformedError

# Text with everything: ASCII, BMP above the surrogates (sorts after astral in UTF-16),
# astral characters, controls; ``wild`` adds lone surrogates.
_chars = st.characters(exclude_categories=("Cs",))
_wild_chars = st.characters(exclude_categories=())
_text = st.text(_chars, max_size=8) | st.sampled_from(["", "a", "\ue000", "\U0001f600", "\x7f"])
_wild_text = st.text(_wild_chars, max_size=6)
_ints = (st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
         | st.integers(min_value=-(2**70), max_value=2**70))
_floats = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [0.0, -0.0, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, 0.1, 1 / 3]
)


def _json(text: st.SearchStrategy[str], *, special_floats: bool = False) -> st.SearchStrategy[Any]:
    floats = st.floats() if special_floats else _floats
    scalars = st.none() | st.booleans() | _ints | floats | text
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(text, inner, max_size=5),
        max_leaves=20,
    )


def _check_against_reference(value: Any) -> None:
    try:
        expected = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError):
        # The reference rejects (lone surrogates surface as UnicodeEncodeError from its key
        # sort): the core must reject too, with its own typed error.
        with pytest.raises(MalformedError):
            canonical_json(value)
        return
    assert canonical_json(value) == expected


@settings(deadline=None, max_examples=250)
@given(_json(_text))
def test_equals_rfc8785(value: Any) -> None:
    _check_against_reference(value)


@settings(deadline=None, max_examples=200)
@given(_json(_wild_text, special_floats=True))
def test_equals_or_rejects_like_rfc8785(value: Any) -> None:
    _check_against_reference(value)


@settings(deadline=None, max_examples=100)
@given(st.dictionaries(st.text(st.sampled_from("a\ue000\uffff\U0001f600\U00010000"), max_size=3),
                       st.integers(), max_size=6))
def test_key_order_is_utf16(value: dict[str, int]) -> None:
    # Characters outside the BMP sort by their surrogates (0xD8..) before U+E000..U+FFFF.
    _check_against_reference(value)


@pytest.mark.parametrize(
    "value",
    ["\ud800", {"\ud800": 1}, {"a": ["x\udfff"]}, 2**53, -(2**53), float("nan"),
     float("inf"), {1: "non-string key"}],
)
def test_rejects_with_malformed(value: Any) -> None:
    with pytest.raises(MalformedError):
        canonical_json(value)


def test_known_bytes() -> None:
    value = {"b": [1, True, None], "a": "é\n\u2028", "\U0001f600": 0, "\ue000": 1, "n": -0.0}
    assert canonical_json(value) == (
        '{"a":"é\\n\u2028","b":[1,true,null],"n":0,"\U0001f600":0,"\ue000":1}'.encode()
    )
    assert canonical_json({"x": "\x1f\"\\"}) == b'{"x":"\\u001f\\"\\\\"}'


def _typical_event(i: int = 0) -> dict[str, Any]:
    return {
        "event_id": f"evt-{i:08d}",
        "type": "bid.submitted",
        "project_id": "GZ-2024-0001",
        "section_id": "S1",
        "occurred_at": "2024-05-01T09:30:00+08:00",
        "actor": {"org": "某某建设有限公司", "role": "bidder", "uscc": "91440101MA5XXXXX1X"},
        "payload": {"file": {"sha256": "ab" * 32, "size": 1048576, "name": "投标文件.pdf"},
                    "price_fen": 1234567890, "flags": [True, False, None]},
    }


def test_fast_path_taken_for_typical_events(monkeypatch: pytest.MonkeyPatch) -> None:
    events = [_typical_event(i) for i in range(2000)]
    expected = [rfc8785.dumps(e) for e in events[:50]]

    t0 = time.perf_counter()
    for e in events:
        rfc8785.dumps(e)
    t_ref = time.perf_counter() - t0

    def boom(_obj: Any) -> bytes:
        raise AssertionError("the reference encoder was called: no fast path")

    monkeypatch.setattr(jcs.rfc8785, "dumps", boom)
    t0 = time.perf_counter()
    got = [canonical_json(e) for e in events]
    t_fast = time.perf_counter() - t0
    assert got[:50] == expected
    print(f"canonical_json: {len(events)} events fast {t_fast:.3f}s, rfc8785 {t_ref:.3f}s")


# --- envelope -------------------------------------------------------------------------

SALT = bytes(range(32))
PREV = bytes(32)


def _envelope(**changes: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"origin": "gz.example/witness", "event": _typical_event(),
                              "project_seq": 3, "prev": PREV,
                              "received_at": "2024-05-01T01:30:00.123456Z", "salt": SALT}
    kwargs.update(changes)
    return make_envelope(**kwargs)


def test_make_envelope_fields() -> None:
    env = _envelope()
    assert set(env) == ENVELOPE_FIELDS - {"context"}  # optional and absent
    assert set(_envelope(event={**_typical_event(), "context": {"a": 1}})) == ENVELOPE_FIELDS
    assert env["v"] == canonical.ENVELOPE_VERSION == 1
    assert env["prev"] == PREV.hex() and env["salt"] == SALT.hex()
    assert envelope_prev(env) == PREV
    event = {k: v for k, v in _typical_event().items() if k != "section_id"}
    assert "section_id" not in _envelope(event=event)


@pytest.mark.parametrize("field", ["event_id", "type", "project_id", "occurred_at", "actor",
                                   "payload"])
def test_make_envelope_requires_submitted_fields(field: str) -> None:
    event = {k: v for k, v in _typical_event().items() if k != field}
    with pytest.raises(MalformedError):
        _envelope(event=event)


@pytest.mark.parametrize("changes", [{"prev": bytes(31)}, {"salt": bytes(33)}, {"salt": b""}])
def test_make_envelope_rejects_sizes(changes: dict[str, Any]) -> None:
    with pytest.raises(MalformedError):
        _envelope(**changes)


def _no_big_floats(value: Any) -> bool:
    # Integral floats of magnitude >= 2^53 are excluded here: see test_envelope_refuses_floats.
    if isinstance(value, float):
        return abs(value) < 2**53
    if isinstance(value, dict):
        return all(_no_big_floats(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_big_floats(v) for v in value)
    return True


@settings(deadline=None, max_examples=50)
@given(st.dictionaries(_text, _json(_text).filter(_no_big_floats), max_size=4),
       st.integers(0, 2**53 - 1))
def test_envelope_round_trip(payload: dict[str, Any], seq: int) -> None:
    env = _envelope(event={**_typical_event(), "payload": payload}, project_seq=seq)
    try:
        data = encode_envelope(env)
    except MalformedError:
        return  # payload not canonicalisable (e.g. an integer beyond 2^53)
    assert data == rfc8785.dumps(env)
    assert decode_envelope(data) == json.loads(data)
    assert encode_envelope(decode_envelope(data)) == data


@pytest.mark.parametrize("number", [9007199254740992.0, 1e16, -1e20])
def test_envelope_refuses_floats(number: float) -> None:
    """JCS writes 1e16 as an integer that would not decode back: floats are refused."""
    env = _envelope(event={**_typical_event(), "payload": {"x": number}})
    with pytest.raises(MalformedError, match="no floats"):
        encode_envelope(env)


def _mutated(**changes: Any) -> bytes:
    env = _envelope()
    env.update(changes)
    return rfc8785.dumps({k: v for k, v in env.items() if v is not ...})


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(json.dumps(_envelope()).encode(), id="non-canonical-spacing"),
        pytest.param(json.dumps(_envelope(), ensure_ascii=True, separators=(",", ":"),
                                sort_keys=True).encode(), id="non-canonical-escapes"),
        pytest.param(rfc8785.dumps(_envelope()) + b"\n", id="trailing-newline"),
        pytest.param(_mutated(v=2), id="version-2"),
        pytest.param(_mutated(v="1"), id="version-string"),
        pytest.param(_mutated(v=...), id="version-missing"),
        pytest.param(_mutated(extra=1), id="unknown-field"),
        pytest.param(_mutated(salt=...), id="missing-salt"),
        pytest.param(_mutated(payload=...), id="missing-payload"),
        pytest.param(b"[1,2]", id="not-an-object"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\xff\xfe{}", id="non-utf8"),
        pytest.param(rfc8785.dumps(_envelope())[:-1], id="truncated"),
        pytest.param(b'{"v":1,"x":' + b"9" * 5000 + b"}", id="huge-integer"),
        pytest.param(b" " * (MAX_CANONICAL_SIZE + 1), id="oversize"),
    ],
)
def test_decode_rejects(data: bytes) -> None:
    with pytest.raises(MalformedError):
        decode_envelope(data)


def test_encode_rejects_oversize() -> None:
    env = _envelope(event={**_typical_event(), "payload": {"x": "a" * MAX_CANONICAL_SIZE}})
    with pytest.raises(MalformedError):
        encode_envelope(env)


@pytest.mark.parametrize("prev", ["zz" * 32, "00" * 31, 5])
def test_envelope_prev_rejects(prev: Any) -> None:
    with pytest.raises(MalformedError):
        envelope_prev({"prev": prev})
    with pytest.raises(MalformedError):
        envelope_prev({})


def test_submission_digest() -> None:
    event = _typical_event()
    assert submission_digest(event) == submission_digest(dict(reversed(event.items())))
    assert submission_digest(event) != submission_digest({**event, "type": "bid.withdrawn"})
    # Fields the ledger assigns do not change the digest of what was submitted.
    assert submission_digest(event) == submission_digest({**event, "salt": "x", "context": None})


# Deep nesting runs in a child interpreter: a crash there must not take the suite down.
_DEEP = """
{pre}
from ledger.core.canonical import decode_envelope
from ledger.core.errors import MalformedError
try:
    decode_envelope(b"[" * 200_000)
except MalformedError:
    print("rejected")
"""


def _run_deep(pre: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _DEEP.format(pre=pre)], capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])


def test_decode_rejects_deep_nesting() -> None:
    proc = _run_deep("")
    assert proc.returncode == 0 and proc.stdout.strip() == "rejected", proc.stderr[-2000:]


def test_decode_rejects_deep_nesting_with_py_ecc_loaded() -> None:
    pytest.importorskip("py_ecc")
    proc = _run_deep("import py_ecc")
    assert proc.returncode == 0 and proc.stdout.strip() == "rejected", proc.returncode


@settings(deadline=None, max_examples=200)
@given(st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=20), st.integers(
    min_value=-(2**53) + 1, max_value=2**53 - 1), st.booleans(), st.none()), max_size=6),
    st.integers(min_value=0, max_value=2**40), st.binary(min_size=32, max_size=32),
    st.binary(min_size=32, max_size=32),
    st.one_of(st.just("2026-03-22T09:30:00.000001+08:00"), st.text(max_size=12)))
def test_assembled_envelope_equals_encoded_envelope(payload: dict[str, Any], seq: int,
                                                    prev: bytes, salt: bytes,
                                                    received_at: str) -> None:
    """The pre-lock/under-lock split yields exactly the JCS bytes of the whole envelope."""
    from ledger.core.canonical import assemble_envelope, prepare_event, submission_digest

    event = {**_typical_event(), "payload": payload}
    try:
        prepared = prepare_event(event)
    except MalformedError:
        return  # e.g. a lone surrogate
    fields = dict(origin="o.example/log", project_seq=seq, prev=prev,
                  received_at=received_at, salt=salt)
    try:
        whole = encode_envelope(make_envelope(event=event, **fields))
    except MalformedError:
        return
    assert assemble_envelope(prepared, **fields) == whole == rfc8785.dumps(json.loads(whole))
    assert prepared.digest == submission_digest(event)


def test_a_json_true_version_is_not_version_1() -> None:
    from ledger.core.canonical import decode_envelope
    from ledger.core.errors import MalformedError

    with pytest.raises(MalformedError, match="unsupported envelope version True"):
        decode_envelope(b'{"v":true}')
