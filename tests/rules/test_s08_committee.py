"""docs/rules.md §8 committee rules: planted defects on the lawful scenario and boundary cases."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.rules.context import ReferenceData
from tests.rules.builders import LAWFUL_FLAGS_TB
from tests.rules.test_s06_s09_scenario import (
    BIDDERS,
    EXPERTS,
    GP,
    TB,
    E,
    find,
    pos,
    run,
    scenario,
    scores,
    t,
)

Ev = list[dict[str, Any]]


def only(rule_id: str, ev: Ev, **opts: Any) -> list[Any]:
    return run(ev, rule_ids=[rule_id], **opts)[1]


def committee_of(ev: Ev) -> dict[str, Any]:
    return find(ev, "COMMITTEE_FORMED")


def member(ev: Ev, pid: str) -> dict[str, Any]:
    return next(m for m in committee_of(ev)["payload"]["members"] if m["person_id"] == pid)


def sized(n: int, experts: int) -> Ev:
    """The scenario with a committee of n members, ``experts`` of them experts (all drawn)."""
    ev = scenario()
    ids = [f"E{i}" for i in range(1, experts + 1)]
    reps = [f"T{i}" for i in range(1, n - experts + 1)]
    committee_of(ev)["payload"]["members"] = (
        [{"person_id": r, "role": "tenderer_rep"} for r in reps]
        + [{"person_id": e, "role": "expert", "specialty": "SZ", "senior_title": True,
            "years_in_field": 10} for e in ids])
    find(ev, "EXPERT_DRAW")["payload"]["drawn_ids"] = ids
    return ev


# ---- planted classes on the full scenario (every §6/§8/§9 rule evaluated) ----

def test_planted_too_few_experts() -> None:
    ev = scenario()
    member(ev, "E4")["role"] = "tenderer_rep"  # 5 members, 3 experts: 3·3 < 2·5
    _, found = run(ev)
    assert [f.rule_id for f in found] == ["R-TB-37-COMPOSITION"]
    f = found[0]
    assert f.severity == "violation" and f.lead
    assert f.computed == {"members": 5, "experts": 3, "minimum": 5}
    assert [i for i, _ in f.evidence] == [pos(ev, committee_of(ev))]
    # the comparison as it stands, never the requirement as if met
    assert "3×3=9 < 2×5=10" in f.message_en and "3×3=9 < 2×5=10" in f.message_zh
    assert "≥" not in f.message_en + f.message_zh


def test_planted_committee_of_four() -> None:
    ev = scenario()
    p = committee_of(ev)["payload"]
    p["members"] = [m for m in p["members"] if m["person_id"] != "T1"]
    found = only("R-TB-37-COMPOSITION", ev)
    assert [f.computed for f in found] == [{"members": 4, "experts": 4, "minimum": 5}]


def test_planted_conflict_with_bidder_from_reference_graph() -> None:
    ev = scenario()
    ref = ReferenceData(relations=({"a": "E2", "b": "B3", "kind": "employment",
                                    "until": "2025-06-30"},))
    _, found = run(ev, reference=ref)
    assert [f.rule_id for f in found] == ["R-TBR-46-CONFLICT"]
    f = found[0]
    first_score = find(ev, "SCORE_SUBMITTED", where=lambda e: e["payload"]["expert_id"] == "E2")
    decl = find(ev, "CONFLICT_DECLARED", where=lambda e: e["payload"]["person_id"] == "E2")
    assert [i for i, _ in f.evidence] == [pos(ev, x) for x in (
        find(ev, "EXPERT_DRAW"), committee_of(ev), decl, first_score)]
    assert f.computed == {"person": "E2", "links": ["B3:employment"], "false_declaration": True,
                          "scored": True}
    assert f.subjects == ("E2", "B3")


def test_planted_conflict_declared_but_not_recused() -> None:
    ev = scenario()
    decl = find(ev, "CONFLICT_DECLARED", where=lambda e: e["payload"]["person_id"] == "E3")
    decl["payload"]["declared_relations"] = [{"relation": "kinship", "counterpart_org": "B2"}]
    [f] = only("R-TBR-46-CONFLICT", ev)
    assert f.computed["links"] == ["B2:kinship"] and f.computed["false_declaration"] is False
    assert pos(ev, decl) in [i for i, _ in f.evidence]


# ---- boundaries ----

@pytest.mark.parametrize(("n", "experts", "hits"), [
    (4, 3, 1), (4, 4, 1), (5, 3, 1), (5, 4, 0), (6, 4, 1), (6, 5, 1),
    (7, 4, 1), (7, 5, 0), (9, 5, 1), (9, 6, 0),
])
def test_composition_table(n: int, experts: int, hits: int) -> None:
    assert len(only("R-TB-37-COMPOSITION", sized(n, experts))) == hits


@pytest.mark.parametrize(("method", "n", "experts", "hits"), [
    ("competitive_negotiation", 3, 2, 0), ("competitive_negotiation", 3, 1, 1),
    ("inquiry", 2, 2, 1), ("open", 3, 3, 1)])
def test_composition_gp_teams(method: str, n: int, experts: int, hits: int) -> None:
    found = only("R-TB-37-COMPOSITION", sized(n, experts), flags={**GP, "method": method})
    assert len(found) == hits


def test_composition_not_applicable_when_not_must_tender() -> None:
    flags = {**LAWFUL_FLAGS_TB, "must_tender": False}
    assert only("R-TB-37-COMPOSITION", sized(4, 4), flags=flags) == []


def test_composition_after_replacement_keeps_experts() -> None:
    ev = replaced_lawfully()
    assert only("R-TB-37-COMPOSITION", ev) == []


@pytest.mark.parametrize(("budget", "extra", "n", "hits"), [
    ("9999999.99", {}, 5, 0), ("10000000.00", {}, 5, 1), ("9000000.00", {"is_complex": True}, 5, 1),
    ("10000000.00", {}, 7, 0), ("9000000.00", {"high_social_impact": True}, 5, 1)])
def test_gp_seven(budget: str, extra: dict, n: int, hits: int) -> None:
    ev = sized(n, n - 1)
    committee_of(ev)["payload"].update(extra)
    found = only("R-GP87-47-SEVEN", ev, flags={**GP, "budget_amount": budget})
    assert len(found) == hits
    if hits:
        assert found[0].computed["members"] == n


@pytest.mark.parametrize(("change", "problem"), [
    (("E2", "employer_org", "ORG-PURCHASER"), "expert_employed_by_purchaser"),
    (("E3", "employer_org", "ORG-AGENT"), "member_employed_by_agent"),
    (None, "purchaser_rep_is_chair"),
])
def test_gp_roles(change: tuple[str, str, str] | None, problem: str) -> None:
    ev = scenario()
    if change:
        member(ev, change[0])[change[1]] = change[2]
    else:
        committee_of(ev)["payload"]["chair_id"] = "T1"
    [f] = only("R-GP87-47-ROLES", ev, flags=GP)
    assert f.computed["problems"][0].endswith(problem)
    assert only("R-GP87-47-ROLES", ev, flags=TB) == []


def test_supervisor_member_by_employer_and_by_role() -> None:
    ev = scenario()
    member(ev, "E2")["employer_org"] = "市住建局"
    [f] = only("R-TBR-46-SUPERVISOR-NOT-MEMBER", ev, flags={**TB, "supervisory_dept": "市住建局"})
    assert f.computed["persons"] == ["E2"]
    ev = scenario()
    ev.insert(1, E("ACCESS_LOG", t("09:00", "2026-03-03"), {"resource": "other"},
                   actor={"id": "E3", "role": "supervisor"}))
    [f] = only("R-TBR-46-SUPERVISOR-NOT-MEMBER", ev)
    assert f.computed["acting_as_supervisor"] == ["E3"] and len(f.evidence) == 2


def test_random_draw_not_drawn_direct_and_specialty() -> None:
    ev = scenario()
    find(ev, "EXPERT_DRAW")["payload"]["drawn_ids"] = EXPERTS[:3]
    [f] = only("R-TBR-46-RANDOM-DRAW", ev)
    assert (f.severity, f.computed["persons"], f.computed["problem"]) == (
        "violation", ["E4"], "not_drawn")
    ev.insert(1, E("EXPERT_DRAW", t("15:00", "2026-03-24"), {
        "pool_id": "POOL", "specialties": ["SZ"], "required_count": 1, "method": "direct",
        "justification_ref": "APPROVAL-9", "drawn_ids": ["E4"], "operator": "STAFF-1"}))
    [f] = only("R-TBR-46-RANDOM-DRAW", ev)
    assert (f.severity, f.lead) == ("info", False)
    ev = scenario()
    member(ev, "E1")["specialty"] = "JZ"
    [f] = only("R-TBR-46-RANDOM-DRAW", ev)
    assert (f.severity, f.computed["problem"]) == ("warning", "specialty_mismatch")


@pytest.mark.parametrize(("rounds", "hits"), [(3, 0), (4, 1)])
def test_random_draw_redraw_rounds(rounds: int, hits: int) -> None:
    ev = scenario()
    for k in range(rounds):
        ev.insert(1, E("EXPERT_DRAW", t(f"1{k}:00", "2026-03-24"), {
            "pool_id": "POOL", "specialties": ["SZ"], "required_count": 4, "method": "random",
            "drawn_ids": [], "declined_ids": [f"X{k}"], "operator": "STAFF-1"}))
    assert len(only("R-TBR-46-RANDOM-DRAW", ev)) == hits


@pytest.mark.parametrize(("at", "hits"), [("09:30", 0), ("09:29", 1)])
def test_random_draw_timing_boundary(at: str, hits: int) -> None:
    ev = scenario()  # deadline 2026-03-25 09:30; a draw more than 24 h before it warns
    find(ev, "EXPERT_DRAW")["at"] = t(at, "2026-03-24")
    found = only("R-TBR-46-RANDOM-DRAW", ev)
    assert len(found) == hits
    assert all(f.severity == "warning" for f in found)


@pytest.mark.parametrize(("years", "senior", "hits"), [
    (8, True, 0), (7, True, 1), (20, False, 1)])
def test_expert_qualification(years: int, senior: bool, hits: int) -> None:
    ev = scenario()
    member(ev, "E2").update(years_in_field=years, senior_title=senior)
    found = only("R-TB-37-EXPERT-QUALIFICATION", ev)
    assert len(found) == hits
    assert all(f.severity == "warning" and not f.lead for f in found)


def test_expert_suspended_in_registry_is_violation() -> None:
    ref = ReferenceData(experts={"E4": {"person_id": "E4", "status": "suspended"}})
    [f] = only("R-TB-37-EXPERT-QUALIFICATION", scenario(), reference=ref)
    assert (f.severity, f.lead, f.computed["suspended"]) == ("violation", True, ["E4"])


@pytest.mark.parametrize(("until", "hits"), [
    ("2023-03-24", 0),  # ended more than 3 years before the draw (2026-03-24)
    ("2023-03-26", 1), (None, 1)])
def test_conflict_lookback(until: str | None, hits: int) -> None:
    rel: dict[str, Any] = {"a": "E2", "b": "B3", "kind": "employment"}
    if until:
        rel["until"] = until
    found = only("R-TBR-46-CONFLICT", scenario(), reference=ReferenceData(relations=(rel,)))
    assert len(found) == hits


def test_conflict_via_legal_representative_and_recusal() -> None:
    ref = ReferenceData(enterprises={"B4": {"legal_rep": "P-LR"}},
                        relations=({"a": "P-LR", "b": "E1", "kind": "spouse"},))
    [f] = only("R-TBR-46-CONFLICT", scenario(), reference=ref)
    assert f.computed["links"] == ["B4:spouse"]
    ev = scenario()
    ev.insert(ev.index(find(ev, "EVAL_STARTED")),
              E("RECUSAL", t("13:40"), {"person_id": "E1", "reason": "recusal"}))
    assert only("R-TBR-46-CONFLICT", ev, reference=ref) == []


def test_conflict_with_tenderer_is_warning() -> None:
    ref = ReferenceData(relations=({"a": "E3", "b": "ORG-TENDERER", "kind": "employment"},))
    [f] = only("R-TBR-46-CONFLICT", scenario(), reference=ref)
    assert (f.severity, f.computed["with"]) == ("warning", "tenderer_or_agent")
    assert f.computed["links"] == ["E3~ORG-TENDERER:employment"]


@pytest.mark.parametrize(("actor", "when", "hits"), [
    ({"id": "B2-user", "role": "bidder"}, "before", 1),
    ({"id": "STAFF-1", "role": "center_staff"}, "before", 0),
    ({"id": "someone", "role": "tenderer"}, "before", 1),
    ({"id": "someone", "role": "tenderer"}, "after", 0)])
def test_list_secrecy(actor: dict, when: str, hits: int) -> None:
    ev = scenario()
    a = E("ACCESS_LOG", t("12:00"), {"resource": "committee_list"}, actor=actor)
    if when == "before":
        ev.insert(ev.index(find(ev, "EVAL_STARTED")), a)
    else:
        a["at"] = t("12:00", "2026-03-31")
        ev.append(a)
    found = only("R-TB-37-LIST-SECRECY", ev)
    assert len(found) == hits
    if hits:
        assert [i for i, _ in found[0].evidence] == [pos(ev, a)]


def replaced_lawfully(reason: str = "recusal", drawn: bool = True, rescore: bool = True) -> Ev:
    """E4 recuses before scoring; E5 (randomly drawn) replaces E4 and scores everything."""
    ev = scenario()
    ev[:] = [e for e in ev if not (e["type"] == "SCORE_SUBMITTED"
                                   and e["payload"]["expert_id"] == "E4")]
    i = ev.index(find(ev, "EVAL_STARTED"))
    draw = E("EXPERT_DRAW", t("13:45"), {
        "pool_id": "POOL", "specialties": ["SZ"], "required_count": 1, "method": "random",
        "drawn_ids": ["E5"] if drawn else [], "operator": "STAFF-1"})
    draw["event_id"] = "DRAW-2"
    ev[i:i] = [E("RECUSAL", t("13:40"), {"person_id": "E4", "reason": reason}), draw,
               E("MEMBER_REPLACED", t("13:48"), {"person_id": "E4", "replacement_id": "E5",
                                                 "reason": reason,
                                                 "replacement_draw_ref": "DRAW-2"})]
    j = ev.index(find(ev, "EVAL_REPORT_SIGNED"))
    ev[j:j] = [x for x in scores("E5", 3) if rescore or x["payload"]["bidder_org"] != "B5"]
    return ev


def test_lawful_replacement_raises_nothing() -> None:
    assert only("R-TBR-46-REPLACEMENT", replaced_lawfully()) == []


@pytest.mark.parametrize(("kwargs", "severity", "key", "value"), [
    ({"reason": "other"}, "warning", "problems", ["reason_other"]),
    ({"drawn": False}, "violation", "problems", ["replacement_not_drawn_at_random"]),
    ({"rescore": False}, "violation", "missing", ["B5/F1", "B5/F2"]),
])
def test_replacement_defects(kwargs: dict, severity: str, key: str, value: Any) -> None:
    [f] = only("R-TBR-46-REPLACEMENT", replaced_lawfully(**kwargs))
    assert f.severity == severity and f.computed[key] == value


def test_replaced_member_scoring_afterwards() -> None:
    ev = replaced_lawfully()
    late = scores("E4", 3)[:2]
    j = ev.index(find(ev, "EVAL_REPORT_SIGNED"))
    ev[j:j] = late
    [f] = only("R-TBR-46-REPLACEMENT", ev)
    assert f.computed == {"replaced": "E4", "scores_after_replacement": 2}
    assert BIDDERS[0] in {x["payload"]["bidder_org"] for x in late}


def test_two_undrawn_experts_make_one_finding() -> None:
    ev = scenario()
    find(ev, "EXPERT_DRAW")["payload"]["drawn_ids"] = EXPERTS[:2]
    [f] = only("R-TBR-46-RANDOM-DRAW", ev)
    assert f.computed == {"persons": ["E3", "E4"], "problem": "not_drawn"}
    assert f.subjects == ("E3", "E4")
