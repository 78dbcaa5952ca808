"""Tests of docs/rules.md §10 part 1 (publicity, winner, notices, GP result timeline)."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.rules.engine import evaluate
from ledger.rules.model import Finding, Trail
from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB, ctx, ev, idx, make_trail

A, B, C = "ORG-A", "ORG-B", "ORG-C"
S = "S1"
CANDS = [{"rank": 1, "bidder_org": A, "price": "9000000.00", "score": "92"},
         {"rank": 2, "bidder_org": B, "price": "9100000.00", "score": "88"},
         {"rank": 3, "bidder_org": C, "price": "9200000.00", "score": "85"}]


def base_events(**override: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A lawful award phase of one lot (2026-03, no holidays). ``name=None`` drops an event,
    ``name={...}`` replaces it (keys ``at`` and payload fields)."""
    events: dict[str, dict[str, Any]] = {
        "bond_a": ev("BOND_PAID", "2026-02-26T10:00:00", S, bidder_org=A, amount="100000.00",
                     form="transfer"),
        "bond_b": ev("BOND_PAID", "2026-02-26T10:00:00", S, bidder_org=B, amount="100000.00",
                     form="transfer"),
        "bond_c": ev("BOND_PAID", "2026-02-26T10:00:00", S, bidder_org=C, amount="100000.00",
                     form="bank_guarantee"),
        "bid_a": ev("BID_SUBMITTED", "2026-03-02T09:00:00", S, bidder_org=A, accepted=True,
                    received_at="2026-03-02T09:00:00+08:00", file_hash="a" * 64),
        "bid_b": ev("BID_SUBMITTED", "2026-03-02T09:10:00", S, bidder_org=B, accepted=True,
                    received_at="2026-03-02T09:10:00+08:00", file_hash="b" * 64),
        "bid_c": ev("BID_SUBMITTED", "2026-03-02T09:20:00", S, bidder_org=C, accepted=True,
                    received_at="2026-03-02T09:20:00+08:00", file_hash="c" * 64),
        # the prices enter the trail at the opening, read from the decrypted bids
        "dec_a": ev("BID_DECRYPTED", "2026-03-03T09:35:00", S, bidder_org=A, success=True,
                    bid_price="9000000.00"),
        "dec_b": ev("BID_DECRYPTED", "2026-03-03T09:36:00", S, bidder_org=B, success=True,
                    bid_price="9100000.00"),
        "dec_c": ev("BID_DECRYPTED", "2026-03-03T09:37:00", S, bidder_org=C, success=True,
                    bid_price="9200000.00"),
        "report": ev("EVAL_REPORT_SIGNED", "2026-03-09T11:00:00", S, candidates=CANDS,
                     signatures=[], report_hash="d" * 64),
        "delivered": ev("EVAL_REPORT_DELIVERED", "2026-03-09T15:00:00", S, to="tenderer",
                        report_hash="d" * 64),
        "publicity": ev("CANDIDATE_PUBLICITY", "2026-03-10T09:00:00", S,
                        start="2026-03-10T09:00:00+08:00", end="2026-03-13T17:00:00+08:00",
                        media="platform", content_hash="e" * 64),
        "winner": ev("WINNER_DETERMINED", "2026-03-16T10:00:00", S, winner_org=A,
                     rank_of_winner=1, award_price="9000000.00"),
        "notice": ev("AWARD_NOTICE_ISSUED", "2026-03-16T15:00:00", S, recipients=[A]),
        "result": ev("RESULT_NOTICE_ISSUED", "2026-03-16T15:00:00", S, recipients=[B, C]),
        "report15": ev("TENDER_REPORT_FILED", "2026-03-20T10:00:00", S,
                       filed_at="2026-03-20T10:00:00+08:00", to_department="住建局"),
        "contract": ev("CONTRACT_SIGNED", "2026-04-01T10:00:00", S, contract_id="K1",
                       winner_org=A, signed_at="2026-04-01T10:00:00+08:00",
                       amount="9000000.00", platform_signed=True),
        "refund_a": ev("BOND_REFUNDED", "2026-04-03T10:00:00", S, bidder_org=A,
                       amount="100000.00", interest="120.00", cause="won"),
        "refund_b": ev("BOND_REFUNDED", "2026-04-03T10:00:00", S, bidder_org=B,
                       amount="100000.00", interest="120.00", cause="not_won"),
        "refund_c": ev("BOND_REFUNDED", "2026-04-03T10:00:00", S, bidder_org=C,
                       amount="100000.00", cause="not_won"),
    }
    for name, change in override.items():
        if change is None:
            del events[name]
            continue
        item = events[name]
        events[name] = {**item, "at": change.get("at", item["at"]),
                        "payload": {**item["payload"], **{k: v for k, v in change.items()
                                                          if k != "at"}}}
    return sorted(events.values(), key=lambda e: e["at"])


