"""Tests of docs/rules.md §11 (objections, inquiries, challenges, complaints)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from ledger.rules.engine import evaluate
from ledger.rules.model import Finding, Trail
from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB, ctx, ev, idx, make_trail

S, A, B = "S1", "ORG-A", "ORG-B"
CAL = ctx().calendar


def run(rule_id: str, trail: Trail) -> list[Finding]:
    return evaluate(trail, ctx(), [rule_id])


def t(day: str | date, hour: str = "10:00:00") -> str:
    return f"{day}T{hour}+08:00"


def trail_of(flags: dict[str, Any], *events: dict[str, Any]) -> Trail:
    return make_trail(flags, sorted(events, key=lambda e: str(e["at"])[:19]))


def wd_after(day: str, n: int) -> date:
    return CAL.due_wd(datetime.fromisoformat(t(day)), n)


def filing(kind: str, day: str, subject: str, org: str = B, **kw: Any) -> dict[str, Any]:
    return ev(kind, t(day), S, subject=subject, filer_org=org, received_at=t(day), **kw)


def reply(kind: str, day: str | date, link: str | None = None, notified: tuple[str, ...] = (B,)
          ) -> dict[str, Any]:
    item = ev(kind, t(day, "16:00:00"), S, replied_at=t(day, "16:00:00"), outcome="dismissed",
              notified_parties=list(notified))
    if link:
        item["payload"]["linked_filing"] = link
    return item


# --- R-TBR-22-DOC-OBJECTION ---

DOC = ev("DOC_ISSUED", t("2026-03-02"), S, doc_kind="tender_doc", version=1, doc_hash="a" * 64,
         available_from=t("2026-03-02"), available_until=t("2026-03-09"),
         bid_deadline=t("2026-03-30", "09:30:00"))


def objection_trail(filed: str, replied: str | None, *extra: dict[str, Any],
                    flags: dict[str, Any] = LAWFUL_FLAGS_TB) -> Trail:
    events = [DOC, filing("OBJECTION_FILED", filed, "tender_doc"),
              ev("ACTIVITY_SUSPENDED", t(filed, "11:00:00"), S, reason="异议")]
    if replied:
        events.append(reply("OBJECTION_REPLIED", replied))
    return trail_of(flags, *events, *extra)


def test_doc_objection_lawful() -> None:
    assert run("R-TBR-22-DOC-OBJECTION", objection_trail("2026-03-10", "2026-03-13")) == []


@pytest.mark.parametrize(("filed", "replied", "late"), [
    ("2026-03-13", "2026-03-16", False),  # day 3 is Mon 03-16
    ("2026-03-13", "2026-03-17", True),
    ("2026-03-12", "2026-03-16", False),  # day 3 is Sun 03-15 → rolls to Mon 03-16
    ("2026-03-11", "2026-03-16", False),  # day 3 is Sat 03-14 → rolls to Mon 03-16
    ("2026-03-11", "2026-03-17", True),
])
def test_doc_objection_reply(filed: str, replied: str, late: bool) -> None:
    trail = objection_trail(filed, replied)
    found = [f for f in run("R-TBR-22-DOC-OBJECTION", trail) if f.severity == "violation"]
    due = CAL.due(datetime.fromisoformat(t(filed)), 3)
    assert (date.fromisoformat(replied) > due) == late
    assert len(found) == int(late)
    if late:
        assert [i for i, _ in found[0].evidence] == [idx(trail, "OBJECTION_FILED"),
                                                     idx(trail, "OBJECTION_REPLIED")]
        assert found[0].computed["due"] == str(due)


def test_doc_objection_holiday_and_unanswered() -> None:
    # filed Wed 09-30: day 3 is 10-03 (National Day) → due Thu 10-08
    doc = {**DOC, "payload": {**DOC["payload"], "bid_deadline": t("2026-10-30")}}
    events = [doc, filing("OBJECTION_FILED", "2026-09-30", "tender_doc"),
              ev("ACTIVITY_SUSPENDED", t("2026-09-30", "11:00:00"), S, reason="异议")]
    ok = trail_of(LAWFUL_FLAGS_TB, *events, reply("OBJECTION_REPLIED", "2026-10-08"))
    late = trail_of(LAWFUL_FLAGS_TB, *events, reply("OBJECTION_REPLIED", "2026-10-09"))
    assert run("R-TBR-22-DOC-OBJECTION", ok) == []
    assert [f.computed["due"] for f in run("R-TBR-22-DOC-OBJECTION", late)] == ["2026-10-08"]
    tick = ev("ACCESS_LOG", t("2026-10-09"), None)
    (f,) = run("R-TBR-22-DOC-OBJECTION", trail_of(LAWFUL_FLAGS_TB, *events, tick))
    assert f.computed["replied"] is None


@pytest.mark.parametrize(("filed", "info"), [("2026-03-20", False), ("2026-03-21", True)])
def test_doc_objection_late_objection_info(filed: str, info: bool) -> None:
    found = run("R-TBR-22-DOC-OBJECTION", objection_trail(filed, filed))
    assert [f.severity for f in found] == (["info"] if info else [])


def test_doc_objection_activity_not_suspended() -> None:
    opening = ev("OPENING_STARTED", t("2026-03-12"), S, place="开标室", host="H")
    events = [DOC, filing("OBJECTION_FILED", "2026-03-10", "tender_doc"), opening,
              reply("OBJECTION_REPLIED", "2026-03-13")]
    trail = trail_of(LAWFUL_FLAGS_TB, *events)
    (f,) = run("R-TBR-22-DOC-OBJECTION", trail)
    assert (f.computed["event"], f.severity) == ("OPENING_STARTED", "violation")
    suspended = ev("ACTIVITY_SUSPENDED", t("2026-03-10", "11:00:00"), S, reason="异议")
    assert run("R-TBR-22-DOC-OBJECTION", trail_of(LAWFUL_FLAGS_TB, *events, suspended)) == []
    # the bid deadline passes while the objection is open, without postponement
    doc = {**DOC, "payload": {**DOC["payload"], "bid_deadline": t("2026-03-11")}}
    trail = trail_of(LAWFUL_FLAGS_TB, doc, filing("OBJECTION_FILED", "2026-03-10", "tender_doc"),
                     reply("OBJECTION_REPLIED", "2026-03-13"))
    assert sorted(f.severity for f in run("R-TBR-22-DOC-OBJECTION", trail)) == ["info",
                                                                                  "violation"]


def test_doc_objection_gp_not_applicable() -> None:
    trail = objection_trail("2026-03-10", "2026-03-20", flags=LAWFUL_FLAGS_GP)
    assert run("R-TBR-22-DOC-OBJECTION", trail) == []


# --- R-TBR-60-COMPLAINT-HANDLING ---

def complaint(kind: str, day: str | date, case: str = "T1", org: str = B,
              **kw: Any) -> dict[str, Any]:
    field = {"COMPLAINT_FILED": "received_at", "COMPLAINT_ACCEPTED": "accepted_at",
             "COMPLAINT_DECIDED": "decided_at"}[kind]
    extra: dict[str, Any] = {"complainant_org": org, "subject": "evaluation_result"} \
        if kind == "COMPLAINT_FILED" else {}
    if kind == "COMPLAINT_DECIDED":
        extra["outcome"] = "dismissed"
    return ev(kind, t(day), S, case_id=case, **{field: t(day)}, **extra, **kw)


def tb_complaint(accepted: str | date, decided: str | date, filed: str = "2026-03-16",
                 objection: bool = True, **kw: Any) -> Trail:
    events = [complaint("COMPLAINT_FILED", filed), complaint("COMPLAINT_ACCEPTED", accepted),
              complaint("COMPLAINT_DECIDED", decided, **kw)]
    if objection:
        events += [filing("OBJECTION_FILED", "2026-03-11", "evaluation_result"),
                   reply("OBJECTION_REPLIED", "2026-03-12")]
    return trail_of(LAWFUL_FLAGS_TB, *events)


DUE30 = wd_after("2026-03-19", 30)


def test_tb_complaint_lawful() -> None:
    assert run("R-TBR-60-COMPLAINT-HANDLING", tb_complaint("2026-03-19", DUE30)) == []


@pytest.mark.parametrize(("accepted", "hits"), [("2026-03-19", 0), ("2026-03-20", 1)])
def test_tb_complaint_acceptance(accepted: str, hits: int) -> None:
    found = run("R-TBR-60-COMPLAINT-HANDLING", tb_complaint(accepted, accepted))
    assert [(f.severity, f.lead) for f in found] == [("warning", True)] * hits


def test_tb_complaint_decision_late_and_excluded() -> None:
    late = wd_after("2026-03-19", 31)
    trail = tb_complaint("2026-03-19", late)
    (f,) = run("R-TBR-60-COMPLAINT-HANDLING", trail)
    assert (f.computed["working_days"], f.severity) == (31, "warning")
    assert [i for i, _ in f.evidence] == [idx(trail, "COMPLAINT_ACCEPTED"),
                                          idx(trail, "COMPLAINT_DECIDED")]
    excluded = [{"kind": "appraisal", "start": t("2026-04-07"), "end": t("2026-04-08")}]
    assert run("R-TBR-60-COMPLAINT-HANDLING",
               tb_complaint("2026-03-19", late, excluded_periods=excluded)) == []


@pytest.mark.parametrize(("decided_wd", "hits"), [(33, 0), (34, 1)])
def test_tb_complaint_without_acceptance_event(decided_wd: int, hits: int) -> None:
    # filed Mon 03-16, latest lawful acceptance Thu 03-19 (3 wd): 30 wd from there
    events = [filing("OBJECTION_FILED", "2026-03-11", "evaluation_result"),
              reply("OBJECTION_REPLIED", "2026-03-12"), complaint("COMPLAINT_FILED", "2026-03-16"),
              complaint("COMPLAINT_DECIDED", wd_after("2026-03-16", decided_wd))]
    found = run("R-TBR-60-COMPLAINT-HANDLING", trail_of(LAWFUL_FLAGS_TB, *events))
    late = [f for f in found if "working_days" in f.computed]
    assert [(f.computed["from"], f.computed["working_days"]) for f in late] == [
        ("2026-03-19", 31)] * hits


def test_tb_complaint_undecided_counts_to_now() -> None:
    events = [filing("OBJECTION_FILED", "2026-03-11", "evaluation_result"),
              reply("OBJECTION_REPLIED", "2026-03-12"), complaint("COMPLAINT_FILED", "2026-03-16"),
              complaint("COMPLAINT_ACCEPTED", "2026-03-19")]
    ok = trail_of(LAWFUL_FLAGS_TB, *events, ev("ACCESS_LOG", t(DUE30), None))
    late = trail_of(LAWFUL_FLAGS_TB, *events, ev("ACCESS_LOG", t(wd_after("2026-03-19", 31)),
                                                 None))
    assert run("R-TBR-60-COMPLAINT-HANDLING", ok) == []
    assert len(run("R-TBR-60-COMPLAINT-HANDLING", late)) == 1


def test_tb_complaint_infos() -> None:
    found = run("R-TBR-60-COMPLAINT-HANDLING", tb_complaint("2026-03-19", DUE30,
                                                            objection=False))
    assert [(f.severity, f.lead) for f in found] == [("info", False)]
    # 11 days after the objection reply (03-12 → 03-23)
    found = run("R-TBR-60-COMPLAINT-HANDLING", tb_complaint("2026-03-24", "2026-03-30",
                                                            filed="2026-03-23"))
    assert [f.computed.get("days_after_reply") for f in found] == [11]


# --- R-GPR-52-INQUIRY-3WD ---

@pytest.mark.parametrize(("replied", "hits"), [
    ("2026-02-25", 0),  # from Fri 02-13: Sat 02-14 (make-up day), 02-24, 02-25
    ("2026-02-26", 1),
])
def test_gp_inquiry(replied: str, hits: int) -> None:
    inq = filing("INQUIRY_FILED", "2026-02-13", "process", event_id="INQ-1")
    trail = trail_of(LAWFUL_FLAGS_GP, inq, reply("CHALLENGE_REPLIED", replied, link="INQ-1"))
    found = run("R-GPR-52-INQUIRY-3WD", trail)
    assert len(found) == hits
    if hits:
        assert found[0].computed["due"] == "2026-02-25"
    assert run("R-GPR-52-INQUIRY-3WD", trail_of(LAWFUL_FLAGS_TB, inq)) == []


def test_gp_inquiry_unanswered() -> None:
    inq = filing("INQUIRY_FILED", "2026-02-13", "process", event_id="INQ-1")
    tick = ev("ACCESS_LOG", t("2026-02-26"), None)
    (f,) = run("R-GPR-52-INQUIRY-3WD", trail_of(LAWFUL_FLAGS_GP, inq, tick))
    assert f.computed["replied"] is None


# --- R-GP-52-CHALLENGE-WINDOW ---

@pytest.mark.parametrize(("filed", "hits"), [("2026-03-27", 0), ("2026-03-30", 1)])
def test_gp_challenge_window(filed: str, hits: int) -> None:
    ann = ev("RESULT_ANNOUNCED", t("2026-03-17"), S, published_at=t("2026-03-17"),
             period_end=t("2026-03-18"), expert_list_included=True)
    trail = trail_of(LAWFUL_FLAGS_GP, ann, filing("CHALLENGE_FILED", filed, "result"))
    found = run("R-GP-52-CHALLENGE-WINDOW", trail)
    assert [(f.severity, f.computed["due"]) for f in found] == [("info", "2026-03-27")] * hits


# --- R-GP-53-CHALLENGE-REPLY-7WD (planted class: challenge answered late) ---

WIN = ev("WINNER_DETERMINED", t("2026-03-16"), S, winner_org=A, rank_of_winner=1)


@pytest.mark.parametrize(("filed", "replied", "due"), [
    ("2026-03-19", "2026-03-30", None),
    ("2026-03-19", "2026-03-31", "2026-03-30"),
    ("2026-03-31", "2026-04-10", None),  # across the Qingming holiday 04-04..06
    ("2026-03-31", "2026-04-13", "2026-04-10"),
    ("2026-09-22", "2026-10-09", None),  # 23, 24, 28, 29, 30, 10-08, 10-09 (09-25..27 holiday)
    ("2026-09-22", "2026-10-10", "2026-10-09"),  # Sat 10-10 is a make-up working day
])
def test_gp_challenge_reply(filed: str, replied: str, due: str | None) -> None:
    trail = trail_of(LAWFUL_FLAGS_GP, WIN, filing("CHALLENGE_FILED", filed, "result"),
                     reply("CHALLENGE_REPLIED", replied, notified=(A, B)))
    found = run("R-GP-53-CHALLENGE-REPLY-7WD", trail)
    assert [f.computed["due"] for f in found] == ([due] if due else [])
    if due:
        assert [i for i, _ in found[0].evidence] == [idx(trail, "CHALLENGE_FILED"),
                                                     idx(trail, "CHALLENGE_REPLIED")]
        assert (found[0].severity, found[0].lead) == ("violation", True)


def test_gp_challenge_unanswered_and_notification() -> None:
    ch = filing("CHALLENGE_FILED", "2026-03-19", "result")
    tick = ev("ACCESS_LOG", t("2026-03-31"), None)
    (f,) = run("R-GP-53-CHALLENGE-REPLY-7WD", trail_of(LAWFUL_FLAGS_GP, WIN, ch, tick))
    assert f.computed["replied"] is None
    trail = trail_of(LAWFUL_FLAGS_GP, WIN, ch, reply("CHALLENGE_REPLIED", "2026-03-20"))
    (f,) = run("R-GP-53-CHALLENGE-REPLY-7WD", trail)
    assert (f.severity, f.computed["not_notified"]) == ("warning", [A])
    assert run("R-GP-53-CHALLENGE-REPLY-7WD", trail_of(LAWFUL_FLAGS_TB, WIN, ch, tick)) == []


# --- R-GPR-54-SUSPEND-CONTRACT ---

def contract(day: str) -> dict[str, Any]:
    return ev("CONTRACT_SIGNED", t(day), S, contract_id="K1", winner_org=A, signed_at=t(day),
              amount="1.00", platform_signed=True)


@pytest.mark.parametrize(("signed", "affects", "severity"), [
    ("2026-03-25", True, "violation"),
    ("2026-03-25", None, "violation"),
    ("2026-03-25", False, None),
    ("2026-03-30", True, None),  # after the reply
    ("2026-03-18", True, "warning"),  # signed before the challenge, not suspended
])
def test_gp_suspend_contract(signed: str, affects: bool | None, severity: str | None) -> None:
    ch = filing("CHALLENGE_FILED", "2026-03-19", "result", may_affect_result=affects)
    trail = trail_of(LAWFUL_FLAGS_GP, ch, reply("CHALLENGE_REPLIED", "2026-03-27"),
                     contract(signed))
    found = run("R-GPR-54-SUSPEND-CONTRACT", trail)
    assert [f.severity for f in found] == ([severity] if severity else [])


def test_gp_suspend_contract_performance_suspended() -> None:
    ch = filing("CHALLENGE_FILED", "2026-03-19", "result", may_affect_result=True)
    sus = ev("ACTIVITY_SUSPENDED", t("2026-03-19", "15:00:00"), S, reason="中止履行合同")
    trail = trail_of(LAWFUL_FLAGS_GP, contract("2026-03-18"), ch, sus,
                     reply("CHALLENGE_REPLIED", "2026-03-27"))
    assert run("R-GPR-54-SUSPEND-CONTRACT", trail) == []


# --- R-GP-55-COMPLAINT (complaint decision deadline) ---

def gp_complaint(filed: str | date, decided: str | date | None, challenge: bool = True,
                 *extra: dict[str, Any]) -> Trail:
    events = [complaint("COMPLAINT_FILED", filed), *extra]
    if decided:
        events.append(complaint("COMPLAINT_DECIDED", decided))
    if challenge:
        events += [filing("CHALLENGE_FILED", "2026-03-19", "result"),
                   reply("CHALLENGE_REPLIED", "2026-03-27")]
    return trail_of(LAWFUL_FLAGS_GP, *events)


@pytest.mark.parametrize(("decided_wd", "hits"), [(30, 0), (31, 1)])
def test_gp_complaint_decision(decided_wd: int, hits: int) -> None:
    trail = gp_complaint("2026-04-01", wd_after("2026-04-01", decided_wd))
    found = run("R-GP-55-COMPLAINT", trail)
    assert [(f.severity, f.computed["working_days"]) for f in found] == [("warning", 31)] * hits


@pytest.mark.parametrize(("offset", "hits"), [(15, 0), (16, 1)])
def test_gp_complaint_window(offset: int, hits: int) -> None:
    filed = wd_after("2026-03-27", offset)
    found = run("R-GP-55-COMPLAINT", gp_complaint(filed, filed))
    assert [f.severity for f in found] == ["info"] * hits


def test_gp_complaint_without_challenge_and_tb_skip() -> None:
    found = run("R-GP-55-COMPLAINT", gp_complaint("2026-04-01", "2026-04-02", challenge=False))
    assert [f.severity for f in found] == ["info"]
    trail = trail_of(LAWFUL_FLAGS_TB, complaint("COMPLAINT_FILED", "2026-04-01"))
    assert run("R-GP-55-COMPLAINT", trail) == []


@pytest.mark.parametrize(("resumed", "hits"), [("2026-05-01", 0), ("2026-05-02", 1)])
def test_gp_complaint_suspension(resumed: str, hits: int) -> None:
    reg = {"id": "REG-1", "role": "regulator"}
    sus = {**ev("ACTIVITY_SUSPENDED", t("2026-04-01"), S, reason="投诉处理"), "actor": reg}
    res = {**ev("ACTIVITY_RESUMED", t(resumed), S, reason="恢复"), "actor": reg}
    found = run("R-GP-55-COMPLAINT", gp_complaint("2026-04-01", "2026-04-02", True, sus, res))
    assert [f.computed.get("days") for f in found] == [31] * hits
