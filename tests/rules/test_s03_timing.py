"""§3 timing rules: 20-day periods (TB / GP), sale and provision periods, prequal timing."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.rules.engine import evaluate
from ledger.rules.registry import load_all
from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB, ctx, ev, make_trail

load_all()


def doc(issue: str, deadline: str, kind: str = "tender_doc", **extra: Any) -> dict[str, Any]:
    payload = {"doc_kind": kind, "version": 1, "doc_hash": "a" * 64,
               "available_from": f"{issue}T09:00:00+08:00",
               "available_until": extra.pop("until", f"{issue}T09:00:00+08:00"),
               "bid_deadline": f"{deadline}T09:30:00+08:00", **extra}
    return ev("DOC_ISSUED", f"{issue}T09:00:00+08:00", section="S1", **payload)


def run(trail: Any, rule_id: str, **th: Any) -> list[Any]:
    return [f for f in evaluate(trail, ctx(**th), [rule_id]) if f.rule_id == rule_id]


@pytest.mark.parametrize("rule_id,flags", [("R-TB-24-DEADLINE", LAWFUL_FLAGS_TB),
                                           ("R-GP-35-DEADLINE", LAWFUL_FLAGS_GP)])
@pytest.mark.parametrize("deadline,days,hits", [
    ("2026-03-21", 19, 1), ("2026-03-22", 20, 0), ("2026-03-23", 21, 0)])
def test_twenty_days(rule_id: str, flags: dict[str, Any], deadline: str, days: int,
                     hits: int) -> None:
    trail = make_trail(flags, [doc("2026-03-02", deadline)])
    found = run(trail, rule_id)
    assert len(found) == hits
    if hits:
        assert found[0].computed["days"] == days
        assert [i for i, _ in found[0].evidence] == [1]
        assert f"{days} days" in found[0].message_en


def test_deadline_changed_is_the_effective_deadline() -> None:
    trail = make_trail(LAWFUL_FLAGS_GP, [
        doc("2026-03-02", "2026-03-25"),
        ev("DEADLINE_CHANGED", "2026-03-05T10:00:00+08:00", section="S1",
           old_deadline="2026-03-25T09:30:00+08:00", new_deadline="2026-03-20T09:30:00+08:00",
           reason="x")])
    (f,) = run(trail, "R-GP-35-DEADLINE")
    assert f.computed["days"] == 18 and [i for i, _ in f.evidence] == [1, 2]


@pytest.mark.parametrize("flags", [{**LAWFUL_FLAGS_GP, "method": "inquiry"},
                                   {**LAWFUL_FLAGS_TB, "regime": "GP", "method": "single_source"},
                                   LAWFUL_FLAGS_TB])
def test_gp_deadline_applicability(flags: dict[str, Any]) -> None:
    assert run(make_trail(flags, [doc("2026-03-02", "2026-03-10")]), "R-GP-35-DEADLINE") == []


def test_national_day_does_not_extend_a_minimum_interval() -> None:
    # 2026-09-20 + 20 = 2026-10-10; a deadline inside the holiday still counts calendar days.
    trail = make_trail(LAWFUL_FLAGS_TB, [doc("2026-09-14", "2026-10-04")])
    assert run(trail, "R-TB-24-DEADLINE") == []