def run(rule_id: str, trail: Trail, **th: Any) -> list[Finding]:
    return evaluate(trail, ctx(**th), [rule_id])


def tb(**override: dict[str, Any] | None) -> Trail:
    return make_trail(LAWFUL_FLAGS_TB, base_events(**override))


def gp(**override: dict[str, Any] | None) -> Trail:
    return make_trail(LAWFUL_FLAGS_GP, base_events(**override))


S10_AWARD = ["R-TBR-54-PUBLICITY-START", "R-TBR-54-PUBLICITY-PERIOD",
             "R-TBR-54-NO-AWARD-BEFORE-PUBLICITY-END", "R-TBR-55-RANK1",
             "R-TB-57-WINNER-FROM-CANDIDATES", "R-TB-45-NOTIFY-ALL"]


@pytest.mark.parametrize("rule_id", S10_AWARD)
def test_lawful_tb_raises_nothing(rule_id: str) -> None:
    assert run(rule_id, tb()) == []


# --- R-TBR-54-PUBLICITY-START ---

@pytest.mark.parametrize(("delivered", "start", "hits"), [
    ("2026-03-09T15:00:00", "2026-03-12T09:00:00+08:00", 0),  # day 3: on time
    ("2026-03-09T15:00:00", "2026-03-13T09:00:00+08:00", 1),  # day 4: late
    # delivered Wed 09-30: day 3 is 10-03 (National Day holiday) → rolls to Thu 10-08
    ("2026-09-30T15:00:00", "2026-10-08T09:00:00+08:00", 0),
    ("2026-09-30T15:00:00", "2026-10-09T09:00:00+08:00", 1),
])
def test_publicity_start(delivered: str, start: str, hits: int) -> None:
    trail = tb(delivered={"at": delivered},
               publicity={"at": start[:19], "start": start, "end": "2026-10-20T17:00:00+08:00"},
               winner=None, notice=None, result=None, report15=None, contract=None,
               refund_a=None, refund_b=None, refund_c=None)
    found = run("R-TBR-54-PUBLICITY-START", trail)
    assert len(found) == hits
    if hits:
        assert [i for i, _ in found[0].evidence] == [idx(trail, "EVAL_REPORT_DELIVERED"),
                                                     idx(trail, "CANDIDATE_PUBLICITY")]
        assert found[0].severity == "violation"


def test_publicity_start_overdue_and_gp_not_applicable() -> None:
    events = [e for e in base_events() if e["type"] in ("BID_SUBMITTED", "EVAL_REPORT_DELIVERED")]
    events.append(ev("BID_WITHDRAWN", "2026-03-20T09:00:00", S, bidder_org="ORG-Z"))
    trail = make_trail(LAWFUL_FLAGS_TB, events)
    found = run("R-TBR-54-PUBLICITY-START", trail)
    assert [f.computed["due"] for f in found] == ["2026-03-12"]
    assert run("R-TBR-54-PUBLICITY-START", make_trail(LAWFUL_FLAGS_GP, events)) == []


def test_publicity_not_on_platform_warning() -> None:
    found = run("R-TBR-54-PUBLICITY-START", tb(publicity={"media": "other-media"}),
                platform_media=("platform",))
    assert [(f.severity, f.lead) for f in found] == [("warning", False)]


# --- R-TBR-54-PUBLICITY-PERIOD (planted class: publicity under 3 days) ---

@pytest.mark.parametrize(("start", "end", "severity", "days"), [
    ("2026-03-10", "2026-03-11", "violation", 1),  # 2 dates under any reading
    ("2026-03-10", "2026-03-12", "warning", 2),  # 3 dates only if the first day counts
    ("2026-03-10", "2026-03-13", None, 3),
    ("2026-03-10", "2026-03-14", None, 4),
])
def test_publicity_period(start: str, end: str, severity: str | None, days: int) -> None:
    trail = tb(publicity={"start": f"{start}T09:00:00+08:00", "end": f"{end}T17:00:00+08:00"})
    found = run("R-TBR-54-PUBLICITY-PERIOD", trail)
    if severity is None:
        assert found == []
        return
    (f,) = found
    assert (f.severity, f.computed["days"], f.lead) == (severity, days, severity == "violation")
    assert [i for i, _ in f.evidence] == [idx(trail, "CANDIDATE_PUBLICITY")]


