"""质疑投诉联动: objections, challenges, complaints and 12345 tickets linked across projects —
the same bidder, agent or expert in the filings of several projects is a portfolio warning
citing every filing; fewer projects, or different parties, raise nothing."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.rules.portfolio import evaluate_portfolio
from ledger.rules.portfolio_complaints import COMPLAINT_LINK
from tests.rules.builders import ctx, ev
from tests.rules.measures_kit import ORGS, project
from tests.rules.wording_defects import defects

AGENT, EXPERT = "91210100MA0Y7K3L2P", "EXP-210100-0412"


def _filing(regime: str, kind: str, named: list[dict[str, str]], filer: str = ORGS[1]
            ) -> dict[str, Any]:
    at = "2026-04-22T10:00:00+08:00"
    if kind == "hotline":
        return ev("HOTLINE_TICKET_FILED", at, section="S1", ticket_id="GD-12345-0001",
                  received_at=at, subject="evaluation_result", named=named,
                  assigned_to="沈阳市住房和城乡建设局")
    if kind == "complaint":
        return ev("COMPLAINT_FILED", at, section="S1", case_id="TS-0001", complainant_org=filer,
                  subject="evaluation_result", received_at=at, named=named)
    etype = "OBJECTION_FILED" if regime == "TB" else "CHALLENGE_FILED"
    return ev(etype, at, section="S1", subject="evaluation_result", filer_org=filer,
              received_at=at, named=named)


def _portfolio(regime: str, named: list[list[dict[str, str]]], kinds: list[str]) -> list[Any]:
    trails = [project(regime, [_filing(regime, k, n)], project_id=f"P-{regime}-{i}")
              for i, (n, k) in enumerate(zip(named, kinds, strict=True))]
    return [f for f in evaluate_portfolio(trails, ctx()) if f.rule_id == COMPLAINT_LINK]


@pytest.mark.parametrize("regime", ["TB", "GP"])
def test_an_expert_named_in_three_projects_is_a_portfolio_warning(regime: str) -> None:
    named = [[{"role": "expert", "party_id": EXPERT}]] * 3
    hits = _portfolio(regime, named, ["filing", "complaint", "hotline"])
    (f,) = [h for h in hits if h.computed["party"] == EXPERT]
    assert (f.severity, f.lead, f.subjects) == ("warning", False, (EXPERT,))
    assert f.computed["projects"] == [f"P-{regime}-{i}" for i in range(3)]
    assert f.computed["filings"] == 3 and len(f.evidence) == 3 and f.computed["roles"] == [
        "expert"]
    assert "评标专家" in f.message_zh and "3 个项目" in f.message_zh and defects(f) == []


@pytest.mark.parametrize("regime", ["TB", "GP"])
def test_a_bidder_filing_and_named_across_projects_is_linked_in_both_roles(regime: str) -> None:
    named = [[{"role": "agent", "party_id": AGENT}], [{"role": "bidder", "party_id": ORGS[1]}],
             []]
    hits = _portfolio(regime, named, ["filing", "filing", "hotline"])
    # ORGS[1] files in projects 0 and 1 and is named in project 1: only two projects
    assert hits == []
    named[2] = [{"role": "bidder", "party_id": ORGS[1]}]
    (f,) = _portfolio(regime, named, ["filing", "filing", "hotline"])
    assert f.computed["party"] == ORGS[1] and f.computed["roles"] == ["bidder", "filer"]


def test_parties_in_fewer_projects_than_the_threshold_raise_nothing() -> None:
    named = [[{"role": "agent", "party_id": AGENT}]] * 2 + [[]]
    assert _portfolio("TB", named, ["filing", "complaint", "hotline"]) == []


def test_lawful_projects_without_filings_raise_nothing() -> None:
    trails = [project(r, [], project_id=f"P-{r}-{i}") for r in ("TB", "GP") for i in range(3)]
    assert [f for f in evaluate_portfolio(trails, ctx()) if f.rule_id == COMPLAINT_LINK] == []
