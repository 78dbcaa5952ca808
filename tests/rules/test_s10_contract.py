"""Tests of docs/rules.md §10 part 2 (contract, GP filing, written report, bond refunds)."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.rules.model import Trail
from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB, ev, idx, make_trail
from tests.rules.test_s10_award import CANDS, A, B, C, S, base_events, gp, run, tb

GP_LAWFUL = {"refund_b": {"at": "2026-03-20T10:00:00"}, "refund_c": {"at": "2026-03-20T10:00:00"}}
S10_CONTRACT = ["R-TB-46-CONTRACT-30D", "R-TBR-57-CONTRACT-CONSISTENT", "R-TB-47-REPORT-15D",
                "R-TBR-57-BOND-REFUND-5D"]
S10_GP = ["R-TB-46-CONTRACT-30D", "R-TBR-57-CONTRACT-CONSISTENT", "R-GP-49-ADDITIONAL-10PCT",
          "R-GPR-50-CONTRACT-PUBLISH-FILE", "R-GPR-33-BOND-REFUND-GP"]


def tick(at: str) -> dict[str, Any]:
    """An unrelated later event that moves the trail's "now"."""
    return ev("ACCESS_LOG", at, None, resource="none")


def with_extra(flags: dict[str, Any], extra: list[dict[str, Any]], **o: Any) -> Trail:
    return make_trail(flags, sorted(base_events(**o) + extra, key=lambda e: e["at"]))


def gp_filed(**o: Any) -> Trail:
    extra = [ev("CONTRACT_PUBLISHED", "2026-04-02T10:00:00", S, contract_id="K1", media="m"),
             ev("CONTRACT_FILED", "2026-04-08T10:00:00", S, contract_id="K1", department="财政局")]
    return with_extra(LAWFUL_FLAGS_GP, extra, **{**GP_LAWFUL, **o})


@pytest.mark.parametrize("rule_id", S10_CONTRACT)
def test_lawful_tb(rule_id: str) -> None:
    assert run(rule_id, tb()) == []


@pytest.mark.parametrize("rule_id", S10_GP)
def test_lawful_gp(rule_id: str) -> None:
    assert run(rule_id, gp_filed()) == []


# --- R-TB-46-CONTRACT-30D (planted class: contract after 30 days) ---

@pytest.mark.parametrize(("notice", "signed", "hits", "days"), [
    ("2026-03-16", "2026-04-15", 0, 30),
    ("2026-03-16", "2026-04-16", 1, 31),
    ("2026-03-16", "2026-04-14", 0, 29),
    # day 30 is 05-01 (May-Day holiday 05-01..05) → due rolls to Wed 05-06
    ("2026-04-01", "2026-05-06", 0, 35),
    ("2026-04-01", "2026-05-07", 1, 36),
])
def test_contract_30d(notice: str, signed: str, hits: int, days: int) -> None:
    trail = tb(notice={"at": f"{notice}T15:00:00"},
               contract={"at": f"{signed}T10:00:00", "signed_at": f"{signed}T10:00:00+08:00"},
               refund_a=None, refund_b=None, refund_c=None)
    found = run("R-TB-46-CONTRACT-30D", trail)
    assert len(found) == hits
    if hits:
        f = found[0]
        # a late contract is overdue even once signed; "missing" says whether it is still absent
        assert (f.severity, f.computed["days"], f.computed["overdue"],
                f.computed["missing"]) == ("violation", days, True, False)
        assert [i for i, _ in f.evidence] == [idx(trail, "AWARD_NOTICE_ISSUED"),
                                              idx(trail, "CONTRACT_SIGNED")]


@pytest.mark.parametrize(("now", "hits"), [("2026-04-15T20:00:00", 0),
                                           ("2026-04-16T09:00:00", 1)])
def test_contract_overdue(now: str, hits: int) -> None:
    trail = with_extra(LAWFUL_FLAGS_TB, [tick(now)], contract=None, refund_a=None,
                       refund_b=None, refund_c=None)
    found = run("R-TB-46-CONTRACT-30D", trail)
    assert [f.computed["overdue"] for f in found] == [True] * hits
    terminated = with_extra(LAWFUL_FLAGS_TB, [tick(now), ev("TENDER_TERMINATED", now, S,
                                                            reason="x")],
                            contract=None, refund_a=None, refund_b=None, refund_c=None)
    assert run("R-TB-46-CONTRACT-30D", terminated) == []


