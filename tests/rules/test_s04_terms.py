"""§4 rules on DOC_ISSUED.structured_terms: one lawful and one planted document per rule."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.rules.engine import evaluate
from ledger.rules.registry import load_all
from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB, ctx, ev, make_trail

load_all()

LAWFUL_TERMS: dict[str, Any] = {
    "qualification_reqs": [{"type": "qualification_grade", "value": "二级"},
                           {"type": "performance", "value": "1", "region_scope": "national"}],
    "scoring_factors": [{"id": "F-PRICE", "category": "price", "points": "60",
                         "is_objective": True},
                        {"id": "F-TECH", "category": "technical", "points": "40",
                         "is_objective": False}],
    "price_weight": "60", "price_formula": "low_price_first", "trims_extremes": False,
    "max_price_disclosed": True, "budget_disclosed": True, "bond_amount": "40000.00",
    "bond_forms_allowed": ["transfer", "bank_guarantee"], "perf_bond_ratio": "10",
    "consortium_statement": "not_accepted", "registration_gate": False}


def doc(**changes: Any) -> dict[str, Any]:
    return ev("DOC_ISSUED", "2026-03-02T09:00:00+08:00", section="S1", doc_kind="tender_doc",
              version=1, doc_hash="a" * 64, available_from="2026-03-02T09:00:00+08:00",
              available_until="2026-03-09T17:00:00+08:00",
              bid_deadline="2026-03-23T09:30:00+08:00", standard_template_id="T1",
              structured_terms={**LAWFUL_TERMS, **changes})


def run(flags: dict[str, Any], events: list[Any], rule_id: str) -> list[Any]:
    return [f for f in evaluate(make_trail(flags, events), ctx(), [rule_id])
            if f.rule_id == rule_id]


RULES = ["R-TBR-32-3-REGION-INDUSTRY-PERF", "R-TBR-32-5-BRAND",
         "R-TBR-32-6-OWNERSHIP-FORM-LOCATION", "R-GP87-17-SCALE-CONDITIONS", "R-GP87-17-MFR-AUTH",
         "R-OP-3-IMPLICIT-BARRIERS", "R-TBR-32-4-DIFFERENT-STANDARDS", "R-GP87-55-QUAL-AS-SCORE",
         "R-GP87-55-PRICE-WEIGHT", "R-TBR-27-PRICE-LIMITS", "R-TBR-26-BOND-CAP",
         "R-TBR-58-PERF-BOND-CAP", "R-TBR-37-CONSORTIUM-STATEMENT", "R-GP87-22-SAMPLES",
         "R-TBR-15-STANDARD-TEMPLATE", "R-FC-REVIEW"]


@pytest.mark.parametrize("rule_id", RULES)
@pytest.mark.parametrize("flags", [LAWFUL_FLAGS_TB, LAWFUL_FLAGS_GP])
def test_lawful_document_is_silent(rule_id: str, flags: dict[str, Any]) -> None:
    assert run(flags, [doc()], rule_id) == []


PERF_REGION = [{"type": "performance", "value": "1", "region_scope": "沈阳市"}]
PLANTED = [
    ("R-TBR-32-3-REGION-INDUSTRY-PERF", LAWFUL_FLAGS_TB, {"qualification_reqs": PERF_REGION},
     "violation"),
    ("R-TBR-32-5-BRAND", LAWFUL_FLAGS_TB,
     {"brand_refs": [{"kind": "brand", "value": "X牌", "equivalent_allowed": False}]}, "violation"),
    ("R-TBR-32-5-BRAND", LAWFUL_FLAGS_TB,
     {"brand_refs": [{"kind": "brand", "value": "X牌", "equivalent_allowed": True}]}, "info"),
    ("R-TBR-32-6-OWNERSHIP-FORM-LOCATION", LAWFUL_FLAGS_GP,
     {"qualification_reqs": [{"type": "local_branch", "value": "本地分公司"}]}, "violation"),
    ("R-GP87-17-SCALE-CONDITIONS", LAWFUL_FLAGS_GP,
     {"qualification_reqs": [{"type": "registered_capital", "value": "1000000"}]}, "violation"),
    ("R-GP87-17-SCALE-CONDITIONS", LAWFUL_FLAGS_TB,   # estimate 10,000,000
     {"qualification_reqs": [{"type": "registered_capital", "value": "10000001"}]}, "warning"),
    ("R-GP87-17-MFR-AUTH", LAWFUL_FLAGS_GP,
     {"qualification_reqs": [{"type": "manufacturer_authorization"}]}, "violation"),
    ("R-OP-3-IMPLICIT-BARRIERS", LAWFUL_FLAGS_TB,
     {"qualification_reqs": [{"type": "market_share", "value": "10%"}]}, "warning"),
    ("R-GP87-55-QUAL-AS-SCORE", LAWFUL_FLAGS_GP,
     {"scoring_factors": [{"id": "F1", "category": "qualification_like", "points": "5",
                           "is_objective": True, "type": "qualification_grade"}]}, "violation"),
    ("R-GP87-55-PRICE-WEIGHT", LAWFUL_FLAGS_GP, {"price_weight": "29.9"}, "violation"),
    ("R-GP87-55-PRICE-WEIGHT", LAWFUL_FLAGS_GP, {"trims_extremes": True}, "violation"),
    ("R-TBR-27-PRICE-LIMITS", LAWFUL_FLAGS_TB, {"min_price": "100.00"}, "violation"),
    ("R-TBR-27-PRICE-LIMITS", LAWFUL_FLAGS_GP, {"budget_disclosed": False}, "violation"),
    ("R-TBR-26-BOND-CAP", LAWFUL_FLAGS_GP, {"bond_amount": "40000.01"}, "violation"),
    ("R-TBR-26-BOND-CAP", LAWFUL_FLAGS_GP, {"bond_forms_allowed": ["cash"]}, "violation"),
    ("R-TBR-58-PERF-BOND-CAP", LAWFUL_FLAGS_TB, {"perf_bond_ratio": "10.5"}, "violation"),
    ("R-TBR-37-CONSORTIUM-STATEMENT", LAWFUL_FLAGS_TB, {"consortium_statement": "unspecified"},
     "warning"),
    ("R-GP87-22-SAMPLES", LAWFUL_FLAGS_GP, {"samples_required": True}, "warning"),
]


@pytest.mark.parametrize("rule_id,flags,changes,severity", PLANTED)
def test_planted_term(rule_id: str, flags: dict[str, Any], changes: dict[str, Any],
                      severity: str) -> None:
    (f,) = run(flags, [doc(**changes)], rule_id)
    # a bond above the cap also cites the registration that carries the estimate / budget
    want = [0, 1] if "bond_amount" in f.computed.get("problems", {}) else [1]
    assert f.severity == severity and [i for i, _ in f.evidence] == want


def test_bond_cap_boundary_tb() -> None:
    # estimate 10,000,000 → cap 200,000.00
    assert run(LAWFUL_FLAGS_TB, [doc(bond_amount="200000.00")], "R-TBR-26-BOND-CAP") == []
    (f,) = run(LAWFUL_FLAGS_TB, [doc(bond_amount="200000.01")], "R-TBR-26-BOND-CAP")
    assert f.computed["problems"]["bond_amount"]["cap"] == "200000.00"


def test_price_weight_services_boundary() -> None:
    services = {**LAWFUL_FLAGS_GP, "subject": "services"}
    assert run(services, [doc(price_weight="10")], "R-GP87-55-PRICE-WEIGHT") == []
    assert len(run(services, [doc(price_weight="9.99")], "R-GP87-55-PRICE-WEIGHT")) == 1


def test_latest_version_is_checked() -> None:
    fixed = doc()
    fixed["payload"]["version"] = 2
    assert run(LAWFUL_FLAGS_TB, [doc(min_price="1"), fixed], "R-TBR-27-PRICE-LIMITS") == []


def test_missing_template_is_info() -> None:
    d = doc()
    del d["payload"]["standard_template_id"]
    (f,) = run(LAWFUL_FLAGS_TB, [d], "R-TBR-15-STANDARD-TEMPLATE")
    assert f.severity == "info"


def test_performance_bond_paid_above_cap() -> None:
    events = [doc(), ev("CONTRACT_SIGNED", "2026-04-20T10:00:00+08:00", section="S1",
                        amount="1000000.00"),
              ev("PERFORMANCE_BOND_PAID", "2026-04-21T10:00:00+08:00", section="S1",
                 amount="100000.01", form="transfer")]
    (f,) = run(LAWFUL_FLAGS_TB, events, "R-TBR-58-PERF-BOND-CAP")
    assert [i for i, _ in f.evidence] == [2, 3]


@pytest.mark.parametrize("factor,fmax,hits", [("F-TECH", None, 0), ("F-X", None, 1),
                                              ("F-TECH", "50", 1)])
def test_different_standards(factor: str, fmax: str | None, hits: int) -> None:
    def score(org: str, fid: str, mx: str) -> dict[str, Any]:
        return ev("SCORE_SUBMITTED", "2026-03-24T10:00:00+08:00", section="S1", expert_id="E1",
                  bidder_org=org, factor_id=fid, score="5", factor_max=mx)
    events = [doc(), score("A", "F-TECH", "40"), score("B", factor, fmax or "40")]
    assert len(run(LAWFUL_FLAGS_TB, events, "R-TBR-32-4-DIFFERENT-STANDARDS")) == hits
