"""Tests of docs/rules.md §12 (operation log, tamper evidence, e-signatures, trusted time)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from ledger.rules.engine import evaluate
from ledger.rules.model import Finding, Trail
from tests.rules.builders import LAWFUL_FLAGS_TB, ctx, ev, idx, make_trail

S = "S1"
SIG = {"signature": "MEQCIB2x7Yt0k0==", "client_ip": "hk1:ip-1", "tsa_token": "dHNh"}
NOT_ELECTRONIC = {**LAWFUL_FLAGS_TB, "electronic": False}


def run(rule_id: str, trail: Trail, **th: Any) -> list[Finding]:
    return evaluate(trail, ctx(**th), [rule_id])


def signed(item: dict[str, Any], context: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**item, "context": SIG if context is None else context,
            "actor": {"id": "u1", "role": "bidder"}}


def lawful_events() -> list[dict[str, Any]]:
    members = [{"person_id": p, "role": "expert"} for p in ("E1", "E2", "E3")]
    return [
        signed(ev("DOC_ISSUED", "2026-03-02T10:00:00", S, doc_kind="tender_doc", version=1,
                  doc_hash="a" * 64, available_from="2026-03-02T10:00:00+08:00",
                  available_until="2026-03-09T10:00:00+08:00",
                  bid_deadline="2026-03-23T09:30:00+08:00")),
        signed(ev("DOC_DOWNLOADED", "2026-03-03T10:00:00", S, downloader_org="A",
                  user_id="u1", doc_hash="a" * 64)),
        signed(ev("BID_SUBMITTED", "2026-03-20T10:00:00", S, bidder_org="A", accepted=True,
                  received_at="2026-03-20T10:00:00+08:00", file_hash="b" * 64)),
        signed(ev("BID_DECRYPTED", "2026-03-23T09:35:00", S, bidder_org="A", success=True)),
        ev("COMMITTEE_FORMED", "2026-03-23T08:00:00", S, members=members),
        signed(ev("EVAL_REPORT_SIGNED", "2026-03-23T16:00:00", S, candidates=[],
                  report_hash="c" * 64,
                  signatures=[{"signer_id": p, "signature": "c2ln"} for p in
                              ("E1", "E2", "E3")])),
        ev("EVAL_REPORT_DELIVERED", "2026-03-23T17:00:00", S, to="tenderer",
           report_hash="c" * 64),
    ]


def trail_of(*events: dict[str, Any], flags: dict[str, Any] = LAWFUL_FLAGS_TB) -> Trail:
    return make_trail(flags, list(events))


S12 = ["R-EB-49-OPERATION-LOG", "R-EB-49-NO-TAMPER", "R-EB-40-ESIGN", "R-ES-11-TRUSTED-TIME",
       "R-EB-62-PAPER-VS-DATA"]


@pytest.mark.parametrize("rule_id", S12)
def test_lawful(rule_id: str) -> None:
    assert run(rule_id, trail_of(*lawful_events())) == []


# --- R-EB-49-OPERATION-LOG ---

@pytest.mark.parametrize(("missing", "limit", "hits"), [(0, 0.01, 0), (1, 0.01, 1),
                                                        (1, 0.5, 0), (2, 0.5, 1)])
def test_operation_log(missing: int, limit: float, hits: int) -> None:
    events = lawful_events()
    ops = [i for i, e in enumerate(events) if e["type"] in ("DOC_DOWNLOADED", "BID_SUBMITTED",
                                                            "BID_DECRYPTED")]
    for i in ops[:missing]:
        events[i] = signed(events[i], {"signature": "x"})
    trail = trail_of(*events)
    found = run("R-EB-49-OPERATION-LOG", trail, oplog_missing_share=limit)
    assert len(found) == hits
    if hits:
        assert found[0].computed["missing"] == missing
        assert found[0].computed["operations"] == 3
        assert len(found[0].evidence) == missing
    assert run("R-EB-49-OPERATION-LOG", trail_of(*events, flags=NOT_ELECTRONIC)) == []


def test_operation_log_payload_ip_counts() -> None:
    events = lawful_events()
    events[1] = signed(events[1], {})
    events[1]["payload"]["ip"] = "hk1:ip-2"
    assert run("R-EB-49-OPERATION-LOG", trail_of(*events)) == []


# --- R-EB-49-NO-TAMPER ---

def test_report_hash_changed_after_signing() -> None:
    events = lawful_events()
    events[-1]["payload"]["report_hash"] = "d" * 64
    trail = trail_of(*events)
    (f,) = run("R-EB-49-NO-TAMPER", trail)
    assert [i for i, _ in f.evidence] == [idx(trail, "EVAL_REPORT_SIGNED"),
                                          idx(trail, "EVAL_REPORT_DELIVERED")]
    assert (f.severity, f.computed["delivered_hash"]) == ("violation", "d" * 64)


def test_duplicate_id_and_index_order() -> None:
    trail = trail_of(*lawful_events())
    evs = list(trail.events)
    evs[2] = replace(evs[2], event_id=evs[1].event_id)
    found = run("R-EB-49-NO-TAMPER", Trail(trail.project_id, tuple(evs)))
    assert [f.computed for f in found] == [{"event_id": evs[1].event_id}]
    evs = list(trail.events)
    evs[2], evs[3] = evs[3], evs[2]
    found = run("R-EB-49-NO-TAMPER", Trail(trail.project_id, tuple(evs)))
    assert [f.computed for f in found] == [{"previous": 3, "index": 2}]


# --- R-EB-40-ESIGN ---

def test_unsigned_documents() -> None:
    events = lawful_events()
    events[0] = signed(events[0], {"client_ip": "hk1:ip-1"})
    trail = trail_of(*events)
    (f,) = run("R-EB-40-ESIGN", trail)
    assert (f.severity, f.computed) == ("warning", {"unsigned": 1, "types": ["DOC_ISSUED"]})
    assert [i for i, _ in f.evidence] == [idx(trail, "DOC_ISSUED")]
    assert run("R-EB-40-ESIGN", trail_of(*events, flags=NOT_ELECTRONIC)) == []


def test_report_not_signed_by_every_member() -> None:
    events = lawful_events()
    events.insert(5, ev("MEMBER_REPLACED", "2026-03-23T10:00:00", S, person_id="E3",
                        replacement_id="E4", reason="health"))
    (f,) = run("R-EB-40-ESIGN", trail_of(*events))
    assert f.computed == {"not_signed_by": ["E4"]}


# --- R-ES-11-TRUSTED-TIME ---

def test_bid_without_tsa() -> None:
    events = lawful_events()
    events[2] = signed(events[2], {"signature": "x", "client_ip": "hk1:ip-1"})
    trail = trail_of(*events)
    (f,) = run("R-ES-11-TRUSTED-TIME", trail)
    assert (f.computed, f.subjects) == ({"bids_without_tsa": 1}, ("A",))


@pytest.mark.parametrize(("decrypt_at", "hits"), [
    ("2026-03-20T09:59:55", 0),  # 5 s earlier: within tolerance
    ("2026-03-20T09:59:54", 1),
])
def test_causal_order(decrypt_at: str, hits: int) -> None:
    events = lawful_events()
    events[3] = {**events[3], "at": decrypt_at}
    trail = trail_of(*events)
    found = run("R-ES-11-TRUSTED-TIME", trail)
    assert len(found) == hits
    if hits:
        assert found[0].computed["seconds_earlier"] == 6.0
        assert [i for i, _ in found[0].evidence] == [idx(trail, "BID_SUBMITTED"),
                                                     idx(trail, "BID_DECRYPTED")]


def test_reply_before_filing() -> None:
    filed = ev("OBJECTION_FILED", "2026-03-10T10:00:00", S, subject="tender_doc",
               filer_org="A", received_at="2026-03-10T10:00:00+08:00")
    filed["event_id"] = "OBJ-1"
    replied = ev("OBJECTION_REPLIED", "2026-03-09T10:00:00", S,
                 replied_at="2026-03-09T10:00:00+08:00", outcome="dismissed",
                 notified_parties=["A"], linked_filing="OBJ-1")
    found = run("R-ES-11-TRUSTED-TIME", trail_of(*lawful_events(), filed, replied))
    assert [f.computed["effect"] for f in found] == ["OBJECTION_REPLIED"]
