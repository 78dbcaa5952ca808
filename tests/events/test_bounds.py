"""Bounds a platform would enforce, each refused with its field path: amounts never
negative, times inside 2000-01-01 .. 2100-01-01 (UTC), no invisible characters in text."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.events import EventValidationError, example_event, parse_event


def _errors(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(EventValidationError) as info:
        parse_event(data)
    return {e["loc"]: e["msg"] for e in info.value.errors}


@pytest.mark.parametrize("value", ["-0", "-0.00", "-1", "-45126388.52", "+1"])
@pytest.mark.parametrize("event_type,field", [
    ("BID_DECRYPTED", "bid_price"), ("BOND_PAID", "amount"), ("CONTRACT_SIGNED", "amount"),
    ("PROJECT_REGISTERED", "estimate_amount")])
def test_signed_amounts_refused(event_type: str, field: str, value: str) -> None:
    data = example_event(event_type)
    data["payload"][field] = value
    assert set(_errors(data)) == {f"payload.{field}"}


def test_nested_amounts_refused_with_their_path() -> None:
    data = example_event("OPENING_RECORD_PUBLISHED")
    data["payload"]["entries"][0]["bid_price"] = "-1.00"
    assert set(_errors(data)) == {"payload.entries.0.bid_price"}
    data = example_event("PROJECT_REGISTERED")
    data["payload"]["lots"][0]["estimate_amount"] = "-0"
    assert set(_errors(data)) == {"payload.lots.0.estimate_amount"}


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59Z",
                                   "1999-12-31T23:59:59Z", "2100-01-01T00:00:01Z",
                                   "2000-01-01T07:59:59+08:00"])
def test_times_outside_the_window_refused(value: str) -> None:
    data = example_event("BID_SUBMITTED")
    data["occurred_at"] = value
    data["payload"]["received_at"] = value
    errors = _errors(data)
    assert set(errors) == {"occurred_at", "payload.received_at"}
    assert "plausible window" in errors["occurred_at"]


@pytest.mark.parametrize("value", ["2000-01-01T00:00:00Z", "2000-01-01T08:00:00+08:00",
                                   "2100-01-01T00:00:00Z", "2099-12-31T20:00:00-04:00"])
def test_window_edges_accepted(value: str) -> None:
    data = example_event("BID_SUBMITTED")
    data["occurred_at"] = value
    assert parse_event(data).occurred_at == value


INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202a", "\u202b", "\u202c",
             "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


@pytest.mark.parametrize("char", INVISIBLE)
@pytest.mark.parametrize("event_type,path", [
    ("BID_SUBMITTED", ("bidder_name",)),                          # Name
    ("BID_SUBMITTED", ("file_meta", "author")),                   # file metadata
    ("RETENDER_STARTED", ("reason",)),                            # Text
    ("EXPERT_DRAW", ("specialties", 0)),                          # ClassName
    ("PROJECT_REGISTERED", ("approval_refs", 0, "ref")),          # DocRef
    ("DOC_ISSUED", ("structured_terms", "qualification_reqs", 2, "region_scope")),
])
def test_invisible_characters_refused(char: str, event_type: str, path: tuple[Any, ...]
                                      ) -> None:
    data = example_event(event_type)
    node: Any = data["payload"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = f"沈阳{char}建设有限公司"
    errors = _errors(data)
    where = "payload." + ".".join(str(p) for p in path)
    assert set(errors) == {where}
    assert f"U+{ord(char):04X}" in errors[where]


def test_visible_chinese_punctuation_accepted() -> None:
    data = example_event("BID_SUBMITTED")
    data["payload"]["bidder_name"] = "辽宁·沈阳（中国）建设有限公司——第一分公司"
    assert parse_event(data).payload.model_dump()["bidder_name"].startswith("辽宁·沈阳")
