"""Demo trail, second half: objections / challenges, candidate publicity, award, notices,
result announcement, contract and bond refunds.

Role: write those events from a ``Plan`` and the evaluation outcomes; plants short
publicity, late contract, late refund and late replies when asked. Pure.
Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from ledger.demo import names
from ledger.demo.builder import Builder, at, ts
from ledger.demo.phases_eval import Outcome
from ledger.demo.phases_pre import BANK, GP_MEDIA, PLATFORM_MEDIA, agent, bidder_actor, tenderer
from ledger.demo.plan import Plan


def complaint(b: Builder, plan: Plan) -> None:
    """An objection (TB) / challenge (GP) to the tender document, answered in time unless
    ``late_complaint_reply`` is planted."""
    if not (plan.with_complaint or plan.has("late_complaint_reply")):
        return
    sec = plan.parties.sections[0]
    filer = sec.bidders[-1]
    filed = at(b.plus_days(plan.announced.date(), 3), 10, 20)
    late = plan.has("late_complaint_reply")
    if plan.tb:
        due = b.plus_days(filed.date(), 3)
        reply_day = b.plus_days(filed.date(), 2) if not late else _after(b, due, 2)
        kinds = ("OBJECTION_FILED", "OBJECTION_REPLIED")
    else:
        reply_day = b.plus_wd(filed.date(), 10 if late else 3)
        kinds = ("CHALLENGE_FILED", "CHALLENGE_REPLIED")
    b.emit(kinds[0], filed, {"subject": "tender_doc", "filer_org": filer.org.org_id,
                             "received_at": ts(filed), "may_affect_result": False,
                             "content_hash": names.sha(b.rng)},
           actor=bidder_actor(filer), section=sec.section_id,
           context={"client_ip": filer.ip})
    replied = at(reply_day, 15, 30)
    everyone = [bd.org.org_id for s in plan.parties.sections for bd in s.bidders]
    b.emit(kinds[1], replied, {"replied_at": ts(replied), "outcome": "dismissed",
                               "notified_parties": everyone, "reply_hash": names.sha(b.rng)},
           actor=agent(plan), section=sec.section_id,
           context={"client_ip": plan.parties.agent_ip})


def _after(b: Builder, due: date, extra: int) -> date:
    return b.workday(due + timedelta(days=extra))


def award_all(b: Builder, plan: Plan, outcomes: list[Outcome]) -> None:
    for out in outcomes:
        _award(b, plan, out)


def _award(b: Builder, plan: Plan, out: Outcome) -> None:
    sec, sid = out.section, out.section.section_id
    winner, _ = out.ranked[0]
    day = out.delivered.date()
    if plan.tb:
        start = at(b.plus_days(day, 1), 9)
        short = plan.has("short_publicity") and sec.index == 0
        end = at(start.date() + timedelta(days=1 if short else 5), 17)
        b.emit("CANDIDATE_PUBLICITY", start, {
            "start": ts(start), "end": ts(end), "media": PLATFORM_MEDIA,
            "content_hash": names.sha(b.rng),
            "candidates": [bd.org.org_id for bd, _ in out.ranked[:3]]},
            actor=agent(plan), section=sid)
        decided = at(b.plus_days(end.date(), 1), 10)
    else:
        decided = at(b.plus_wd(day, 2), 10)
    b.emit("WINNER_DETERMINED", decided, {
        "winner_org": winner.org.org_id, "rank_of_winner": 1, "award_price": str(winner.price)},
        actor=tenderer(plan), section=sid)
    noticed = decided + timedelta(hours=1)
    others = [bd.org.org_id for bd in sec.bidders if bd is not winner]
    b.emit("AWARD_NOTICE_ISSUED", noticed, {"recipients": [winner.org.org_id],
                                            "notice_hash": names.sha(b.rng)},
           actor=agent(plan), section=sid)
    b.emit("RESULT_NOTICE_ISSUED", noticed + timedelta(minutes=2), {
        "recipients": others, "notice_hash": names.sha(b.rng)}, actor=agent(plan), section=sid)
    period_end = at(b.plus_wd(noticed.date(), 1), 17)
    b.emit("RESULT_ANNOUNCED", noticed + timedelta(minutes=30), {
        "published_at": ts(noticed + timedelta(minutes=30)), "period_end": ts(period_end),
        "expert_list_included": True, "media": PLATFORM_MEDIA,
        "content_hash": names.sha(b.rng)}, actor=agent(plan), section=sid)
    if plan.tb:
        filed = at(b.plus_days(decided.date(), 7), 11)
        b.emit("TENDER_REPORT_FILED", filed, {"filed_at": ts(filed),
                                              "to_department": plan.supervisory_dept,
                                              "report_hash": names.sha(b.rng)},
               actor=tenderer(plan), section=sid)
    _contract_and_refunds(b, plan, out, noticed.date())


def _contract_and_refunds(b: Builder, plan: Plan, out: Outcome, noticed: date) -> None:
    sec, sid = out.section, out.section.section_id
    winner = out.ranked[0][0]
    late = plan.has("late_contract") and sec.index == 0
    signed = at(b.plus_days(noticed, 40 if late else b.rng.randint(8, 20)), 14)
    b.emit("PERFORMANCE_BOND_PAID", signed - timedelta(days=2), {
        "bidder_org": winner.org.org_id, "form": "bank_guarantee",
        "amount": str((winner.price * Decimal("0.05")).quantize(Decimal("0.01")))},
        actor=bidder_actor(winner), section=sid)
    contract_id = f"HT-{sid}"
    b.emit("CONTRACT_SIGNED", signed, {
        "contract_id": contract_id, "winner_org": winner.org.org_id, "signed_at": ts(signed),
        "amount": str(winner.price), "duration_days": 365 if plan.tb else 60,
        "contract_hash": names.sha(b.rng), "platform_signed": True},
        actor=tenderer(plan), section=sid)
    if not plan.tb:
        for kind, n in (("CONTRACT_PUBLISHED", 1), ("CONTRACT_FILED", 3)):
            when = at(b.plus_wd(signed.date(), n), 10)
            extra = ({"media": GP_MEDIA, "content_hash": names.sha(b.rng)}
                     if n == 1 else {"department": plan.supervisory_dept})
            b.emit(kind, when, {"contract_id": contract_id, **extra}, actor=tenderer(plan),
                   section=sid)
    for pos, bd in enumerate(sec.bidders):
        late_refund = plan.has("late_bond_refund") and sec.index == 0 and pos == (
            1 if sec.bidders[0] is winner else 0)
        if plan.tb:
            day = b.plus_days(signed.date(), 16 if late_refund else 2)
        elif bd is winner:
            day = b.plus_wd(signed.date(), 2)
        else:
            day = b.plus_wd(noticed, 9 if late_refund else 2)
        amount = min(plan.amount * Decimal("0.01"), Decimal(800000)).quantize(Decimal("1"))
        b.emit("BOND_REFUNDED", at(day, 10, b.rng.randint(0, 59)), {
            "bidder_org": bd.org.org_id, "amount": f"{amount}.00",
            "interest": f"{(amount * Decimal('0.0035') / 12).quantize(Decimal('0.01'))}",
            "cause": "won" if bd is winner else "not_won"}, actor=BANK, section=sid)
