"""Rule catalogue §3 (part 4): government-procurement document provision, prequalification time and
clarification timing (政府采购法实施条例 第21条, 第31条). Must not import the store, the API
or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ledger.rules.applicability import GP
from ledger.rules.calendar import cd
from ledger.rules.catalogue.s03_announce import (
    FORBIDDEN_CHANGES,
    NOTICE_KINDS,
    announcements,
    prequal_deadline,
    prequal_docs,
    wd_tier,
)
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
from ledger.rules.wording import Lang, bj_date, bj_time, quoted


@rule("R-GPR-31-DOC-PROVISION", title_zh="政府采购招标文件提供期限不少于5个工作日",
      title_en="GP tender documents available for at least 5 working days",
      basis='GPR 第31条 "招标文件的提供期限自招标文件开始发出之日起不得少于5个工作日"; GP87 第18条 '
            '"提供期限届满后，获取招标文件或者资格预审文件的潜在投标人不足3家的，可以顺延提供期限"',
      section="3", reads=("PROJECT_REGISTERED", "DOC_ISSUED", "DOC_DOWNLOADED"),
      severity="violation", lead=True, confidence="V",
      applies=GP.where("GP ∧ method∈{open, invited}; per lot and document kind; a re-issue with a later "
              "available_until is the extension"))
def gpr_31_provision(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    f = trail.flags
    if f.get("regime") != "GP" or f.get("method") not in ("open", "invited"):
        return
    t_now = now(trail)
    for _sid, lot in lots(trail):
        for tender in (True, False):
            docs = [e for e in lot.of_type("DOC_ISSUED") if is_tender_doc(e) == tender]
            if not docs:
                continue
            start = min(ts(e.payload["available_from"]) for e in docs)
            untils = {ts(e.payload["available_until"]) for e in docs}
            end = max(untils)
            days, incl, tier = wd_tier(ctx, start, end, 5)
            if tier is not None:
                sev: Severity = "violation" if tier == "violation" else "warning"
                yield hit("R-GPR-31-DOC-PROVISION", trail, docs,
                          {"working_days": days, "working_days_inclusive": incl, "minimum": 5,
                           "tier": tier, "from": start.isoformat(), "until": end.isoformat()},
                          f"文件提供期 {bj_date(start)} 至 {bj_date(end)} 仅 {days} 个工作日（含首日 {incl}），少于5个",
                          f"documents available {bj_date(start)}..{bj_date(end)} = {days} working "
                          f"days ({incl} counting the first day) < 5",
                          severity=sev, lead=sev == "violation")
            if len(untils) == 1 and t_now is not None and t_now >= end:
                yield from _few_takers(trail, lot, docs, end)


def _few_takers(trail: Trail, lot: Trail, docs: list[TrailEvent], end: datetime
                ) -> Iterator[Finding]:
    hashes = {e.get("doc_hash") for e in docs} | {
        c.get("doc_hash_after") for c in lot.of_type("CLARIFICATION_ISSUED")} - {None}
    takers = sorted({str(d.get("downloader_org")) for d in lot.of_type("DOC_DOWNLOADED")
                     if d.get("doc_hash") in hashes and d.occurred_at <= end})
    if len(takers) < 3:
        yield hit("R-GPR-31-DOC-PROVISION", trail, docs,
                  {"downloaders": len(takers), "minimum": 3, "until": end.isoformat()},
                  f"提供期限届满时仅 {len(takers)} 家获取文件，未顺延",
                  f"only {len(takers)} downloaders when provision ended {bj_date(end)}; "
                  "not extended (optional)", severity="info", lead=False)


@rule("R-GPR-21-PREQUAL-TIME", title_zh="政府采购资格预审申请时间不少于5个工作日",
      title_en="GP prequal applications open for at least 5 working days",
      basis='GPR 第21条 "提交资格预审申请文件的时间自公告发布之日起不得少于5个工作日"',
      section="3", reads=("ANNOUNCEMENT_PUBLISHED", "DOC_ISSUED", "DEADLINE_CHANGED"),
      severity="violation", lead=True, confidence="V", applies=GP.where("GP ∧ prequalification"))
def gpr_21_prequal(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if trail.flags.get("regime") != "GP":
        return
    for _sid, lot in lots(trail):
        anns, docs = announcements(lot, "prequal"), prequal_docs(lot)
        if not anns or not docs:
            continue
        p = ts(anns[0].payload["published_at"])
        t_dl, source = prequal_deadline(lot, docs[0])
        days = ctx.calendar.wd(p, t_dl)
        if days < 5:
            yield hit("R-GPR-21-PREQUAL-TIME", trail, [anns[0], docs[0], source],
                      {"working_days": days, "minimum": 5, "published": p.isoformat(),
                       "deadline": t_dl.isoformat()},
                      f"资格预审公告 {bj_date(p)} 至申请截止 {bj_date(t_dl)} 仅 {days} 个工作日，少于5个",
                      f"{days} working days between the prequal announcement {bj_date(p)} and "
                      f"the application deadline {bj_date(t_dl)} < 5")


def _clarified_deadline(lot: Trail, c: TrailEvent) -> tuple[datetime, TrailEvent, int] | None:
    """(deadline, its event, minimum days): prequal (3) when c precedes the tender documents
    of a lot with prequal documents, else the tender deadline (15)."""
    pq, tender = prequal_docs(lot), first_tender_issue(lot)
    if pq and (tender is None or c.occurred_at < ts(tender.payload["available_from"])):
        t_dl, source = prequal_deadline(lot, pq[0])
        return t_dl, source, 3
    found = effective_deadline(lot)
    return (found[0], found[1], 15) if found else None


@rule("R-GPR-31-CLARIFY-15D", title_zh="政府采购澄清修改时限、不得改变采购标的和资格条件、原媒体公告",
      title_en="GP clarification timing, no change of subject or qualifications, same media",
      basis='GPR 第31条 "应当在投标截止时间至少15日前，以书面形式通知所有获取招标文件的潜在投标人"; '
            'GP87 第27条 "不得改变采购标的和资格条件。澄清或者修改应当在原公告发布媒体上发布澄清公告"',
      section="3", reads=("CLARIFICATION_ISSUED", "ANNOUNCEMENT_PUBLISHED", "DOC_ISSUED",
                          "DEADLINE_CHANGED"),
      severity="violation", lead=True, confidence="V",
      applies=GP.where("GP; a clarification before the tender documents of a prequal lot is a prequal "
              "clarification (3 days); changed_fields matched by name"))
def gpr_31_clarify(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if trail.flags.get("regime") != "GP":
        return
    for _sid, lot in lot_rounds(trail):  # a clarification against its own round
        original = {a.get("media_id") for a in announcements(lot, *NOTICE_KINDS)}
        clar_anns = announcements(lot, "clarification")
        for c in lot.of_type("CLARIFICATION_ISSUED"):
            problems: dict[str, object] = {}
            evidence = [c]
            found = _clarified_deadline(lot, c)
            if found is not None and cd(c.occurred_at, found[0]) < found[2]:
                problems.update(days=cd(c.occurred_at, found[0]), minimum=found[2],
                                deadline=found[0].isoformat())
                evidence.append(found[1])
            bad = [x for x in c.get("changed_fields") or []
                   if any(k in str(x).lower() for k in FORBIDDEN_CHANGES)]
            if bad:
                problems["forbidden_changes"] = bad
            posted = {a.get("media_id") for a in clar_anns
                      if cd(c.occurred_at, ts(a.payload["published_at"])) >= 0}
            missing = sorted(str(m) for m in original - posted)
            if missing:
                problems["media_missing"] = missing
            if not problems:
                continue
            only_days = set(problems) <= {"days", "minimum", "deadline"}
            sev: Severity = "info" if only_days and c.get("affects_bid_prep") is False \
                else "violation"
            yield hit("R-GPR-31-CLARIFY-15D", trail, evidence, problems,
                      f"{bj_date(c.occurred_at)} 的澄清：{_clarify_words(problems, 'zh')}",
                      f"clarification of {bj_date(c.occurred_at)}: {_clarify_words(problems, 'en')}",

                      severity=sev, lead=sev == "violation")


def _clarify_words(problems: dict[str, object], lang: Lang) -> str:
    """A procurement clarification's problems in words (days short, forbidden changes, original media left out)."""
    zh, out = lang == "zh", []
    if "days" in problems:
        dl, days, least = bj_time(ts(str(problems["deadline"]))), problems["days"], problems["minimum"]
        out.append(f"距投标截止 {dl} 仅 {days} 日，少于 {least} 日" if zh else f"{days} days before the deadline {dl}, fewer than {least}")
    if "forbidden_changes" in problems:
        changed = quoted(problems["forbidden_changes"], lang)
        out.append(f"改变了采购标的或资格条件（{changed}）" if zh else f"it changes the subject or the qualification conditions ({changed})")
    if "media_missing" in problems:
        media = quoted(problems["media_missing"], lang)
        out.append(f"未在原公告媒体 {media} 发布澄清公告" if zh else f"no clarification notice on the original media {media}")
    return ("；" if zh else "; ").join(out)
