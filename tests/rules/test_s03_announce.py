"""§3 announcement rules (s03_announce): media, fees, prequal timing and outcome, GP announcement
and provision periods, GP clarifications — lawful, planted and boundary trails."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.rules.engine import evaluate
from ledger.rules.registry import load_all
from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB, ctx, ev, idx, make_trail

load_all()

MINE = ("R-TBR-15-ANNOUNCE-MEDIA", "R-TBR-16-DOC-FEE", "R-TBR-17-PREQUAL-SUBMIT",
        "R-TBR-19-PREQUAL-MIN3", "R-GP87-16-ANNOUNCE-PERIOD", "R-GPR-31-DOC-PROVISION",
        "R-GPR-21-PREQUAL-TIME", "R-GPR-31-CLARIFY-15D", "R-TBR-32-1-SAME-INFO",
        "R-TB-22-DOWNLOADER-SECRECY", "R-TBR-28-SITE-VISIT", "R-TBR-25-BID-VALIDITY",
        "R-GPR-28-SPLIT", "R-GP87-29-TERMINATION", "R-OP-2-NO-LOTTERY")
H = "a" * 64
DL = "2026-03-23T09:30:00+08:00"


def t(day: str, hour: str = "09:00") -> str:
    return f"{day}T{hour}:00+08:00"


def ann(day: str, media: str = "M-NAT", kind: str = "tender", end: str | None = "2026-03-09",
        content: str = "c" * 64, hour: str = "08:30") -> dict[str, Any]:
    return ev("ANNOUNCEMENT_PUBLISHED", t(day, hour), section="S1", kind=kind, media_id=media,
              published_at=t(day, hour), period_end=t(end, "17:00") if end else None,
              content_hash=content)


def doc(frm: str = "2026-03-02", until: str = "2026-03-09", dl: str = DL, kind: str = "tender_doc",
        fee: str = "0", hsh: str = H, **extra: Any) -> dict[str, Any]:
    return ev("DOC_ISSUED", t(frm), section="S1", doc_kind=kind, version=1, doc_hash=hsh,
              available_from=t(frm), available_until=t(until, "17:00"), bid_deadline=dl,
              fee=fee, bid_validity_days=90, **extra)


def dls(*orgs: str, day: str = "2026-03-03", hsh: str = H) -> list[dict[str, Any]]:
    return [ev("DOC_DOWNLOADED", t(day, "10:00"), section="S1", downloader_org=o, user_id=f"u{o}",
               doc_hash=hsh) for o in orgs]


def clar(day: str, fields: tuple[str, ...] = ("工程量清单",), affects: bool = True
         ) -> dict[str, Any]:
    return ev("CLARIFICATION_ISSUED", t(day, "10:00"), section="S1", affects_bid_prep=affects,
              changed_fields=list(fields), recipients=["A", "B", "C"])


def lawful_events(gp: bool) -> list[dict[str, Any]]:
    """A lawful open tender: two media, on sale 03-02..03-09, deadline 03-23, award in April."""
    out = [ann("2026-03-02", "M-NAT"), ann("2026-03-02", "M-PLAT"), doc(), *dls("A", "B", "C"),
           clar("2026-03-05"), ann("2026-03-05", "M-NAT", "clarification", None, "d" * 64, "11:00"),
           ann("2026-03-05", "M-PLAT", "clarification", None, "d" * 64, "11:00"),
           ev("SITE_VISIT_HELD", t("2026-03-10"), section="S1", invitees=["A", "B", "C"],
              attendees=["A", "B"]),
           {**ev("ACCESS_LOG", t("2026-03-12"), section="S1", resource="downloader_list",
                 action="view"), "actor": {"id": "agent", "role": "agent"}},
           ev("WINNER_DETERMINED", t("2026-04-01"), section="S1", winner_org="A",
              rank_of_winner=1),
           ev("AWARD_NOTICE_ISSUED", t("2026-04-02"), section="S1", recipients=["A"])]
    return out


def run(flags: dict[str, Any], events: list[Any], rule_id: str, **th: Any) -> list[Any]:
    return [f for f in evaluate(make_trail(flags, events), ctx(**th), [rule_id])
            if f.rule_id == rule_id]


def ev_idx(f: Any) -> list[int]:
    return [i for i, _ in f.evidence]


@pytest.mark.parametrize("flags", [LAWFUL_FLAGS_TB, LAWFUL_FLAGS_GP])
def test_lawful_trail_raises_nothing(flags: dict[str, Any]) -> None:
    trail = make_trail(flags, lawful_events(flags["regime"] == "GP"))
    found = evaluate(trail, ctx(platform_media=("M-PLAT",)), list(MINE))
    assert [(f.rule_id, f.message_en) for f in found] == []


# --- R-TBR-15-ANNOUNCE-MEDIA ---------------------------------------------------------------

def test_media_a_no_designated_announcement_before_issue() -> None:
    rid = "R-TBR-15-ANNOUNCE-MEDIA"
    events = [ann("2026-03-02", "M-PLAT"), ann("2026-03-03", "M-NAT"), doc()]
    (f,) = run(LAWFUL_FLAGS_TB, events, rid, platform_media=("M-PLAT",))
    trail = make_trail(LAWFUL_FLAGS_TB, events)
    assert f.computed["part"] == "a" and ev_idx(f) == [1, 2, 3]
    assert idx(trail, "DOC_ISSUED") == 3
    # same-day publication at 08:30 before the 09:00 issue is in time
    assert run(LAWFUL_FLAGS_TB, [ann("2026-03-02", "M-NAT"), doc()], rid) == []
    # a TB project that is not a must-tender open tender is out of scope
    flags = {**LAWFUL_FLAGS_TB, "must_tender": False}
    assert run(flags, [doc()], rid) == []


def test_media_b_content_differs() -> None:
    events = [ann("2026-03-02", "M-NAT"), ann("2026-03-02", "M-PLAT", content="e" * 64), doc()]
    (f,) = run(LAWFUL_FLAGS_GP, events, "R-TBR-15-ANNOUNCE-MEDIA")
    assert f.computed["part"] == "b" and ev_idx(f) == [1, 2] and f.severity == "violation"
    # a later correction on M-PLAT that agrees again clears it (latest per medium)
    fixed = [*events, ann("2026-03-02", "M-PLAT", hour="08:45")]
    assert run(LAWFUL_FLAGS_GP, fixed, "R-TBR-15-ANNOUNCE-MEDIA") == []


@pytest.mark.parametrize("hour,hits", [("08:30", 0), ("09:30", 1)])  # 24 h vs 25 h apart
def test_media_c_platform_sync(hour: str, hits: int) -> None:
    events = [ann("2026-03-01", "M-NAT"), ann("2026-03-02", "M-PLAT", hour=hour), doc()]
    found = run(LAWFUL_FLAGS_TB, events, "R-TBR-15-ANNOUNCE-MEDIA", platform_media=("M-PLAT",))
    assert [(f.computed["part"], f.severity, f.lead) for f in found] == \
        [("c", "warning", False)] * hits


# --- R-TBR-16-DOC-FEE ----------------------------------------------------------------------

@pytest.mark.parametrize("flags,kind,fee,cap,severity", [
    (LAWFUL_FLAGS_GP, "prequal_doc", "0", None, None),
    (LAWFUL_FLAGS_GP, "prequal_doc", "50", None, "violation"),
    (LAWFUL_FLAGS_TB, "prequal_doc", "50", None, None),
    (LAWFUL_FLAGS_TB, "tender_doc", "200", "200", None),
    (LAWFUL_FLAGS_TB, "tender_doc", "200.01", "200", "info"),
])
def test_doc_fee(flags: dict[str, Any], kind: str, fee: str, cap: str | None,
                 severity: str | None) -> None:
    extra = {"doc_fee_cap": cap} if cap else {}
    found = run(flags, [doc(kind=kind, fee=fee)], "R-TBR-16-DOC-FEE", extra=extra)
    assert [f.severity for f in found] == ([severity] if severity else [])
    assert all(ev_idx(f) == [1] and f.computed["fee"] == fee for f in found)


# --- R-TBR-17-PREQUAL-SUBMIT ---------------------------------------------------------------

@pytest.mark.parametrize("until,deadline,days", [
    ("2026-03-10", "2026-03-14", 4), ("2026-03-10", "2026-03-15", None),
    ("2026-09-30", "2026-10-05", None),  # calendar days: a holiday deadline does not matter
])
def test_prequal_submit(until: str, deadline: str, days: int | None) -> None:
    pq = doc("2026-03-02", until, t(deadline), kind="prequal_doc")
    found = run(LAWFUL_FLAGS_TB, [pq], "R-TBR-17-PREQUAL-SUBMIT")
    assert [f.computed["days"] for f in found] == ([days] if days else [])


def test_prequal_submit_follows_deadline_change() -> None:
    pq = doc("2026-03-02", "2026-03-10", t("2026-03-16"), kind="prequal_doc")
    moved = ev("DEADLINE_CHANGED", t("2026-03-11"), section="S1", old_deadline=t("2026-03-16"),
               new_deadline=t("2026-03-14"), reason="提前")
    (f,) = run(LAWFUL_FLAGS_TB, [pq, moved], "R-TBR-17-PREQUAL-SUBMIT")
    assert f.computed["days"] == 4 and ev_idx(f) == [1, 2]


# --- R-TBR-19-PREQUAL-MIN3 -----------------------------------------------------------------

def inv(n: int, day: str = "2026-03-20") -> dict[str, Any]:
    return ev("INVITATION_SENT", t(day), section="S1", selection_method="pool",
              invitees=[{"org_id": f"O{i}"} for i in range(n)])


@pytest.mark.parametrize("n,retender,hits", [(2, False, 1), (3, False, 0), (2, True, 0)])
def test_prequal_min3(n: int, retender: bool, hits: int) -> None:
    pq = doc("2026-03-02", "2026-03-06", t("2026-03-12"), kind="prequal_doc", hsh="b" * 64)
    events = [pq, inv(n)]
    if retender:
        events.append(ev("RETENDER_STARTED", t("2026-03-21"), section="S1", reason="少于3个"))
    events.append(doc("2026-03-22", "2026-03-27", t("2026-04-13")))
    found = run(LAWFUL_FLAGS_TB, events, "R-TBR-19-PREQUAL-MIN3")
    assert len(found) == hits
    if hits:
        assert found[0].computed["passed"] == 2 and ev_idx(found[0]) == [1, 2, 3]


# --- R-GP87-16-ANNOUNCE-PERIOD -------------------------------------------------------------

@pytest.mark.parametrize("published,end,tier", [
    ("2026-09-21", "2026-09-25", "violation"),  # 22,23,24 (25 holiday): 3 / 4 inclusive
    ("2026-09-21", "2026-09-28", "warning"),    # 22,23,24,28: 4 / 5 inclusive
    ("2026-09-21", "2026-09-29", None),         # 5 working days
    ("2026-02-09", "2026-02-13", "warning"),    # 10..13: 4
    ("2026-02-09", "2026-02-14", None),         # 2026-02-14 is a make-up working Saturday
])
def test_gp_announce_period(published: str, end: str, tier: str | None) -> None:
    found = run(LAWFUL_FLAGS_GP, [ann(published, end=end)], "R-GP87-16-ANNOUNCE-PERIOD")
    assert [f.computed["tier"] for f in found] == ([tier] if tier else [])
    assert all(ev_idx(f) == [1] and f.severity == tier for f in found)


def test_gp_announce_period_counts_from_first_designated_medium() -> None:
    events = [ann("2026-09-21", "M-PLAT", end="2026-09-29"), ann("2026-09-22", end="2026-09-29")]
    (f,) = run(LAWFUL_FLAGS_GP, events, "R-GP87-16-ANNOUNCE-PERIOD", platform_media=("M-PLAT",))
    assert f.computed["working_days"] == 4 and ev_idx(f) == [2]
    assert run(LAWFUL_FLAGS_TB, [ann("2026-09-21", end="2026-09-25")],
               "R-GP87-16-ANNOUNCE-PERIOD") == []


# --- R-GPR-31-DOC-PROVISION ----------------------------------------------------------------

@pytest.mark.parametrize("until,tier", [
    ("2026-10-08", "violation"),  # 29,30 | National Day | 10-08: 3 / 4 inclusive
    ("2026-10-09", "warning"),    # 4 / 5
    ("2026-10-10", None),         # 2026-10-10 is a make-up working Saturday: 5
])
def test_gp_doc_provision_period(until: str, tier: str | None) -> None:
    events = [doc("2026-09-28", until, t("2026-10-30")), *dls("A", "B", "C", day="2026-09-29")]
    found = run(LAWFUL_FLAGS_GP, events, "R-GPR-31-DOC-PROVISION")
    assert [f.computed.get("tier") for f in found] == ([tier] if tier else [])


@pytest.mark.parametrize("takers,extended,hits", [(3, False, 0), (2, False, 1), (2, True, 0)])
def test_gp_doc_provision_few_takers(takers: int, extended: bool, hits: int) -> None:
    events = [doc(), *dls(*"ABC"[:takers])]
    if extended:
        events.append(doc("2026-03-02", "2026-03-12", hsh=H))
    events.append(ev("WINNER_DETERMINED", t("2026-04-01"), section="S1", winner_org="A",
                     rank_of_winner=1))
    found = run(LAWFUL_FLAGS_GP, events, "R-GPR-31-DOC-PROVISION")
    assert [(f.severity, f.computed["downloaders"]) for f in found] == [("info", takers)] * hits


# --- R-GPR-21-PREQUAL-TIME -----------------------------------------------------------------

@pytest.mark.parametrize("published,deadline,days", [
    ("2026-02-24", "2026-02-28", 4),     # 25,26,27 + make-up Saturday 02-28
    ("2026-02-24", "2026-03-02", None),  # 5
    ("2026-02-12", "2026-02-25", 4),     # 13, 14 (make-up), Spring Festival, 24, 25
    ("2026-02-12", "2026-02-26", None),
])
def test_gp_prequal_time(published: str, deadline: str, days: int | None) -> None:
    events = [ann(published, kind="prequal", end=None),
              doc(published, published, t(deadline), kind="prequal_doc")]
    found = run(LAWFUL_FLAGS_GP, events, "R-GPR-21-PREQUAL-TIME")
    assert [f.computed["working_days"] for f in found] == ([days] if days else [])
    assert all(ev_idx(f) == [1, 2] for f in found)


# --- R-GPR-31-CLARIFY-15D ------------------------------------------------------------------

def gp_clar(day: str, media: tuple[str, ...] = ("M-NAT", "M-PLAT"), **kw: Any) -> list[Any]:
    return [ann("2026-03-02", "M-NAT"), ann("2026-03-02", "M-PLAT"), doc(), clar(day, **kw),
            *(ann(day, m, "clarification", None, "d" * 64, "11:00") for m in media)]


@pytest.mark.parametrize("day,affects,severity", [
    ("2026-03-08", True, None), ("2026-03-09", True, "violation"), ("2026-03-09", False, "info")])
def test_gp_clarify_days(day: str, affects: bool, severity: str | None) -> None:
    found = run(LAWFUL_FLAGS_GP, gp_clar(day, affects=affects), "R-GPR-31-CLARIFY-15D")
    assert [f.severity for f in found] == ([severity] if severity else [])
    assert all(f.computed["days"] == 14 and ev_idx(f) == [3, 4] for f in found)


def test_gp_clarify_forbidden_change_and_media() -> None:
    rid = "R-GPR-31-CLARIFY-15D"
    (f,) = run(LAWFUL_FLAGS_GP, gp_clar("2026-03-05", fields=("资格条件：业绩",)), rid)
    assert f.computed == {"forbidden_changes": ["资格条件：业绩"]} and ev_idx(f) == [4]
    (g,) = run(LAWFUL_FLAGS_GP, gp_clar("2026-03-05", media=("M-NAT",)), rid)
    assert g.computed == {"media_missing": ["M-PLAT"]} and g.severity == "violation"


@pytest.mark.parametrize("day,hits", [("2026-03-07", 0), ("2026-03-08", 1)])  # 3 / 2 days
def test_gp_clarify_prequal_3_days(day: str, hits: int) -> None:
    events = [ann("2026-03-02", "M-NAT", "prequal", None),
              doc("2026-03-02", "2026-03-09", t("2026-03-10"), kind="prequal_doc"),
              clar(day), ann(day, "M-NAT", "clarification", None, "d" * 64, "11:00")]
    found = run(LAWFUL_FLAGS_GP, events, "R-GPR-31-CLARIFY-15D")
    assert [f.computed["minimum"] for f in found] == [3] * hits
