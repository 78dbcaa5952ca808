"""Rule catalogue §3 (part 3): announcement media and periods, document fees and sale
periods, prequalification timing and outcome (procurement provision and clarification
timing: ``s03_provision``).

Shared helpers for §3 (designated media, working-day tiers, the prequalification deadline)
live here too and are reused by ``s03_more``. Must not import the store, the API or the
verifier.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ledger.rules.applicability import ALL, GP, TB, TB_MUST, TB_MUST_OR_GP
from ledger.rules.calendar import cd, local_date
from ledger.rules.catalogue.s03_timing import (
    is_tender_doc,
    lots,
    ts,
)
from ledger.rules.context import RuleContext
from ledger.rules.model import Finding, Severity, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import bj_date, duration, label, listing, yuan

NOTICE_KINDS = ("prequal", "tender")
# changed_fields naming the procurement subject or the qualification conditions (GP87 第27条)
FORBIDDEN_CHANGES = ("procurement_subject", "qualification_reqs", "采购标的", "资格条件",
                     "资格要求")


# --- shared helpers -------------------------------------------------------------------

def designated(ctx: RuleContext, media_id: str | None) -> bool:
    """A designated medium: listed in ``designated_media`` when configured, else any medium
    that is not the trading platform's own (``platform_media``)."""
    th = ctx.thresholds
    if th.designated_media:
        return media_id in th.designated_media
    return media_id not in th.platform_media


def announcements(trail: Trail, *kinds: str) -> list[TrailEvent]:
    """ANNOUNCEMENT_PUBLISHED of the given kinds, earliest publication first."""
    anns = [a for a in trail.of_type("ANNOUNCEMENT_PUBLISHED") if a.get("kind") in kinds]
    return sorted(anns, key=lambda a: (ts(a.payload["published_at"]), a.index))


def prequal_docs(trail: Trail) -> list[TrailEvent]:
    return [e for e in trail.of_type("DOC_ISSUED") if not is_tender_doc(e)]


def prequal_deadline(trail: Trail, doc: TrailEvent) -> tuple[datetime, TrailEvent]:
    """The prequal application deadline of ``doc`` (its ``bid_deadline``), followed through
    every DEADLINE_CHANGED of its lot whose ``old_deadline`` is the deadline then in force."""
    t_dl, source = ts(doc.payload["bid_deadline"]), doc
    for d in trail.of_type("DEADLINE_CHANGED"):
        if d.section_id in (doc.section_id, None) and d.get("old_deadline") \
                and ts(d.payload["old_deadline"]) == t_dl and d.get("new_deadline"):
            t_dl, source = ts(d.payload["new_deadline"]), d
    return t_dl, source


def wd_tier(ctx: RuleContext, start: datetime, end: datetime, n: int
            ) -> tuple[int, int, str | None]:
    """(working days after the start day, the same counting the start day when it is a
    working day, tier): 'violation' when short under both readings, 'warning' when short only
    under the strict one (never under ``count_mode='inclusive'``), else None."""
    cal = ctx.calendar
    days = cal.wd(start, end)
    inclusive = days + (0 if cal.is_rest(local_date(start)) else 1)
    if inclusive < n:
        return days, inclusive, "violation"
    if days < n and ctx.thresholds.count_mode == "strict":
        return days, inclusive, "warning"
    return days, inclusive, None


def _media_applies(f: Mapping[str, Any]) -> bool:
    tb = f.get("regime") == "TB" and f.get("must_tender") and f.get("method") == "open"
    return bool(tb or f.get("regime") == "GP")


# --- rules ----------------------------------------------------------------------------

@rule("R-TBR-15-ANNOUNCE-MEDIA", title_zh="在指定媒介发布公告且不同媒介内容一致",
      title_en="Announcement in designated media, same content everywhere",
      basis='TBR 第15条 "资格预审公告和招标公告，应当在国务院发展改革部门依法指定的媒介发布。在不同媒介'
            '发布的同一招标项目的资格预审公告或者招标公告的内容应当一致"; EB 第17条 "同步发布"; '
            'GP 第11条; GPR 第8条',
      section="3", reads=("PROJECT_REGISTERED", "ANNOUNCEMENT_PUBLISHED", "DOC_ISSUED"),
      severity="violation", lead=True, confidence="V",
      applies=TB_MUST_OR_GP.where("(TB ∧ must_tender ∧ open) ∨ GP; (a) only for open tendering; (c) needs "
              "platform_media; content compared by content_hash only"))
