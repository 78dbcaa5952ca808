"""docs/rules.md §10 (part 2): contract timing and content, GP filing, written report (bond
refunds: ``s10_bonds``).

Evaluated per lot; "overdue" findings compare the due date with the trail's "now" (its
latest received_at). Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from ledger.rules.applicability import GP, TB_MUST
from ledger.rules.calendar import cd, local_date
from ledger.rules.catalogue import s10_common as c
from ledger.rules.context import RuleContext
from ledger.rules.helpers import PRICE_SOURCES, bid_prices, over_cap
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import pct, share, yuan

_C30 = "R-TB-46-CONTRACT-30D"
_CONSISTENT = "R-TBR-57-CONTRACT-CONSISTENT"
_TOPUP = "R-GP-49-ADDITIONAL-10PCT"
_PUBFILE = "R-GPR-50-CONTRACT-PUBLISH-FILE"
_REPORT = "R-TB-47-REPORT-15D"


def late(act: TrailEvent | None, due: date, trail: Trail) -> bool:
    """Act after its due date, or missing while the trail's now is past the due date."""
    if act is None:
        return local_date(c.now(trail)) > due
    return c.day(act) > due


@rule(_C30, title_zh="自中标通知书发出之日起三十日内订立书面合同",
      title_en="Contract signed within 30 days of the award notice",
      basis='TB 第46条 "应当自中标通知书发出之日起三十日内，按照招标文件和中标人的投标文件订立书面合同"'
            "; GP 第46条; GP87 第71条", section="10",
      reads=("AWARD_NOTICE_ISSUED", "CONTRACT_SIGNED", "TENDER_TERMINATED"),
      severity="violation", lead=True, confidence="V")
