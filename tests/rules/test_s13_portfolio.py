"""Tests of docs/rules.md §13: the portfolio registry and the cross-project statistical leads."""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest

from ledger.rules import portfolio_rules
from ledger.rules.context import ReferenceData, RuleContext
from ledger.rules.model import Finding, Trail
from ledger.rules.portfolio import (
    PORTFOLIO,
    PORTFOLIO_PROJECT,
    evaluate_portfolio,
    load_portfolio,
)
from ledger.rules.registry import rule
from tests.rules.builders import LAWFUL_FLAGS_TB, ctx, ev, make_trail

S = "S1"
_ids = count()
IDS = ["R-OP-11-COVER-BIDDER", "R-OP-11-BID-KING", "R-OP-11-CLIQUE",
       "R-EXPERT-BIDDER-AFFINITY", "R-EXPERT-DRAW-FREQUENCY", "R-AGENT-WINNER-CONCENTRATION",
       "R-RETENDER-LOOP", "R-COMPLAINT-LINKED-PARTY"]


def project(bidders: list[str], winner: str | None, *extra: dict[str, Any],
            agent: str = "AG", category: str = "C1", **flags: Any) -> Trail:
    """One project, one lot; every event gets a globally unique event id."""
    pid = f"P{next(_ids):04d}"
    events = [ev("BID_SUBMITTED", "2026-03-02T10:00:00", S, bidder_org=b, accepted=True)
              for b in bidders]
    events += list(extra)
    if winner:
        events.append(ev("WINNER_DETERMINED", "2026-03-10T10:00:00", S, winner_org=winner,
                         rank_of_winner=1, award_price="100.00"))
    for i, e in enumerate(events):
        e["event_id"] = f"{pid}-{i}"
    reg = {**LAWFUL_FLAGS_TB, "agent_org": {"org_id": agent}, "catalog_item": category,
           **flags}
    return make_trail(reg, events, project_id=pid)


def run(rule_id: str, trails: list[Trail], context: RuleContext | None = None) -> list[Finding]:
    return evaluate_portfolio(trails, context or ctx(), [rule_id])


def test_registry() -> None:
    assert sorted(load_portfolio()) == sorted(IDS)
    assert all(r.meta.section == "13" and r.meta.confidence == "D" for r in PORTFOLIO.values())
    with pytest.raises(ValueError, match="registered twice"):
        rule(IDS[0], title_zh="x", title_en="x", basis="x", section="13", reads=(),
             severity="warning", lead=True, confidence="D", portfolio=True)(lambda t, c: [])


@pytest.mark.parametrize("rule_id", IDS)
def test_lawful_portfolio_raises_nothing(rule_id: str) -> None:
    orgs = ["A", "B", "C", "D", "E"]
    trails = [project(orgs, orgs[i % 5], agent=f"AG{i}") for i in range(12)]
    assert run(rule_id, trails) == []


# --- R-OP-11-COVER-BIDDER ---

@pytest.mark.parametrize(("n", "wins", "spread", "hits"), [
    (20, 0, False, 1), (19, 0, False, 0), (20, 1, False, 0), (20, 0, True, 0),
    (50, 1, False, 1),  # 2 % win rate is still "≤ 2 %"
])
def test_cover_bidder(n: int, wins: int, spread: bool, hits: int) -> None:
    trails = []
    for i in range(n):
        winner = "X" if i < wins else (f"W{i}" if spread else ("W1" if i % 2 else "W2"))
        trails.append(project(["X", winner, "Y"] if winner != "X" else ["X", "Y"], winner))
    found = [f for f in run("R-OP-11-COVER-BIDDER", trails) if f.subjects == ("X",)]
    assert len(found) == hits
    if hits:
        f = found[0]
        assert (f.project_id, f.computed["bids"], f.computed["wins"]) == (PORTFOLIO_PROJECT, n,
                                                                          wins)
        assert len(f.computed["projects"]) == n and len(f.evidence) == n


# --- R-OP-11-BID-KING ---

@pytest.mark.parametrize(("wins", "other_cat", "hits"), [(5, False, 1), (4, False, 0),
                                                         (5, True, 0)])
def test_bid_king_rate(wins: int, other_cat: bool, hits: int) -> None:
    trails = [project(["K", "B"], "K" if i < wins else "B",
                      category="C2" if other_cat and i % 2 else "C1") for i in range(10)]
    # 10 awarded sections in C1: value shares would flag "B"; limit to K's win-rate branch
    found = [f for f in run("R-OP-11-BID-KING", trails, ctx(king_value_share=1.01))
             if f.subjects == ("K",)]
    assert len(found) == hits
    if hits:
        assert (found[0].computed["by_rate"], found[0].computed["win_rate"]) == (True, 0.5)


