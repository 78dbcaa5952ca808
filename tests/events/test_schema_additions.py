"""Schema additions a platform fills: Chinese classification names, per-lot amounts, tender
rounds and refund causes, audio/video segments, declined experts and scoring bands."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.events import EventValidationError, event_to_json, example_event, parse_event


def _parsed(data: dict[str, Any]) -> dict[str, Any]:
    """The payload of ``data`` after validation (fails if it does not validate)."""
    payload: dict[str, Any] = event_to_json(parse_event(data))["payload"]
    return payload


def _locs(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(EventValidationError) as info:
        parse_event(data)
    return {e["loc"]: e["msg"] for e in info.value.errors}


@pytest.mark.parametrize("specialty", ["房屋建筑工程/施工", "A010101", "经济/工程造价（预算）"])
def test_expert_specialties_accept_national_names(specialty: str) -> None:
    draw = example_event("EXPERT_DRAW")
    draw["payload"]["specialties"] = [specialty]
    assert _parsed(draw)["specialties"] == [specialty]
    formed = example_event("COMMITTEE_FORMED")
    formed["payload"]["members"][1]["specialty"] = specialty
    assert _parsed(formed)["members"][1]["specialty"] == specialty


@pytest.mark.parametrize("path,value", [
    (("PROJECT_REGISTERED", "approval_refs", 0, "ref"), "沈发改审批〔2026〕12号"),
    (("PROJECT_REGISTERED", "catalog_item"), "台式计算机"),
    (("RETENDER_STARTED", "approval_ref"), "沈发改审批〔2026〕31号"),
    (("BID_WITHDRAWN", "written_notice_ref"), "撤回函〔2026〕1号"),
    (("COMPLAINT_FILED", "case_id"), "沈财采诉〔2026〕3号"),
    (("DOC_ISSUED", "structured_terms", "qualification_reqs", 2, "unit"), "项"),
])
def test_display_fields_accept_chinese(path: tuple[Any, ...], value: str) -> None:
    data = example_event(path[0])
    node: Any = data["payload"]
    for key in path[1:-1]:
        node = node[key]
    node[path[-1]] = value
    node = _parsed(data)
    for key in path[1:]:
        node = node[key]
    assert node == value


def test_lots_carry_their_own_amounts() -> None:
    data = example_event("PROJECT_REGISTERED")
    data["payload"]["sections"] = ["S1", "S2"]
    data["payload"]["lots"] = [
        {"section_id": "S1", "name": "一标段（土建）", "estimate_amount": "30000000.00"},
        {"section_id": "S2", "name": "二包（设备采购）", "budget_amount": "8000000",
         "max_price": "7800000"}]
    assert [lot["section_id"] for lot in _parsed(data)["lots"]] == ["S1", "S2"]


def test_a_lot_is_listed_once() -> None:
    data = example_event("PROJECT_REGISTERED")
    data["payload"]["lots"] = [{"section_id": "S1"}, {"section_id": "S1", "max_price": "1"}]
    assert "section_id listed twice: S1" in _locs(data)["payload.lots"]


@pytest.mark.parametrize("event_type", ["DOC_ISSUED", "DOC_DOWNLOADED", "BOND_PAID",
                                        "BID_SUBMITTED", "BID_MODIFIED", "BID_WITHDRAWN",
                                        "BID_DECRYPTED", "BID_EXTRACTED", "BOND_REFUNDED",
                                        "RETENDER_STARTED"])
def test_round_is_accepted_and_one_based(event_type: str) -> None:
    data = example_event(event_type)
    data["payload"]["round"] = 2
    assert _parsed(data)["round"] == 2
    data["payload"]["round"] = 0
    assert set(_locs(data)) == {"payload.round"}


def test_bond_refund_of_a_failed_round() -> None:
    data = example_event("BOND_REFUNDED")
    data["payload"].update(cause="retender", round=1)
    assert _parsed(data)["cause"] == "retender"
    data["payload"]["cause"] = "lost"
    assert set(_locs(data)) == {"payload.cause"}


def test_av_segments_on_opening_and_evaluation() -> None:
    for event_type in ("OPENING_ENDED", "EVAL_ENDED"):
        segments = _parsed(example_event(event_type))["av_segments"]
        assert segments and all(s["start"] < s["end"] for s in segments)
    data = example_event("EVAL_ENDED")
    seg = data["payload"]["av_segments"][0]
    seg["end"] = seg["start"]
    assert "not after its start" in _locs(data)["payload.av_segments.0"]


def test_declined_experts_are_listed_with_reasons() -> None:
    data = example_event("EXPERT_DRAW")
    declined = data["payload"]["declined_ids"]
    assert [d["person_id"] for d in _parsed(data)["declined"]] == declined
    data["payload"]["declined"].append({"person_id": "EXP-X", "reason": "health"})
    assert "not in declined_ids: EXP-X" in _locs(data)["payload.declined"]
    data = example_event("EXPERT_DRAW")
    data["payload"]["declined_ids"].append(data["payload"]["drawn_ids"][0])
    assert "also in drawn_ids" in _locs(data)["payload.declined_ids"]


def test_scoring_bands() -> None:
    data = example_event("DOC_ISSUED")
    factors = data["payload"]["structured_terms"]["scoring_factors"]
    tech = next(i for i, f in enumerate(factors) if f.get("bands"))
    assert _parsed(data)["structured_terms"]["scoring_factors"][tech]["bands"][0]["label"] == "优"
    factors[tech]["bands"][0]["max"] = "31"  # above the factor's 30 points
    where = f"payload.structured_terms.scoring_factors.{tech}.bands"
    assert "greater than the factor's points" in _locs(data)[where]
    factors[tech]["bands"][0].update(min="25", max="24")
    assert "min is greater than band max" in _locs(data)[f"{where}.0"]


def test_scoring_factor_id_has_its_own_description() -> None:
    from ledger.events.documents import ScoringFactor
    assert "SCORE_SUBMITTED.factor_id" in (ScoringFactor.model_fields["id"].description or "")
