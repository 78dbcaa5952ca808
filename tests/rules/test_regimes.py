"""A finding cites the law of its project's regime: works (招标投标法 system) never quote
procurement law, a procurement never quotes 招标投标法 — unless the finding says why both
apply. Checked on the registry, on the demo trails, on hand-written trails of both regimes
and on the rule section of a lead package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.demo import PLANTED_CLASSES, generate_project
from ledger.events import Pseudonymizer
from ledger.home import init_home, open_log
from ledger.ingest import Ingestor
from ledger.keys import load_secret
from ledger.rules import package
from ledger.rules.context import RuleContext
from ledger.rules.engine import evaluate
from ledger.rules.model import Finding, Trail
from ledger.rules.regimes import (
    LAW_REGIME,
    BasisError,
    basis_by_regime,
    cites_regime,
    for_regime,
    law_codes,
)
from ledger.rules.registry import load_all
from ledger.rules.service import RuleService
from ledger.settings import Settings
from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB, ctx, ev, make_trail
from tests.rules.test_generator import as_trail, context_for
from tests.rules.trailkit import award, bids, contract, doc_round, dressed, opening, refunds

OTHER = {"TB": "GP", "GP": "TB"}
LAWS = package.LAWS_DIR


def _foreign(basis: str, regime: str) -> list[str]:
    """Codes of the other regime's law cited by ``basis``."""
    return [c for c in law_codes(basis) if LAW_REGIME.get(c) == OTHER[regime]]


def _assert_own_regime(f: Finding, regime: str) -> None:
    assert f.basis, f"{f.rule_id}: a finding without a basis"
    if _foreign(f.basis, regime):
        # the other system is cited only with the reason why it applies
        assert "（" in f.basis and f.basis.rstrip().endswith("）"), (f.rule_id, f.basis)


def test_the_split_follows_the_law_codes() -> None:
    basis = ('TB 第28条 "拒收"; TBR 第36条; EB 第27条; GP87 第33条; TBR 第64条(四); '
             'ES 第11条 "接收时间; 视为"')
    assert for_regime(basis, "TB") == ('TB 第28条 "拒收"; TBR 第36条; EB 第27条; '
                                       'TBR 第64条(四); ES 第11条 "接收时间; 视为"')
    assert for_regime(basis, "GP") == 'GP87 第33条; ES 第11条 "接收时间; 视为"'
    # a citation without a law code continues the law before it
    assert law_codes('TBR 第51条(五); 第51条(四); GP87 第63条(四)') == ["TBR", "TBR", "GP87"]


def test_a_declared_basis_citing_the_other_system_needs_a_reason() -> None:
    with pytest.raises(BasisError):
        basis_by_regime("R-X", "TBR 第1条", {"GP": "TBR 第1条"})
    both = basis_by_regime("R-X", "TBR 第1条; GPR 第2条", {}, cross="两部法律均适用")
    assert both["GP"].endswith("（两部法律均适用）") and "TBR 第1条" in both["GP"]


@pytest.mark.parametrize("regime", ["TB", "GP"])
def test_no_registered_rule_cites_the_other_system_without_a_reason(regime: str) -> None:
    for rid, r in load_all().items():
        basis = r.meta.basis_by_regime[regime]
        if _foreign(basis, regime):
            assert basis.endswith("）"), f"{rid} ({regime}): {basis}"


@pytest.mark.parametrize("regime", ["TB", "GP"])
def test_rules_holding_in_both_regimes_cite_each_ones_own_law(regime: str) -> None:
    """A rule for every project ("all") names a law of each regime (or one of both)."""
    for rid, r in load_all().items():
        if not r.meta.applies.label.startswith("all"):
            continue
        basis = r.meta.basis_by_regime[regime]
        common = any(LAW_REGIME.get(c, "") is None for c in law_codes(basis))
        reasoned = basis.endswith("）")  # cites the other system and says why
        assert cites_regime(basis, regime) or common or reasoned, f"{rid}: no {regime} basis"


def _demo_cases() -> list[tuple[str, str]]:
    return [(c, k) for c in PLANTED_CLASSES for k in ("works", "goods")
            if not (k == "goods" and c == "short_publicity")]


@pytest.mark.parametrize(("cls", "kind"), _demo_cases())
def test_demo_findings_cite_their_regime(cls: str, kind: str) -> None:
    p = generate_project(2, kind, {cls})  # type: ignore[arg-type]
    for f in evaluate(as_trail(p), context_for(p)):
        _assert_own_regime(f, p.regime)