def tbr_15_media(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    f = trail.flags
    if not _media_applies(f):
        return
    rid = "R-TBR-15-ANNOUNCE-MEDIA"
    for _sid, lot in lots(trail):
        anns = announcements(lot, *NOTICE_KINDS)
        docs = lot.of_type("DOC_ISSUED")
        if f.get("method") == "open" and docs:
            first = min(docs, key=lambda e: ts(e.payload["available_from"]))
            t_issue = ts(first.payload["available_from"])
            if not any(designated(ctx, a.get("media_id")) and ts(a.payload["published_at"])
                       <= t_issue for a in anns):
                yield hit(rid, trail, [first, *anns],
                          {"part": "a", "first_issue": t_issue.isoformat(),
                           "media": sorted({str(a.get("media_id")) for a in anns})},
                          f"文件 {bj_date(t_issue)} 发出前未在指定媒介发布公告",
                          f"no announcement on a designated medium before the documents were "
                          f"issued on {bj_date(t_issue)}")
        for kind in NOTICE_KINDS:
            of_kind = [a for a in anns if a.get("kind") == kind]
            latest = {a.get("media_id"): a for a in of_kind}  # last one per medium
            hashes = {str(m): str(a.get("content_hash")) for m, a in latest.items()}
            if len(set(hashes.values())) > 1:
                yield hit(rid, trail, latest.values(), {"part": "b", "kind": kind,
                                                        "content_hash": hashes},
                          f"{label(kind)}公告在不同媒介内容不一致：{listing(sorted(hashes))}",
                          f"{label(kind, 'en')} announcement differs between media {listing(sorted(hashes), 'en')}")
            yield from _sync(trail, ctx, kind, of_kind)


def _sync(trail: Trail, ctx: RuleContext, kind: str, anns: list[TrailEvent]
          ) -> Iterator[Finding]:
    """(c): platform vs designated-medium publication more than one day apart (warning)."""
    platform = ctx.thresholds.platform_media
    if not trail.flags.get("electronic") or not platform:
        return
    plat = next((a for a in anns if a.get("media_id") in platform), None)
    des = next((a for a in anns if a.get("media_id") not in platform
                and designated(ctx, a.get("media_id"))), None)
    if plat is None or des is None:
        return
    gap = abs(ts(plat.payload["published_at"]) - ts(des.payload["published_at"]))
    if gap > timedelta(days=1):
        hours = round(gap.total_seconds() / 3600, 1)
        yield hit("R-TBR-15-ANNOUNCE-MEDIA", trail, [plat, des],
                  {"part": "c", "kind": kind, "gap_hours": hours},
                  f"{label(kind)}公告在交易平台与指定媒介发布相隔 {duration(gap)}，超过1日",
                  f"{label(kind, 'en')} announcement on the platform and the designated medium "
                  f"{duration(gap, 'en')} apart > 1 d", severity="warning", lead=False)


@rule("R-TBR-16-DOC-FEE", title_zh="文件收费限于印刷、邮寄成本；政府采购资格预审文件免费",
      title_en="Document fee limited to printing and postage cost (GP prequal documents free)",
      basis='TBR 第16条 "收取的费用应当限于补偿印刷、邮寄的成本支出，不得以营利为目的"; GP87 第24条; '
            'GP87 第21条 "资格预审文件应当免费提供"',
      section="3", reads=("DOC_ISSUED",), severity="violation", lead=True, confidence="V",
      applies=ALL.where("all (info above thresholds.extra['doc_fee_cap'] when configured; a fee tied to the "
              "budget is not recorded in the events)"))
def tbr_16_fee(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    gp = trail.flags.get("regime") == "GP"
    cap_raw = ctx.thresholds.extra.get("doc_fee_cap")
    cap = Decimal(str(cap_raw)) if cap_raw is not None else None
    for e in trail.of_type("DOC_ISSUED"):
        fee = Decimal(str(e.get("fee") or "0"))
        if gp and not is_tender_doc(e) and fee > 0:
            yield hit("R-TBR-16-DOC-FEE", trail, [e], {"fee": str(fee), "doc_kind": "prequal_doc"},
                      f"政府采购资格预审文件收费 {yuan(fee)}，应当免费提供",
                      f"GP prequalification documents sold for {yuan(fee, 'en')}; they must be free")
        elif cap is not None and fee > cap:
            yield hit("R-TBR-16-DOC-FEE", trail, [e], {"fee": str(fee), "cap": str(cap)},
                      f"文件售价 {yuan(fee)} 高于上限 {yuan(cap)}",
                      f"document fee {yuan(fee, 'en')} > cap {yuan(cap, 'en')}",
                      severity="info", lead=False)


@rule("R-TBR-17-PREQUAL-SUBMIT", title_zh="资格预审文件停止发售至申请截止不少于5日",
      title_en="At least 5 days from the end of the prequal-document sale to the application "
               "deadline",
      basis='TBR 第17条 "依法必须进行招标的项目提交资格预审申请文件的时间，自资格预审文件停止发售之日起'
            '不得少于5日"; TBR 第64条(二)',
      section="3", reads=("DOC_ISSUED", "DEADLINE_CHANGED"), severity="violation", lead=True,
      confidence="V", applies=TB_MUST.where("TB ∧ must_tender ∧ prequalification used"))
def tbr_17_prequal(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if trail.flags.get("regime") != "TB" or not trail.flags.get("must_tender"):
        return
    for _sid, lot in lots(trail):
        docs = prequal_docs(lot)
        if not docs:
            continue
        doc = max(docs, key=lambda e: ts(e.payload["available_until"]))
        until = ts(doc.payload["available_until"])
        t_dl, source = prequal_deadline(lot, doc)
        days = cd(until, t_dl)
        if days < 5:
            yield hit("R-TBR-17-PREQUAL-SUBMIT", trail, [doc, source],
                      {"days": days, "minimum": 5, "sale_end": until.isoformat(),
                       "deadline": t_dl.isoformat()},
                      f"资格预审文件 {bj_date(until)} 停止发售至申请截止 {bj_date(t_dl)} 仅 {days} 日，少于5日",
                      f"{days} days between the end of sale {bj_date(until)} and the prequal "
                      f"deadline {bj_date(t_dl)} < 5")


@rule("R-TBR-19-PREQUAL-MIN3", title_zh="通过资格预审的申请人少于3个应当重新招标",
      title_en="Fewer than 3 applicants passing prequal means re-tender",
      basis='TBR 第19条 "通过资格预审的申请人少于3个的，应当重新招标"',
      section="3", reads=("DOC_ISSUED", "INVITATION_SENT", "BID_SUBMITTED", "OPENING_STARTED",
                          "RETENDER_STARTED"),
      severity="violation", lead=True, confidence="V",
      applies=TB.where("TB ∧ prequalification; the passed applicants are the invitees of the "
              "INVITATION_SENT after the prequal documents (no prequal-result event exists)"))
def tbr_19_min3(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if trail.flags.get("regime") != "TB":
        return
    for _sid, lot in lots(trail):
        docs = prequal_docs(lot)
        if not docs:
            continue
        start = min(d.index for d in docs)
        invs = [i for i in lot.of_type("INVITATION_SENT") if i.index > start]
        if not invs:
            continue
        passed = sorted({str(p.get("org_id")) for i in invs for p in i.get("invitees") or []})
        if len(passed) >= 3:
            continue
        after = invs[0].index
        for e in lot.events:
            if e.index <= after:
                continue
            if e.type == "RETENDER_STARTED":
                break
            if e.type in ("BID_SUBMITTED", "OPENING_STARTED") or (
                    e.type == "DOC_ISSUED" and is_tender_doc(e)):
                yield hit("R-TBR-19-PREQUAL-MIN3", trail, [docs[0], *invs, e],
                          {"passed": len(passed), "minimum": 3, "continued_with": e.type},
                          f"通过资格预审的申请人仅 {len(passed)} 个，未重新招标即继续 {e.type}",
                          f"only {len(passed)} applicants passed prequal (< 3), yet {e.type} "
                          "follows without a re-tender", subjects=passed)
                break


@rule("R-GP87-16-ANNOUNCE-PERIOD", title_zh="政府采购招标公告、资格预审公告期限为5个工作日",
      title_en="GP tender / prequal announcement period of 5 working days",
      basis='GP87 第16条 "招标公告、资格预审公告的公告期限为5个工作日……公告期限自省级以上财政部门指定'
            '媒体最先发布公告之日起算"',
      section="3", reads=("PROJECT_REGISTERED", "ANNOUNCEMENT_PUBLISHED"), severity="violation",
      lead=True, confidence="V",
      applies=GP.where("GP ∧ (open ∨ invited with a prequal announcement); two tiers (D)"))
def gp87_16_period(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    f = trail.flags
    if f.get("regime") != "GP" or f.get("method") not in ("open", "invited"):
        return
    kinds = NOTICE_KINDS if f.get("method") == "open" else ("prequal",)
    for _sid, lot in lots(trail):
        for kind in kinds:
            anns = [a for a in announcements(lot, kind) if designated(ctx, a.get("media_id"))]
            first = anns[0] if anns else None
            if first is None or not first.get("period_end"):
                continue
            p, end = ts(first.payload["published_at"]), ts(first.payload["period_end"])
            days, incl, tier = wd_tier(ctx, p, end, 5)
            if tier is None:
                continue
            sev: Severity = "violation" if tier == "violation" else "warning"
            yield hit("R-GP87-16-ANNOUNCE-PERIOD", trail, [first],
                      {"kind": kind, "working_days": days, "working_days_inclusive": incl,
                       "minimum": 5, "tier": tier, "published": p.isoformat(),
                       "period_end": end.isoformat()},
                      f"{label(kind)}公告 {bj_date(p)} 至 {bj_date(end)} 仅 {days} 个工作日（含首日 {incl}），少于5个",
                      f"{label(kind, 'en')} announcement {bj_date(p)}..{bj_date(end)} = {days} working days "
                      f"({incl} counting the first day) < 5", severity=sev, lead=sev == "violation")
