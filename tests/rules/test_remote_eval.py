"""远程异地评标: the seats of a remote cross-region evaluation, read for 熟人评标 — an expert
in a bidder's home city, colleagues of one employer in one venue — in both regimes."""

from __future__ import annotations

import pytest

from ledger.rules.catalogue.s09_remote import HOME_REGION, SAME_EMPLOYER, org_city
from ledger.rules.context import ReferenceData, RuleContext
from ledger.rules.engine import evaluate
from tests.rules.builders import ctx
from tests.rules.measures_kit import (
    EMPLOYERS,
    EXPERTS,
    LAWFUL_SEATS,
    ORGS,
    above_info,
    found,
    project,
    remote_eval,
)

REGIMES = ["TB", "GP"]


@pytest.mark.parametrize("regime", REGIMES)
def test_a_lawful_remote_evaluation_raises_nothing_above_info(regime: str) -> None:
    trail = project(regime, remote_eval(LAWFUL_SEATS))
    assert above_info(trail) == []
    assert found(trail, HOME_REGION) == [] and found(trail, SAME_EMPLOYER) == []


@pytest.mark.parametrize("regime", REGIMES)
def test_an_expert_seated_in_a_bidders_home_city_is_a_warning(regime: str) -> None:
    seats = {**LAWFUL_SEATS, EXPERTS[1]: ("LN-DL-PBS-2", "210200")}  # 大连, home of ORGS[1]
    (f,) = found(project(regime, remote_eval(seats)), HOME_REGION)
    assert (f.severity, f.lead, f.section_id) == ("warning", False, "S1")
    assert f.computed["expert"] == EXPERTS[1] and f.computed["bidders"] == [ORGS[1]]
    assert "210200" in f.message_zh and ORGS[1] in f.message_zh
    assert ("TBR 第46条" in f.basis) == (regime == "TB")
    assert ("GP 第12条" in f.basis) == (regime == "GP")


def test_a_bidders_city_comes_from_reference_data_before_its_credit_code() -> None:
    ref = ReferenceData(enterprises={ORGS[0]: {"org_id": ORGS[0], "region_code": "211300"}})
    context = RuleContext(ctx().calendar, reference=ref)
    assert org_city(ORGS[0], context) == "2113" and org_city(ORGS[1], context) == "2102"
    assert org_city("ORG-A", context) is None  # not a credit code, no reference: unknown
    trail = project("TB", remote_eval(LAWFUL_SEATS))  # 朝阳 seats, now ORGS[0]'s city
    hits = [f for f in evaluate(trail, context) if f.rule_id == HOME_REGION]
    assert {f.computed["expert"] for f in hits} == {EXPERTS[1], EXPERTS[2]}


@pytest.mark.parametrize("regime", REGIMES)
def test_colleagues_seated_in_one_venue_are_a_warning(regime: str) -> None:
    same = [EMPLOYERS[0], EMPLOYERS[1], EMPLOYERS[1], EMPLOYERS[3]]  # E1, E2 both in 朝阳
    (f,) = found(project(regime, remote_eval(LAWFUL_SEATS, same)), SAME_EMPLOYER)
    assert (f.severity, f.lead) == ("warning", False)
    assert f.computed == {"venue": "LN-CY-PBS-2", "employer": EMPLOYERS[1],
                          "experts": [EXPERTS[1], EXPERTS[2]]}
    assert ("TBR 第49条" in f.basis) == (regime == "TB")
    assert ("GPR 第41条" in f.basis) == (regime == "GP")


def test_colleagues_in_different_venues_are_not_a_finding() -> None:
    same = [EMPLOYERS[0], EMPLOYERS[0], EMPLOYERS[2], EMPLOYERS[3]]  # E0 锦州, E1 朝阳
    assert found(project("TB", remote_eval(LAWFUL_SEATS, same)), SAME_EMPLOYER) == []


def test_the_employer_may_come_from_the_expert_registry() -> None:
    ref = ReferenceData(experts={p: {"person_id": p, "employer_org": "12210000MB0000099X"}
                                 for p in EXPERTS[1:3]})
    context = RuleContext(ctx().calendar, reference=ref)
    events = remote_eval(LAWFUL_SEATS)
    for e in events:  # the committee record leaves the employer out
        for m in e["payload"].get("members", []):
            m.pop("employer_org", None)
    hits = [f for f in evaluate(project("GP", events), context) if f.rule_id == SAME_EMPLOYER]
    assert [f.computed["experts"] for f in hits] == [[EXPERTS[1], EXPERTS[2]]]