def test_publicity_period_inclusive_mode_drops_warning() -> None:
    trail = tb(publicity={"end": "2026-03-12T17:00:00+08:00"})
    assert run("R-TBR-54-PUBLICITY-PERIOD", trail, count_mode="inclusive") == []


# --- R-TBR-54-NO-AWARD-BEFORE-PUBLICITY-END ---

def test_award_before_publicity_end() -> None:
    trail = tb(winner={"at": "2026-03-13T10:00:00"})
    (f,) = run("R-TBR-54-NO-AWARD-BEFORE-PUBLICITY-END", trail)
    assert [i for i, _ in f.evidence] == [idx(trail, "CANDIDATE_PUBLICITY"),
                                          idx(trail, "WINNER_DETERMINED")]


@pytest.mark.parametrize(("reply_at", "hits"), [(None, 2), ("2026-03-16T16:00:00", 2),
                                                ("2026-03-14T10:00:00", 0)])
def test_award_while_objection_open(reply_at: str | None, hits: int) -> None:
    events = base_events()
    events.append(ev("OBJECTION_FILED", "2026-03-12T10:00:00", S, subject="evaluation_result",
                     filer_org=B, received_at="2026-03-12T10:00:00+08:00"))
    if reply_at:
        events.append(ev("OBJECTION_REPLIED", reply_at, S, replied_at=reply_at + "+08:00",
                         outcome="dismissed", notified_parties=[B]))
    trail = make_trail(LAWFUL_FLAGS_TB, sorted(events, key=lambda e: e["at"]))
    assert len(run("R-TBR-54-NO-AWARD-BEFORE-PUBLICITY-END", trail)) == hits


# --- R-TBR-55-RANK1 ---

@pytest.mark.parametrize(("payload", "hits"), [
    ({"rank_of_winner": 2, "winner_org": B}, 1),
    ({"rank_of_winner": 2, "winner_org": B, "reason_if_not_rank1": "waived"}, 1),
    ({"rank_of_winner": 2, "winner_org": B, "reason_if_not_rank1": "other",
      "evidence_ref": "DOC-1"}, 1),
    ({"rank_of_winner": 2, "winner_org": B, "reason_if_not_rank1": "waived",
      "evidence_ref": "DOC-1"}, 0),
])
def test_rank1(payload: dict[str, Any], hits: int) -> None:
    trail = tb(winner=payload)
    assert len(run("R-TBR-55-RANK1", trail)) == hits
    flags = {**LAWFUL_FLAGS_TB, "state_funded_dominant": False}
    assert run("R-TBR-55-RANK1", make_trail(flags, base_events(winner=payload))) == []


# --- R-TB-57-WINNER-FROM-CANDIDATES ---

def test_winner_not_a_candidate() -> None:
    trail = tb(winner={"winner_org": "ORG-X"})
    (f,) = run("R-TB-57-WINNER-FROM-CANDIDATES", trail)
    assert f.computed["winner"] == "ORG-X"
    assert [i for i, _ in f.evidence] == [idx(trail, "EVAL_REPORT_SIGNED"),
                                          idx(trail, "WINNER_DETERMINED")]


def test_gp_winner_out_of_order() -> None:
    assert len(run("R-TB-57-WINNER-FROM-CANDIDATES", gp(winner={"winner_org": B}))) == 1
    events = base_events(winner={"winner_org": B})
    events.append(ev("BID_REJECTED", "2026-03-09T10:00:00", S, bidder_org=A, reason_code="X"))
    trail = make_trail(LAWFUL_FLAGS_GP, sorted(events, key=lambda e: e["at"]))
    assert run("R-TB-57-WINNER-FROM-CANDIDATES", trail) == []
    # TB does not require the order (R-TBR-55 covers state-funded projects)
    assert run("R-TB-57-WINNER-FROM-CANDIDATES", tb(winner={"winner_org": B})) == []


@pytest.mark.parametrize(("delivered", "winner_at", "hits"), [
    ("2026-03-09T15:00:00", "2026-03-16T10:00:00", 0),  # 5th working day after Mon 03-09
    ("2026-03-09T15:00:00", "2026-03-17T10:00:00", 1),
    # from Tue 02-10: 11, 12, 13, Sat 14 (make-up working day), then the Spring Festival
    # holiday 15..23 → the 5th working day is 02-24
    ("2026-02-10T15:00:00", "2026-02-24T10:00:00", 0),
    ("2026-02-10T15:00:00", "2026-02-25T10:00:00", 1),
])
def test_gp_winner_within_5wd(delivered: str, winner_at: str, hits: int) -> None:
    trail = gp(delivered={"at": delivered, "to": "purchaser"}, winner={"at": winner_at})
    assert len(run("R-TB-57-WINNER-FROM-CANDIDATES", trail)) == hits


