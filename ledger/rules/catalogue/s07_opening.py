"""docs/rules.md §7: bid opening (开标) — time and place, completeness of the record, decryption
failures, objections at the opening, committee members at the opening, AV coverage.

Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from ledger.rules.applicability import ALL
from ledger.rules.calendar import local_date
from ledger.rules.catalogue.s03_timing import effective_deadline, is_tender_doc, ts
from ledger.rules.catalogue.s05_bids import valid_bids
from ledger.rules.context import RuleContext
from ledger.rules.helpers import PRICE_SOURCES, bid_prices, dec, lot_rounds
from ledger.rules.model import Finding, Severity, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import bj_time, duration, listing, yuan


def announced_place(lot: Trail) -> TrailEvent | None:
    """The last tender DOC_ISSUED that states an opening_place (clarified versions win)."""
    docs = [e for e in lot.of_type("DOC_ISSUED") if is_tender_doc(e) and e.get("opening_place")]
    return docs[-1] if docs else None


@rule("R-TB-34-OPENING-TIME-PLACE", title_zh="开标时间为投标截止时间、地点为预先确定的地点",
      title_en="Opening at the deadline time and at the announced place",
      basis='TB 第34条 "开标应当在招标文件确定的提交投标文件截止时间的同一时间公开进行；开标地点应当'
            '为招标文件中预先确定的地点"; TBR 第44条; EB 第29条; GP87 第39条',
      section="7", reads=("DOC_ISSUED", "DEADLINE_CHANGED", "OPENING_STARTED"),
      severity="violation", lead=True, confidence="V", applies=ALL.where("all (place: paper only)"))
def tb_34_opening(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    tol = ctx.thresholds.opening_tolerance_minutes
    paper = not trail.flags.get("electronic")
    for sid, lot in lot_rounds(trail):
        opening = lot.first("OPENING_STARTED")
        found = effective_deadline(lot)
        if opening is None or found is None:
            continue
        t_dl, dl_ev = found
        t_op = opening.occurred_at
        delta = (t_op - t_dl).total_seconds() / 60
        severity: Severity | None = None
        problems: list[str] = []
        if delta < 0 or delta > tol or local_date(t_op) != local_date(t_dl):
            severity, problems = "violation", ["early" if delta < 0 else "late"]
        elif delta > 0:
            severity, problems = "info", ["late_within_tolerance"]
        evidence = [opening, dl_ev]
        place_doc = announced_place(lot)
        if paper and place_doc is not None and opening.get("place") != place_doc.get(
                "opening_place"):
            severity, problems = "violation", [*problems, "place"]
            evidence.append(place_doc)
        if severity is None:
            continue
        mins = round(delta, 1)
        yield hit("R-TB-34-OPENING-TIME-PLACE", trail, evidence,
                  {"opening": t_op.isoformat(), "deadline": t_dl.isoformat(),
                   "delta_minutes": mins, "tolerance_minutes": tol, "problems": problems,
                   "place": opening.get("place"),
                   "announced_place": place_doc.get("opening_place") if place_doc else None},
                  f"开标 {bj_time(t_op)} {'早于' if delta < 0 else '晚于'}投标截止 "
                  f"{bj_time(t_dl)} {duration(abs(delta) * 60)}（容差 {tol} 分钟）；"
                  f"{listing(_OPENING_ZH[p] for p in problems)}",
                  f"opening {bj_time(t_op)} is {duration(abs(delta) * 60, 'en')} "
                  f"{'before' if delta < 0 else 'after'} the deadline {bj_time(t_dl)} "
                  f"(tolerance {tol} min): {listing((_OPENING_EN[p] for p in problems), 'en')}",
                  severity=severity, section_id=sid, lead=severity == "violation")


@rule("R-TB-36-ALL-BIDS-OPENED", title_zh="截止前收到的投标文件均应当众拆封、宣读并记录",
      title_en="Every bid received in time is opened and read out; a record is made",
      basis='TB 第36条 "招标人在招标文件要求提交投标文件的截止时间前收到的所有投标文件，开标时都应当'
            '当众予以拆封、宣读"; EB 第30条; EB 第32条 "应当生成开标记录并向社会公众公布"; GP87 第42条',
      section="7", reads=("BID_SUBMITTED", "BID_WITHDRAWN", *PRICE_SOURCES, "OPENING_STARTED",
                          "OPENING_ENDED"),
      severity="violation", lead=True, confidence="V",
      applies=ALL.where("all (the read-out price is checked against the price decrypted / read from "
              "the opened bid)"))
def tb_36_all_opened(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, lot in lot_rounds(trail):
        record = lot.last("OPENING_RECORD_PUBLISHED")
        ended = lot.last("OPENING_ENDED")
        if record is None:
            if trail.flags.get("electronic") and ended is not None:
                yield hit("R-TB-36-ALL-BIDS-OPENED", trail, [ended],
                          {"problem": "no_record"},
                          "电子开标结束后未公布开标记录",
                          "electronic opening ended but no opening record was published",
                          section_id=sid)
            continue
        found = effective_deadline(lot)
        failed = {e.get("bidder_org") for e in lot.of_type("BID_DECRYPTED") if not e.get("success")}
        bids = {b.get("bidder_org"): b for b in valid_bids(lot, found[0] if found else None)}
        entries = {x.get("bidder_org"): x for x in record.get("entries") or []}
        missing = sorted(set(bids) - set(entries) - failed)
        wrong = _misread(lot, record, {o: x for o, x in entries.items() if o in bids})
        if missing or wrong:
            evs = [record, *(bids[o] for o in missing), *(src for _, src in wrong.values())]
            yield hit("R-TB-36-ALL-BIDS-OPENED", trail, evs,
                      {"missing": missing, "price_mismatch": sorted(wrong)},
                      _tb_36_zh(missing, wrong, entries),
                      _tb_36_en(missing, sorted(wrong)), section_id=sid,
                      subjects=missing + sorted(wrong))


def _misread(lot: Trail, record: TrailEvent, entries: dict[str, Any]
             ) -> dict[str, tuple[Decimal, TrailEvent]]:
    """Bidder → (price read from its opened bid, that event) where the record reads out
    another price (TB 第36条: the record must read out what the bid says)."""
    out = {}
    for org, (price, src) in bid_prices(lot).items():
        stated = dec(entries[org].get("bid_price")) if org in entries else None
        if src is not record and stated is not None and stated != price:
            out[org] = (price, src)
    return out


_OPENING_ZH = {"early": "提前开标", "late": "开标时间与截止时间不一致",
               "late_within_tolerance": "在容差内推迟开标", "place": "开标地点与招标文件不一致"}
_OPENING_EN = {"early": "opened early", "late": "not opened at the deadline",
               "late_within_tolerance": "opened late within the tolerance",
               "place": "not opened at the announced place"}
_OBJECTION_ZH = {"no_reply_on_spot": "未当场答复", "no_record": "未制作记录"}
_OBJECTION_EN = {"no_reply_on_spot": "no reply on the spot", "no_record": "no record made"}


def _yuan_of(value: object) -> str:
    amount = dec(value)
    return yuan(amount) if amount is not None else "（未载明）"


def _tb_36_en(missing: list[str], wrong: list[str]) -> str:
    parts = [f"the opening record omits the bids of {listing(missing, 'en')}"] if missing else []
    if wrong:
        parts.append(f"it reads prices differing from the opened bids of {listing(wrong, 'en')}")
    return "; ".join(parts)


def _tb_36_zh(missing: list[str], wrong: dict[str, tuple[Decimal, TrailEvent]],
              entries: dict[str, Any]) -> str:
    parts = [f"开标记录未载明 {'、'.join(missing)} 的投标"] if missing else []
    parts += [f"开标记录载明 {o} 的报价为 {_yuan_of(entries[o].get('bid_price'))}，而其投标文件"
              f"开启所得报价为 {yuan(p)}" for o, (p, _) in sorted(wrong.items())]
    return "；".join(parts)


@rule("R-EB-31-DECRYPT-FAILURE", title_zh="未解密投标文件的处理",
      title_en="Handling of bids that fail to decrypt",
      basis='EB 第31条 "因投标人原因造成投标文件未解密的，视为撤销其投标文件；因投标人之外的原因造成'
            '投标文件未解密的，视为撤回其投标文件"; EB 第54条(五)',
      section="7", reads=("BID_DECRYPTED", "SCORE_SUBMITTED"), severity="violation", lead=True,
      confidence="V", applies=ALL.where("electronic"))
def eb_31_decrypt_failure(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, lot in lot_rounds(trail):
        fails = [e for e in lot.of_type("BID_DECRYPTED") if e.get("success") is False]
        failed_orgs = {e.get("bidder_org"): e for e in fails}
        later_ok = {e.get("bidder_org") for e in lot.of_type("BID_DECRYPTED") if e.get("success")}
        for org, f in failed_orgs.items():
            if org in later_ok:
                continue
            score = next((s for s in lot.of_type("SCORE_SUBMITTED")
                          if s.get("bidder_org") == org and s.index > f.index), None)
            if score is not None:
                yield hit("R-EB-31-DECRYPT-FAILURE", trail, [f, score],
                          {"bidder_org": org, "problem": "scored_after_failure"},
                          f"{org} 的投标文件未解密，却被评分",
                          f"bid of {org} failed to decrypt but was scored",
                          section_id=sid, subjects=[org])
        platform = [e for e in fails if e.get("failure_cause") == "non_bidder"]
        if len(platform) >= 2:
            yield hit("R-EB-31-DECRYPT-FAILURE", trail, platform,
                      {"non_bidder_failures": len(platform)},
                      f"同一开标中 {len(platform)} 份投标文件因投标人以外原因解密失败",
                      f"{len(platform)} decryption failures not caused by the bidders",
                      severity="warning", section_id=sid)


@rule("R-TBR-44-OPENING-OBJECTION", title_zh="开标异议应当场答复并制作记录",
      title_en="An objection at the opening is answered on the spot and recorded",
      basis='TBR 第44条 "投标人对开标有异议的，应当在开标现场提出，招标人应当当场作出答复，并制作记录"',
      section="7", reads=("OPENING_OBJECTION", "OPENING_ENDED"), severity="violation",
      lead=True, confidence="V")
def tbr_44_objection(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, lot in lot_rounds(trail):
        ended = lot.first("OPENING_ENDED")
        for o in lot.of_type("OPENING_OBJECTION"):
            replied = o.get("replied_at")
            problems = []
            if not o.get("reply") or not replied or (
                    ended is not None and ts(replied) > ended.occurred_at):
                problems.append("no_reply_on_spot")
            if not o.get("record_ref"):
                problems.append("no_record")
            if problems:
                yield hit("R-TBR-44-OPENING-OBJECTION", trail, [o, *([ended] if ended else [])],
                          {"bidder_org": o.get("bidder_org"), "problems": problems,
                           "replied_at": replied,
                           "opening_ended": ended.occurred_at.isoformat() if ended else None},
                          f"{o.get('bidder_org')} 的开标异议："
                          f"{listing(_OBJECTION_ZH[p] for p in problems)}",
                          f"opening objection of {o.get('bidder_org')}: "
                          f"{listing((_OBJECTION_EN[p] for p in problems), 'en')}",

                          section_id=sid, subjects=[o.get("bidder_org")])


@rule("R-GP87-40-NO-EXPERT-AT-OPENING", title_zh="评标委员会成员不得参加开标活动",
      title_en="Committee members stay out of the opening",
      basis='GP87 第40条 "评标委员会成员不得参加开标活动"; TB 第37条 "评标委员会成员的名单在中标结果'
            '确定前应当保密"',
      section="7", reads=("COMMITTEE_FORMED", "OPENING_STARTED", "OPENING_ENDED", "BADGE_ENTER"),
      severity="violation", lead=True, confidence="V", applies=ALL.where("GP: violation; TB: warning"))
def gp87_40_expert_at_opening(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    sev: Severity = "violation" if trail.flags.get("regime") == "GP" else "warning"
    for sid, lot in lot_rounds(trail):
        start, end = lot.first("OPENING_STARTED"), lot.first("OPENING_ENDED")
        members = {m.get("person_id") for c in lot.of_type("COMMITTEE_FORMED")
                   for m in c.get("members") or []}
        if start is None or not members:
            continue
        seen: dict[str, TrailEvent] = {}
        for p in start.get("attendees") or []:
            if p in members:
                seen.setdefault(p, start)
        for b in lot.of_type("BADGE_ENTER"):
            in_time = b.occurred_at >= start.occurred_at and (
                end is None or b.occurred_at <= end.occurred_at)
            if b.get("person_id") in members and b.get("zone") == "opening_hall" and in_time:
                seen.setdefault(b.get("person_id"), b)
        for person, e in sorted(seen.items()):
            yield hit("R-GP87-40-NO-EXPERT-AT-OPENING", trail, [e, start],
                      {"person_id": person, "via": e.type},
                      f"评标委员会成员 {person} 出现在开标现场",
                      f"committee member {person} present at the opening",
                      severity=sev, section_id=sid, subjects=[person])


@rule("R-GP87-39-AV-COVERAGE", title_zh="开标、评标现场全程录音录像",
      title_en="Opening and evaluation fully recorded on audio and video",
      basis='GP87 第39条 "采购人或者采购代理机构应当对开标、评标现场活动进行全程录音录像"; EB 第33条',
      section="7", reads=("OPENING_STARTED", "OPENING_ENDED"), severity="violation", lead=True,
      confidence="V", applies=ALL.where("GP: violation; TB: warning (only 'no recording at all' is checkable)"))
def gp87_39_av(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    """Partial: AV segments carry no time spans in the catalogue, so only an opening with no
    recording id at all is detected; gap and anchoring checks are not implemented."""
    sev: Severity = "violation" if trail.flags.get("regime") == "GP" else "warning"
    for sid, lot in lot_rounds(trail):
        start = lot.first("OPENING_STARTED")
        if start is None:
            continue
        sessions = [start, *lot.of_type("OPENING_ENDED")]
        if any(e.get("av_recording_ids") for e in sessions):
            continue
        yield hit("R-GP87-39-AV-COVERAGE", trail, sessions, {"av_recording_ids": []},
                  "开标未记录任何录音录像", "the opening has no audio/video recording id",
                  severity=sev, section_id=sid)
