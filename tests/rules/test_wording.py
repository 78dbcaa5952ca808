"""Findings a regulator can sign: every message is read for each class of wording defect
(Beijing time, 元 with two decimals and the percentage, days / hours / minutes, the
comparison as it stands, Chinese in the Chinese message, complete evidence), on the demo
trails and on hand-written trails of both regimes."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ledger.demo import PLANTED_CLASSES, generate_project
from ledger.rules.engine import evaluate
from ledger.rules.model import Finding, Trail
from ledger.rules.wording import (
    bj_date,
    bj_time,
    duration,
    label,
    listing,
    pct,
    quoted,
    share,
    yuan,
)
from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB, ctx, ev, make_trail
from tests.rules.test_generator import as_trail, context_for
from tests.rules.trailkit import award, bids, contract, doc_round, dressed, opening, refunds
from tests.rules.wording_defects import defects, message_defects

ORGS = ["91210100MA0XY1234A", "91210200MA0XY2345B", "91210300MA0XY3456C"]
DEADLINE = "2026-03-30T09:30:00+08:00"


def test_helpers_write_beijing_time_yuan_percent_and_durations() -> None:
    utc = datetime.fromisoformat("2026-03-10T16:30:00+00:00")
    assert bj_time(utc) == "2026-03-11 00:30:00+08:00" and bj_date(utc) == "2026-03-11"
    assert yuan(Decimal("572000.0000")) == "572,000.00 元"
    assert yuan(Decimal("572000.005"), "en") == "CNY 572,000.01"
    assert pct(Decimal("0.02")) == "2%" and pct(Decimal("0.020979")) == "2.1%"
    assert share(Decimal(600_000), Decimal(28_600_000)) == "2.1%"
    assert duration(1_904_778) == "22天1小时6分钟"
    assert duration(1_904_778, "en") == "22 d 1 h 6 min"
    assert duration(timedelta(minutes=5, seconds=30)) == "5分钟30秒" and duration(0) == "0秒"
    assert listing(["甲", "乙"]) == "甲、乙" and listing([], "en") == "none"
    assert label("bidder_waiting_area") == "投标人等候区" and label("late_x") == "其他"
    assert quoted(["资格条件：业绩"], "en") == "“资格条件：业绩”"


@pytest.mark.parametrize(("zh", "en", "defect"), [
    ("开标问题：late", "problems: late", "English in message_zh"),
    ("到过 ['other']", "seen in ['other']", "Python repr"),
    ("文件 2026-03-10T16:30:00Z 发出", "issued 2026-03-10T16:30:00Z", "UTC time"),
    ("晚于截止时间 1904778 秒", "1,904,778 s late", "long seconds count"),
    ("上限 572000.0000 元", "cap 572000.0000", "more than two decimals"),
    ("投标保证金条款违规：bond_amount", "bid bond terms: bond_amount", "field name"),
    ("澄清", "clarification：late", "Chinese punctuation in message_en"),
])
def test_the_reader_catches_each_defect_class(zh: str, en: str, defect: str) -> None:
    assert any(d.startswith(defect) for d in message_defects(zh, en)), message_defects(zh, en)


def test_the_reader_lets_ids_codes_and_quoted_data_pass() -> None:
    assert message_defects("91210100MA0XY1234A 的 BID_SUBMITTED（作者“zhangsan”）",
                           "BID_SUBMITTED of ORG-A1 (author “张三”)") == []


def _cases() -> list[tuple[str, str]]:
    return [(c, k) for c in PLANTED_CLASSES for k in ("works", "goods")
            if not (k == "goods" and c == "short_publicity")]


@pytest.mark.parametrize(("cls", "kind"), _cases())
def test_demo_findings_read_clean(cls: str, kind: str) -> None:
    p = generate_project(1, kind, {cls})  # type: ignore[arg-type]
    found = evaluate(as_trail(p), context_for(p))
    assert [d for f in found for d in defects(f)] == []


# Hand-written trails: one lot, three bidders, Liaoning parties; then one defect each.
def _project(regime: str, extra: list[dict[str, Any]], *,
             issued: str = "2026-03-02T09:00:00+08:00", opened: str = DEADLINE,
             contract_day: str = "2026-05-06", **flags: Any) -> Trail:
    base = LAWFUL_FLAGS_TB if regime == "TB" else LAWFUL_FLAGS_GP
    prices = {o: f"{1_800_000 + 10_000 * k}.00" for k, o in enumerate(ORGS)}
    evs = (doc_round("S1", issued, DEADLINE, ORGS)
           + bids("S1", "2026-03-27", ORGS, "20000.00")
           + opening("S1", opened, prices)
           + award("S1", "2026-04-20", ORGS[0], ORGS[1:], prices[ORGS[0]])
           + contract("S1", contract_day, ORGS[0], prices[ORGS[0]], "90000.00")
           + refunds("S1", f"{contract_day}T14:00:00+08:00", ORGS, "20000.00", "won")
           + extra)
    return make_trail({**base, **flags}, dressed(evs))


def _only(trail: Trail, rule_id: str) -> Finding:
    found = [f for f in evaluate(trail, ctx()) if f.rule_id == rule_id]
    assert len(found) == 1, [f.message_en for f in found]
    assert defects(found[0]) == []
    return found[0]


def test_a_period_counted_from_the_local_date_prints_that_date() -> None:
    # issued 2026-03-11 00:30 Beijing time, recorded in UTC (still 03-10 there): 19 days
    f = _only(_project("TB", [], issued="2026-03-10T16:30:00+00:00"), "R-TB-24-DEADLINE")
    assert f.computed["days"] == 19
    assert "2026-03-11" in f.message_zh and "2026-03-10" not in f.message_zh
    assert "2026-03-11" in f.message_en and "2026-03-10" not in f.message_en


@pytest.mark.parametrize("regime", ["TB", "GP"])
def test_a_late_bid_prints_beijing_time_and_days_hours_minutes(regime: str) -> None:
    late = [ev("BID_SUBMITTED", "2026-04-21T02:36:18Z", section="S1",
               bidder_org="91210400MA0XY4567D", received_at="2026-04-21T02:36:18Z",
               accepted=True, encrypted=True, file_hash="d" * 64)]
    f = _only(_project(regime, late), "R-TB-28-LATE-BID")
    assert f.computed["late_seconds"] == 1_904_778
    assert f.computed["received_at"] == "2026-04-21T10:36:18+08:00"  # the same instant, +08:00
    assert "2026-04-21 10:36:18+08:00" in f.message_zh
    assert "2026-03-30 09:30:00+08:00" in f.message_zh
    assert "22天1小时6分钟" in f.message_zh and "22 d 1 h 6 min" in f.message_en
    assert "1904778" not in f.message_zh + f.message_en


def test_the_bond_cap_prints_amounts_in_yuan_the_share_and_cites_the_estimate() -> None:
    terms = [ev("DOC_ISSUED", "2026-03-02T09:00:00+08:00", section="S1", doc_kind="tender_doc",
                version=2, doc_hash="e" * 64, bid_deadline=DEADLINE,
                available_from="2026-03-02T09:00:00+08:00",
                available_until="2026-03-09T09:00:00+08:00",
                structured_terms={"bond_amount": "600000.00"})]
    f = _only(_project("TB", terms, estimate_amount="28600000.00"), "R-TBR-26-BOND-CAP")
    assert "600,000.00 元" in f.message_zh and "28,600,000.00 元" in f.message_zh
    assert "2.1%" in f.message_zh and "上限 572,000.00 元" in f.message_zh
    assert "CNY 572,000.00" in f.message_en and "bond_amount" not in f.message_zh
    assert f.computed["problems"]["bond_amount"]["cap"] == "572000.00"
    assert f.evidence[0][0] == 0  # the registration carrying the estimate


def test_a_late_contract_is_overdue_in_its_computed_values() -> None:
    f = _only(_project("TB", [], contract_day="2026-06-01"), "R-TB-46-CONTRACT-30D")
    assert (f.computed["overdue"], f.computed["missing"]) == (True, False)
    assert "2026-06-01" in f.message_zh and "晚于" in f.message_zh


def test_a_late_opening_is_described_in_chinese() -> None:
    trail = _project("TB", [], opened="2026-03-30T11:40:00+08:00")
    found = [f for f in evaluate(trail, ctx()) if f.rule_id == "R-TB-34-OPENING-TIME-PLACE"]
    assert found and all(defects(f) == [] for f in found)
    assert any("晚于投标截止" in f.message_zh and "2小时10分钟" in f.message_zh for f in found)
    assert all("late" not in f.message_zh for f in found)


@pytest.mark.parametrize("regime", ["TB", "GP"])
def test_lawful_hand_written_findings_read_clean(regime: str) -> None:
    for f in evaluate(_project(regime, []), ctx()):
        assert defects(f) == []


def test_a_share_just_over_its_cap_is_not_printed_as_the_cap() -> None:
    from decimal import Decimal

    from ledger.rules.wording import share

    cap = Decimal("0.02")
    assert share(Decimal("20000.01"), Decimal("1000000"), cap) == "2.000001%"
    assert share(Decimal("20100"), Decimal("1000000"), cap) == "2.01%"
    assert share(Decimal("20000"), Decimal("1000000"), cap) == "2%"
    assert share(Decimal("1"), Decimal("0"), cap) == "—"
