"""docs/rules.md §10 (part 3): bid-bond refund deadlines per regime, and their early warning.

Each bond owed back is an obligation with its due date: 招标投标法实施条例 第57条 (5 days
after the written contract, winner and others alike), 政府采购法实施条例 第33条 (5 working
days from the award notice for the others, from the contract for the winner) and the
withdrawal rule (实施条例 第35条: 5 days; 87号令 第38条: 5 working days). A refund after the
due date is a violation; while the refund is still outstanding and at most one day (one
working day for procurement) is left by the trail's "now", an info finding warns before the
deadline passes, under its own rule id so the warning never masks the violation that may
follow on the same evidence. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from ledger.rules.applicability import ALL, GP, TB
from ledger.rules.calendar import cd, local_date
from ledger.rules.catalogue import s10_common as c
from ledger.rules.catalogue.s03_timing import effective_deadline
from ledger.rules.catalogue.s10_contract import late
from ledger.rules.context import RuleContext
from ledger.rules.helpers import round_holding
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import yuan

_BOND_TB = "R-TBR-57-BOND-REFUND-5D"
_BOND_GP = "R-GPR-33-BOND-REFUND-GP"
DUE_SOON = "R-BOND-REFUND-DUE-SOON"


@dataclass(frozen=True)
class Owed:
    """One bond owed back: who, from which event, by when, counted how."""

    section_id: str | None
    org: str
    base: TrailEvent  # the event the period runs from
    bond: TrailEvent
    due: date
    working_days: bool  # 工作日 (procurement) rather than calendar days
    refund: TrailEvent | None


def _refund(lot: Trail, org: str, after: int = -1) -> TrailEvent | None:
    return next((r for r in lot.of_type("BOND_REFUNDED")
                 if r.payload.get("bidder_org") == org and r.index > after), None)


def _bonds(lot: Trail) -> list[TrailEvent]:
    """The first BOND_PAID per bidder, skipping bidders that withdrew (R-TBR-35 covers them)."""
    out = {str(e.get("bidder_org")) for e in lot.of_type("BID_WITHDRAWN")}
    first: dict[str, TrailEvent] = {}
    for b in lot.of_type("BOND_PAID"):
        first.setdefault(str(b.get("bidder_org")), b)
    return [b for org, b in first.items() if org not in out]


def owed_after_award(trail: Trail, ctx: RuleContext) -> Iterator[Owed]:
    """Bonds owed back after the award: TB from the contract; GP from the notice (others)
    or the contract (winner). Raises CalendarMissingError for a due date in a year the
    calendar does not cover."""
    gp = c.regime(trail) == "GP"
    for sid, lot in c.lots(trail):
        notice, contract = lot.first("AWARD_NOTICE_ISSUED"), lot.first("CONTRACT_SIGNED")
        winner = c.winner_org(lot)
        for bond in _bonds(lot):
            org = str(bond.get("bidder_org"))
            base = notice if gp and org != winner else contract
            if base is None:
                continue
            due = ctx.calendar.due_wd(c.at(base), 5) if gp else ctx.calendar.due(c.at(base), 5)
            yield Owed(sid, org, base, bond, due, gp, _refund(lot, org))


def owed_after_withdrawal(trail: Trail, ctx: RuleContext) -> Iterator[Owed]:
    """Bonds owed back after a written withdrawal before the deadline of its round."""
    gp = c.regime(trail) == "GP"
    for sid, lot in c.lots(trail):
        for w in lot.of_type("BID_WITHDRAWN"):
            org = str(w.get("bidder_org"))
            paid = [b for b in lot.of_type("BOND_PAID") if b.get("bidder_org") == org]
            found = effective_deadline(round_holding(lot, w))  # the withdrawal's own round
            if not paid or (found and w.occurred_at >= found[0]):
                continue
            cal = ctx.calendar
            due = cal.due_wd(w.occurred_at, 5) if gp else cal.due(w.occurred_at, 5)
            yield Owed(sid, org, w, paid[0], due, gp, _refund(lot, org, w.index))


@rule(_BOND_TB, title_zh="书面合同签订后5日内退还投标保证金及银行同期存款利息",
      title_en="Bid bonds refunded with interest within 5 days of contract signing (TB)",
      basis='TBR 第57条 "招标人最迟应当在书面合同签订后5日内向中标人和未中标的投标人退还投标保证金及银行'
            '同期存款利息"; TBR 第66条', section="10",
      reads=("PROJECT_REGISTERED", "BOND_PAID", "CONTRACT_SIGNED", "BOND_REFUNDED",
             "BID_WITHDRAWN"), severity="violation", lead=True, confidence="V", applies=TB)
def bond_refund_tb(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if c.regime(trail) != "TB":
        return
    for o in owed_after_award(trail, ctx):
        org, cash, refund = o.org, o.bond.get("form") in c.CASH_FORMS, o.refund
        contract, due, sid = o.base, o.due, o.section_id
        if late(refund, due, trail):
            on = str(c.day(refund)) if refund else None
            yield hit(_BOND_TB, trail, [contract, o.bond, *([refund] if refund else [])],
                      {"bidder": org, "form": o.bond.get("form"), "signed": str(c.day(contract)),
                       "refunded": on, "due": str(due),
                       "days": cd(c.at(contract), c.at(refund)) if refund else None},
                      f"合同 {c.day(contract)} 签订，{org} 的保证金" + (
                          f"{on} 才退还" if on else "未退还") + f"，晚于 {due}（5日）",
                      f"contract {c.day(contract)}; bond of {org} "
                      + (f"refunded {on}" if on else "not refunded") + f" > due {due}",
                      severity="violation" if cash else "warning", lead=cash,
                      section_id=sid, subjects=[org])
        elif refund is not None and cash and not (c.money(refund.get("interest")) or 0) > 0:
            yield hit(_BOND_TB, trail, [o.bond, refund],
                      {"bidder": org, "interest": refund.get("interest")},
                      f"{org} 的现金类保证金退还未付银行同期存款利息",
                      f"cash bond of {org} refunded without interest",
                      severity="warning", lead=False, section_id=sid, subjects=[org])


def _overdue_fee(ctx: RuleContext, amount: Decimal, due: date, paid: datetime) -> Decimal:
    th = ctx.thresholds
    days = (local_date(paid) - due).days
    rate = Decimal(th.gp_overdue_fee_base_rate) * (1 + Decimal(th.gp_overdue_fee_markup))
    return (amount * rate * days / 365).quantize(Decimal("0.01"))


@rule(_BOND_GP, title_zh="政府采购投标保证金5个工作日内退还",
      title_en="GP bonds refunded within 5 working days (losers: notice; winner: contract)",
      basis='GPR 第33条 "自中标通知书发出之日起5个工作日内退还未中标供应商的投标保证金，自政府采购合同签订'
            '之日起5个工作日内退还中标供应商的投标保证金"; GP87 第38条 (超期资金占用费)', section="10",
      reads=("PROJECT_REGISTERED", "BOND_PAID", "AWARD_NOTICE_ISSUED", "CONTRACT_SIGNED",
             "BOND_REFUNDED", "WINNER_DETERMINED"),
      severity="violation", lead=True, confidence="V", applies=GP)
def bond_refund_gp(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if c.regime(trail) != "GP":
        return
    for o in owed_after_award(trail, ctx):
        org, base, due, refund, sid = o.org, o.base, o.due, o.refund, o.section_id
        if not late(refund, due, trail):
            continue
        on = str(c.day(refund)) if refund else None
        yield hit(_BOND_GP, trail, [base, o.bond, *([refund] if refund else [])],
                  {"bidder": org, "from": base.type, "base": str(c.day(base)),
                   "due": str(due), "refunded": on},
                  f"{org} 的保证金" + (f"{on} 才退还" if on else "未退还")
                  + f"，晚于 {c.day(base)} 起5个工作日（{due}）",
                  f"bond of {org} " + (f"refunded {on}" if on else "not refunded")
                  + f" > due {due} (5 wd from {base.type} {c.day(base)})",
                  section_id=sid, subjects=[org])
        amount = c.money(o.bond.get("amount"))
        if refund is None or amount is None:
            continue
        fee = _overdue_fee(ctx, amount, due, c.at(refund))
        paid = c.money(refund.get("interest")) or Decimal(0)
        if paid < fee:
            yield hit(_BOND_GP, trail, [o.bond, refund],
                      {"bidder": org, "expected_fee": str(fee), "paid": str(paid)},
                      f"{org} 保证金超期退还，应付资金占用费约 {yuan(fee)}，实付 {yuan(paid)}",
                      f"late refund to {org}: expected overdue fee about {yuan(fee, 'en')}, "
                      f"paid {yuan(paid, 'en')}",
                      severity="warning", lead=False, section_id=sid, subjects=[org])


def _left(o: Owed, today: date, ctx: RuleContext) -> int | None:
    """Days (working days for GP) left until the due date; None when not yet due soon."""
    if today > o.due:
        return None
    left = ctx.calendar.working_days(today, o.due) if o.working_days else (o.due - today).days
    return left if left <= 1 else None


_BASE_ZH = {"CONTRACT_SIGNED": "合同签订", "AWARD_NOTICE_ISSUED": "中标通知书发出",
            "BID_WITHDRAWN": "书面撤回投标"}
_BASE_EN = {"CONTRACT_SIGNED": "contract signed", "AWARD_NOTICE_ISSUED": "award notice",
            "BID_WITHDRAWN": "written withdrawal"}


@rule(DUE_SOON, title_zh="保证金退还期限将届满而尚未退还（提前预警）",
      title_en="Bond refund due within a day and not yet made (early warning)",
      basis='TBR 第57条 "最迟应当在书面合同签订后5日内……退还投标保证金"; TBR 第35条 "应当自收到投标人'
            '书面撤回通知之日起5日内退还"; GPR 第33条 "自中标通知书发出之日起5个工作日内退还未中标供应商的'
            '投标保证金"; GP87 第38条 "应当自收到投标人书面撤回通知之日起５个工作日内，退还已收取的投标保证金"', section="10",
      reads=("PROJECT_REGISTERED", "BOND_PAID", "AWARD_NOTICE_ISSUED", "CONTRACT_SIGNED",
             "BOND_REFUNDED", "WINNER_DETERMINED", "BID_WITHDRAWN"),
      severity="info", lead=False, confidence="V", applies=ALL.where("TB: 5 days; GP: 5 working days"))
def bond_refund_due_soon(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    today = local_date(c.now(trail))
    for o in [*owed_after_award(trail, ctx), *owed_after_withdrawal(trail, ctx)]:
        left = None if o.refund is not None else _left(o, today, ctx)
        if left is None:
            continue
        unit_zh, unit_en = ("个工作日", "working day(s)") if o.working_days else ("日", "day(s)")
        when_zh = "今日到期" if left == 0 else f"仅剩 {left} {unit_zh}"
        yield hit(DUE_SOON, trail, [o.base, o.bond],
                  {"bidder": o.org, "from": o.base.type, "base": str(c.day(o.base)),
                   "due": str(o.due), "as_of": str(today), "left": left,
                   "unit": "working_days" if o.working_days else "days"},
                  f"{_BASE_ZH[o.base.type]}（{c.day(o.base)}）后 {o.org} 的投标保证金尚未退还，"
                  f"应于 {o.due} 前退还，截至 {today} {when_zh}",
                  f"bond of {o.org} not yet refunded after {_BASE_EN[o.base.type]} "
                  f"{c.day(o.base)}: due {o.due}, {left} {unit_en} left as of {today}",
                  section_id=o.section_id, subjects=[o.org])
