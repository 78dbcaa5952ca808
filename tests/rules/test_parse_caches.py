"""The shortcuts the rules take to evaluate faster give the answers of the plain code.

Parsed once (amounts, payload timestamps), built without the dataclass machinery (trail
events), zones shared, calendar answers and reference relations kept: each is compared with
what the code computed before it, on generated values where the values vary.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.rules.calendar import CalendarMissingError, WorkCalendar, local_date
from ledger.rules.context import ReferenceData
from ledger.rules.engine import trail_event
from ledger.rules.helpers import dec, ts
from ledger.rules.model import TrailEvent, instant


def _plain_dec(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@given(st.one_of(st.none(), st.integers(), st.booleans(),
                 st.decimals(allow_nan=True, allow_infinity=True).map(str),
                 st.text(max_size=8), st.sampled_from(["", "1e3", "-0.00", " 1", "NaN"])))
@settings(max_examples=300, deadline=None)
def test_dec_is_the_plain_parse(value: Any) -> None:
    for _ in range(2):  # the first parse and the kept one
        got, want = dec(value), _plain_dec(value)
        assert (got is None) == (want is None)
        if got is not None and want is not None:
            assert str(got) == str(want) and got.as_tuple() == want.as_tuple()


_STAMPS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1),
                       timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)),
                                                  timezone(timedelta(hours=-5, minutes=-30))]))


@given(_STAMPS)
@settings(max_examples=200, deadline=None)
def test_instant_is_fromisoformat_with_a_shared_zone(stamp: datetime) -> None:
    text = stamp.isoformat()
    plain, got = datetime.fromisoformat(text), instant(text)
    assert got == plain and got.utcoffset() == plain.utcoffset()
    assert got.isoformat() == plain.isoformat() and got.tzname() == plain.tzname()
    assert (got.year, got.hour, got.microsecond, got.fold) == (
        plain.year, plain.hour, plain.microsecond, plain.fold)
    assert instant(text).tzinfo is got.tzinfo  # one zone object per offset
    assert ts(text) == plain and ts(text).isoformat() == plain.isoformat()


def test_instant_keeps_naive_values_naive() -> None:
    assert instant("2026-01-02T03:04:05").tzinfo is None
    with pytest.raises(ValueError):
        ts("not a time")


def _envelope(i: int) -> dict[str, Any]:
    return {"event_id": f"e{i}", "type": "BID_SUBMITTED", "project_id": "P",
            "section_id": None if i % 2 else "S1",
            "occurred_at": f"2026-03-0{1 + i % 5}T10:00:0{i % 10}+08:00",
            "received_at": "2026-03-09T10:00:00+08:00", "actor": {"id": "a"},
            "context": {}, "payload": {"bidder_org": f"B{i}"}}


def test_trail_event_is_the_dataclass_built_plainly() -> None:
    for i in range(12):
        env = _envelope(i)
        got = trail_event(i, env)
        want = TrailEvent(
            index=i, event_id=env["event_id"], type=env["type"], project_id=env["project_id"],
            section_id=env["section_id"], occurred_at=datetime.fromisoformat(env["occurred_at"]),
            received_at=datetime.fromisoformat(env["received_at"]), actor=env["actor"],
            context=env["context"], payload=env["payload"])
        assert got == want and repr(got) == repr(want)
        assert vars(got) == vars(want) and [f.name for f in fields(got)] == list(vars(got))
        with pytest.raises(AttributeError):
            got.index = 5  # type: ignore[misc]  # still frozen


def test_the_receipt_time_of_an_append_is_parsed_once() -> None:
    a, b = trail_event(0, _envelope(0)), trail_event(1, _envelope(1))
    assert a.received_at is b.received_at
    other = {**_envelope(2), "received_at": "2026-03-09T10:00:01+08:00"}
    assert trail_event(2, other).received_at == datetime.fromisoformat(other["received_at"])


def _plain_due(cal: WorkCalendar, a: datetime, n: int) -> date:
    day = local_date(a) + timedelta(days=n)
    while cal.is_rest(day):
        day += timedelta(days=1)
    return day


def _plain_due_wd(cal: WorkCalendar, a: datetime, n: int) -> date:
    day, left = local_date(a), n
    while left > 0:
        day += timedelta(days=1)
        if not cal.is_rest(day):
            left -= 1
    return day


@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 1),
                    timezones=st.just(UTC)), st.integers(0, 30))
@settings(max_examples=200, deadline=None)
def test_kept_deadlines_are_the_computed_ones(a: datetime, n: int) -> None:
    cal, fresh = WorkCalendar.load(), WorkCalendar.load()
    for _ in range(2):
        try:
            assert cal.due(a, n) == _plain_due(fresh, a, n)
            assert cal.due_wd(a, n) == _plain_due_wd(fresh, a, n)
        except CalendarMissingError:
            pass  # a year the calendar lacks: raised again, never kept (below)


def test_a_missing_year_raises_every_time() -> None:
    cal = WorkCalendar(frozenset(), frozenset(), frozenset({2026}))
    late = datetime(2026, 12, 30, 12, tzinfo=UTC)
    for _ in range(2):
        with pytest.raises(CalendarMissingError):
            cal.due_wd(late, 5)
        with pytest.raises(CalendarMissingError):
            cal.is_rest(date(2027, 1, 4))
    assert cal == WorkCalendar(frozenset(), frozenset(), frozenset({2026}))  # caches ignored


_PARTIES = st.sampled_from(["A", "B", "C", "p1", None])


@given(st.lists(st.fixed_dictionaries({"a": _PARTIES, "b": _PARTIES,
                                       "kind": st.sampled_from(["family", "control"])}),
                max_size=12), _PARTIES, _PARTIES)
@settings(max_examples=200, deadline=None)
def test_related_is_the_scan_of_all_relations(rels: list[dict[str, Any]], a: Any, b: Any) -> None:
    ref = ReferenceData(relations=tuple(rels))
    want = [r for r in rels if {r.get("a"), r.get("b")} == {a, b}]
    assert ref.related(a, b) == want
    assert ref.related(b, a) == [r for r in rels if {r.get("a"), r.get("b")} == {b, a}]
