"""``bid_prices`` / ``price_reads``: a bidder's price comes from the opened bid (the last
successful, priced BID_DECRYPTED / BID_EXTRACTED), else from the opening record, never from
the submission; and the rules that use prices follow it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ledger.rules.helpers import bid_prices, price_reads
from ledger.rules.model import Trail
from tests.rules.builders import LAWFUL_FLAGS_TB, ev, make_trail
from tests.rules.test_s06_s09_scenario import PRICES, E, find, pos, run, scenario, t

OPENING = "2026-03-23T09:40:00+08:00"


def step(org: str, price: str | None, kind: str = "BID_DECRYPTED", success: bool = True,
         at: str = OPENING) -> dict[str, Any]:
    priced = {"bid_price": price} if price is not None else {}
    return ev(kind, at, "S1", bidder_org=org, success=success, **priced)


def record(*entries: tuple[str, str | None], at: str = "2026-03-23T10:30:00+08:00"
           ) -> dict[str, Any]:
    rows = [{"bidder_org": o, **({"bid_price": p} if p else {})} for o, p in entries]
    return ev("OPENING_RECORD_PUBLISHED", at, "S1", entries=rows, record_hash="c" * 64)


def submitted(org: str) -> dict[str, Any]:
    return ev("BID_SUBMITTED", "2026-03-20T10:00:00+08:00", "S1", bidder_org=org,
              accepted=True, file_hash="b" * 64, received_at="2026-03-20T10:00:00+08:00")


def prices(events: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """org → (price, type of the source event) of a one-lot trail."""
    trail = make_trail(LAWFUL_FLAGS_TB, events).for_section("S1")
    return {o: (str(p), e.type) for o, (p, e) in bid_prices(trail).items()}


def test_decrypted_price_wins_over_the_record() -> None:
    events = [submitted("A"), step("A", "100.00"), record(("A", "95.00"))]
    assert prices(events) == {"A": ("100.00", "BID_DECRYPTED")}


def test_fallback_to_the_opening_record() -> None:
    events = [submitted("A"), submitted("B"), step("A", None), record(("A", "95.00"), ("B", None))]
    assert prices(events) == {"A": ("95.00", "OPENING_RECORD_PUBLISHED")}


def test_submission_alone_gives_no_price() -> None:
    legacy = {**submitted("A"), "payload": {**submitted("A")["payload"], "bid_price": "1.00"}}
    assert prices([legacy]) == {}


@pytest.mark.parametrize(("steps", "want"), [
    ([step("A", "90.00", success=False)], ("95.00", "OPENING_RECORD_PUBLISHED")),
    ([step("A", "90.00", kind="BID_EXTRACTED")], ("90.00", "BID_EXTRACTED")),
    ([step("A", "90.00"), step("A", "91.00", kind="BID_EXTRACTED")], ("91.00", "BID_EXTRACTED")),
    ([step("A", "90.00"), step("A", None)], ("90.00", "BID_DECRYPTED")),  # last *priced* read
])
def test_last_successful_priced_step(steps: list[dict[str, Any]], want: tuple[str, str]) -> None:
    assert prices([submitted("A"), *steps, record(("A", "95.00"))]) == {"A": want}


def test_only_the_last_record_and_the_current_round_count() -> None:
    retender = ev("RETENDER_STARTED", "2026-04-01T09:00:00+08:00", "S1", reason="流标")
    first = [submitted("A"), step("A", "90.00"), record(("A", "90.00"), ("B", "80.00"))]
    assert prices(first) == {"A": ("90.00", "BID_DECRYPTED"),
                             "B": ("80.00", "OPENING_RECORD_PUBLISHED")}
    assert prices([*first, retender, submitted("A")]) == {}  # round 2 not opened yet
    second = [step("A", "70.00", at="2026-04-20T09:40:00+08:00"),
              record(("B", "60.00"), at="2026-04-20T10:30:00+08:00")]
    assert prices([*first, retender, submitted("A"), *second]) == {
        "A": ("70.00", "BID_DECRYPTED"), "B": ("60.00", "OPENING_RECORD_PUBLISHED")}


def test_price_reads_lists_every_read_and_is_memoised() -> None:
    events = [step("A", "90.00"), step("A", "91.00"), record(("A", "95.00"), ("B", "80.00"))]
    trail: Trail = make_trail(LAWFUL_FLAGS_TB, events).for_section("S1")
    reads = price_reads(trail)
    assert {o: [(str(p), e.type) for p, e in r] for o, r in reads.items()} == {
        "A": [("90.00", "BID_DECRYPTED"), ("91.00", "BID_DECRYPTED")],
        "B": [("80.00", "OPENING_RECORD_PUBLISHED")]}
    assert price_reads(trail) is reads and bid_prices(trail) is bid_prices(trail)
    assert bid_prices(trail)["A"][0] == Decimal("91.00")


# --- the rules follow the helper ------------------------------------------------------------

PATTERN = ["9000000.00", "9100000.00", "9200000.00", "9300000.00", "9400000.00"]


def _record_of(ev_list: list[dict[str, Any]], values: list[str]) -> dict[str, Any]:
    orgs = [d["payload"]["bidder_org"] for d in ev_list if d["type"] == "BID_DECRYPTED"]
    return E("OPENING_RECORD_PUBLISHED", t("10:30"), {
        "entries": [{"bidder_org": o, "bid_price": p} for o, p in zip(orgs, values, strict=True)],
        "record_hash": "c" * 64})


def _with_record(values: list[str], decrypted_prices: bool) -> list[dict[str, Any]]:
    events = scenario()
    rec = _record_of(events, values)
    if not decrypted_prices:
        for d in (e for e in events if e["type"] == "BID_DECRYPTED"):
            del d["payload"]["bid_price"]
    events.insert(events.index(find(events, "BID_DECRYPTED", 4)) + 1, rec)
    return events


def test_price_pattern_found_in_the_record_when_nothing_was_decrypted() -> None:
    events = _with_record(PATTERN, decrypted_prices=False)
    [f] = run(events, rule_ids=["R-TBR-40-4-PRICE-PATTERN"])[1]
    assert f.computed["prices"] == PATTERN
    assert [i for i, _ in f.evidence] == [pos(events, find(events, "OPENING_RECORD_PUBLISHED"))]


def test_decrypted_prices_win_over_a_regular_record() -> None:
    # the record reads out a regular pattern, the bids themselves are not regular
    events = _with_record(PATTERN, decrypted_prices=True)
    assert run(events, rule_ids=["R-TBR-40-4-PRICE-PATTERN"])[1] == []


def test_must_reject_above_ceiling_from_the_record() -> None:
    events = _with_record([*PRICES[:4], "9800000.01"], decrypted_prices=False)
    [f] = run(events, rule_ids=["R-TBR-51-MUST-REJECT"])[1]
    assert f.computed == {"bidder": "B5", "bid_price": "9800000.01", "ceiling": "9800000.00"}
    assert pos(events, find(events, "OPENING_RECORD_PUBLISHED")) in [i for i, _ in f.evidence]