def test_contract_not_on_platform_info() -> None:
    (f,) = run("R-TB-46-CONTRACT-30D", tb(contract={"platform_signed": False}))
    assert (f.severity, f.lead) == ("info", False)


# --- R-TBR-57-CONTRACT-CONSISTENT ---

def test_contract_amount_differs() -> None:
    trail = tb(contract={"amount": "9500000.00"})
    (f,) = run("R-TBR-57-CONTRACT-CONSISTENT", trail)
    assert (f.severity, f.computed["difference"]) == ("violation", "500000.00")
    assert [i for i, _ in f.evidence] == [idx(trail, "WINNER_DETERMINED"),
                                          idx(trail, "CONTRACT_SIGNED")]
    # without award_price the report's candidate price is used
    trail = tb(contract={"amount": "9500000.00"}, winner={"award_price": None})
    (f,) = run("R-TBR-57-CONTRACT-CONSISTENT", trail)
    assert f.computed["winning_price"] == "9000000.00"


def test_contract_amount_against_the_opened_bid() -> None:
    """No award price and no candidate price: the winner's price read at the opening."""
    cands = [{k: v for k, v in c.items() if k != "price"} for c in CANDS]
    trail = tb(contract={"amount": "9500000.00"}, winner={"award_price": None},
               report={"candidates": cands})
    (f,) = run("R-TBR-57-CONTRACT-CONSISTENT", trail)
    assert f.computed["winning_price"] == "9000000.00"
    assert [i for i, _ in f.evidence] == [idx(trail, "BID_DECRYPTED"),
                                          idx(trail, "CONTRACT_SIGNED")]
    # no price decrypted: the opening record's read-out price, cited as the evidence
    rec = ev("OPENING_RECORD_PUBLISHED", "2026-03-03T10:00:00", S, record_hash="f" * 64,
             entries=[{"bidder_org": A, "bid_price": "9000000.00"}])
    trail = with_extra(LAWFUL_FLAGS_TB, [rec], contract={"amount": "9500000.00"},
                       winner={"award_price": None}, report={"candidates": cands},
                       dec_a={"bid_price": None})
    (f,) = run("R-TBR-57-CONTRACT-CONSISTENT", trail)
    assert f.computed["winning_price"] == "9000000.00"
    assert [i for i, _ in f.evidence] == [idx(trail, "OPENING_RECORD_PUBLISHED"),
                                          idx(trail, "CONTRACT_SIGNED")]


def test_contract_duration_differs() -> None:
    rec = ev("OPENING_RECORD_PUBLISHED", "2026-03-02T10:00:00", S, record_hash="f" * 64,
             entries=[{"bidder_org": A, "bid_price": "9000000.00", "duration_days": 300}])
    trail = with_extra(LAWFUL_FLAGS_TB, [rec], contract={"duration_days": 360})
    (f,) = run("R-TBR-57-CONTRACT-CONSISTENT", trail)
    assert (f.severity, f.computed["contract_duration_days"]) == ("warning", 360)
    assert run("R-TBR-57-CONTRACT-CONSISTENT",
               with_extra(LAWFUL_FLAGS_TB, [rec], contract={"duration_days": 300})) == []


@pytest.mark.parametrize(("added", "at", "hits"), [
    ("900000.00", "2026-05-01T10:00:00", 0),  # exactly 10 %: not above
    ("900000.01", "2026-05-01T10:00:00", 1),
    ("900000.01", "2026-09-28T10:00:00", 1),  # day 180
    ("900000.01", "2026-09-29T10:00:00", 0),  # day 181: outside the window
])
def test_contract_topup_warning(added: str, at: str, hits: int) -> None:
    amend = ev("CONTRACT_AMENDED", at, S, contract_id="K1", added_amount=added,
               same_subject=True)
    found = run("R-TBR-57-CONTRACT-CONSISTENT", with_extra(LAWFUL_FLAGS_TB, [amend]))
    assert [f.severity for f in found] == ["warning"] * hits