def test_bid_king_value_share() -> None:
    trails = [project(["B", "C"], "B" if i % 2 else "C") for i in range(9)]
    big = project(["K", "B"], "K")
    big_events = list(big.events)
    win = big_events[-1]
    big_events[-1] = type(win)(**{**win.__dict__, "payload": {**win.payload,
                                                              "award_price": "1000.00"}})
    trails.append(Trail(big.project_id, tuple(big_events)))
    found = [f for f in run("R-OP-11-BID-KING", trails) if f.subjects == ("K",)]
    assert [(f.computed["by_value"], f.computed["by_rate"]) for f in found] == [(True, False)]


def test_bid_king_value_from_the_price_read_at_the_opening() -> None:
    """Without award price or contract, a section's value is the winner's decrypted price."""
    trails = [project(["B", "C"], "B" if i % 2 else "C") for i in range(9)]
    trails.append(project(["K", "B"], None,
                          ev("BID_DECRYPTED", "2026-03-03T09:40:00", S, bidder_org="K",
                             success=True, bid_price="1000.00"),
                          ev("WINNER_DETERMINED", "2026-03-10T10:00:00", S, winner_org="K",
                             rank_of_winner=1)))
    found = [f for f in run("R-OP-11-BID-KING", trails) if f.subjects == ("K",)]
    assert [(f.computed["by_value"], f.computed["value_share"]) for f in found] == [
        (True, round(1000 / 1900, 4))]


# --- R-OP-11-CLIQUE ---

