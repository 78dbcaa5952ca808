"""§3 rules of s03_more: same information, downloader-list secrecy, site visits, bid validity,
splitting, termination and lotteries — lawful, planted and boundary trails."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.rules.engine import evaluate
from ledger.rules.registry import load_all
from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB, ctx, ev, make_trail

load_all()

H = "a" * 64
DL = "2026-03-23T09:30:00+08:00"


def t(day: str, hour: str = "09:00") -> str:
    return f"{day}T{hour}:00+08:00"


def doc(until: str = "2026-03-09", validity: int | None = 90, dl: str = DL) -> dict[str, Any]:
    return ev("DOC_ISSUED", t("2026-03-02"), section="S1", doc_kind="tender_doc", version=1,
              doc_hash=H, available_from=t("2026-03-02"), available_until=t(until, "17:00"),
              bid_deadline=dl, bid_validity_days=validity)


def dl(org: str, day: str = "2026-03-03", hsh: str = H) -> dict[str, Any]:
    return ev("DOC_DOWNLOADED", t(day, "10:00"), section="S1", downloader_org=org,
              user_id=f"u{org}", doc_hash=hsh)


def run(flags: dict[str, Any], events: list[Any], rule_id: str, **th: Any) -> list[Any]:
    return [f for f in evaluate(make_trail(flags, events), ctx(**th), [rule_id])
            if f.rule_id == rule_id]


def ev_idx(f: Any) -> list[int]:
    return [i for i, _ in f.evidence]


# --- R-TBR-32-1-SAME-INFO ------------------------------------------------------------------

def test_same_info() -> None:
    rid = "R-TBR-32-1-SAME-INFO"
    after = ev("CLARIFICATION_ISSUED", t("2026-03-05"), section="S1", affects_bid_prep=True,
               changed_fields=["x"], recipients=["A"], doc_hash_after="b" * 64)
    assert run(LAWFUL_FLAGS_TB, [doc(), dl("A"), after, dl("B", "2026-03-06", "b" * 64)],
               rid) == []
    (f,) = run(LAWFUL_FLAGS_TB, [doc(), dl("A"), dl("B", hsh="f" * 64)], rid)
    assert ev_idx(f) == [3] and f.subjects == ("B",) and f.computed["doc_hash"] == "f" * 64
    assert run(LAWFUL_FLAGS_TB, [dl("B", hsh="f" * 64)], rid) == []  # nothing issued: no basis


# --- R-TB-22-DOWNLOADER-SECRECY ------------------------------------------------------------

def access(role: str, action: str = "view", at: str = t("2026-03-12")) -> dict[str, Any]:
    return {**ev("ACCESS_LOG", at, section="S1", resource="downloader_list", action=action),
            "actor": {"id": f"{role}-1", "role": role}}


@pytest.mark.parametrize("role,action,at,problems", [
    ("agent", "view", t("2026-03-12"), None),
    ("tenderer", "view", t("2026-03-23", "09:29"), None),
    ("bidder", "view", t("2026-03-12"), ["role"]),
    ("center_staff", "export", t("2026-03-12"), ["role", "export"]),
    ("agent", "export", t("2026-03-23", "09:29"), ["export"]),
    ("bidder", "view", t("2026-03-23", "09:30"), None),  # at the deadline: no longer secret
])
def test_downloader_secrecy(role: str, action: str, at: str, problems: list[str] | None) -> None:
    found = run(LAWFUL_FLAGS_GP, [doc(), access(role, action, at)], "R-TB-22-DOWNLOADER-SECRECY")
    assert [f.computed["problems"] for f in found] == ([problems] if problems else [])
    assert all(ev_idx(f) == [1, 2] and f.subjects == (f"{role}-1",) for f in found)


# --- R-TBR-28-SITE-VISIT -------------------------------------------------------------------

def visit(day: str, invitees: list[str] | None) -> dict[str, Any]:
    return ev("SITE_VISIT_HELD", t(day), section="S1", invitees=invitees, attendees=["A"])


@pytest.mark.parametrize("invitees,missing", [
    (["A", "B", "C"], None), (["A"], ["B", "C"]), (None, None)])
def test_site_visit_invitees(invitees: list[str] | None, missing: list[str] | None) -> None:
    events = [doc(), dl("A"), dl("B"), dl("C"), dl("D", "2026-03-11"),
              visit("2026-03-10", invitees)]
    found = run(LAWFUL_FLAGS_TB, events, "R-TBR-28-SITE-VISIT")
    assert [f.computed["not_invited"] for f in found] == ([missing] if missing else [])
    assert all(ev_idx(f) == [3, 4, 6] for f in found)


@pytest.mark.parametrize("flags,day,hits", [
    (LAWFUL_FLAGS_GP, "2026-03-09", 1), (LAWFUL_FLAGS_GP, "2026-03-10", 0),
    (LAWFUL_FLAGS_TB, "2026-03-09", 0)])
def test_site_visit_gp_before_provision_ends(flags: dict[str, Any], day: str, hits: int) -> None:
    found = run(flags, [doc(), dl("A"), visit(day, ["A"])], "R-TBR-28-SITE-VISIT")
    assert [(f.severity, ev_idx(f)) for f in found] == [("warning", [1, 3])] * hits


# --- R-TBR-25-BID-VALIDITY -----------------------------------------------------------------

def award(win_day: str, notice_day: str | None = None) -> list[dict[str, Any]]:
    out = [ev("WINNER_DETERMINED", t(win_day), section="S1", winner_org="A", rank_of_winner=1)]
    if notice_day:
        out.append(ev("AWARD_NOTICE_ISSUED", t(notice_day), section="S1", recipients=["A"]))
    return out


def test_validity_missing_warns() -> None:
    (f,) = run(LAWFUL_FLAGS_TB, [doc(validity=None)], "R-TBR-25-BID-VALIDITY")
    assert f.severity == "warning" and not f.lead and ev_idx(f) == [1]


# deadline 2026-03-23 + 90 days = 2026-06-21 (Dragon Boat holiday); 2026-05-09 is a make-up
# working Saturday, so an award that day leaves 29 working days, on 05-08 30.
@pytest.mark.parametrize("flags,win,left", [
    (LAWFUL_FLAGS_TB, "2026-05-08", None), (LAWFUL_FLAGS_TB, "2026-05-09", 29),
    (LAWFUL_FLAGS_GP, "2026-05-09", None)])
def test_validity_30_working_days(flags: dict[str, Any], win: str, left: int | None) -> None:
    found = run(flags, [doc(), *award(win)], "R-TBR-25-BID-VALIDITY")
    assert [f.computed["working_days_left"] for f in found] == ([left] if left else [])
    assert all(f.severity == "warning" and ev_idx(f) == [1, 2] for f in found)


@pytest.mark.parametrize("notice,hits", [("2026-06-21", 0), ("2026-06-22", 1)])
def test_validity_award_notice_after_end(notice: str, hits: int) -> None:
    found = [f for f in run(LAWFUL_FLAGS_GP, [doc(), *award("2026-04-01", notice)],
                            "R-TBR-25-BID-VALIDITY") if f.severity == "violation"]
    expected = [("2026-06-21", [1, 3])] * hits
    assert [(f.computed["validity_end"], ev_idx(f)) for f in found] == expected
    extension = ev("CLARIFICATION_ISSUED", t("2026-06-01"), section="S1", affects_bid_prep=False,
                   changed_fields=["投标有效期延长至150日"], recipients=["A"])
    assert run(LAWFUL_FLAGS_GP, [doc(), extension, *award("2026-04-01", "2026-06-22")],
               "R-TBR-25-BID-VALIDITY") == []


# --- R-GPR-28-SPLIT ------------------------------------------------------------------------

def contracts(*amounts: str, days: tuple[str, ...] = ("2026-03-01", "2026-06-01")
              ) -> list[dict[str, Any]]:
    return [ev("CONTRACT_SIGNED", t(d), section=f"S{i + 1}", contract_id=f"C{i}", winner_org="A",
               signed_at=t(d), amount=a, platform_signed=True)
            for i, (a, d) in enumerate(zip(amounts, days, strict=False))]


GP_INQ = {**LAWFUL_FLAGS_GP, "method": "inquiry", "gp_above_open_threshold": False}
TB_FREE = {**LAWFUL_FLAGS_TB, "must_tender": False}


@pytest.mark.parametrize("flags,amounts,severity", [
    (GP_INQ, ("1200000", "900000"), "violation"),  # 2.1 M > 2 M
    (GP_INQ, ("1000000", "1000000"), None),        # 2.0 M is not above
    ({**GP_INQ, "approval_refs": [{"ref": "A", "scope": "non_open_method"}]},
     ("1200000", "900000"), None),
    (LAWFUL_FLAGS_GP, ("1200000", "900000"), None),  # open tender
    (TB_FREE, ("3900000", "100000"), "warning"),     # each < 4 M, together = 4 M
    (TB_FREE, ("3800000", "100000"), None),
    (TB_FREE, ("4000000", "100000"), None),          # one contract already at the threshold
    (LAWFUL_FLAGS_TB, ("3900000", "100000"), None),  # must tender anyway
])
def test_split(flags: dict[str, Any], amounts: tuple[str, ...], severity: str | None) -> None:
    found = run(flags, contracts(*amounts), "R-GPR-28-SPLIT")
    assert [f.severity for f in found] == ([severity] if severity else [])
    assert all(ev_idx(f) == [1, 2] for f in found)


def test_split_tb_needs_12_months_and_configurable_threshold() -> None:
    far = contracts("3900000", "100000", days=("2026-01-01", "2027-01-02"))
    assert run(TB_FREE, far, "R-GPR-28-SPLIT") == []
    (f,) = run(GP_INQ, contracts("600000", "500000"), "R-GPR-28-SPLIT",
               extra={"gp_open_threshold": "1000000"})
    assert f.computed["total"] == "1100000" and f.computed["threshold"] == "1000000"


# --- R-GP87-29-TERMINATION -----------------------------------------------------------------

def terminated(reason: str, refund_day: str | None, now_day: str = "2026-10-20") -> list[Any]:
    out = [ev("BOND_PAID", t("2026-09-20"), section="S1", bidder_org="A", amount="1000",
              form="transfer"),
           ev("TENDER_TERMINATED", t("2026-09-29"), section="S1", reason=reason)]
    if refund_day:
        out.append(ev("BOND_REFUNDED", t(refund_day), section="S1", bidder_org="A",
                      amount="1000", cause="termination"))
    out.append(ev("ACCESS_LOG", t(now_day), section="S1", resource="other"))  # the trail's now
    return out


# GP: 5 working days after 2026-09-29 = 09-30, 10-08, 10-09, 10-10 (make-up), 10-12.
# TB: roll(2026-10-04) past National Day = 2026-10-08.
@pytest.mark.parametrize("flags,refund,severity", [
    (LAWFUL_FLAGS_GP, "2026-10-12", None), (LAWFUL_FLAGS_GP, "2026-10-13", "violation"),
    (LAWFUL_FLAGS_GP, None, "violation"),
    (LAWFUL_FLAGS_TB, "2026-10-08", None), (LAWFUL_FLAGS_TB, "2026-10-09", "warning")])
def test_termination_refunds(flags: dict[str, Any], refund: str | None,
                             severity: str | None) -> None:
    found = run(flags, terminated("采购任务取消", refund), "R-GP87-29-TERMINATION")
    assert [f.severity for f in found] == ([severity] if severity else [])
    for f in found:
        assert f.subjects == ("A",) and ev_idx(f) == ([2, 3] if refund else [1, 2])
        assert f.computed["due"] == ("2026-10-12" if flags["regime"] == "GP" else "2026-10-08")


def test_termination_reason_gp() -> None:
    (f,) = run(LAWFUL_FLAGS_GP, terminated("项目规划调整", "2026-09-30"), "R-GP87-29-TERMINATION")
    assert f.computed == {"reason": "项目规划调整"} and ev_idx(f) == [2]
    assert run(LAWFUL_FLAGS_TB, terminated("项目规划调整", "2026-09-30"),
               "R-GP87-29-TERMINATION") == []


def test_termination_refund_not_due_yet() -> None:
    assert run(LAWFUL_FLAGS_GP, terminated("采购任务取消", None, "2026-10-12"),
               "R-GP87-29-TERMINATION") == []


# --- R-OP-2-NO-LOTTERY ---------------------------------------------------------------------

@pytest.mark.parametrize("flags,method,hits", [
    ({**LAWFUL_FLAGS_TB, "method": "invited"}, "random", 1),
    ({**LAWFUL_FLAGS_TB, "method": "invited"}, "pool", 0),
    ({**LAWFUL_FLAGS_TB, "method": "invited", "must_tender": False}, "random", 0),
    ({**LAWFUL_FLAGS_GP, "method": "invited"}, "random", 0),  # GP 第34条 requires random
])
def test_no_lottery(flags: dict[str, Any], method: str, hits: int) -> None:
    invitation = ev("INVITATION_SENT", t("2026-03-02"), selection_method=method,
                    invitees=[{"org_id": f"O{i}"} for i in range(3)])
    found = run(flags, [invitation], "R-OP-2-NO-LOTTERY")
    assert [(ev_idx(f), f.subjects) for f in found] == [([1], ("O0", "O1", "O2"))] * hits
