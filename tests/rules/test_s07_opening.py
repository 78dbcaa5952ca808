"""§7 rules: opening time and place, record completeness, decryption failures, objections,
committee members at the opening, AV recording."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.rules.engine import evaluate
from ledger.rules.registry import load_all
from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB, ctx, ev, make_trail

load_all()

DL = "2026-03-23T09:30:00+08:00"
PAPER = {**LAWFUL_FLAGS_TB, "electronic": False}


def doc() -> dict[str, Any]:
    return ev("DOC_ISSUED", "2026-03-02T09:00:00+08:00", section="S1", doc_kind="tender_doc",
              version=1, doc_hash="a" * 64, available_from="2026-03-02T09:00:00+08:00",
              available_until="2026-03-09T17:00:00+08:00", bid_deadline=DL,
              opening_place="开标室1")


def bid(org: str) -> dict[str, Any]:
    return ev("BID_SUBMITTED", "2026-03-20T10:00:00+08:00", section="S1", bidder_org=org,
              received_at="2026-03-20T10:00:00+08:00", accepted=True, file_hash="b" * 64)


def opened(org: str, price: str | None, kind: str = "BID_DECRYPTED", success: bool = True
           ) -> dict[str, Any]:
    """The bid's decryption (or paper extraction) at the opening, reading its price."""
    priced = {"bid_price": price} if price is not None else {}
    return ev(kind, "2026-03-23T09:40:00+08:00", section="S1", bidder_org=org,
              success=success, **priced)


def opening(at: str = DL, place: str = "开标室1", **extra: Any) -> dict[str, Any]:
    return ev("OPENING_STARTED", at, section="S1", place=place, host="h",
              **{"av_recording_ids": ["AV1"], **extra})


def record(*entries: tuple[str, str]) -> dict[str, Any]:
    return ev("OPENING_RECORD_PUBLISHED", "2026-03-23T11:00:00+08:00", section="S1",
              entries=[{"bidder_org": o, "bid_price": p} for o, p in entries],
              record_hash="c" * 64)


def run(trail: Any, rule_id: str, **th: Any) -> list[Any]:
    return [f for f in evaluate(trail, ctx(**th), [rule_id]) if f.rule_id == rule_id]


RULES = ["R-TB-34-OPENING-TIME-PLACE", "R-TB-36-ALL-BIDS-OPENED", "R-EB-31-DECRYPT-FAILURE",
         "R-TBR-44-OPENING-OBJECTION", "R-GP87-40-NO-EXPERT-AT-OPENING", "R-GP87-39-AV-COVERAGE"]


def lawful() -> list[dict[str, Any]]:
    return [doc(), bid("A"), bid("B"), bid("C"), opening(),
            opened("A", "100.0"),  # the same amount as the record's 100.00
            record(("A", "100.00"), ("B", "100.00"), ("C", "100.0")),
            ev("OPENING_ENDED", "2026-03-23T11:30:00+08:00", section="S1", place="开标室1",
               host="h")]


@pytest.mark.parametrize("rule_id", RULES)
@pytest.mark.parametrize("flags", [LAWFUL_FLAGS_TB, LAWFUL_FLAGS_GP, PAPER])
def test_lawful_trail_is_silent(rule_id: str, flags: dict[str, Any]) -> None:
    assert run(make_trail(flags, lawful()), rule_id) == []


@pytest.mark.parametrize("at,severity,problem", [
    ("2026-03-23T09:30:00+08:00", None, None),
    ("2026-03-23T09:29:00+08:00", "violation", "early"),
    ("2026-03-23T09:45:00+08:00", "info", "late_within_tolerance"),
    ("2026-03-23T10:00:00+08:00", "info", "late_within_tolerance"),   # exactly 30 min
    ("2026-03-23T10:01:00+08:00", "violation", "late"),
    ("2026-03-24T09:30:00+08:00", "violation", "late"),
])
def test_opening_time(at: str, severity: str | None, problem: str | None) -> None:
    trail = make_trail(LAWFUL_FLAGS_TB, [doc(), bid("A"), opening(at)])
    found = run(trail, "R-TB-34-OPENING-TIME-PLACE")
    if severity is None:
        assert found == []
        return
    (f,) = found
    assert f.severity == severity and f.computed["problems"] == [problem]
    assert [i for i, _ in f.evidence] == [1, 3]
    assert f.lead is (severity == "violation")


def test_opening_tolerance_is_configurable() -> None:
    trail = make_trail(LAWFUL_FLAGS_TB, [doc(), opening("2026-03-23T09:40:00+08:00")])
    (f,) = run(trail, "R-TB-34-OPENING-TIME-PLACE", opening_tolerance_minutes=5)
    assert f.severity == "violation" and f.computed["delta_minutes"] == 10.0


@pytest.mark.parametrize("flags,hits", [(PAPER, 1), (LAWFUL_FLAGS_TB, 0)])
def test_opening_place(flags: dict[str, Any], hits: int) -> None:
    trail = make_trail(flags, [doc(), opening(place="会议室")])
    found = run(trail, "R-TB-34-OPENING-TIME-PLACE")
    assert len(found) == hits
    if hits:
        assert found[0].computed["problems"] == ["place"]


def test_missing_bid_and_price_mismatch_in_record() -> None:
    events = [doc(), bid("A"), bid("B"), bid("C"), opening(), opened("C", "90.00"),
              record(("A", "100.00"), ("C", "95.00"))]
    (f,) = run(make_trail(LAWFUL_FLAGS_TB, events), "R-TB-36-ALL-BIDS-OPENED")
    assert f.computed == {"missing": ["B"], "price_mismatch": ["C"]}
    # the record, B's bid (not read out) and C's decryption (where the true price was read)
    assert [i for i, _ in f.evidence] == [3, 6, 7]
    assert "95.00 元" in f.message_zh and "90.00 元" in f.message_zh


