"""Property tests: random valid payload values round-trip; random junk never crashes.

Role: hypothesis checks of ledger.events parsing. Must not import the store/API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.events import EventValidationError, event_to_json, example_event, parse_event

money = st.from_regex(r"\A[0-9]{1,15}(\.[0-9]{1,4})?\Z")  # never negative
offsets = st.sampled_from(["+08:00", "Z", "-05:30", "+14:00"])


@given(money)
def test_any_valid_money_round_trips(amount: str) -> None:
    data = example_event("BID_DECRYPTED")
    data["payload"]["bid_price"] = amount
    ev = parse_event(data)
    assert event_to_json(ev)["payload"]["bid_price"] == amount
    assert parse_event(event_to_json(ev)) == ev


# Inside the plausible window with a day's margin for the offsets.
@given(st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30)), offsets)
def test_any_offset_timestamp_round_trips(dt: Any, offset: str) -> None:
    value = dt.isoformat(timespec="seconds") + offset
    data = example_event("BADGE_ENTER")
    data["occurred_at"] = value
    assert event_to_json(parse_event(data))["occurred_at"] == value


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@settings(max_examples=200)
@given(st.sampled_from(["BID_SUBMITTED", "DOC_ISSUED", "COMMITTEE_FORMED"]), json_values)
def test_random_payload_junk_only_raises_validation_error(event_type: str, junk: Any) -> None:
    data = example_event(event_type)
    data["payload"] = junk
    try:
        parse_event(data)
    except EventValidationError as exc:
        assert exc.errors and all(e["loc"].startswith("payload") for e in exc.errors)
