"""Pseudonymisation tests: deterministic, keyed, idempotent, complete.

Role: check ledger.events.pseudonymize. Must not import the store/API.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.events import (
    EVENT_TYPES,
    PSEUDONYMISED_FIELDS,
    PSEUDONYMISED_KINDS,
    Pseudonymizer,
    event_to_json,
    example_event,
    parse_event,
)
from ledger.events.pseudonymize import CONTEXT_FIELDS, normalise

KEY = b"k" * 32
HK1 = re.compile(r"^hk1:[0-9a-f]{32}$")


def _apply(event_type: str, key: bytes = KEY) -> dict[str, Any]:
    return Pseudonymizer(key).apply(event_to_json(parse_event(example_event(event_type))))


def _walk(obj: Any, path: str = "") -> list[tuple[str, Any]]:
    """(dotted key path, value) of every leaf."""
    if isinstance(obj, dict):
        return [kv for k, v in obj.items() for kv in _walk(v, f"{path}.{k}" if path else k)]
    if isinstance(obj, list):
        return [kv for i, v in enumerate(obj) for kv in _walk(v, f"{path}.{i}")]
    return [(path, obj)]


def test_listed_fields_exist_and_are_top_level_only() -> None:
    assert set(CONTEXT_FIELDS) <= set(PSEUDONYMISED_KINDS)
    covered = {f for fields in PSEUDONYMISED_FIELDS.values() for f in fields}
    assert covered | set(CONTEXT_FIELDS) == set(PSEUDONYMISED_KINDS)
    for event_type in EVENT_TYPES:  # no listed name hides in a nested structure
        for path, _ in _walk(example_event(event_type)["payload"]):
            if path.split(".")[-1] in PSEUDONYMISED_KINDS:
                assert "." not in path, f"{event_type}: nested {path}"


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_listed_value_replaced_and_others_untouched(event_type: str) -> None:
    original = event_to_json(parse_event(example_event(event_type)))
    snapshot = copy.deepcopy(original)
    out = Pseudonymizer(KEY).apply(original)
    assert original == snapshot  # input untouched
    for section in ("payload", "context"):
        for key, value in original.get(section, {}).items():
            listed = key in PSEUDONYMISED_FIELDS.get(event_type, ()) or (
                section == "context" and key in CONTEXT_FIELDS
            )
            if listed:
                assert HK1.match(out[section][key]), (section, key)
            else:
                assert out[section][key] == value
    parse_event(out)  # the pseudonymised event is still valid
    assert Pseudonymizer(KEY).apply(out) == out  # idempotent


def test_bid_submitted_covers_every_identifier() -> None:
    out = _apply("BID_SUBMITTED")
    raw = json.dumps(out, ensure_ascii=False)
    for secret in ("115.236.48.17", "3c:7c:3f", "fp-7f3a", "MC-4F2A", "138-0571", "HongYe-Build"):
        assert secret not in raw
    assert "1202 0210" not in json.dumps(_apply("BOND_PAID"))


def test_deterministic_and_keyed() -> None:
    assert _apply("BID_SUBMITTED") == _apply("BID_SUBMITTED")
    other = _apply("BID_SUBMITTED", key=b"o" * 32)
    assert other["payload"]["ip"] != _apply("BID_SUBMITTED")["payload"]["ip"]
    with pytest.raises(ValueError):
        Pseudonymizer(b"short")


def test_same_address_links_across_fields_and_events() -> None:
    bid = _apply("BID_SUBMITTED")
    download = _apply("DOC_DOWNLOADED")
    assert bid["payload"]["ip"] == bid["context"]["client_ip"] == download["payload"]["ip"]
    assert bid["payload"]["mac"] == download["payload"]["mac"]  # "3c:7c:.." vs "3C-7C-.."
    assert bid["payload"]["device_fp"] == download["payload"]["device_fp"]


@pytest.mark.parametrize(
    ("kind", "a", "b"),
    [
        ("mac", "AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff"),
        ("mac", "aabbccddeeff", "aa:bb:cc:dd:ee:ff"),
        ("ip", "::ffff:10.0.0.1", "10.0.0.1"),
        ("ip", "2001:DB8::0:1", "2001:db8::1"),
        ("email", " Bid@Example.CN ", "bid@example.cn"),
        ("phone", "+86 138-0571-2345", "13805712345"),
        ("account", "1202 0210-0930", "120202100930"),
        ("opaque", " FP-AB ", "fp-ab"),
    ],
)
def test_normalisation_equates_spellings(kind: str, a: str, b: str) -> None:
    assert normalise(kind, a) == normalise(kind, b)
    p = Pseudonymizer(KEY)
    assert p.token(kind, a) == p.token(kind, b)


@given(st.ip_addresses(), st.binary(min_size=16, max_size=64))
def test_ip_tokens_are_stable_and_idempotent(addr: Any, key: bytes) -> None:
    p = Pseudonymizer(key)
    token = p.token("ip", str(addr))
    assert HK1.match(token)
    assert p.token("ip", token) == token
    assert p.token("ip", str(addr)) == token
