"""Re-tendered lots: every round-scoped rule measures a round against its own documents,
deadline, bidders and opening. Trails are written by hand (tests.rules.trailkit), not by the
demo generator, in both regimes: works under 招标投标法 and goods under 政府采购法."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.rules.engine import evaluate
from ledger.rules.helpers import lot_rounds, round_holding, round_start, rounds
from ledger.rules.model import Finding, Trail
from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB, ctx, make_trail
from tests.rules.trailkit import (
    award,
    bids,
    contract,
    doc_round,
    dressed,
    opening,
    pct,
    refunds,
    retender,
)

FLAGS = {"TB": LAWFUL_FLAGS_TB, "GP": LAWFUL_FLAGS_GP}
BOND = {"TB": "150000.00", "GP": "20000.00"}
PRICES = {"TB": {"B": "9500000.00", "D": "9400000.00", "E": "9600000.00"},
          "GP": {"B": "1900000.00", "D": "1850000.00", "E": "1950000.00"}}
R1_DL = "2026-03-23T09:30:00+08:00"
R2_DL = "2026-04-22T09:30:00+08:00"


def retendered(regime: str, *, r2_bids: list[dict[str, Any]] | None = None,
               r2_issued: str = "2026-04-01T09:00:00+08:00") -> Trail:
    """Round 1: A and B bid (fewer than three), the lot is re-tendered, their bonds go back.
    Round 2: new documents and deadline; B (again), D and E bid; opened, awarded to D."""
    s, bond, prices = "S1", BOND[regime], PRICES[regime]
    evs = doc_round(s, "2026-03-02T09:00:00+08:00", R1_DL, ["A", "B", "C"])
    evs += bids(s, "2026-03-20", ["A", "B"], bond)
    evs += retender(s, "2026-03-23T10:00:00+08:00")
    evs += refunds(s, "2026-03-25T10:00:00+08:00", ["A", "B"], bond, "termination")
    evs += doc_round(s, r2_issued, R2_DL, ["B", "D", "E"], version=2)
    evs += r2_bids if r2_bids is not None else bids(s, "2026-04-20", ["B", "D", "E"], bond)
    evs += opening(s, R2_DL, prices)
    evs += award(s, "2026-04-24", "D", ["B", "E"], prices["D"])
    evs += contract(s, "2026-05-08", "D", prices["D"], pct(prices["D"], "0.10"))
    evs += refunds(s, "2026-04-27T10:00:00+08:00", ["B", "E"], bond, "not_won")
    evs += refunds(s, "2026-05-11T11:00:00+08:00", ["D"], bond, "won")
    return make_trail(FLAGS[regime], dressed(evs))


def above_info(trail: Trail) -> list[Finding]:
    return [f for f in evaluate(trail, ctx()) if f.severity != "info"]


@pytest.mark.parametrize("regime", ["TB", "GP"])
def test_retendered_lawful_lot_raises_nothing_above_info(regime: str) -> None:
    assert above_info(retendered(regime)) == []


@pytest.mark.parametrize("regime", ["TB", "GP"])
def test_late_bid_in_round_two_raises_exactly_that(regime: str) -> None:
    """B, D and E bid in time; F's bid arrives eleven minutes after round 2's deadline and
    is accepted all the same (it is not opened)."""
    late = bids("S1", "2026-04-20", ["B", "D", "E"], BOND[regime])
    at = "2026-04-22T09:20:00+08:00"  # before the deadline: the bond
    late += [{**e, "at": at} for e in bids("S1", "2026-04-22", ["F"], BOND[regime])]
    late[-1]["payload"] = {**late[-1]["payload"], "received_at": "2026-04-22T09:41:00+08:00"}
    late += refunds("S1", "2026-04-23T10:00:00+08:00", ["F"], BOND[regime], "not_won")
    found = above_info(retendered(regime, r2_bids=late))
    assert [(f.rule_id, f.section_id, f.subjects) for f in found] == [
        ("R-TB-28-LATE-BID", "S1", ("F",))]
    assert found[0].computed["deadline"] == R2_DL  # round 2's own deadline, not round 1's


def test_short_second_round_is_measured_from_its_own_documents() -> None:
    """Round 2's documents issued 2026-04-10 for a 2026-04-22 deadline: 12 days < 20."""
    found = above_info(retendered("TB", r2_issued="2026-04-10T09:00:00+08:00"))
    assert {f.rule_id for f in found} == {"R-TB-24-DEADLINE"}
    (f,) = found
    assert f.computed["days"] == 12 and f.section_id == "S1"


def test_rounds_split_at_each_restart() -> None:
    trail = retendered("TB")
    (lot,) = [t for _, t in lot_rounds(trail)][:1]
    first, second = rounds(trail.for_section("S1"))
    assert first.last("RETENDER_STARTED") is not None  # the restart closes round 1
    assert [e.get("bidder_org") for e in first.of_type("BID_SUBMITTED")] == ["A", "B"]
    assert [e.get("bidder_org") for e in second.of_type("BID_SUBMITTED")] == ["B", "D", "E"]
    assert second.first("PROJECT_REGISTERED") is not None  # standing events carry over
    assert second.first("RETENDER_STARTED") is None
    assert rounds(first) == [first]  # a round splits into itself
    assert round_start(trail) == trail.first("RETENDER_STARTED").index  # type: ignore[union-attr]
    late_bid = second.of_type("BID_SUBMITTED")[0]
    assert round_holding(trail.for_section("S1"), late_bid) is second
    assert lot is first


def test_a_restart_still_last_opens_no_round() -> None:
    evs = doc_round("S1", "2026-03-02T09:00:00+08:00", R1_DL, ["A", "B"])
    evs += bids("S1", "2026-03-20", ["A", "B"], BOND["TB"])
    evs += retender("S1", "2026-03-23T10:00:00+08:00")
    trail = make_trail(LAWFUL_FLAGS_TB, evs)
    assert rounds(trail) == [trail] and round_start(trail) == -1


def test_round_scoped_rules_are_registered_and_listed_in_the_docs() -> None:
    """Every rule listed as round-scoped exists and iterates rounds; docs/rules.md (generated)
    names each of them and states the tolerance of money caps."""
    import inspect

    from ledger.rules.helpers import CAP_TOLERANCE, ROUND_SCOPED_RULES
    from ledger.rules.registry import load_all
    from scripts.gen_rules_doc import render

    registry = load_all()
    markers = ("lot_rounds(", "round_holding(", "_round_deadline_days(", "_clarified_rounds(")
    for rid in ROUND_SCOPED_RULES:
        source = inspect.getsource(inspect.getmodule(registry[rid].check))  # type: ignore[arg-type]
        assert any(m in source for m in markers), rid
    text = render()
    assert all(f"`{rid}`" in text for rid in ROUND_SCOPED_RULES)
    assert f"more than {CAP_TOLERANCE} 元" in text
