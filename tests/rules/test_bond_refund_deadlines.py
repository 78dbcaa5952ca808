"""保证金智能快退: bond refund deadlines per regime, with an early warning (info) while at most
one day — one working day for procurement — is left, and a violation once the day passed."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.rules.catalogue.s10_bonds import DUE_SOON
from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB, ev, make_trail
from tests.rules.measures_kit import ORGS, found, now_at, project
from tests.rules.trailkit import bids, doc_round, dressed

TB_LATE, GP_LATE, WD_LATE = ("R-TBR-57-BOND-REFUND-5D", "R-GPR-33-BOND-REFUND-GP",
                             "R-TBR-35-WITHDRAWAL-REFUND")


# TB: contract Wed 2026-05-06, due Mon 05-11 (5 days, 实施条例 第57条), all bonds outstanding.
@pytest.mark.parametrize(("today", "left", "late"), [
    ("2026-05-08", None, False),  # 3 days left: quiet
    ("2026-05-10", 1, False),     # 1 day left: early warning
    ("2026-05-11", 0, False),     # due today: early warning
    ("2026-05-12", None, True),   # passed: violation, no more warning
])
def test_tb_refund_after_the_contract(today: str, left: int | None, late: bool) -> None:
    trail = project("TB", [now_at(today)], refunded=False)
    early = found(trail, DUE_SOON)
    assert [f.computed["left"] for f in early] == ([left] * 3 if left is not None else [])
    assert all((f.severity, f.lead) == ("info", False) for f in early)
    assert all(f.computed["due"] == "2026-05-11" for f in early)
    assert len(found(trail, TB_LATE)) == (3 if late else 0)
    if early:
        assert "2026-05-11" in early[0].message_zh and "合同签订" in early[0].message_zh
        assert "TBR 第57条" in early[0].basis and "GPR" not in early[0].basis


# GP: award notice Mon 2026-04-20 → the others' bonds due Mon 04-27 (5 working days, 实施条例
# 第33条); the winner's from the contract (Wed 05-06) → due Wed 05-13 (05-09 is a make-up day).
@pytest.mark.parametrize(("today", "losers", "late"), [
    ("2026-04-23", None, False),  # Thu: 04-24 and 04-27 left — quiet
    ("2026-04-24", 1, False),     # Fri: only Mon 04-27 left (weekend between)
    ("2026-04-28", None, True),   # passed
])
def test_gp_refund_of_the_others_counts_working_days_from_the_notice(
        today: str, losers: int | None, late: bool) -> None:
    trail = project("GP", [now_at(today)], contract_day=None, refunded=False)
    early = found(trail, DUE_SOON)
    assert sorted((f.computed["bidder"], f.computed["left"]) for f in early) == (
        [(o, losers) for o in ORGS[1:]] if losers is not None else [])
    assert all(f.computed["unit"] == "working_days" for f in early)
    assert {f.subjects[0] for f in found(trail, GP_LATE)} == (set(ORGS[1:]) if late else set())
    if early:
        assert "个工作日" in early[0].message_zh and "中标通知书发出" in early[0].message_zh
        assert "GPR 第33条" in early[0].basis and "TBR" not in early[0].basis


def test_gp_refund_of_the_winner_counts_from_the_contract() -> None:
    trail = project("GP", [now_at("2026-05-11")], refunded=False)
    early = [f for f in found(trail, DUE_SOON) if f.computed["bidder"] == ORGS[0]]
    assert [(f.computed["from"], f.computed["due"], f.computed["left"]) for f in early] == [
        ("CONTRACT_SIGNED", "2026-05-12", 1)]


@pytest.mark.parametrize("regime", ["TB", "GP"])
def test_refunds_made_in_time_raise_nothing(regime: str) -> None:
    trail = project(regime, [now_at("2026-05-11")])
    assert found(trail, DUE_SOON) == [] and found(trail, TB_LATE) == []
    assert found(trail, GP_LATE) == []


def _withdrawn(regime: str, today: str, refund: bool = False) -> Any:
    """ORGS[2] withdraws in writing on Sat 2026-03-28, before the 03-30 deadline."""
    flags = LAWFUL_FLAGS_TB if regime == "TB" else LAWFUL_FLAGS_GP
    evs = (doc_round("S1", "2026-03-02T09:00:00+08:00", "2026-03-30T09:30:00+08:00", ORGS)
           + bids("S1", "2026-03-27", ORGS, "20000.00")
           + [ev("BID_WITHDRAWN", "2026-03-28T10:00:00+08:00", section="S1",
                 bidder_org=ORGS[2])])
    if refund:
        evs.append(ev("BOND_REFUNDED", "2026-03-30T10:00:00+08:00", section="S1",
                      bidder_org=ORGS[2], amount="20000.00", interest="1.00",
                      cause="withdrawn"))
    return make_trail(flags, dressed([*evs, now_at(today)]))


# TB: 5 days from Sat 03-28 → Thu 04-02 (实施条例 第35条). GP: 5 working days → Fri 04-03
# (87号令 第38条; 04-04..06 are the Qingming holiday).
@pytest.mark.parametrize(("regime", "today", "left", "late"), [
    ("TB", "2026-03-31", None, False), ("TB", "2026-04-01", 1, False),
    ("TB", "2026-04-03", None, True),
    ("GP", "2026-04-01", None, False), ("GP", "2026-04-02", 1, False),
    ("GP", "2026-04-07", None, True),
])
def test_refund_after_a_withdrawal(regime: str, today: str, left: int | None,
                                   late: bool) -> None:
    trail = _withdrawn(regime, today)
    early = found(trail, DUE_SOON)
    assert [f.computed["left"] for f in early] == ([left] if left is not None else [])
    assert len(found(trail, WD_LATE)) == (1 if late else 0)
    if early:
        assert "书面撤回投标" in early[0].message_zh
    assert found(_withdrawn(regime, today, refund=True), DUE_SOON) == []
    assert found(_withdrawn(regime, today, refund=True), WD_LATE) == []
