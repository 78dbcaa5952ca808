"""§3 process rules: sale period, invitations, method approvals, registration gate,
clarification timing and notification."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.rules.engine import evaluate
from ledger.rules.registry import load_all
from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB, ctx, ev, make_trail

load_all()

DL = "2026-03-23T09:30:00+08:00"


def doc(until: str = "2026-03-09T17:00:00+08:00", **terms: Any) -> dict[str, Any]:
    return ev("DOC_ISSUED", "2026-03-02T09:00:00+08:00", section="S1", doc_kind="tender_doc",
              version=1, doc_hash="a" * 64, available_from="2026-03-02T09:00:00+08:00",
              available_until=until, bid_deadline=DL, structured_terms=terms)


def run(flags: dict[str, Any], events: list[Any], rule_id: str) -> list[Any]:
    return [f for f in evaluate(make_trail(flags, events), ctx(), [rule_id])
            if f.rule_id == rule_id]


@pytest.mark.parametrize("until,tier", [("2026-03-05", "violation"), ("2026-03-06", "warning"),
                                        ("2026-03-07", None)])
def test_sale_period(until: str, tier: str | None) -> None:
    found = run(LAWFUL_FLAGS_TB, [doc(f"{until}T17:00:00+08:00")], "R-TBR-16-SALE-PERIOD")
    assert [f.severity for f in found] == ([tier] if tier else [])


def test_sale_until_after_deadline_warns() -> None:
    (f,) = run(LAWFUL_FLAGS_TB, [doc("2026-03-24T17:00:00+08:00")], "R-TBR-16-SALE-PERIOD")
    assert f.severity == "warning" and f.computed["until_after_deadline"]


def invitation(n: int, method: str = "random", witnesses: int = 2) -> dict[str, Any]:
    return ev("INVITATION_SENT", "2026-03-02T09:00:00+08:00",
              invitees=[{"org_id": f"O{i}"} for i in range(n)], selection_method=method,
              pool_size=100, draw_witnesses=[f"W{i}" for i in range(witnesses)])


@pytest.mark.parametrize("flags,inv,hits", [
    (LAWFUL_FLAGS_TB, invitation(3), 0), (LAWFUL_FLAGS_TB, invitation(2), 1),
    (LAWFUL_FLAGS_TB, invitation(3, "recommendation", 0), 0),
    (LAWFUL_FLAGS_GP, invitation(3, "recommendation"), 1),
    (LAWFUL_FLAGS_GP, invitation(3, witnesses=1), 1),
])
def test_invite_min3(flags: dict[str, Any], inv: dict[str, Any], hits: int) -> None:
    assert len(run(flags, [inv], "R-TB-17-INVITE-MIN3")) == hits


def test_registration_gate() -> None:
    rid = "R-EB-20-NO-REGISTRATION-GATE"
    assert run(LAWFUL_FLAGS_TB, [doc(registration_gate=False)], rid) == []
    (f,) = run(LAWFUL_FLAGS_TB, [doc(registration_gate=True)], "R-EB-20-NO-REGISTRATION-GATE")
    assert [i for i, _ in f.evidence] == [1]


APPROVAL = [{"ref": "A1", "scope": "method", "issued_at": "2026-02-01T09:00:00+08:00"}]
LATE_APPROVAL = [{"ref": "A1", "scope": "method", "issued_at": "2026-04-01T09:00:00+08:00"}]


@pytest.mark.parametrize("approvals,hits", [(None, 1), (APPROVAL, 0), (LATE_APPROVAL, 1)])
def test_open_required_tb(approvals: Any, hits: int) -> None:
    flags = {**LAWFUL_FLAGS_TB, "method": "invited", "approval_refs": approvals}
    assert len(run(flags, [invitation(3)], "R-TBR-8-OPEN-REQUIRED")) == hits
    assert run(LAWFUL_FLAGS_TB, [invitation(3)], "R-TBR-8-OPEN-REQUIRED") == []


@pytest.mark.parametrize("approvals,hits", [(None, 1), (APPROVAL, 0), (LATE_APPROVAL, 1)])
def test_open_required_gp(approvals: Any, hits: int) -> None:
    flags = {**LAWFUL_FLAGS_GP, "method": "competitive_negotiation", "approval_refs": approvals}
    ann = ev("ANNOUNCEMENT_PUBLISHED", "2026-03-01T09:00:00+08:00", kind="tender", media_id="m",
             published_at="2026-03-01T09:00:00+08:00", content_hash="c" * 64)
    assert len(run(flags, [ann], "R-GP-27-OPEN-REQUIRED")) == hits


def clar(day: str, affects: bool = True, recipients: tuple[str, ...] = ("A",)) -> dict[str, Any]:
    return ev("CLARIFICATION_ISSUED", f"{day}T10:00:00+08:00", section="S1",
              affects_bid_prep=affects, changed_fields=["工程量清单"], recipients=list(recipients))


@pytest.mark.parametrize("day,affects,severity", [
    ("2026-03-08", True, None), ("2026-03-09", True, "violation"),   # 15 / 14 days
    ("2026-03-09", False, "info")])
def test_clarify_15d(day: str, affects: bool, severity: str | None) -> None:
    found = run(LAWFUL_FLAGS_TB, [doc(), clar(day, affects)], "R-TBR-21-CLARIFY-15D")
    assert [f.severity for f in found] == ([severity] if severity else [])


def test_clarify_notify() -> None:
    dl = [ev("DOC_DOWNLOADED", "2026-03-03T10:00:00+08:00", section="S1", downloader_org=o,
             user_id="u", doc_hash="a" * 64) for o in ("A", "B")]
    assert run(LAWFUL_FLAGS_TB, [doc(), *dl, clar("2026-03-05", recipients=("A", "B"))],
               "R-EB-22-CLARIFY-NOTIFY") == []
    (f,) = run(LAWFUL_FLAGS_TB, [doc(), *dl, clar("2026-03-05")], "R-EB-22-CLARIFY-NOTIFY")
    assert f.computed["not_notified"] == ["B"] and [i for i, _ in f.evidence] == [3, 4]