def contract_30d(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, lot in c.lots(trail):
        notice, contract = lot.first("AWARD_NOTICE_ISSUED"), lot.first("CONTRACT_SIGNED")
        if notice is None or (contract is None and c.terminated(lot)):
            continue
        due = ctx.calendar.due(c.at(notice), 30)
        if late(contract, due, trail):
            on = c.day(contract) if contract else None
            days = cd(c.at(notice), c.at(contract)) if contract else cd(c.at(notice), c.now(trail))
            yield hit(_C30, trail, [notice, *([contract] if contract else [])],
                      {"notice": str(c.day(notice)), "signed": str(on) if on else None,
                       "days": days, "due": str(due), "overdue": True,
                       "missing": contract is None},
                      f"中标通知书 {c.day(notice)} 发出，" + (
                          f"{on} 才签订合同（{days} 日），晚于 {due}" if on
                          else f"截至 {due} 仍未签订合同"),
                      f"award notice {c.day(notice)}; " + (
                          f"contract signed {on} ({days} days) > due {due}" if on
                          else f"no contract by due {due}"), section_id=sid)
        if (contract is not None and trail.flags.get("electronic")
                and contract.get("platform_signed") is False):
            yield hit(_C30, trail, [contract], {"platform_signed": False},
                      "全流程电子化项目的合同未在交易平台签订",
                      "electronic project: contract not signed on the platform",
                      severity="info", lead=False, section_id=sid)


def _winning_price(lot: Trail, org: str) -> tuple[Decimal | None, TrailEvent | None]:
    win = lot.last("WINNER_DETERMINED")
    if win is not None and win.get("award_price"):
        return c.money(win.get("award_price")), win
    rep = lot.last("EVAL_REPORT_SIGNED")
    for cand in (rep.payload.get("candidates", []) if rep else []):
        if cand.get("bidder_org") == org and cand.get("price"):
            return c.money(cand["price"]), rep
    return bid_prices(lot).get(org, (None, None))  # the price read from the opened bid


def _amended(lot: Trail, contract: TrailEvent, same_only: bool) -> list[TrailEvent]:
    cid = contract.get("contract_id")
    return [a for a in lot.of_type("CONTRACT_AMENDED")
            if a.get("contract_id") == cid and (a.get("same_subject") or not same_only)]


@rule(_CONSISTENT, title_zh="合同主要条款与招标文件和中标人投标文件一致",
      title_en="Contract terms match the tender and the winning bid",
      basis='TBR 第57条 "合同的标的、价款、质量、履行期限等主要条款应当与招标文件和中标人的投标文件的内容'
            '一致"; TB 第46条; GP87 第71条; OP (七)', section="10",
      reads=("CONTRACT_SIGNED", "WINNER_DETERMINED", "EVAL_REPORT_SIGNED", *PRICE_SOURCES,
             "CONTRACT_AMENDED"),
      severity="violation", lead=True, confidence="V")
def contract_consistent(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    th = ctx.thresholds
    for sid, lot in c.lots(trail):
        contract = lot.first("CONTRACT_SIGNED")
        if contract is None:
            continue
        org, amount = str(contract.get("winner_org")), c.money(contract.get("amount"))
        price, source = _winning_price(lot, org)
        if price is not None and source is not None and amount is not None and amount != price:
            yield hit(_CONSISTENT, trail, [source, contract],
                      {"contract_amount": str(amount), "winning_price": str(price),
                       "difference": str(amount - price)},
                      f"合同价款 {yuan(amount)} 与中标价 {yuan(price)} 不一致（相差 {yuan(amount - price)}）",
                      f"contract amount {yuan(amount, 'en')} != winning price {yuan(price, 'en')} "
                      f"(difference {yuan(amount - price, 'en')})", section_id=sid, subjects=[org])
        rec = lot.last("OPENING_RECORD_PUBLISHED")
        entry = next((x for x in (rec.payload.get("entries", []) if rec else [])
                      if x.get("bidder_org") == org), None)
        dur = contract.get("duration_days")
        if rec and entry and entry.get("duration_days") is not None and dur is not None \
                and dur != entry["duration_days"]:
            yield hit(_CONSISTENT, trail, [rec, contract],
                      {"contract_duration_days": dur, "bid_duration_days": entry["duration_days"]},
                      f"合同工期 {dur} 日与投标工期 {entry['duration_days']} 日不一致",
                      f"contract duration {dur} d != bid duration {entry['duration_days']} d",
                      severity="warning", section_id=sid, subjects=[org])
        window = [a for a in _amended(lot, contract, False)
                  if cd(c.at(contract), c.at(a)) <= th.contract_amend_window_days]
        added = sum((c.money(a.get("added_amount")) or Decimal(0) for a in window), Decimal(0))
        if amount and window and added > amount * Decimal(th.contract_amend_warn_ratio):
            yield hit(_CONSISTENT, trail, [contract, *window],
                      {"added": str(added), "contract_amount": str(amount),
                       "ratio": str((added / amount).quantize(Decimal("0.0001"))),
                       "limit": th.contract_amend_warn_ratio,
                       "window_days": th.contract_amend_window_days},
                      f"签约后 {th.contract_amend_window_days} 日内补充合同增加 {yuan(added)}，"
                      f"超过原合同价款 {yuan(amount)} 的 {pct(Decimal(th.contract_amend_warn_ratio))}",
                      f"top-ups of {yuan(added, 'en')} within {th.contract_amend_window_days} days exceed "
                      f"{pct(Decimal(th.contract_amend_warn_ratio))} of {yuan(amount, 'en')}", severity="warning",
                      section_id=sid, subjects=[org])


@rule(_TOPUP, title_zh="政府采购补充合同金额不超过原合同金额的百分之十",
      title_en="GP top-up contracts within 10% of the original amount",
      basis='GP 第49条 "所有补充合同的采购金额不得超过原合同采购金额的百分之十"; GPR 第67条(五)',
      section="10", reads=("PROJECT_REGISTERED", "CONTRACT_SIGNED", "CONTRACT_AMENDED"),
      severity="violation", lead=True, confidence="V", applies=GP)
def gp_additional(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if c.regime(trail) != "GP":
        return
    ratio = Decimal(ctx.thresholds.gp_additional_ratio)
    for contract in trail.of_type("CONTRACT_SIGNED"):
        amended = _amended(trail, contract, True)
        amount = c.money(contract.get("amount")) or Decimal(0)
        added = sum((c.money(a.get("added_amount")) or Decimal(0) for a in amended), Decimal(0))
        if amended and over_cap(added, amount * ratio):
            yield hit(_TOPUP, trail, [contract, *amended],
                      {"added": str(added), "original": str(amount), "limit": str(amount * ratio)},
                      f"补充合同合计 {yuan(added)}，为原合同金额 {yuan(amount)} 的 {share(added, amount)}，"
                      f"超过 {pct(ratio)}（上限 {yuan(amount * ratio)}）",
                      f"top-ups of {yuan(added, 'en')} are {share(added, amount)} of the contract "
                      f"amount {yuan(amount, 'en')}, above {pct(ratio)} (cap {yuan(amount * ratio, 'en')})")



@rule(_PUBFILE, title_zh="政府采购合同2个工作日内公告、7个工作日内备案",
      title_en="GP contract published within 2 and filed within 7 working days",
      basis='GPR 第50条 "自政府采购合同签订之日起2个工作日内……公告"; GP 第47条 "自签订之日起七个工作日内'
            '……报……备案"', section="10",
      reads=("PROJECT_REGISTERED", "CONTRACT_SIGNED", "CONTRACT_PUBLISHED", "CONTRACT_FILED"),
      severity="violation", lead=True, confidence="V", applies=GP)
def gp_publish_file(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if c.regime(trail) != "GP":
        return
    for contract in trail.of_type("CONTRACT_SIGNED"):
        cid = contract.get("contract_id")
        for etype, n, what in (("CONTRACT_PUBLISHED", 2, "公告"), ("CONTRACT_FILED", 7, "备案")):
            act = next((e for e in trail.of_type(etype) if e.get("contract_id") == cid), None)
            due = ctx.calendar.due_wd(c.at(contract), n)
            if not late(act, due, trail):
                continue
            yield hit(_PUBFILE, trail, [contract, *([act] if act else [])],
                      {"step": etype, "signed": str(c.day(contract)), "due": str(due),
                       "on": str(c.day(act)) if act else None, "working_days": n},
                      f"合同 {c.day(contract)} 签订，" + (
                          f"{c.day(act)} 才{what}" if act else f"截至 {due} 未{what}")
                      + f"（{n}个工作日，至 {due}）",
                      f"contract signed {c.day(contract)}; {etype} "
                      + (f"on {c.day(act)}" if act else "missing") + f" > due {due} ({n} wd)")


@rule(_REPORT, title_zh="确定中标人之日起十五日内提交招标投标情况书面报告",
      title_en="Written report to the supervisory department within 15 days (TB)",
      basis='TB 第47条 "应当自确定中标人之日起十五日内，向有关行政监督部门提交招标投标情况的书面报告"',
      section="10", reads=("PROJECT_REGISTERED", "WINNER_DETERMINED", "TENDER_REPORT_FILED"),
      severity="violation", lead=True, confidence="V", applies=TB_MUST)
def report_15d(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if not c.is_tb_must(trail):
        return
    for sid, lot in c.lots(trail):
        win, rep = lot.first("WINNER_DETERMINED"), lot.first("TENDER_REPORT_FILED")
        if win is None:
            continue
        due = ctx.calendar.due(c.at(win), 15)
        if late(rep, due, trail):
            yield hit(_REPORT, trail, [win, *([rep] if rep else [])],
                      {"determined": str(c.day(win)), "due": str(due),
                       "filed": str(c.day(rep)) if rep else None},
                      f"{c.day(win)} 确定中标人，" + (f"{c.day(rep)} 才提交书面报告" if rep
                                                  else "未提交书面报告") + f"（至 {due}）",
                      f"winner {c.day(win)}; report " + (f"filed {c.day(rep)}" if rep
                                                         else "missing") + f" > due {due}",
                      section_id=sid)