@pytest.fixture
def collusion_hits(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Projects whose sections have an R-CL-E-* finding (stub for the §6 rules)."""
    flagged: set[str] = set()

    def fake(lot: portfolio_rules.Lot, context: RuleContext) -> list[Finding]:
        if lot.project_id not in flagged:
            return []
        return [Finding("R-CL-E-SAME-MACHINE", 1, "warning", True, lot.project_id,
                        lot.section_id, ((0, "x"),), {}, "同机", "same machine")]

    monkeypatch.setattr(portfolio_rules, "electronic_hits", fake)
    return flagged


@pytest.mark.parametrize(("sections", "winners", "flag", "hits"), [
    (5, "PQRPQ", True, 1), (4, "PQRP", True, 0), (5, "PQRPQ", False, 0),
    (5, "PPPPP", True, 0),  # no rotation
    (5, "PQRPZ", True, 0),  # a winner outside the set
])
def test_clique(collusion_hits: set[str], sections: int, winners: str, flag: bool,
                hits: int) -> None:
    trails = [project(["P", "Q", "R", *(["Z"] if w == "Z" else [])], w)
              for w in winners[:sections]]
    if flag:
        collusion_hits.add(trails[2].project_id)
    found = run("R-OP-11-CLIQUE", trails)
    assert len(found) == hits
    if hits:
        assert (found[0].computed["bidders"], found[0].computed["collusion_rules"]) == (
            ["P", "Q", "R"], ["R-CL-E-SAME-MACHINE"])
        assert found[0].computed["winners"] == list(winners)


def test_clique_reports_the_maximal_set(collusion_hits: set[str]) -> None:
    trails = [project(["P", "Q", "R", "S"], w) for w in "PQRSP"]
    collusion_hits.add(trails[0].project_id)
    found = run("R-OP-11-CLIQUE", trails)
    assert [f.computed["bidders"] for f in found] == [["P", "Q", "R", "S"]]


# --- R-EXPERT-BIDDER-AFFINITY ---

def scored(expert_scores: dict[str, str], bidder: str = "B", sits: tuple[str, ...] = ()
           ) -> list[dict[str, Any]]:
    out = [ev("SCORE_SUBMITTED", "2026-03-05T10:00:00", S, expert_id=e, bidder_org=bidder,
              factor_id="F1", score=s) for e, s in expert_scores.items()]
    if sits:
        out.insert(0, ev("COMMITTEE_FORMED", "2026-03-05T08:00:00", S,
                         members=[{"person_id": p, "role": "expert"} for p in sits]))
    return out


@pytest.mark.parametrize(("projects", "score", "hits"), [
    (3, "95", 1), (2, "95", 0),
    (3, "81.5", 1),  # others 79/80/81: median 80, MAD 1 → 1.5 above is enough
    (3, "81.4", 0),
])
def test_affinity_scores(projects: int, score: str, hits: int) -> None:
    trails = [project(["B", "C"], "C", *scored({"E1": score, "E2": "80", "E3": "81",
                                                 "E4": "79"})) for _ in range(projects)]
    found = run("R-EXPERT-BIDDER-AFFINITY", trails)
    assert [(f.subjects, f.computed["branch"]) for f in found] == [(("E1", "B"), "scores")] * hits


@pytest.mark.parametrize(("others", "hits"), [(7, 1), (1, 0)])
def test_affinity_win_rate(others: int, hits: int) -> None:
    trails = [project(["B", "C"], "B", *scored({}, sits=("E9", "E2"))) for _ in range(3)]
    trails += [project(["B", "C"], "C", *scored({}, sits=("E2",))) for _ in range(others)]
    found = [f for f in run("R-EXPERT-BIDDER-AFFINITY", trails) if f.subjects[0] == "E9"]
    assert len(found) == hits
    if hits:
        assert (found[0].computed["wins_with"], found[0].computed["base_rate"]) == (3, 0.3)


# --- R-EXPERT-DRAW-FREQUENCY ---

def draw(drawn: list[str], pool: str = "POOL") -> dict[str, Any]:
    return ev("EXPERT_DRAW", "2026-03-05T08:00:00", S, pool_id=pool, specialties=["x"],
              required_count=5, method="random", drawn_ids=drawn, operator="op")


@pytest.mark.parametrize(("times", "hits"), [(6, 1), (2, 0)])
def test_draw_frequency(times: int, hits: int) -> None:
    reference = ReferenceData(experts={f"E{i}": {"person_id": f"E{i}", "pool_id": "POOL"}
                                       for i in range(100)})
    context = RuleContext(ctx().calendar, ctx().thresholds, reference)
    trails = [project(["A", "B"], "A", draw(["X" if i < times else f"E{i}", "E90", "E91",
                                              f"E{10 + i}", f"E{20 + i}"]),
                      agent=f"AG{i}") for i in range(10)]
    found = run("R-EXPERT-DRAW-FREQUENCY", trails, context)
    xs = [f for f in found if f.subjects[0] == "X"]
    assert len(xs) == hits
    if hits:
        assert (xs[0].computed["times_drawn"], xs[0].computed["p"]) == (6, 0.05)
        assert xs[0].computed["tail"] < 0.001


def test_binomial_tail() -> None:
    assert portfolio_rules.binomial_tail(10, 0, 0.3) == pytest.approx(1.0)
    assert portfolio_rules.binomial_tail(2, 2, 0.5) == pytest.approx(0.25)


# --- R-AGENT-WINNER-CONCENTRATION ---

@pytest.mark.parametrize(("sections", "wins", "hits"), [(10, 4, 1), (10, 3, 0), (9, 4, 0)])
def test_agent_concentration(sections: int, wins: int, hits: int) -> None:
    trails = [project(["W", "B"], "W" if i < wins else f"O{i}") for i in range(sections)]
    found = run("R-AGENT-WINNER-CONCENTRATION", trails)
    assert [(f.computed["winner"], f.computed["share"]) for f in found] == [
        ("W", wins / sections)] * hits


# --- R-RETENDER-LOOP ---

def rounds(*bidder_rounds: list[str], winner: str | None, method: str | None = None) -> Trail:
    events: list[dict[str, Any]] = []
    for i, bidders in enumerate(bidder_rounds):
        if i:
            events.append(ev("RETENDER_STARTED", f"2026-0{i + 2}-01T10:00:00", S, reason="流标"))
        events += [ev("BID_SUBMITTED", f"2026-0{i + 2}-10T10:00:00", S, bidder_org=b,
                      accepted=True) for b in bidders]
    if method:
        events.insert(-1, ev("METHOD_CHANGED", "2026-06-01T10:00:00", S, reason="流标两次",
                             old_method="open", new_method=method))
    return project([], winner, *events)


@pytest.mark.parametrize(("trail_args", "hits"), [
    ((["X", "Y"], ["X", "Z"], ["X"]), 1),  # X in every round and wins
    ((["X", "Y"], ["Y", "Z"], ["X"]), 0),
    ((["X", "Y"], ["X"]), 0),  # a single failure
])
def test_retender_constant_bidder(trail_args: tuple[list[str], ...], hits: int) -> None:
    found = run("R-RETENDER-LOOP", [rounds(*trail_args, winner="X")])
    assert [f.computed["winner_in_every_round"] for f in found] == ["X"] * hits


def test_retender_then_non_open_method() -> None:
    trail = rounds(["X", "Y"], ["Y"], ["Z"], winner="Z", method="single_source")
    (f,) = run("R-RETENDER-LOOP", [trail])
    assert (f.computed["failures"], f.computed["new_method"]) == (2, "single_source")
    trail = rounds(["X", "Y"], ["Y"], ["Z"], winner="Z", method="open")
    assert run("R-RETENDER-LOOP", [trail]) == []