@pytest.mark.parametrize(("steps", "mismatch"), [
    ([opened("A", "100.00")], []),  # decrypted price = read-out price
    ([opened("A", "90.00")], ["A"]),
    ([opened("A", "90.00"), opened("A", "100.00")], []),  # the last price read counts
    ([opened("A", None)], []),  # nothing read from the bid: nothing to compare with
    ([opened("A", "90.00", kind="BID_EXTRACTED")], ["A"]),  # paper bid read out wrongly
])
def test_record_is_checked_against_the_opened_bid(steps: list[dict[str, Any]],
                                                  mismatch: list[str]) -> None:
    events = [doc(), bid("A"), opening(), *steps, record(("A", "100.00"))]
    found = run(make_trail(LAWFUL_FLAGS_TB, events), "R-TB-36-ALL-BIDS-OPENED")
    assert [f.computed["price_mismatch"] for f in found] == ([mismatch] if mismatch else [])


def test_no_record_after_electronic_opening() -> None:
    events = [doc(), bid("A"), opening(),
              ev("OPENING_ENDED", "2026-03-23T10:30:00+08:00", section="S1", place="p", host="h")]
    (f,) = run(make_trail(LAWFUL_FLAGS_TB, events), "R-TB-36-ALL-BIDS-OPENED")
    assert f.computed["problem"] == "no_record"
    assert run(make_trail(PAPER, events), "R-TB-36-ALL-BIDS-OPENED") == []


def test_decrypt_failure_then_scored() -> None:
    events = [*lawful(),
              ev("BID_DECRYPTED", "2026-03-23T09:41:00+08:00", section="S1", bidder_org="B",
                 success=False, failure_cause="bidder"),
              ev("SCORE_SUBMITTED", "2026-03-23T15:00:00+08:00", section="S1", expert_id="E1",
                 bidder_org="B", factor_id="F1", score="5")]
    (f,) = run(make_trail(LAWFUL_FLAGS_TB, events), "R-EB-31-DECRYPT-FAILURE")
    assert f.computed["bidder_org"] == "B" and [i for i, _ in f.evidence] == [9, 10]


def test_two_platform_decrypt_failures_warn() -> None:
    fails = [ev("BID_DECRYPTED", "2026-03-23T09:41:00+08:00", section="S1", bidder_org=o,
                success=False, failure_cause="non_bidder") for o in "BC"]
    (f,) = run(make_trail(LAWFUL_FLAGS_TB, [*lawful(), *fails]), "R-EB-31-DECRYPT-FAILURE")
    assert f.severity == "warning" and f.computed["non_bidder_failures"] == 2


@pytest.mark.parametrize("reply,replied_at,record_ref,problems", [
    ("答复", "2026-03-23T10:00:00+08:00", "R1", None),
    (None, None, "R1", ["no_reply_on_spot"]),
    ("答复", "2026-03-23T12:00:00+08:00", "R1", ["no_reply_on_spot"]),  # after the end
    ("答复", "2026-03-23T10:00:00+08:00", None, ["no_record"]),
])
def test_opening_objection(reply: str | None, replied_at: str | None, record_ref: str | None,
                           problems: list[str] | None) -> None:
    payload = {k: v for k, v in {"reply": reply, "replied_at": replied_at,
                                 "record_ref": record_ref}.items() if v}
    obj = ev("OPENING_OBJECTION", "2026-03-23T09:50:00+08:00", section="S1", bidder_org="B",
             content="唱标有误", **payload)
    found = run(make_trail(LAWFUL_FLAGS_TB, [*lawful(), obj]), "R-TBR-44-OPENING-OBJECTION")
    assert [f.computed["problems"] for f in found] == ([problems] if problems else [])


@pytest.mark.parametrize("flags,severity", [(LAWFUL_FLAGS_GP, "violation"),
                                            (LAWFUL_FLAGS_TB, "warning")])
@pytest.mark.parametrize("via", ["attendee", "badge", "badge_after"])
def test_expert_at_opening(flags: dict[str, Any], severity: str, via: str) -> None:
    committee = ev("COMMITTEE_FORMED", "2026-03-22T09:00:00+08:00", section="S1",
                   members=[{"person_id": "X1", "role": "expert"}])
    op = opening(attendees=["X1"]) if via == "attendee" else opening()
    at = "2026-03-23T11:40:00+08:00" if via == "badge_after" else "2026-03-23T09:35:00+08:00"
    badge = ev("BADGE_ENTER", at, section="S1", badge_id="B1", person_id="X1", role="expert",
               zone="opening_hall")
    ended = ev("OPENING_ENDED", "2026-03-23T11:30:00+08:00", section="S1", place="p", host="h")
    found = run(make_trail(flags, [committee, doc(), op, badge, ended]),
                "R-GP87-40-NO-EXPERT-AT-OPENING")
    if via == "badge_after":
        assert found == []
    else:
        (f,) = found
        assert f.severity == severity and f.subjects == ("X1",)


@pytest.mark.parametrize("flags,severity", [(LAWFUL_FLAGS_GP, "violation"),
                                            (LAWFUL_FLAGS_TB, "warning")])
def test_no_av_recording(flags: dict[str, Any], severity: str) -> None:
    trail = make_trail(flags, [doc(), opening(av_recording_ids=[])])
    (f,) = run(trail, "R-GP87-39-AV-COVERAGE")
    assert f.severity == severity
