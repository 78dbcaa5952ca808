"""docs/rules.md §9 on-site rules: planted defects on the lawful scenario and boundary cases."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.rules.context import ReferenceData
from tests.rules.builders import ctx
from tests.rules.test_s06_s09_scenario import (
    GP,
    ROOM,
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


def badge(kind: str, at: str, person: str, role: str = "expert", zone: str = "evaluation_room",
          room: str | None = ROOM) -> dict[str, Any]:
    return E(kind, at, {"badge_id": f"BG-{person}", "person_id": person, "role": role,
                        "zone": zone, **({"room": room} if room else {})})


def before_report(ev: Ev, *items: dict[str, Any]) -> None:
    j = ev.index(find(ev, "EVAL_REPORT_SIGNED"))
    ev[j:j] = list(items)


def leave(ev: Ev, person: str, out: str, back: str | None) -> list[dict[str, Any]]:
    items = [badge("BADGE_EXIT", t(out), person)]
    if back:
        items.append(badge("BADGE_ENTER", t(back), person))
    before_report(ev, *items)
    return items


# ---- planted classes on the full scenario ----

def test_planted_expert_leaves_room() -> None:
    ev = scenario()
    [x] = leave(ev, "E4", "14:20", None)  # never back before the report at 17:00
    _, found = run(ev)
    assert [f.rule_id for f in found] == ["R-SITE-EXPERT-LEAVES"]
    f = found[0]
    assert f.severity == "violation" and f.subjects == ("E4",)
    assert f.computed["absent_minutes"] == 160.0
    assert f.computed["scores_while_absent"] == 10  # E4 scores 15:30–15:34
    assert pos(ev, x) in [i for i, _ in f.evidence] and len(f.evidence) == 11


def test_planted_fast_evaluation() -> None:
    ev = scenario()
    find(ev, "EVAL_REPORT_SIGNED")["at"] = t("14:25")
    _, found = run(ev)
    assert {f.rule_id for f in found} == {"R-SITE-FAST-EVAL"}
    [f] = found
    assert f.computed == {"minutes": 25.0, "required_minutes": 50.0, "valid_bids": 5}
    assert [i for i, _ in f.evidence] == [pos(ev, find(ev, "EVAL_STARTED")),
                                          pos(ev, find(ev, "EVAL_REPORT_SIGNED"))]
    assert "25 min < 50 min" in f.message_en


def test_planted_unauthorised_badge() -> None:
    ev = scenario()
    b = badge("BADGE_ENTER", t("15:00"), "P-B3", role="bidder")
    before_report(ev, b)
    _, found = run(ev)
    assert [f.rule_id for f in found] == ["R-SITE-UNAUTHORIZED-BADGE"]
    f = found[0]
    assert f.severity == "violation" and [i for i, _ in f.evidence] == [pos(ev, b)]
    assert f.computed["priority"] == "high" and f.computed["reason"] == "not_authorised"


# ---- boundaries ----

@pytest.mark.parametrize(("back", "severity"), [
    ("14:35", None),  # 15 min: not more than expert_absence_minutes
    ("14:36", "warning"), ("15:05", "warning"),  # 45 min: not more than the violation tier
    ("15:06", "violation")])
def test_expert_absence_tiers(back: str, severity: str | None) -> None:
    ev = scenario()
    leave(ev, "E4", "14:20", back)
    found = only("R-SITE-EXPERT-LEAVES", ev)
    assert [f.severity for f in found] == ([severity] if severity else [])


def test_expert_absence_escorted_or_paused() -> None:
    ev = scenario()
    leave(ev, "E4", "14:20", "14:40")
    before_report(ev, badge("BADGE_EXIT", "2026-03-25T14:20:30+08:00", "STAFF-1", "center_staff"))
    assert only("R-SITE-EXPERT-LEAVES", ev) == []
    ev = scenario()
    before_report(ev, E("EVAL_PAUSED", t("14:19"), {"session_id": "SES-1", "room": ROOM}))
    leave(ev, "E4", "14:20", "14:50")
    before_report(ev, E("EVAL_RESUMED", t("14:55"), {"session_id": "SES-1", "room": ROOM}))
    assert only("R-SITE-EXPERT-LEAVES", ev) == []


def test_expert_seen_outside_isolation_zone() -> None:
    ev = scenario()
    items = leave(ev, "E4", "14:20", "14:30")
    seen = badge("BADGE_ENTER", t("14:22"), "E4", zone="bidder_waiting_area", room=None)
    ev.insert(ev.index(items[1]), seen)
    [f] = only("R-SITE-EXPERT-LEAVES", ev)
    assert f.severity == "violation" and f.computed["seen_outside"] == ["bidder_waiting_area"]


def test_scores_without_room_entry() -> None:
    ev = scenario()
    ev.remove(find(ev, "BADGE_ENTER", where=lambda e: e["payload"]["person_id"] == "E2"))
    [f] = only("R-SITE-EXPERT-LEAVES", ev)
    assert f.computed == {"person": "E2", "problem": "scores_without_room_entry"}


@pytest.mark.parametrize(("person", "role", "zone", "room", "at", "expected"), [
    ("V1", "visitor", "evaluation_room", ROOM, "15:00", ("violation", "normal")),
    ("V1", "visitor", "isolation_corridor", None, "15:00", ("violation", "normal")),
    ("V1", "visitor", "evaluation_room", ROOM, "13:55", None),  # before the session
    ("V1", "visitor", "evaluation_room", "PBS-9", "15:00", None),  # another room
    ("S2", "supervisor", "evaluation_room", ROOM, "15:00", None),
    ("E9", "expert", "evaluation_room", ROOM, "15:00", ("violation", "normal")),
])
def test_unauthorised_badge_table(person: str, role: str, zone: str, room: str | None,
                                  at: str, expected: tuple[str, str] | None) -> None:
    ev = scenario()
    before_report(ev, badge("BADGE_ENTER", t(at), person, role, zone, room))
    found = only("R-SITE-UNAUTHORIZED-BADGE", ev)
    assert [(f.severity, f.computed["priority"]) for f in found] == (
        [expected] if expected else [])


def test_unauthorised_badge_related_person_is_high_priority() -> None:
    ev = scenario()
    before_report(ev, badge("BADGE_ENTER", t("15:00"), "P7", "visitor"))
    ref = ReferenceData(relations=({"a": "P7", "b": "B2", "kind": "employment"},))
    [f] = only("R-SITE-UNAUTHORIZED-BADGE", ev, reference=ref)
    assert f.computed["priority"] == "high"


def proximity(at: str, dist: str, dur: int, zone: str = "other", other_role: str = "bidder"
              ) -> dict[str, Any]:
    return E("BADGE_PROXIMITY", at, {"badge_id": "BG-E2", "person_id": "E2", "role": "expert",
                                     "zone": zone, "other_badge_id": "BG-X",
                                     "other_person_id": "P-X", "other_role": other_role,
                                     "distance_m": dist, "duration_s": dur})


@pytest.mark.parametrize(("at", "dist", "dur", "zone", "severity"), [
    (t("12:00"), "1.5", 30, "other", "violation"),
    (t("12:00"), "1.5", 29, "other", "warning"),
    (t("12:00"), "2", 5, "other", "warning"),
    (t("12:00"), "1.5", 4, "other", None),
    (t("12:00"), "2.1", 60, "other", None),
    (t("12:00"), "1.0", 60, "supervision_room", "warning"),
    (t("14:00", "2026-03-24"), "1.0", 60, "other", None),  # before the draw
    (t("18:00"), "1.0", 60, "other", None),  # after the report
])
def test_private_contact(at: str, dist: str, dur: int, zone: str, severity: str | None) -> None:
    ev = scenario()
    p = proximity(at, dist, dur, zone)
    ev.insert(ev.index(find(ev, "WINNER_DETERMINED")), p)
    found = only("R-SITE-PRIVATE-CONTACT", ev)
    assert [f.severity for f in found] == ([severity] if severity else [])
    if found:
        assert [i for i, _ in found[0].evidence] == [pos(ev, p)]


@pytest.mark.parametrize(("result", "score", "severity"), [
    ("fail", "0.95", "violation"), ("pass", "0.79", "violation"), ("pass", "0.80", None)])
def test_identity_check(result: str, score: str, severity: str | None) -> None:
    ev = scenario()
    c = find(ev, "IDENTITY_VERIFIED", where=lambda e: e["payload"]["person_id"] == "E3")
    c["payload"].update(result=result, match_score=score)
    found = only("R-SITE-IDENTITY", ev)
    assert [f.severity for f in found] == ([severity] if severity else [])


def test_identity_missing_is_warning_without_lead() -> None:
    ev = scenario()
    ev.remove(find(ev, "IDENTITY_VERIFIED", where=lambda e: e["payload"]["person_id"] == "E3"))
    [f] = only("R-SITE-IDENTITY", ev)
    assert (f.severity, f.lead, f.computed) == ("warning", False, {"person": "E3",
                                                                    "checked": False})


def test_comms_deposit_and_signal() -> None:
    ev = scenario()
    ev.remove(find(ev, "DEVICE_DEPOSITED", where=lambda e: e["payload"]["person_id"] == "E3"))
    [f] = only("R-SITE-COMMS", ev)
    assert f.computed == {"not_deposited": ["E3"]}
    ev = scenario()
    sig = E("SIGNAL_DETECTED", t("15:00"), {"room": ROOM, "device_type": "phone"})
    late = E("SIGNAL_DETECTED", t("17:30"), {"room": ROOM, "device_type": "phone"})
    before_report(ev, sig)
    ev.append(late)
    [f] = only("R-SITE-COMMS", ev)
    assert [i for i, _ in f.evidence] == [pos(ev, sig)]


@pytest.mark.parametrize(("votes", "size", "extended", "hits"), [
    (["E1", "E2"], None, False, 1),  # 2 of 5 > 1/3
    (["E1", "E2"], None, True, 0),
    (["E1"], None, False, 0),
    (["E1", "E2"], 6, False, 0),  # 2 of 6 = 1/3, not more
])
def test_time_extension(votes: list[str], size: int | None, extended: bool, hits: int) -> None:
    ev = scenario()
    v: dict[str, Any] = {"member_ids": votes}
    if size:
        v["committee_size"] = size
    items = [E("EVAL_TIME_INSUFFICIENT_VOTE", t("15:40"), v)]
    if extended:
        items.append(E("EVAL_EXTENDED", t("15:45"), {"extension_minutes": 60}))
    before_report(ev, *items)
    assert len(only("R-TBR-48-EVAL-TIME-EXTENSION", ev)) == hits


@pytest.mark.parametrize(("per_bid", "pause", "hits"), [
    (36.0, False, 0),  # 180 min needed, 180 taken
    (37.0, False, 1), (30.0, True, 0), (31.0, True, 1)])  # a 30-min pause leaves 150 min
def test_fast_eval_boundaries(per_bid: float, pause: bool, hits: int) -> None:
    ev = scenario()
    if pause:
        before_report(ev, E("EVAL_PAUSED", t("16:00"), {"session_id": "SES-1"}),
                      E("EVAL_RESUMED", t("16:30"), {"session_id": "SES-1"}))
    found = only("R-SITE-FAST-EVAL", ev, context=ctx(fast_eval_minutes_per_bid=per_bid))
    assert len(found) == hits


def test_fast_eval_per_expert_viewing_and_burst() -> None:
    ev = scenario()
    ev.remove(find(ev, "DOC_VIEWED", where=lambda e: e["payload"]["expert_id"] == "E2"
                   and e["payload"]["bidder_org"] == "B3"))
    [f] = only("R-SITE-FAST-EVAL", ev)
    assert f.computed["scored_unviewed"] == ["B3"] and f.computed["view_seconds"] == {"B3": 0}
    ev = scenario()
    for k, e in enumerate(x for x in ev if x["type"] == "SCORE_SUBMITTED"):
        e["at"] = f"2026-03-25T15:00:{k // 10 * 15:02d}+08:00"
    [f] = only("R-SITE-FAST-EVAL", ev)
    assert f.computed == {"experts": 4, "final_scores_within_s": 45.0}


def test_controlled_environment() -> None:
    ev = scenario()
    for e in ev:
        if e["type"] == "SCORE_SUBMITTED" and e["payload"]["expert_id"] == "E3":
            e["payload"]["terminal_id"] = "TERM-E2"
    [f] = only("R-EB-33-CONTROLLED-ENVIRONMENT", ev)
    assert f.computed == {"terminal": "TERM-E2", "experts": ["E2", "E3"]}
    assert only("R-EB-33-CONTROLLED-ENVIRONMENT", ev, flags={**TB, "electronic": False}) == []
    known = ctx(evaluation_terminals=("TERM-E1", "TERM-E2", "TERM-E3"))
    found = only("R-EB-33-CONTROLLED-ENVIRONMENT", scenario(), flags=GP, context=known)
    assert len(found) == 10 and {f.subjects for f in found} == {("E4",)}