# --- R-TB-45-NOTIFY-ALL ---

def test_loser_not_notified_same_day() -> None:
    trail = tb(result={"at": "2026-03-17T09:00:00"})
    (f,) = run("R-TB-45-NOTIFY-ALL", trail)
    assert (f.severity, f.computed["not_notified"]) == ("warning", [B, C])


def test_result_changed_after_notice() -> None:
    events = base_events()
    events.append(ev("AWARD_NOTICE_ISSUED", "2026-03-18T10:00:00", S, recipients=[B]))
    trail = make_trail(LAWFUL_FLAGS_TB, sorted(events, key=lambda e: e["at"]))
    (f,) = run("R-TB-45-NOTIFY-ALL", trail)
    assert (f.severity, f.lead) == ("violation", True)
    events.append(ev("WINNER_DETERMINED", "2026-03-17T10:00:00", S, winner_org=B,
                     rank_of_winner=2, reason_if_not_rank1="waived", evidence_ref="W-1"))
    trail = make_trail(LAWFUL_FLAGS_TB, sorted(events, key=lambda e: e["at"]))
    assert run("R-TB-45-NOTIFY-ALL", trail) == []


# --- R-GPR-43-GP-RESULT-TIMELINE ---

def _gp_timeline(**o: dict[str, Any] | None) -> Trail:
    events = base_events(delivered={"to": "purchaser"}, **o)
    events.append(ev("RESULT_ANNOUNCED", "2026-03-17T09:00:00", S,
                     published_at="2026-03-17T09:00:00+08:00",
                     period_end="2026-03-18T09:00:00+08:00", expert_list_included=True))
    return make_trail(LAWFUL_FLAGS_GP, sorted(events, key=lambda e: e["at"]))


def test_gp_timeline_lawful_and_tb_skip() -> None:
    assert run("R-GPR-43-GP-RESULT-TIMELINE", _gp_timeline()) == []
    assert run("R-GPR-43-GP-RESULT-TIMELINE", tb()) == []


@pytest.mark.parametrize(("override", "step"), [
    ({"delivered": {"at": "2026-03-12T09:00:00", "to": "purchaser"}}, "EVAL_REPORT_DELIVERED"),
    ({"notice": {"at": "2026-03-19T09:00:00"}}, "AWARD_NOTICE_ISSUED"),
])
def test_gp_timeline_late(override: dict[str, Any], step: str) -> None:
    events = base_events(**override)
    trail = make_trail(LAWFUL_FLAGS_GP, events)
    found = run("R-GPR-43-GP-RESULT-TIMELINE", trail)
    assert [f.computed["step"] for f in found] == [step]


def test_gp_timeline_deliver_on_2nd_wd_ok() -> None:
    trail = make_trail(LAWFUL_FLAGS_GP, base_events(
        delivered={"at": "2026-03-11T09:00:00", "to": "purchaser"},
        publicity=None, winner={"at": "2026-03-12T09:00:00"}, notice={"at": "2026-03-13T09:00:00"},
        result={"at": "2026-03-13T09:00:00"}))
    assert run("R-GPR-43-GP-RESULT-TIMELINE", trail) == []


def test_gp_announcement_content_and_period() -> None:
    events = base_events()
    events.append(ev("RESULT_ANNOUNCED", "2026-03-17T09:00:00", S,
                     published_at="2026-03-20T09:00:00+08:00",
                     period_end="2026-03-21T09:00:00+08:00", expert_list_included=False))
    trail = make_trail(LAWFUL_FLAGS_GP, sorted(events, key=lambda e: e["at"]))
    found = run("R-GPR-43-GP-RESULT-TIMELINE", trail)
    assert sorted(f.severity for f in found) == ["violation", "violation"]
    content = next(f for f in found if "expert_list_included" in f.computed)
    assert (content.computed["expert_list_included"], content.computed["working_days"]) == (
        False, 0)
    events[-1]["payload"]["expert_list_included"] = True
    trail = make_trail(LAWFUL_FLAGS_GP, sorted(events, key=lambda e: e["at"]))
    found = run("R-GPR-43-GP-RESULT-TIMELINE", trail)
    assert sorted(f.severity for f in found) == ["violation", "warning"]
