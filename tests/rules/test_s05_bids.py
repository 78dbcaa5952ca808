"""§5 rules: late bids, seal/encryption, early decryption, minimum of three bids."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.rules.engine import evaluate
from ledger.rules.registry import load_all
from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB, ctx, ev, make_trail

load_all()

DL = "2026-03-23T09:30:00+08:00"


def doc() -> dict[str, Any]:
    return ev("DOC_ISSUED", "2026-03-02T09:00:00+08:00", section="S1", doc_kind="tender_doc",
              version=1, doc_hash="a" * 64, available_from="2026-03-02T09:00:00+08:00",
              available_until="2026-03-09T17:00:00+08:00", bid_deadline=DL,
              opening_place="开标室1")


def bid(org: str, received: str, accepted: bool = True, **extra: Any) -> dict[str, Any]:
    return ev("BID_SUBMITTED", received, section="S1", bidder_org=org, received_at=received,
              accepted=accepted, file_hash="b" * 64, **{"encrypted": True, **extra})


def opening(at: str = DL) -> dict[str, Any]:
    return ev("OPENING_STARTED", at, section="S1", place="开标室1", host="h",
              av_recording_ids=["AV1"])


def run(trail: Any, rule_id: str) -> list[Any]:
    return [f for f in evaluate(trail, ctx(), [rule_id]) if f.rule_id == rule_id]


def lawful(flags: dict[str, Any] = LAWFUL_FLAGS_TB) -> list[dict[str, Any]]:
    return [doc(), bid("A", "2026-03-20T10:00:00+08:00"), bid("B", "2026-03-21T10:00:00+08:00"),
            bid("C", "2026-03-23T09:29:59+08:00"), opening()]


@pytest.mark.parametrize("rule_id", ["R-TB-28-LATE-BID", "R-TB-28-MIN3-BIDDERS",
                                     "R-TBR-36-SEAL-ENCRYPT", "R-EB-27-NO-EARLY-DECRYPT"])
@pytest.mark.parametrize("flags", [LAWFUL_FLAGS_TB, LAWFUL_FLAGS_GP])
def test_lawful_trail_is_silent(rule_id: str, flags: dict[str, Any]) -> None:
    assert run(make_trail(flags, lawful()), rule_id) == []


@pytest.mark.parametrize("received,accepted,hits", [
    ("2026-03-23T09:29:59+08:00", True, 0),
    ("2026-03-23T09:30:00+08:00", True, 1),   # at the deadline = late
    ("2026-03-23T09:45:00+08:00", True, 1),
    ("2026-03-23T09:45:00+08:00", False, 0),  # refused: lawful
])
def test_late_bid(received: str, accepted: bool, hits: int) -> None:
    events = [*lawful(), bid("D", received, accepted)]
    found = run(make_trail(LAWFUL_FLAGS_TB, events), "R-TB-28-LATE-BID")
    assert len(found) == hits
    if hits:
        assert [i for i, _ in found[0].evidence] == [1, 6]
        assert found[0].computed["bidder_org"] == "D"
        assert found[0].section_id == "S1" and found[0].severity == "violation"


def test_late_modification() -> None:
    events = [*lawful(), ev("BID_MODIFIED", "2026-03-23T10:00:00+08:00", section="S1",
                            bidder_org="A")]
    (f,) = run(make_trail(LAWFUL_FLAGS_TB, events), "R-TB-28-LATE-BID")
    assert f.computed["late_seconds"] == 1800


@pytest.mark.parametrize("n_bids,hits", [(2, 1), (3, 0), (4, 0)])
def test_min3(n_bids: int, hits: int) -> None:
    bids = [bid(o, "2026-03-20T10:00:00+08:00") for o in "ABCD"[:n_bids]]
    trail = make_trail(LAWFUL_FLAGS_TB, [doc(), *bids, opening()])
    found = run(trail, "R-TB-28-MIN3-BIDDERS")
    assert len(found) == hits
    if hits:
        assert found[0].computed["valid_bids"] == 2
        assert [i for i, _ in found[0].evidence] == [2, 3, 4]


def test_min3_counts_only_timely_unwithdrawn_bids() -> None:
    events = [doc(), bid("A", "2026-03-20T10:00:00+08:00"), bid("B", "2026-03-20T11:00:00+08:00"),
              bid("C", "2026-03-20T12:00:00+08:00"),
              ev("BID_WITHDRAWN", "2026-03-22T12:00:00+08:00", section="S1", bidder_org="C"),
              bid("D", "2026-03-23T10:00:00+08:00"), opening()]
    (f,) = run(make_trail(LAWFUL_FLAGS_TB, events), "R-TB-28-MIN3-BIDDERS")
    assert f.computed["bidders"] == ["A", "B"]


def test_min3_retender_instead_of_opening_is_lawful() -> None:
    events = [doc(), bid("A", "2026-03-20T10:00:00+08:00"),
              ev("RETENDER_STARTED", "2026-03-23T10:00:00+08:00", section="S1", reason="少于3家",
                 cause="too_few_bidders")]
    assert run(make_trail(LAWFUL_FLAGS_TB, events), "R-TB-28-MIN3-BIDDERS") == []


def test_gp_min3_qualified_at_evaluation() -> None:
    events = [*lawful(), ev("BID_REJECTED", "2026-03-23T10:00:00+08:00", section="S1",
                            bidder_org="C", reason_code="qualification"),
              ev("EVAL_STARTED", "2026-03-23T14:00:00+08:00", section="S1", session_id="E1")]
    (f,) = run(make_trail(LAWFUL_FLAGS_GP, events), "R-TB-28-MIN3-BIDDERS")
    assert f.computed["qualified_bids"] == 2
    assert run(make_trail(LAWFUL_FLAGS_TB, events), "R-TB-28-MIN3-BIDDERS") == []


@pytest.mark.parametrize("field,hits", [("encrypted", 1), ("sealed", 1), (None, 0)])
def test_seal_encrypt(field: str | None, hits: int) -> None:
    extra = {field: False} if field else {}
    b = bid("D", "2026-03-20T10:00:00+08:00", **extra)
    found = run(make_trail(LAWFUL_FLAGS_TB, [doc(), b]), "R-TBR-36-SEAL-ENCRYPT")
    assert len(found) == hits


@pytest.mark.parametrize("at,actor,hits", [
    ("2026-03-23T09:00:00+08:00", {"id": "agent", "role": "agent"}, 1),
    ("2026-03-23T09:00:00+08:00", {"id": "b", "role": "bidder", "org_id": "A"}, 0),
    ("2026-03-23T09:31:00+08:00", {"id": "agent", "role": "agent"}, 0),
])
def test_early_decrypt(at: str, actor: dict[str, Any], hits: int) -> None:
    d = ev("BID_DECRYPTED", at, section="S1", bidder_org="A", success=True)
    d["actor"] = actor
    found = run(make_trail(LAWFUL_FLAGS_TB, [*lawful(), d]), "R-EB-27-NO-EARLY-DECRYPT")
    assert len(found) == hits