# --- R-GP-49-ADDITIONAL-10PCT ---

@pytest.mark.parametrize(("amounts", "same", "hits"), [
    (["400000.00", "500000.00"], True, 0),
    (["400000.00", "500000.01"], True, 1),
    (["400000.00", "500000.01"], False, 0),
])
def test_gp_topup(amounts: list[str], same: bool, hits: int) -> None:
    extra = [ev("CONTRACT_AMENDED", f"2026-05-0{i + 6}T10:00:00", S, contract_id="K1",
                added_amount=a, same_subject=same) for i, a in enumerate(amounts)]
    trail = with_extra(LAWFUL_FLAGS_GP, extra, **GP_LAWFUL)
    found = run("R-GP-49-ADDITIONAL-10PCT", trail)
    assert len(found) == hits
    if hits:
        assert found[0].computed == {"added": "900000.01", "original": "9000000.00",
                                     "limit": "900000.0000"}
        assert len(found[0].evidence) == 3
    assert run("R-GP-49-ADDITIONAL-10PCT", with_extra(LAWFUL_FLAGS_TB, extra)) == []


# --- R-GPR-50-CONTRACT-PUBLISH-FILE ---

@pytest.mark.parametrize(("published", "filed", "steps"), [
    ("2026-04-03", "2026-04-13", []),  # 2nd and 7th working day (04-04..06 Qingming)
    ("2026-04-07", "2026-04-13", ["CONTRACT_PUBLISHED"]),
    ("2026-04-03", "2026-04-14", ["CONTRACT_FILED"]),
])
def test_gp_publish_file(published: str, filed: str, steps: list[str]) -> None:
    extra = [ev("CONTRACT_PUBLISHED", f"{published}T10:00:00", S, contract_id="K1", media="m"),
             ev("CONTRACT_FILED", f"{filed}T10:00:00", S, contract_id="K1", department="财政局")]
    trail = with_extra(LAWFUL_FLAGS_GP, extra, **GP_LAWFUL)
    assert [f.computed["step"] for f in run("R-GPR-50-CONTRACT-PUBLISH-FILE", trail)] == steps


def test_gp_publish_missing_overdue() -> None:
    trail = with_extra(LAWFUL_FLAGS_GP, [tick("2026-04-07T09:00:00")], **GP_LAWFUL)
    assert [f.computed["step"] for f in run("R-GPR-50-CONTRACT-PUBLISH-FILE", trail)] == [
        "CONTRACT_PUBLISHED"]


# --- R-TB-47-REPORT-15D ---

@pytest.mark.parametrize(("filed", "hits"), [("2026-03-31", 0), ("2026-04-01", 1)])
def test_report_15d(filed: str, hits: int) -> None:
    trail = tb(report15={"at": f"{filed}T10:00:00", "filed_at": f"{filed}T10:00:00+08:00"})
    assert len(run("R-TB-47-REPORT-15D", trail)) == hits
    assert run("R-TB-47-REPORT-15D", gp(report15={"at": f"{filed}T10:00:00",
                                                   "filed_at": f"{filed}T10:00:00+08:00"})) == []


def test_report_missing_overdue() -> None:
    (f,) = run("R-TB-47-REPORT-15D", tb(report15=None))
    assert (f.computed["due"], f.computed["filed"]) == ("2026-03-31", None)


# --- R-TBR-57-BOND-REFUND-5D (planted class: bond refunded late) ---

