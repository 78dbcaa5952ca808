"""docs/rules.md §3 (part 4): same information for every downloader, secrecy of the downloader
list, site visits, bid validity, splitting, termination and lotteries.

Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from ledger.rules.applicability import ALL, TB_MUST
from ledger.rules.calendar import SHANGHAI, local_date
from ledger.rules.catalogue.s03_timing import (
    effective_deadline,
    first_tender_issue,
    is_tender_doc,
    lots,
    now,
    ts,
)
from ledger.rules.context import RuleContext
from ledger.rules.helpers import lot_rounds
from ledger.rules.model import Finding, Severity, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import bj_date, label, listing, quoted, yuan

LIST_ROLES = ("tenderer", "agent", "system")  # project staff and platform system accounts
VALIDITY_WORDS = ("bid_validity", "投标有效期")
CANCELLED_WORDS = ("procurement_task_cancelled", "采购任务取消", "重大变故")
GP_OPEN_THRESHOLD = "2000000"  # M: central-level 公开招标数额标准 (goods/services); configure
TB_MUST_TENDER = {"works": "4000000", "goods": "2000000", "services": "1000000"}  # M


def _noon(day: date) -> datetime:
    """A date as a local datetime (for the calendar helpers that take timestamps)."""
    return datetime.combine(day, time(12), tzinfo=SHANGHAI)


@rule("R-TBR-32-1-SAME-INFO", title_zh="向所有下载人提供相同的文件",
      title_en="Every downloader gets the same document",
      basis='TBR 第32条(一) "就同一招标项目向潜在投标人或者投标人提供有差别的项目信息"; EB 第54条(一) '
            '"利用技术手段对享有相同权限的市场主体提供有差别的信息"; GPR 第20条(一)',
      section="3", reads=("DOC_ISSUED", "CLARIFICATION_ISSUED", "DOC_DOWNLOADED"),
      severity="violation", lead=True, confidence="V",
      applies=ALL.where("all (a download whose doc_hash was never issued; DOC_DOWNLOADED carries no "
              "version, so two hashes of one version are seen only this way)"))
def tbr_32_1_same(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    docs = trail.of_type("DOC_ISSUED")
    if not docs:
        return
    issued = {e.get("doc_hash") for e in docs} | {
        c.get("doc_hash_after") for c in trail.of_type("CLARIFICATION_ISSUED")} - {None}
    for d in trail.of_type("DOC_DOWNLOADED"):
        if d.get("doc_hash") in issued:
            continue
        org = str(d.get("downloader_org"))
        yield hit("R-TBR-32-1-SAME-INFO", trail, [d],
                  {"doc_hash": d.get("doc_hash"), "issued": sorted(str(h) for h in issued)},
                  f"{org} 下载的文件 {str(d.get('doc_hash'))[:12]} 从未公开发出",
                  f"{org} downloaded a document {str(d.get('doc_hash'))[:12]} never issued",
                  subjects=[org])


@rule("R-TB-22-DOWNLOADER-SECRECY", title_zh="投标截止前对获取文件的潜在投标人名称、数量保密",
      title_en="Names and number of document holders stay secret until the deadline",
      basis='TB 第22条 "招标人不得向他人透露已获取招标文件的潜在投标人的名称、数量"; EB 第21条 '
            '"在投标截止时间前"; GP87 第28条',
      section="3", reads=("ACCESS_LOG", "DOC_ISSUED", "DEADLINE_CHANGED"), severity="violation",
      lead=True, confidence="V",
      applies=ALL.where("all; allowed roles = thresholds.extra['downloader_list_roles'] (default tenderer, "
              "agent, system); project-staff assignment is not recorded"))
def tb_22_secrecy(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    allowed = tuple(ctx.thresholds.extra.get("downloader_list_roles", LIST_ROLES))
    for _sid, lot in lot_rounds(trail):
        found = effective_deadline(lot)
        if found is None:
            continue
        t_dl, dl_ev = found
        for a in lot.of_type("ACCESS_LOG"):
            if a.get("resource") != "downloader_list" or a.occurred_at >= t_dl:
                continue
            role, action = a.actor.get("role"), a.get("action", "view")
            problems = [p for p, bad in (("role", role not in allowed),
                                         ("export", action in ("export", "download"))) if bad]
            if not problems:
                continue
            who = str(a.actor.get("id"))
            yield hit("R-TB-22-DOWNLOADER-SECRECY", trail, [a, dl_ev],
                      {"role": role, "action": action, "problems": problems,
                       "accessed": a.occurred_at.isoformat(), "deadline": t_dl.isoformat()},
                      f"投标截止 {bj_date(t_dl)} 前 {who}（{label(role)}）{label(action)}了潜在投标人名单",
                      f"{who} ({label(role, 'en')}) did {label(action, 'en')} on the downloader list before the deadline "
                      f"{bj_date(t_dl)}", subjects=[who])


@rule("R-TBR-28-SITE-VISIT", title_zh="不得组织单个或者部分潜在投标人踏勘项目现场",
      title_en="No site visit for a single bidder or only some bidders",
      basis='TBR 第28条 "招标人不得组织单个或者部分潜在投标人踏勘项目现场"; GP87 第26条 '
            '"在招标文件提供期限截止后"',
      section="3", reads=("SITE_VISIT_HELD", "DOC_DOWNLOADED", "DOC_ISSUED"),
      severity="violation", lead=True, confidence="V",
      applies=ALL.where("all (visits without recorded invitees are not judged); GP timing → warning"))
def tbr_28_visit(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    gp = trail.flags.get("regime") == "GP"
    for _sid, lot in lots(trail):
        for v in lot.of_type("SITE_VISIT_HELD"):
            if v.get("invitees") is None:
                continue
            holders = {str(d.get("downloader_org")): d for d in lot.of_type("DOC_DOWNLOADED")
                       if d.occurred_at < v.occurred_at}
            missing = sorted(set(holders) - {str(i) for i in v.get("invitees")})
            if missing:
                yield hit("R-TBR-28-SITE-VISIT", trail, [v, *(holders[m] for m in missing)],
                          {"not_invited": missing, "invitees": len(v.get("invitees"))},
                          f"踏勘现场未邀请已获取文件的 {listing(missing)}",
                          f"site visit without document holders {listing(missing, 'en')}",
                          subjects=missing)
            docs = [e for e in lot.of_type("DOC_ISSUED") if is_tender_doc(e)]
            if gp and docs:
                until = max(ts(e.payload["available_until"]) for e in docs)
                if v.occurred_at < until:
                    yield hit("R-TBR-28-SITE-VISIT", trail, [v, *docs],
                              {"visit": v.occurred_at.isoformat(), "until": until.isoformat()},
                              f"踏勘现场 {bj_date(v.occurred_at)} 早于文件提供期限截止 {bj_date(until)}",
                              f"site visit {bj_date(v.occurred_at)} before the provision period "
                              f"ends {bj_date(until)}", severity="warning", lead=False)


def _validity_days(doc: TrailEvent) -> int | None:
    days = doc.get("bid_validity_days") or (doc.get("structured_terms") or {}).get(
        "bid_validity_days")
    return int(days) if days else None


@rule("R-TBR-25-BID-VALIDITY", title_zh="载明投标有效期，评标定标在有效期内完成",
      title_en="Bid validity stated; evaluation and award finish well inside it",
      basis='TBR 第25条 "招标人应当在招标文件中载明投标有效期。投标有效期从提交投标文件的截止之日起算"; '
            'GP87 第23条; EV 第40条 "评标和定标应当在投标有效期结束日30个工作日前完成"',
      section="3", reads=("DOC_ISSUED", "DEADLINE_CHANGED", "WINNER_DETERMINED",
                          "AWARD_NOTICE_ISSUED", "CLARIFICATION_ISSUED"),
      severity="violation", lead=True, confidence="V",
      applies=ALL.where("all (30-working-day warning: TB); an extension is a CLARIFICATION_ISSUED whose "
              "changed_fields name the bid validity"))
def tbr_25_validity(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    rid = "R-TBR-25-BID-VALIDITY"
    for _sid, lot in lot_rounds(trail):
        doc, found = first_tender_issue(lot), effective_deadline(lot)
        if doc is None or found is None:
            continue
        days = _validity_days(doc)
        if days is None:
            yield hit(rid, trail, [doc], {"bid_validity_days": None}, "招标文件未载明投标有效期",
                      "bid validity not stated", severity="warning", lead=False)
            continue
        if any(any(w in str(x) for w in VALIDITY_WORDS)
               for c in lot.of_type("CLARIFICATION_ISSUED") for x in c.get("changed_fields") or []):
            continue
        t_dl, dl_ev = found
        end = local_date(t_dl) + timedelta(days=days)
        base = {"bid_validity_days": days, "validity_end": end.isoformat()}
        win = lot.last("WINNER_DETERMINED")
        if trail.flags.get("regime") == "TB" and win is not None:
            left = ctx.calendar.wd(win.occurred_at, _noon(end))
            if left < 30:
                yield hit(rid, trail, [doc, dl_ev, win], {**base, "working_days_left": left},
                          f"定标 {bj_date(win.occurred_at)} 距投标有效期届满 {end} 仅 {left} 个工作日，少于30个",
                          f"award {bj_date(win.occurred_at)} only {left} working days before the "
                          f"validity ends {end} (< 30)", severity="warning", lead=False)
        for n in lot.of_type("AWARD_NOTICE_ISSUED"):
            if local_date(n.occurred_at) > end:
                yield hit(rid, trail, [doc, dl_ev, n], {**base, "notice": n.occurred_at.isoformat()},
                          f"中标通知书 {bj_date(n.occurred_at)} 晚于投标有效期届满 {end}，无延期",
                          f"award notice {bj_date(n.occurred_at)} after the bid validity ended "
                          f"{end}, not extended")


def _approved(trail: Trail) -> bool:
    return any(a.get("scope") in ("method", "non_open_method")
               for a in trail.flags.get("approval_refs") or [])


@rule("R-GPR-28-SPLIT", title_zh="化整为零规避公开招标",
      title_en="Splitting to avoid open tender (化整为零)",
      basis='GPR 第28条 "采用公开招标以外的方式多次采购，累计资金数额超过公开招标数额标准的，属于以化整为'
            '零方式规避公开招标"; GP 第28条; TB 第4条 "不得将依法必须进行招标的项目化整为零"; TBR 第24条',
      section="3", reads=("PROJECT_REGISTERED", "CONTRACT_SIGNED", "CONTRACT_AMENDED"),
      severity="violation", lead=True, confidence="V",
      applies=ALL.where("within one trail only (the cross-project GP grouping needs a portfolio check): "
              "GP ∧ method≠open ∧ ≥2 contracts summing above thresholds.extra['gp_open_threshold']; "
              "TB ∧ ¬must_tender ∧ ≥2 contracts within 12 months, each below and together at or "
              "above thresholds.extra['tb_must_tender_threshold'][subject] (D)"))
def gpr_28_split(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    f, extra = trail.flags, ctx.thresholds.extra
    contracts = trail.of_type("CONTRACT_SIGNED")
    if len(contracts) < 2:
        return
    amounts = [Decimal(str(c.get("amount"))) for c in contracts]
    if f.get("regime") == "GP" and f.get("method") != "open" and not _approved(trail):
        added = [Decimal(str(a.get("added_amount"))) for a in trail.of_type("CONTRACT_AMENDED")]
        total, limit = sum(amounts + added, Decimal(0)), Decimal(
            str(extra.get("gp_open_threshold", GP_OPEN_THRESHOLD)))
        if total > limit and not f.get("gp_above_open_threshold"):
            yield hit("R-GPR-28-SPLIT", trail, [*contracts, *trail.of_type("CONTRACT_AMENDED")],
                      {"total": str(total), "threshold": str(limit), "contracts": len(contracts),
                       "method": f.get("method")},
                      f"以{label(f.get('method'))}方式多次采购累计 {yuan(total)}，超过公开招标数额标准 {yuan(limit)}",
                      f"{len(contracts)} non-open purchases total {yuan(total, 'en')} > open-tender "
                      f"threshold {yuan(limit, 'en')}")
    if f.get("regime") == "TB" and not f.get("must_tender"):
        table = {**TB_MUST_TENDER, **extra.get("tb_must_tender_threshold", {})}
        limit = Decimal(str(table.get(str(f.get("subject")), TB_MUST_TENDER["works"])))
        total = sum(amounts, Decimal(0))
        times = [ts(c.payload["signed_at"]) for c in contracts]
        if max(amounts) < limit <= total and max(times) - min(times) <= timedelta(days=365):
            yield hit("R-GPR-28-SPLIT", trail, contracts,
                      {"total": str(total), "threshold": str(limit), "contracts": len(contracts)},
                      f"{len(contracts)} 个合同均低于必须招标标准 {yuan(limit)}，合计 {yuan(total)}",
                      f"{len(contracts)} contracts each below the must-tender threshold "
                      f"{yuan(limit, 'en')} total {yuan(total, 'en')}", severity="warning")


@rule("R-GP87-29-TERMINATION", title_zh="不得擅自终止招标；终止后及时退还保证金",
      title_en="No arbitrary termination; refunds after termination",
      basis='GP87 第29条 "除因重大变故采购任务取消情况外，不得擅自终止招标活动" and refunds "在终止采购'
            '活动后5个工作日内"; TBR 第31条 "及时退还"; GP87 第78条(六)',
      section="3", reads=("TENDER_TERMINATED", "BOND_PAID", "BOND_REFUNDED"),
      severity="violation", lead=True, confidence="V",
      applies=ALL.where("GP: reason and 5-working-day bond refunds; TB: refunds within "
              "thresholds.extra['tb_prompt_refund_days'] (default 5) days → warning (D); "
              "document-fee refunds are not recorded"))
def gp87_29_termination(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    gp = trail.flags.get("regime") == "GP"
    for _sid, lot in lots(trail):
        for term in lot.of_type("TENDER_TERMINATED"):
            reason = str(term.get("reason") or "")
            if gp and not any(w in reason for w in CANCELLED_WORDS):
                yield hit("R-GP87-29-TERMINATION", trail, [term], {"reason": reason},
                          f"终止采购理由「{reason}」不属于采购任务取消",
                          f"termination reason {quoted(reason, 'en')} is not a cancelled "
                          "procurement task")

            yield from _refunds(trail, lot, term, ctx, gp)


def _refunds(trail: Trail, lot: Trail, term: TrailEvent, ctx: RuleContext, gp: bool
             ) -> Iterator[Finding]:
    cal, t_now = ctx.calendar, now(trail)
    due = cal.due_wd(term.occurred_at, 5) if gp else cal.due(
        term.occurred_at, int(ctx.thresholds.extra.get("tb_prompt_refund_days", 5)))
    late: dict[str, str | None] = {}
    evidence: list[TrailEvent] = [term]
    for bond in lot.of_type("BOND_PAID"):
        if bond.occurred_at > term.occurred_at:
            continue
        org = str(bond.get("bidder_org"))
        refund = next((r for r in lot.of_type("BOND_REFUNDED") if r.get("bidder_org") == org
                       and r.occurred_at >= bond.occurred_at), None)
        if refund is None and t_now is not None and local_date(t_now) > due:
            late[org] = None
            evidence.append(bond)
        elif refund is not None and local_date(refund.occurred_at) > due:
            late[org] = local_date(refund.occurred_at).isoformat()
            evidence.append(refund)
    if late:
        sev: Severity = "violation" if gp else "warning"
        yield hit("R-GP87-29-TERMINATION", trail, evidence,
                  {"due": due.isoformat(), "late_or_missing": late},
                  f"终止 {bj_date(term.occurred_at)} 后保证金未在 {due} 前退还：{listing(sorted(late))}",
                  f"bonds not refunded by {due} after termination on "
                  f"{bj_date(term.occurred_at)}: {listing(sorted(late), 'en')}",

                  severity=sev, lead=gp, subjects=sorted(late))


@rule("R-OP-2-NO-LOTTERY", title_zh="不得以抽签、摇号等方式直接选择投标人、中标候选人或中标人",
      title_en="No lottery to pick bidders, candidates or the winner (TB)",
      basis='OP (二) "不得采用抽签、摇号、抓阄等违规方式直接选择投标人、中标候选人或中标人"',
      section="3", reads=("PROJECT_REGISTERED", "INVITATION_SENT"), severity="violation",
      lead=True, confidence="V",
      applies=TB_MUST.where("TB ∧ must_tender; only INVITATION_SENT.selection_method='random' records a lottery "
              "(WINNER_DETERMINED and the candidate ranking carry no selection method)"))
def op_2_lottery(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    """Bidders drawn at random for a TB must-tender invitation are chosen by lottery (摇号).
    A lottery choosing candidates or the winner is not checkable: no event field records how
    WINNER_DETERMINED or the EVAL_REPORT_SIGNED ranking was decided."""
    f = trail.flags
    if f.get("regime") != "TB" or not f.get("must_tender"):
        return
    for inv in trail.of_type("INVITATION_SENT"):
        if inv.get("selection_method") == "random":
            orgs = sorted(str(i.get("org_id")) for i in inv.get("invitees") or [])
            yield hit("R-OP-2-NO-LOTTERY", trail, [inv],
                      {"selection_method": "random", "invitees": orgs},
                      f"以随机抽取（摇号）方式确定 {len(orgs)} 家投标邀请对象",
                      f"{len(orgs)} invitees chosen by random draw (lottery)", subjects=orgs)
