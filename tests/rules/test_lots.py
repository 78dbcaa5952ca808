"""Multi-lot projects: rules that hold per lot (标段/包) or per contract never compare across
lots, and every per-lot finding names its section. Trails are written by hand
(tests.rules.trailkit), in both regimes: works under 招标投标法, goods under 政府采购法."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ledger.rules.engine import evaluate
from ledger.rules.helpers import CAP_TOLERANCE, over_cap
from ledger.rules.model import Finding, Trail
from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB, ctx, ev, make_trail
from tests.rules.trailkit import award, bids, contract, doc_round, dressed, opening, pct, refunds

FLAGS = {"TB": {**LAWFUL_FLAGS_TB, "sections": ["S1", "S2"]},
         "GP": {**LAWFUL_FLAGS_GP, "sections": ["S1", "S2"]}}
DL = "2026-03-24T09:30:00+08:00"
STEPS = (Decimal(0), Decimal("13725.31"), Decimal("27318.07"), Decimal("46102.55"))
# (lot, bid bond, issue day, bidders, winner, winning price): very different sizes per lot
LOTS = {"TB": (("S1", "100000.00", "2026-03-02", ["A", "B", "C"], "A", "9000000.00"),
               ("S2", "20000.00", "2026-03-03", ["D", "E", "F", "A"], "E", "1100000.00")),
        "GP": (("S1", "20000.00", "2026-03-02", ["A", "B", "C"], "A", "1500000.00"),
               ("S2", "5000.00", "2026-03-03", ["D", "E", "F", "A"], "E", "310000.00"))}


def project(regime: str, *, bond_ratio: dict[str, str] | None = None,
            extra: list[dict[str, Any]] | None = None) -> Trail:
    """Two lots with their own documents, bidders, prices, winners and contracts; the
    performance bond of each lot is ``bond_ratio[lot]`` (default 10 %) of its own contract."""
    ratios = bond_ratio or {}
    evs: list[dict[str, Any]] = []
    for sec, _bond, day, orgs, *_ in LOTS[regime]:
        evs += doc_round(sec, f"{day}T09:00:00+08:00", DL, orgs)
    evs += extra or []
    for sec, bond, _day, orgs, win, price in LOTS[regime]:
        evs += bids(sec, "2026-03-20" if sec == "S1" else "2026-03-21", orgs, bond)
        prices = {o: str(Decimal(price) + STEPS[k]) for k, o in enumerate(orgs)}
        evs += opening(sec, DL, {**prices, win: price})
        others = [o for o in orgs if o != win]
        evs += award(sec, "2026-04-02", win, others, price)
        evs += refunds(sec, "2026-04-03T10:00:00+08:00", others, bond, "not_won")
        evs += contract(sec, "2026-04-20", win, price, pct(price, ratios.get(sec, "0.10")))
        evs += refunds(sec, "2026-04-21T10:00:00+08:00", [win], bond, "won")
    return make_trail(FLAGS[regime], dressed(evs))


def above_info(trail: Trail) -> list[Finding]:
    return [f for f in evaluate(trail, ctx()) if f.severity != "info"]


@pytest.mark.parametrize("regime", ["TB", "GP"])
def test_lawful_multi_lot_project_raises_nothing_above_info(regime: str) -> None:
    """S1's 10 % bond is far above 10 % of S2's contract: lawful, as each lot has its own."""
    assert above_info(project(regime)) == []


@pytest.mark.parametrize("regime", ["TB", "GP"])
def test_over_cap_bond_in_one_lot_raises_exactly_that(regime: str) -> None:
    """S2's bond is 12 % of S2's contract (still below 10 % of S1's): exactly one finding,
    on S2, citing S2's own contract."""
    trail = project(regime, bond_ratio={"S2": "0.12"})
    found = above_info(trail)
    assert [(f.rule_id, f.section_id) for f in found] == [("R-TBR-58-PERF-BOND-CAP", "S2")]
    (f,) = found
    contracts = {e.index: e for e in trail.of_type("CONTRACT_SIGNED")}
    cited = [contracts[i] for i, _ in f.evidence if i in contracts]
    assert [c.section_id for c in cited] == ["S2"]
    assert Decimal(f.computed["contract_amount"]) == Decimal(LOTS[regime][1][5])


def test_a_bond_rounded_to_the_fen_is_within_the_cap() -> None:
    """10 % of 1,234,567.85 is 123,456.785; a bond of 123,456.79 is within half a fen."""
    ratio = str(Decimal("123456.79") / Decimal("1234567.85"))
    trail = make_trail(FLAGS["TB"], dressed([
        *contract("S1", "2026-04-20", "A", "1234567.85", "123456.79"),
    ]))
    assert [f for f in evaluate(trail, ctx(), ["R-TBR-58-PERF-BOND-CAP"])] == []
    assert Decimal(ratio) > Decimal("0.10")  # above the cap, but by less than half a fen


def test_over_cap_tolerance_is_below_one_fen() -> None:
    assert Decimal("0.01") > CAP_TOLERANCE
    assert not over_cap(Decimal("123456.79"), Decimal("123456.785"))
    assert over_cap(Decimal("100000.01"), Decimal("100000"))  # one fen over is over


def _clarify(sec: str | None, recipients: list[str]) -> list[dict[str, Any]]:
    """The clarification and its notice on the media the tender was announced on."""
    at = "2026-03-06T10:00:00+08:00"
    return [ev("CLARIFICATION_ISSUED", at, section=sec, affects_bid_prep=True,
               changed_fields=["技术参数"], recipients=recipients),
            ev("ANNOUNCEMENT_PUBLISHED", at, section=sec, kind="clarification",
               media_id="LN-GGZY", published_at=at)]


@pytest.mark.parametrize("regime", ["TB", "GP"])
def test_a_package_clarification_reaches_only_that_package(regime: str) -> None:
    """S2's clarification goes to D, E, F and A (S2's document holders); B and C obtained
    only S1's document and are not owed it."""
    clar = _clarify("S2", ["D", "E", "F", "A"])
    assert above_info(project(regime, extra=clar)) == []


@pytest.mark.parametrize("regime", ["TB", "GP"])
def test_a_package_holder_left_out_raises_on_that_package(regime: str) -> None:
    clar = _clarify("S2", ["D", "E", "A"])
    found = above_info(project(regime, extra=clar))
    assert [(f.rule_id, f.section_id, f.subjects) for f in found] == [
        ("R-EB-22-CLARIFY-NOTIFY", "S2", ("F",))]


def test_a_project_clarification_is_owed_to_every_lots_holders() -> None:
    clar = _clarify(None, ["A", "B", "C", "D", "E"])
    found = above_info(project("TB", extra=clar))
    assert [(f.rule_id, f.section_id, f.subjects) for f in found] == [
        ("R-EB-22-CLARIFY-NOTIFY", "S2", ("F",))]
