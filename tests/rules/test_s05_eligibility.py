"""§5 bond and eligibility rules: one lawful and planted cases per rule."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.rules.context import ReferenceData, RuleContext
from ledger.rules.engine import evaluate
from ledger.rules.registry import load_all
from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB, ctx, ev, make_trail

load_all()

DL = "2026-03-23T09:30:00+08:00"


def doc() -> dict[str, Any]:
    return ev("DOC_ISSUED", "2026-03-02T09:00:00+08:00", section="S1", doc_kind="tender_doc",
              version=1, doc_hash="a" * 64, available_from="2026-03-02T09:00:00+08:00",
              available_until="2026-03-09T17:00:00+08:00", bid_deadline=DL, bid_validity_days=90)


def bid(org: str, **extra: Any) -> dict[str, Any]:
    return ev("BID_SUBMITTED", "2026-03-20T10:00:00+08:00", section="S1", bidder_org=org,
              received_at="2026-03-20T10:00:00+08:00", accepted=True, file_hash="b" * 64,
              **{"ca_subject_id": org, **extra})


def bond(org: str, **extra: Any) -> dict[str, Any]:
    return ev("BOND_PAID", "2026-03-19T10:00:00+08:00", section="S1", bidder_org=org,
              amount="1000.00", **{"form": "transfer", "payer_is_basic_account": True, **extra})


def run(flags: dict[str, Any], events: list[Any], rule_id: str,
        c: RuleContext | None = None) -> list[Any]:
    return [f for f in evaluate(make_trail(flags, events), c or ctx(), [rule_id])
            if f.rule_id == rule_id]


RULES = ["R-TBR-26-BOND-BASIC-ACCOUNT", "R-TBR-26-BOND-VALIDITY", "R-TBR-35-WITHDRAWAL-REFUND",
         "R-TBR-34-RELATED-BIDDERS", "R-TBR-13-AGENT-OR-PREPARER-BIDS",
         "R-TBR-37-CONSORTIUM-OVERLAP", "R-GP-22-DEBARRED-BIDDER", "R-ES-13-CA-IDENTITY",
         "R-EB-27-RECEIPT"]
LAWFUL = [doc(), bond("A"),
          bond("B", form="bank_guarantee", valid_until="2026-06-21T00:00:00+08:00"),
          bid("A"), bid("B"), bid("C", consortium_members=["C", "D"])]


@pytest.mark.parametrize("rule_id", RULES)
@pytest.mark.parametrize("flags", [LAWFUL_FLAGS_TB, LAWFUL_FLAGS_GP])
def test_lawful_is_silent(rule_id: str, flags: dict[str, Any]) -> None:
    assert run(flags, LAWFUL, rule_id) == []


def test_basic_account() -> None:
    (f,) = run(LAWFUL_FLAGS_TB, [bond("A", payer_is_basic_account=False)],
               "R-TBR-26-BOND-BASIC-ACCOUNT")
    assert f.computed["bidder_org"] == "A"
    assert run(LAWFUL_FLAGS_GP, [bond("A", payer_is_basic_account=False)],
               "R-TBR-26-BOND-BASIC-ACCOUNT") == []


@pytest.mark.parametrize("until,hits", [("2026-06-20T23:00:00+08:00", 1),
                                        ("2026-06-21T00:00:00+08:00", 0)])
def test_bond_validity(until: str, hits: int) -> None:
    # 2026-03-23 + 90 days = 2026-06-21
    events = [doc(), bond("B", form="bank_guarantee", valid_until=until)]
    assert len(run(LAWFUL_FLAGS_TB, events, "R-TBR-26-BOND-VALIDITY")) == hits


@pytest.mark.parametrize("flags,refund_day,hits", [
    (LAWFUL_FLAGS_TB, "2026-03-15", 0),   # withdrawn 03-10 → due 03-15 (Sunday) rolls to 03-16
    (LAWFUL_FLAGS_TB, "2026-03-16", 0),
    (LAWFUL_FLAGS_TB, "2026-03-17", 1),
    (LAWFUL_FLAGS_GP, "2026-03-17", 0),   # 5 working days → 03-17
    (LAWFUL_FLAGS_GP, "2026-03-18", 1),
    (LAWFUL_FLAGS_TB, None, 1),           # never refunded, trail "now" later
])
def test_withdrawal_refund(flags: dict[str, Any], refund_day: str | None, hits: int) -> None:
    events = [doc(), bond("A"), ev("BID_WITHDRAWN", "2026-03-10T10:00:00+08:00", section="S1",
                                   bidder_org="A")]
    if refund_day:
        events.append(ev("BOND_REFUNDED", f"{refund_day}T10:00:00+08:00", section="S1",
                         bidder_org="A", amount="1000.00", cause="withdrawal"))
    else:
        events.append(bid("B"))  # trail "now" = 2026-03-20, past the due date
    assert len(run(flags, events, "R-TBR-35-WITHDRAWAL-REFUND")) == hits


def test_related_bidders() -> None:
    ref = ReferenceData(enterprises={"A": {"legal_rep_id": "P1"}, "B": {"legal_rep_id": "P1"}},
                        relations=({"a": "C", "b": "ORG-TENDERER", "kind": "investment"},))
    c = RuleContext(ctx().calendar, reference=ref)
    found = run(LAWFUL_FLAGS_TB, LAWFUL, "R-TBR-34-RELATED-BIDDERS", c)
    assert sorted((f.severity, f.subjects) for f in found) == [
        ("violation", ("A", "B")), ("warning", ("C", "ORG-TENDERER"))]


def test_agent_bids() -> None:
    (f,) = run(LAWFUL_FLAGS_TB, [bid("ORG-AGENT")], "R-TBR-13-AGENT-OR-PREPARER-BIDS")
    assert f.computed["agent_org"] == "ORG-AGENT"


def test_consortium_overlap() -> None:
    (f,) = run(LAWFUL_FLAGS_TB, [*LAWFUL, bid("D")], "R-TBR-37-CONSORTIUM-OVERLAP")
    assert f.computed == {"org": "D", "bids": ["C", "D"]}


def test_debarred() -> None:
    c = RuleContext(ctx().calendar, reference=ReferenceData(debarred=frozenset({"B"})))
    (f,) = run(LAWFUL_FLAGS_GP, LAWFUL, "R-GP-22-DEBARRED-BIDDER", c)
    assert f.subjects == ("B",)


def test_ca_identity() -> None:
    (f,) = run(LAWFUL_FLAGS_TB, [bid("A", ca_subject_id="Z")], "R-ES-13-CA-IDENTITY")
    assert f.computed["ca_subject_id"] == "Z"