@pytest.mark.parametrize(("signed", "refund", "hits"), [
    ("2026-03-10", "2026-03-16", 0),  # day 5 is Sun 03-15 → due rolls to Mon 03-16
    ("2026-03-10", "2026-03-17", 1),
    ("2026-04-01", "2026-04-07", 0),  # day 5 is 04-06 (Qingming) → due 04-07
    ("2026-04-01", "2026-04-08", 1),
    ("2026-02-06", "2026-02-11", 0),  # day 5 is Wed 02-11
    ("2026-02-06", "2026-02-12", 1),
])
def test_bond_refund_tb(signed: str, refund: str, hits: int) -> None:
    trail = tb(contract={"at": f"{signed}T10:00:00", "signed_at": f"{signed}T10:00:00+08:00"},
               refund_b={"at": f"{refund}T10:00:00"},
               refund_a={"at": "2026-02-06T11:00:00"}, refund_c={"at": "2026-02-06T11:00:00"})
    found = run("R-TBR-57-BOND-REFUND-5D", trail)
    assert len(found) == hits
    if hits:
        f = found[0]
        assert (f.severity, f.lead, f.subjects, f.computed["refunded"]) == (
            "violation", True, (B,), refund)
        assert [i for i, _ in f.evidence] == sorted([
            idx(trail, "BOND_PAID", 1), idx(trail, "CONTRACT_SIGNED"),
            next(e.index for e in trail.of_type("BOND_REFUNDED") if e.get("bidder_org") == B)])


def test_bond_refund_tb_missing_guarantee_interest_withdrawn() -> None:
    trail = tb(refund_b=None, refund_c={"interest": None})
    assert run("R-TBR-57-BOND-REFUND-5D", trail) == []  # now 04-03 < due 04-07
    trail = with_extra(LAWFUL_FLAGS_TB, [tick("2026-04-08T09:00:00")], refund_b=None,
                       refund_c={"interest": None})
    (f,) = run("R-TBR-57-BOND-REFUND-5D", trail)
    assert (f.severity, f.subjects, f.computed["refunded"]) == ("violation", (B,), None)
    trail = with_extra(LAWFUL_FLAGS_TB, [tick("2026-04-08T09:00:00")], refund_c=None)
    found = run("R-TBR-57-BOND-REFUND-5D", trail)  # guarantee never released
    assert [(f.severity, f.lead) for f in found] == [("warning", False)]
    found = run("R-TBR-57-BOND-REFUND-5D", tb(refund_a={"interest": "0.00"}))
    assert [(f.severity, f.computed["bidder"]) for f in found] == [("warning", A)]
    withdrawn = ev("BID_WITHDRAWN", "2026-03-01T10:00:00", S, bidder_org=B)
    assert run("R-TBR-57-BOND-REFUND-5D", with_extra(LAWFUL_FLAGS_TB, [withdrawn],
                                                    refund_b=None)) == []


# --- R-GPR-33-BOND-REFUND-GP ---

@pytest.mark.parametrize(("loser", "winner", "late"), [
    ("2026-03-23", "2026-04-09", []),  # 5th wd after Mon 03-16; after Wed 04-01 (Qingming)
    ("2026-03-24", "2026-04-09", [B]),
    ("2026-03-23", "2026-04-10", [A]),
])
def test_bond_refund_gp(loser: str, winner: str, late: list[str]) -> None:
    trail = gp(refund_b={"at": f"{loser}T10:00:00", "interest": "500.00"},
               refund_c={"at": "2026-03-20T10:00:00"},
               refund_a={"at": f"{winner}T10:00:00", "interest": "500.00"})
    found = run("R-GPR-33-BOND-REFUND-GP", trail)
    assert [f.computed["bidder"] for f in found] == late
    assert all(f.severity == "violation" for f in found)


@pytest.mark.parametrize(("interest", "warn"), [("120.00", False), ("50.00", True)])
def test_bond_refund_gp_overdue_fee(interest: str, warn: bool) -> None:
    # due 03-23; refunded 03-30: 7 days × 100000 × 4.35 % × 1.2 / 365 = 100.11
    trail = gp(refund_b={"at": "2026-03-30T10:00:00", "interest": interest},
               refund_c={"at": "2026-03-20T10:00:00"})
    found = run("R-GPR-33-BOND-REFUND-GP", trail)
    assert sorted(f.severity for f in found) == (["violation", "warning"] if warn
                                                 else ["violation"])
    if warn:
        fee = next(f for f in found if f.severity == "warning")
        assert fee.computed == {"bidder": B, "expected_fee": "100.11", "paid": "50.00"}


def test_bond_refund_gp_not_tb() -> None:
    assert run("R-GPR-33-BOND-REFUND-GP", tb(refund_b={"at": "2026-05-30T10:00:00"})) == []
    assert C  # the bank-guarantee bidder is refunded on time in the lawful trail
