"""docs/rules.md §5 (part 2): bonds (basic account, validity, refund after withdrawal) and bidder
eligibility (related bidders, agent bidding, consortium overlap, debarment, CA identity).

Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from ledger.rules.applicability import ALL, TB_MUST
from ledger.rules.calendar import local_date
from ledger.rules.catalogue.s03_timing import effective_deadline, is_tender_doc, lots, now, ts
from ledger.rules.context import RuleContext
from ledger.rules.helpers import lot_rounds
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import bj_date, label

CONTROL_KINDS = ("control", "holding", "management", "legal_rep", "same_legal_rep", "shareholder")


def accepted(lot: Trail) -> list[TrailEvent]:
    return [e for e in lot.of_type("BID_SUBMITTED") if e.get("accepted")]


@rule("R-TBR-26-BOND-BASIC-ACCOUNT", title_zh="现金或支票保证金从基本账户转出",
      title_en="Cash or cheque bonds come from the bidder's basic account (TB)",
      basis='TBR 第26条 "以现金或者支票形式提交的投标保证金应当从其基本账户转出"',
      section="5", reads=("BOND_PAID",), severity="violation", lead=True, confidence="V",
      applies=TB_MUST)
def tbr_26_basic(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    f = trail.flags
    if f.get("regime") != "TB" or not f.get("must_tender"):
        return
    for e in trail.of_type("BOND_PAID"):
        if e.get("form") in ("cash", "cheque", "transfer") and e.get("payer_is_basic_account") is False:
            yield hit("R-TBR-26-BOND-BASIC-ACCOUNT", trail, [e],
                      {"bidder_org": e.get("bidder_org"), "form": e.get("form"),
                       "payer_name": e.get("payer_name")},
                      f"{e.get('bidder_org')} 的保证金（{label(e.get('form'))}）非从基本账户转出",
                      f"bond of {e.get('bidder_org')} ({label(e.get('form'), 'en')}) not from its "
                      "basic account",

                      subjects=[e.get("bidder_org")])


@rule("R-TBR-26-BOND-VALIDITY", title_zh="投标保证金有效期与投标有效期一致",
      title_en="Bond validity matches bid validity",
      basis='TBR 第26条 "投标保证金有效期应当与投标有效期一致"', section="5",
      reads=("DOC_ISSUED", "DEADLINE_CHANGED", "BOND_PAID"), severity="warning", lead=False,
      confidence="V")
def tbr_26_validity(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, lot in lot_rounds(trail):
        found = effective_deadline(lot)
        doc = next((d for d in reversed(lot.of_type("DOC_ISSUED")) if is_tender_doc(d)), None)
        days = doc and (doc.get("bid_validity_days")
                        or (doc.get("structured_terms") or {}).get("bid_validity_days"))
        if found is None or doc is None or not days:
            continue
        end = local_date(found[0]) + timedelta(days=int(days))
        for e in lot.of_type("BOND_PAID"):
            until = e.get("valid_until")
            if e.get("form") in ("bank_guarantee", "insurance_guarantee") and until and \
                    local_date(ts(until)) < end:
                yield hit("R-TBR-26-BOND-VALIDITY", trail, [e, doc],
                          {"valid_until": until, "validity_end": end.isoformat(),
                           "bid_validity_days": days},
                          f"保函有效期至 {bj_date(ts(until))}，早于投标有效期届满 {end}",
                          f"guarantee valid until {bj_date(ts(until))} < bid validity end {end}",
                          section_id=sid, subjects=[e.get("bidder_org")])


@rule("R-TBR-35-WITHDRAWAL-REFUND", title_zh="撤回投标后5日内退还投标保证金",
      title_en="Bond refunded after a timely withdrawal",
      basis='TBR 第35条 "应当自收到投标人书面撤回通知之日起5日内退还"; GP87 第38条 (5个工作日)',
      section="5", reads=("BID_WITHDRAWN", "BOND_PAID", "BOND_REFUNDED", "DOC_ISSUED",
                          "DEADLINE_CHANGED"),
      severity="violation", lead=True, confidence="V", applies=ALL.where("TB: 5 days; GP: 5 working days"))
def tbr_35_refund(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    from ledger.rules.catalogue.s10_bonds import owed_after_withdrawal  # one home for dues

    t_now = now(trail)
    for o in owed_after_withdrawal(trail, ctx):
        org, due, refund, w = o.org, o.due, o.refund, o.base
        paid = [b for b in trail.for_section(o.section_id).of_type("BOND_PAID")
                if b.get("bidder_org") == org]
        at = refund.occurred_at if refund else t_now
        if at is None or local_date(at) <= due:
            continue
        yield hit("R-TBR-35-WITHDRAWAL-REFUND", trail, [w, *paid, *([refund] if refund else [])],
                  {"bidder_org": org, "due": due.isoformat(),
                   "refunded": refund.occurred_at.isoformat() if refund else None},
                  f"{org} 撤回投标后保证金应于 {due} 前退还，"
                  f"{'实际 ' + str(local_date(refund.occurred_at)) if refund else '至今未退还'}",
                  f"bond of {org} due back by {due}; "
                  f"{'refunded ' + str(local_date(refund.occurred_at)) if refund else 'not refunded'}",
                  section_id=o.section_id, subjects=[org])


@rule("R-TBR-34-RELATED-BIDDERS", title_zh="存在控股、管理关系或负责人相同的单位参加同一标段投标",
      title_en="Bidders under common control, or with an interest in the tenderer",
      basis='TBR 第34条 "单位负责人为同一人或者存在控股、管理关系的不同单位，不得参加同一标段投标"; GPR 第18条',
      section="5", reads=("BID_SUBMITTED", "PROJECT_REGISTERED"), severity="violation", lead=True,
      confidence="V", applies=ALL.where("all (reference enterprises / relations)"))
def tbr_34_related(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    ref = ctx.reference
    f = trail.flags
    parties = {p.get("org_id") for p in (f.get("tenderer_org"), f.get("agent_org")) if p}
    for sid, lot in lots(trail):
        bids = {b.get("bidder_org"): b for b in accepted(lot)}
        orgs = sorted(bids)
        for i, a in enumerate(orgs):
            for b in orgs[i + 1:]:
                rep_a = (ref.enterprises.get(a) or {}).get("legal_rep_id")
                same_rep = rep_a is not None and rep_a == (ref.enterprises.get(b) or {}).get(
                    "legal_rep_id")
                rels = [r for r in ref.related(a, b) if str(r.get("kind")) in CONTROL_KINDS]
                if same_rep or rels:
                    yield hit("R-TBR-34-RELATED-BIDDERS", trail, [bids[a], bids[b]],
                              {"a": a, "b": b, "same_legal_rep": same_rep,
                               "relations": [dict(r) for r in rels]},
                              f"{a} 与 {b} 负责人相同或存在控股/管理关系",
                              f"{a} and {b} share a legal representative or a control relation",
                              section_id=sid, subjects=[a, b])
            for p in sorted(x for x in parties if x):
                if ref.related(a, p):
                    yield hit("R-TBR-34-RELATED-BIDDERS", trail, [bids[a]],
                              {"bidder": a, "party": p,
                               "relations": [dict(r) for r in ref.related(a, p)]},
                              f"投标人 {a} 与招标人/代理 {p} 存在关联",
                              f"bidder {a} is related to the tenderer/agent {p}",
                              severity="warning", section_id=sid, subjects=[a, p])


@rule("R-TBR-13-AGENT-OR-PREPARER-BIDS", title_zh="招标代理机构等在所代理项目中投标",
      title_en="The agent, the base-price preparer, the platform operator or a design consultant bids",
      basis='TBR 第13条 "招标代理机构不得在所代理的招标项目中投标或者代理投标"; TBR 第27条; EB 第23条; '
            "GPR 第18条",
      section="5", reads=("PROJECT_REGISTERED", "BID_SUBMITTED"), severity="violation",
      lead=True, confidence="V", applies=ALL.where("all (agent only: preparer/operator/consultant not recorded)"))
def tbr_13_agent(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    agent = trail.flags.get("agent_org") or {}
    marks = {x for x in (agent.get("org_id"), agent.get("name")) if x}
    for e in accepted(trail):
        company = (e.get("file_meta") or {}).get("company")
        if marks & {e.get("bidder_org"), company}:
            yield hit("R-TBR-13-AGENT-OR-PREPARER-BIDS", trail, [e],
                      {"bidder_org": e.get("bidder_org"), "file_company": company,
                       "agent_org": agent.get("org_id")},
                      f"投标 {e.get('bidder_org')} 与招标代理 {agent.get('org_id')} 相同（或文件由其编制）",
                      f"bid {e.get('bidder_org')} is the agent's or built by it",
                      subjects=[e.get("bidder_org")])


@rule("R-TBR-37-CONSORTIUM-OVERLAP", title_zh="联合体成员单独或参加其他联合体投标",
      title_en="A consortium member also bids alone or in another consortium",
      basis='TBR 第37条 "联合体各方在同一招标项目中以自己名义单独投标或者参加其他联合体投标的，相关投标均无效"',
      section="5", reads=("BID_SUBMITTED",), severity="violation", lead=True, confidence="V",
      applies=ALL.where("all (the prequal-membership comparison is not implemented)"))
def tbr_37_overlap(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, lot in lots(trail):
        seen: dict[str, list[TrailEvent]] = {}
        for b in accepted(lot):
            for org in {b.get("bidder_org"), *(b.get("consortium_members") or [])}:
                seen.setdefault(org, []).append(b)
        for org, bids in sorted(seen.items()):
            if len({b.get("bidder_org") for b in bids}) > 1:
                yield hit("R-TBR-37-CONSORTIUM-OVERLAP", trail, bids,
                          {"org": org, "bids": sorted(b.get("bidder_org") for b in bids)},
                          f"{org} 出现在 {len(bids)} 份投标中", f"{org} appears in {len(bids)} bids",
                          section_id=sid, subjects=[org])


@rule("R-GP-22-DEBARRED-BIDDER", title_zh="被禁止或取消投标资格的供应商参加投标",
      title_en="A debarred or disqualified bidder takes part",
      basis='GP 第22条(五) "参加政府采购活动前三年内，在经营活动中没有重大违法记录"; GP 第77条; TBR 第67条',
      section="5", reads=("BID_SUBMITTED",), severity="violation", lead=True, confidence="V",
      applies=ALL.where("all (reference debarred list; no validity periods in the list)"))
def gp_22_debarred(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for e in trail.of_type("BID_SUBMITTED"):
        if e.get("bidder_org") in ctx.reference.debarred:
            yield hit("R-GP-22-DEBARRED-BIDDER", trail, [e], {"bidder_org": e.get("bidder_org")},
                      f"{e.get('bidder_org')} 在禁止/取消投标资格名单中",
                      f"{e.get('bidder_org')} is on the debarment list",
                      subjects=[e.get("bidder_org")])


@rule("R-ES-13-CA-IDENTITY", title_zh="投标文件使用属于投标人的有效数字证书签名",
      title_en="Bid signed with a valid certificate belonging to the bidder",
      basis='ES 第13条 "电子签名制作数据用于电子签名时，属于电子签名人专有"; EB 第40条; TB 第33条 '
            '"不得以他人名义投标"',
      section="5", reads=("BID_SUBMITTED",), severity="violation", lead=True, confidence="V",
      applies=ALL.where("all (expiry/revocation not recorded in events)"))
def es_13_ca(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for e in trail.of_type("BID_SUBMITTED"):
        subject = e.get("ca_subject_id")
        if subject and subject != e.get("bidder_org"):
            yield hit("R-ES-13-CA-IDENTITY", trail, [e],
                      {"bidder_org": e.get("bidder_org"), "ca_subject_id": subject},
                      f"{e.get('bidder_org')} 的投标文件以 {subject} 的证书签名",
                      f"bid of {e.get('bidder_org')} signed with the certificate of {subject}",
                      subjects=[e.get("bidder_org"), subject])
