"""docs/rules.md §9 scoring, rejection and report rules: planted defects and boundary cases."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rules.test_s06_s09_scenario import (
    BIDDERS,
    GP,
    TB,
    E,
    find,
    pos,
    run,
    scenario,
    t,
)

Ev = list[dict[str, Any]]


def only(rule_id: str, ev: Ev, **opts: Any) -> list[Any]:
    return run(ev, rule_ids=[rule_id], **opts)[1]


def score(ev: Ev, expert: str, bidder: str, factor: str) -> dict[str, Any]:
    return find(ev, "SCORE_SUBMITTED", where=lambda e: e["payload"]["expert_id"] == expert
                and e["payload"]["bidder_org"] == bidder and e["payload"]["factor_id"] == factor)


def before_report(ev: Ev, *items: dict[str, Any]) -> None:
    j = ev.index(find(ev, "EVAL_REPORT_SIGNED"))
    ev[j:j] = list(items)


def test_score_out_of_range_is_violation() -> None:
    ev = scenario()
    s = score(ev, "E1", "B5", "F2")
    s["payload"]["score"] = "-1"
    found = only("R-GP87-64-SCORE-INTEGRITY", ev)
    assert {f.computed["problem"]: f.severity for f in found} == {
        "out_of_range": "violation", "outlier": "warning"}
    by_problem = {f.computed["problem"]: [i for i, _ in f.evidence] for f in found}
    assert by_problem["out_of_range"] == [pos(ev, s)]
    assert len(by_problem["outlier"]) == 4 and pos(ev, s) in by_problem["outlier"]


@pytest.mark.parametrize(("signed", "severity"), [(True, "violation"), (False, "warning")])
def test_objective_scores_inconsistent(signed: bool, severity: str) -> None:
    ev = scenario()
    score(ev, "E2", "B5", "F1")["payload"]["score"] = "45"
    if not signed:
        ev.remove(find(ev, "EVAL_REPORT_SIGNED"))
    [f] = only("R-GP87-64-SCORE-INTEGRITY", ev)
    assert (f.severity, f.computed["scores"]) == (severity, ["45", "46"])


def test_report_total_mismatch() -> None:
    ev = scenario()
    cand = find(ev, "EVAL_REPORT_SIGNED")["payload"]["candidates"][0]
    cand["score"] = "71.50"
    [f] = only("R-GP87-64-SCORE-INTEGRITY", ev)
    assert f.computed == {"totals": {"B1": {"report": "71.50", "recomputed": "70.50"}},
                          "problem": "total_mismatch"}


@pytest.mark.parametrize(("value", "hits"), [("33", 0), ("34", 1)])
def test_subjective_outlier_boundary(value: str, hits: int) -> None:
    ev = scenario()  # others on B4/F2: 22, 21, 19 → median 21; limit max(0.3·40, 3·MAD) = 12
    score(ev, "E1", "B4", "F2")["payload"]["score"] = value
    assert len(only("R-GP87-64-SCORE-INTEGRITY", ev)) == hits


def test_negotiated_identical_subjective_scores() -> None:
    ev = scenario()
    for e in ev:
        if e["type"] == "SCORE_SUBMITTED" and e["payload"]["factor_id"] == "F2":
            e["payload"]["score"] = "20"
    for j, c in enumerate(find(ev, "EVAL_REPORT_SIGNED")["payload"]["candidates"]):
        c["score"] = str(50 - j + 20)
    _, found = run(ev)
    assert [f.rule_id for f in found] == ["R-GP87-62-NEGOTIATED-SCORES"]
    assert found[0].computed == {"bidders": 5, "experts": 4, "factors": 5}
    assert len(found[0].evidence) == 20


def clarification(by: str, asked: bool) -> list[dict[str, Any]]:
    items = []
    if asked:
        items.append(E("BIDDER_CLARIFICATION_REQUESTED", t("14:30"), {
            "bidder_org": "B2", "initiated_by": "committee", "question_hash": "11" * 32}))
    items.append(E("BIDDER_CLARIFICATION_ANSWERED", t("14:40"), {
        "bidder_org": "B2", "initiated_by": by, "answer_hash": "22" * 32}))
    return items


@pytest.mark.parametrize(("by", "asked", "hits"), [
    ("bidder", False, 1), ("committee", False, 1), ("committee", True, 0)])
def test_bidder_clarification(by: str, asked: bool, hits: int) -> None:
    ev = scenario()
    items = clarification(by, asked)
    i = ev.index(find(ev, "SCORE_SUBMITTED"))
    ev[i:i] = items
    found = only("R-TBR-52-BIDDER-CLARIFICATION", ev)
    assert len(found) == hits
    if hits:
        assert found[0].evidence[0][0] == pos(ev, items[-1])


@pytest.mark.parametrize(("price", "rejected", "hits"), [
    ("9800000.01", False, 1), ("9800000.00", False, 0), ("9900000.00", True, 0)])
def test_must_reject_above_ceiling(price: str, rejected: bool, hits: int) -> None:
    ev = scenario()
    decrypted = find(ev, "BID_DECRYPTED", 4)
    decrypted["payload"]["bid_price"] = price
    if rejected:
        before_report(ev, E("BID_REJECTED", t("14:30"), {"bidder_org": "B5",
                                                        "reason_code": "above_ceiling"}))
    found = only("R-TBR-51-MUST-REJECT", ev)
    assert len(found) == hits
    if hits:
        assert found[0].computed == {"bidder": "B5", "bid_price": price, "ceiling": "9800000.00"}
        # the evidence cites where the price was read (the decryption) and the report
        assert [i for i, _ in found[0].evidence] == [pos(ev, decrypted),
                                                      pos(ev, find(ev, "EVAL_REPORT_SIGNED"))]


def test_must_reject_gp_budget_and_two_prices() -> None:
    ev = scenario()
    flags = {**GP, "budget_amount": "9500000.00"}
    [f] = only("R-TBR-51-MUST-REJECT", ev, flags=flags)
    assert f.computed["bidder"] == "B5" and f.computed["ceiling"] == "9500000.00"
    ev = scenario()
    first = find(ev, "BID_DECRYPTED", 1)  # B2's bid opened twice, reading two prices
    second = {**first, "at": t("09:45"), "payload": {**first["payload"], "bid_price": "9200000.00"}}
    ev.insert(ev.index(first) + 1, second)
    [f] = only("R-TBR-51-MUST-REJECT", ev)
    assert f.computed == {"bidder": "B2", "prices": ["9200000.00", "9234500.00"]}
    assert [i for i, _ in f.evidence] == [pos(ev, first), pos(ev, second)]


def test_must_reject_one_price_read_twice_is_one_price() -> None:
    ev = scenario()
    first = find(ev, "BID_DECRYPTED", 1)
    ev.insert(ev.index(first) + 1, {**first, "at": t("09:45")})
    assert only("R-TBR-51-MUST-REJECT", ev) == []


@pytest.mark.parametrize(("price", "asked", "hits"), [
    ("7536519.99", False, 1),  # others' mean 9420650.00 × 0.80 = 7536520.00
    ("7536520.00", False, 0), ("7000000.00", True, 0)])
def test_abnormally_low(price: str, asked: bool, hits: int) -> None:
    ev = scenario()
    find(ev, "BID_DECRYPTED", 0)["payload"]["bid_price"] = price
    if asked:
        before_report(ev, E("BIDDER_CLARIFICATION_REQUESTED", t("14:30"), {
            "bidder_org": "B1", "initiated_by": "committee", "question_hash": "11" * 32}))
    found = only("R-EV-21-ABNORMALLY-LOW", ev)
    assert len(found) == hits
    if hits:
        f = found[0]
        assert (f.severity, f.lead, f.computed["mean_others"]) == ("warning", False, "9420650.00")
        assert [i for i, _ in f.evidence] == [pos(ev, find(ev, "BID_DECRYPTED", 0))]


def test_rejected_below_cost_without_request_is_violation() -> None:
    ev = scenario()
    before_report(ev, E("BID_REJECTED", t("14:30"), {"bidder_org": "B2",
                                                    "reason_code": "below_cost"}))
    [f] = only("R-EV-21-ABNORMALLY-LOW", ev)
    assert (f.severity, f.lead, f.computed["rejected_below_cost"]) == ("violation", True, True)


def test_report_candidates_signatures_and_e_signature() -> None:
    ev = scenario()
    rep = find(ev, "EVAL_REPORT_SIGNED")["payload"]
    rep["candidates"].append({"rank": 4, "bidder_org": "B4"})
    [f] = only("R-TBR-53-REPORT", ev)
    assert (f.severity, f.lead, f.computed["candidates"]["count"]) == ("violation", True, 4)
    assert only("R-TBR-53-REPORT", ev, flags=GP) == []
    ev = scenario()
    rep = find(ev, "EVAL_REPORT_SIGNED")["payload"]
    rep["signatures"] = [s for s in rep["signatures"] if s["signer_id"] != "T1"]
    [f] = only("R-TBR-53-REPORT", ev)
    assert (f.severity, f.lead, f.computed) == ("info", False, {"not_signed": ["T1"]})
    rep["dissents"] = [{"person_id": "T1", "summary": "不同意"}]
    assert only("R-TBR-53-REPORT", ev) == []
    for s in rep["signatures"]:
        del s["ca_cert_serial"]
    [f] = only("R-TBR-53-REPORT", ev)
    assert (f.severity, f.computed) == ("warning", {"no_e_signature": True})
    rep["candidates"].append({"rank": 4, "bidder_org": "B4"})
    [f] = only("R-TBR-53-REPORT", ev)  # several problems: one finding, the worst severity
    assert f.severity == "violation" and set(f.computed) == {"candidates", "no_e_signature"}


@pytest.mark.parametrize(("rejected", "flags", "severity"), [
    (3, TB, "warning"), (3, GP, "violation"), (2, TB, None), (2, GP, None)])
def test_thin_competition(rejected: int, flags: dict, severity: str | None) -> None:
    ev = scenario()
    before_report(ev, *[E("BID_REJECTED", t("14:30"), {"bidder_org": b, "reason_code": "x"})
                        for b in BIDDERS[-rejected:]])
    found = only("R-EV-27-THIN-COMPETITION", ev, flags=flags)
    assert [f.severity for f in found] == ([severity] if severity else [])


def test_no_reevaluation_gp() -> None:
    ev = scenario()
    second = {**find(ev, "EVAL_REPORT_SIGNED"), "at": t("10:00", "2026-03-27")}
    second["payload"] = {**second["payload"], "candidates": [
        {"rank": 1, "bidder_org": "B2"}, {"rank": 2, "bidder_org": "B1"}]}
    ev.insert(ev.index(find(ev, "WINNER_DETERMINED")), second)
    [f] = only("R-GPR-44-NO-REEVALUATION", ev, flags=GP)
    assert f.computed == {"rank1_before": "B1", "rank1_after": "B2"}
    assert only("R-GPR-44-NO-REEVALUATION", ev, flags=TB) == []
    ev = scenario()
    late = {**score(ev, "E1", "B1", "F2"), "at": t("10:00", "2026-03-27")}
    ev.insert(ev.index(find(ev, "WINNER_DETERMINED")), late)
    [f] = only("R-GPR-44-NO-REEVALUATION", ev, flags=GP)
    assert (f.severity, f.computed) == ("warning", {"scores_after_report": 1})