# Hand-written trails (not the generator's): one lot, three bidders, then one defect each.
ORGS = ["91210100MA0XY1234A", "91210200MA0XY2345B", "91210300MA0XY3456C"]


def _project(regime: str, extra: list[dict[str, Any]]) -> Trail:
    flags = LAWFUL_FLAGS_TB if regime == "TB" else LAWFUL_FLAGS_GP
    prices = {o: f"{1_800_000 + 10_000 * k}.00" for k, o in enumerate(ORGS)}
    evs = (doc_round("S1", "2026-03-02T09:00:00+08:00", "2026-03-30T09:30:00+08:00", ORGS)
           + bids("S1", "2026-03-27", ORGS, "20000.00")
           + opening("S1", "2026-03-30T09:30:00+08:00", prices)
           + award("S1", "2026-04-20", ORGS[0], ORGS[1:], prices[ORGS[0]])
           + contract("S1", "2026-05-06", ORGS[0], prices[ORGS[0]], "90000.00")
           + refunds("S1", "2026-05-08T10:00:00+08:00", ORGS, "20000.00", "won")
           + extra)
    return make_trail(flags, dressed(evs))


PLANTS: dict[str, list[dict[str, Any]]] = {
    "late_bid": [ev("BID_SUBMITTED", "2026-03-30T01:40:00Z", section="S1",
                    bidder_org="91210400MA0XY4567D", received_at="2026-03-30T01:40:00Z",
                    accepted=True, encrypted=True, file_hash="d" * 64)],
    "early_decrypt": [ev("BID_DECRYPTED", "2026-03-29T09:00:00+08:00", section="S1",
                         bidder_org=ORGS[0], success=True, bid_price="1800000.00")],
}


@pytest.mark.parametrize("regime", ["TB", "GP"])
@pytest.mark.parametrize("plant", ["late_bid", "early_decrypt"])
def test_hand_written_findings_cite_their_regime(regime: str, plant: str) -> None:
    found = [f for f in evaluate(_project(regime, PLANTS[plant]), ctx())
             if f.severity != "info"]
    assert found, plant
    for f in found:
        _assert_own_regime(f, regime)


def test_a_procurement_late_bid_cites_procurement_law_only() -> None:
    (f,) = [f for f in evaluate(_project("GP", PLANTS["late_bid"]), ctx())
            if f.rule_id == "R-TB-28-LATE-BID"]
    assert "GP87 第33条" in f.basis
    assert not {"TB", "TBR"} & set(law_codes(f.basis))
    (w,) = [f for f in evaluate(_project("TB", PLANTS["late_bid"]), ctx())
            if f.rule_id == "R-TB-28-LATE-BID"]
    assert "TB 第28条" in w.basis and "GP87" not in w.basis


def test_the_package_quotes_the_regimes_articles() -> None:
    works = package._rules(["R-TB-28-LATE-BID"], LAWS, "TB")[0]
    procurement = package._rules(["R-TB-28-LATE-BID"], LAWS, "GP")[0]
    assert {x["law"] for x in works["legal_text"]} <= {"TB", "TBR", "EB"}
    assert [x["law"] for x in procurement["legal_text"]] == ["GP87"]
    assert procurement["basis"] == "GP87 第33条"
    # a project without a registration (regime unknown) keeps the whole catalogue entry
    assert package._rules(["R-TB-28-LATE-BID"], LAWS)[0]["basis"].startswith("TB 第28条")


def test_a_procurement_lead_package_quotes_procurement_law_only(tmp_path: Path) -> None:
    """A real ledger: a procurement with a late bid; its lead package cites 87号令 only."""
    settings = Settings(home=tmp_path / "home", origin="regimes.test/log", chain="embedded")
    init_home(settings)
    log = open_log(settings)
    try:
        project = generate_project(7, "goods", planted={"late_bid"})
        ingestor = Ingestor(log, Pseudonymizer(load_secret(settings.pseudonym_key_path)))
        assert all(r.ok for r in ingestor.submit(project.events))
        service = RuleService(log, RuleContext.default())
        leads = service.run_project(project.project_id).new_leads
        lead_id = next(lid for lid in leads
                       if "R-TB-28-LATE-BID" in service.lead(lid)["rule_ids"])
        log.checkpoint()
        assert package.project_regime(log, project.project_id) == "GP"
        pkg = json.loads(service.export_lead(lead_id))
    finally:
        log.db.dispose()
    rule = next(r for r in pkg["lead"]["rules"] if r["id"] == "R-TB-28-LATE-BID")
    assert rule["basis"] == "GP87 第33条"
    assert {x["law"] for x in rule["legal_text"]} <= {"GP87"}
