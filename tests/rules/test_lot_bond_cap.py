"""R-TBR-26-BOND-CAP measures a lot's bond on the lot's own estimate / budget when the
registration lists the lot with it (PROJECT_REGISTERED.lots), else on the project's."""

from __future__ import annotations

from typing import Any

from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB
from tests.rules.test_s04_terms import doc, run

RULE = "R-TBR-26-BOND-CAP"


def _doc(section: str, bond: str) -> dict[str, Any]:
    d = doc(bond_amount=bond)
    d["section"] = section
    return d


def _flags(base: dict[str, Any], **lots: dict[str, str]) -> dict[str, Any]:
    return {**base, "sections": ["S1", "S2"],
            "lots": [{"section_id": sid, **amounts} for sid, amounts in lots.items()]}


def test_lot_estimate_is_the_base() -> None:
    # project estimate 10,000,000 (cap 200,000) but lot S1's own estimate is 1,000,000
    flags = _flags(LAWFUL_FLAGS_TB, S1={"estimate_amount": "1000000.00"})
    assert run(flags, [_doc("S1", "20000.00")], RULE) == []
    (f,) = run(flags, [_doc("S1", "20000.01")], RULE)
    bond = f.computed["problems"]["bond_amount"]
    assert (bond["base"], bond["cap"]) == ("1000000.00", "20000.00")
    assert f.section_id == "S1" and [i for i, _ in f.evidence] == [0, 1]
    assert "估算价 1,000,000.00 元" in f.message_zh


def test_lot_without_its_own_amount_uses_the_project() -> None:
    flags = _flags(LAWFUL_FLAGS_TB, S1={"estimate_amount": "1000000.00"})
    assert run(flags, [_doc("S2", "200000.00")], RULE) == []
    (f,) = run(flags, [_doc("S2", "200000.01")], RULE)
    assert f.computed["problems"]["bond_amount"]["base"] == "10000000.00"


def test_gp_lot_budget_is_the_base() -> None:
    flags = _flags(LAWFUL_FLAGS_GP, S1={"budget_amount": "500000"})
    (f,) = run(flags, [_doc("S1", "10000.01")], RULE)
    assert f.computed["problems"]["bond_amount"]["cap"] == "10000.00"
    assert run(flags, [_doc("S1", "10000.00")], RULE) == []
