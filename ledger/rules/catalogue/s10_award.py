"""docs/rules.md §10 (part 1): candidate publicity, winner determination, notices, GP timeline.

Evaluated per lot. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator

from ledger.rules.applicability import ALL, GP, TB_MUST
from ledger.rules.calendar import cd, local_date, period_tier
from ledger.rules.catalogue.s10_common import (
    RANK1_REASONS,
    at,
    bidders,
    day,
    is_tb_must,
    lot_rounds,
    lots,
    now,
    regime,
    replies_for,
    ts,
)
from ledger.rules.context import RuleContext
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import bj_date, bj_time, label, listing

_PUB_START = "R-TBR-54-PUBLICITY-START"
_PUB_PERIOD = "R-TBR-54-PUBLICITY-PERIOD"
_NO_AWARD = "R-TBR-54-NO-AWARD-BEFORE-PUBLICITY-END"
_RANK1 = "R-TBR-55-RANK1"
_FROM_CAND = "R-TB-57-WINNER-FROM-CANDIDATES"
_NOTIFY = "R-TB-45-NOTIFY-ALL"
_GP_TIMELINE = "R-GPR-43-GP-RESULT-TIMELINE"


def _delivered(trail: Trail, to: str) -> TrailEvent | None:
    return next((e for e in trail.of_type("EVAL_REPORT_DELIVERED") if e.get("to") == to), None)


@rule(_PUB_START, title_zh="收到评标报告之日起3日内公示中标候选人",
      title_en="Candidates published within 3 days of receiving the evaluation report",
      basis='TBR 第54条 "招标人应当自收到评标报告之日起3日内公示中标候选人"; EB 第35条',
      section="10", reads=("PROJECT_REGISTERED", "EVAL_REPORT_DELIVERED", "CANDIDATE_PUBLICITY"),
      severity="violation", lead=True, confidence="V", applies=TB_MUST)
def publicity_start(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if not is_tb_must(trail):
        return
    for sid, lot in lots(trail):
        rep, pub = _delivered(lot, "tenderer"), lot.first("CANDIDATE_PUBLICITY")
        if rep is None:
            continue
        due = ctx.calendar.due(at(rep), 3)
        if pub is None and local_date(now(trail)) > due:
            yield hit(_PUB_START, trail, [rep], {"received": str(day(rep)), "due": str(due)},
                      f"评标报告 {day(rep)} 收到，截至 {due} 仍未公示中标候选人",
                      f"report received {day(rep)}; no candidate publicity by {due}",
                      section_id=sid)
        elif pub is not None and day(pub) > due:
            yield hit(_PUB_START, trail, [rep, pub],
                      {"received": str(day(rep)), "published": str(day(pub)), "due": str(due)},
                      f"评标报告 {day(rep)} 收到，{day(pub)} 才公示，晚于 {due}",
                      f"report received {day(rep)}, publicity {day(pub)} > due {due}",
                      section_id=sid)
        if (pub is not None and trail.flags.get("electronic") and ctx.thresholds.platform_media
                and pub.get("media") not in ctx.thresholds.platform_media):
            yield hit(_PUB_START, trail, [pub], {"media": pub.get("media")},
                      f"中标候选人公示未在交易平台发布（媒介 {pub.get('media')}）",
                      f"candidate publicity not on the platform (media {pub.get('media')})",
                      severity="warning", lead=False, section_id=sid)


@rule(_PUB_PERIOD, title_zh="中标候选人公示期不得少于3日",
      title_en="Candidate publicity lasts at least 3 days",
      basis='TBR 第54条 "公示期不得少于3日"', section="10",
      reads=("PROJECT_REGISTERED", "CANDIDATE_PUBLICITY"), severity="violation", lead=True,
      confidence="V", applies=TB_MUST)
def publicity_period(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if not is_tb_must(trail):
        return
    for pub in trail.of_type("CANDIDATE_PUBLICITY"):
        start, end = ts(pub.payload["start"]), ts(pub.payload["end"])
        tier = period_tier(start, end, 3)
        if tier is None or (tier == "warning" and ctx.thresholds.count_mode == "inclusive"):
            continue
        days = cd(start, end)
        yield hit(_PUB_PERIOD, trail, [pub],
                  {"days": days, "dates_covered": days + 1, "minimum": 3, "tier": tier,
                   "start": str(local_date(start)), "end": str(local_date(end))},
                  f"公示 {local_date(start)} 至 {local_date(end)}，计 {days} 日（含首日 {days + 1} 日），"
                  f"少于3日",
                  f"publicity {local_date(start)}..{local_date(end)}: {days} days "
                  f"({days + 1} dates counting the first) < 3",
                  severity="violation" if tier == "violation" else "warning",
                  lead=tier == "violation")


@rule(_NO_AWARD, title_zh="公示期内或异议未答复前不得定标",
      title_en="No award while publicity or a result objection is open",
      basis='TBR 第54条 "招标人应当自收到异议之日起3日内作出答复；作出答复前，应当暂停招标投标活动"; '
            "TBR 第77条", section="10",
      reads=("CANDIDATE_PUBLICITY", "WINNER_DETERMINED", "AWARD_NOTICE_ISSUED",
             "OBJECTION_FILED", "OBJECTION_REPLIED"),
      severity="violation", lead=True, confidence="V", applies=ALL.where("candidate publicity held"))
def no_award_before_end(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, lot in lots(trail):
        pub = lot.last("CANDIDATE_PUBLICITY")
        for award in lot.of_type("WINNER_DETERMINED", "AWARD_NOTICE_ISSUED"):
            t = at(award)
            if pub is not None and t < ts(pub.payload["end"]):
                yield hit(_NO_AWARD, trail, [pub, award],
                          {"award_at": t.isoformat(), "publicity_end": pub.payload["end"]},
                          f"{award.type} 于 {bj_time(t)} 发生，早于公示结束 "
                          f"{bj_time(ts(pub.payload['end']))}",
                          f"{award.type} at {bj_time(t)} before publicity end "
                          f"{bj_time(ts(pub.payload['end']))}", section_id=sid)

            for obj in lot.of_type("OBJECTION_FILED"):
                if obj.get("subject") not in ("evaluation_result", "result") or at(obj) > t:
                    continue
                reply = replies_for(lot, obj, ("OBJECTION_REPLIED",))
                if reply is None or at(reply) > t:
                    yield hit(_NO_AWARD, trail, [obj, award],
                              {"award_at": t.isoformat(), "objection_at": at(obj).isoformat(),
                               "replied_at": at(reply).isoformat() if reply else None},
                              f"对评标结果的异议（{bj_time(at(obj))}）尚未答复即 {award.type}",
                              f"{award.type} at {bj_time(t)} while the result objection of "
                              f"{bj_time(at(obj))} was unanswered", section_id=sid)


@rule(_RANK1, title_zh="国有资金主导项目确定排名第一的中标候选人",
      title_en="State-funded project: the first-ranked candidate wins unless a listed reason",
      basis='TBR 第55条 "招标人应当确定排名第一的中标候选人为中标人"; TBR 第73条(二)',
      section="10", reads=("PROJECT_REGISTERED", "WINNER_DETERMINED"), severity="violation",
      lead=True, confidence="V", applies=TB_MUST.where("TB ∧ must_tender ∧ state_funded_dominant"))
def rank1(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if not is_tb_must(trail) or not trail.flags.get("state_funded_dominant"):
        return
    for win in trail.of_type("WINNER_DETERMINED"):
        rank, reason = win.get("rank_of_winner"), win.get("reason_if_not_rank1")
        if rank == 1 or (reason in RANK1_REASONS and win.get("evidence_ref")):
            continue
        yield hit(_RANK1, trail, [win],
                  {"rank_of_winner": rank, "reason": reason, "evidence_ref": win.get("evidence_ref")},
                  f"确定排名第 {rank} 的候选人为中标人，理由 {label(reason) if reason else '无'}，证明材料 "
                  f"{win.get('evidence_ref') or '无'}",
                  f"winner ranked {rank}; reason {label(reason, 'en') if reason else 'none'}, evidence "
                  f"{win.get('evidence_ref') or 'none'}", subjects=[str(win.get("winner_org"))])


def _candidates(lot: Trail) -> tuple[TrailEvent | None, dict[str, int]]:
    rep = lot.last("EVAL_REPORT_SIGNED")
    if rep is None:
        return None, {}
    return rep, {str(c["bidder_org"]): int(c["rank"]) for c in rep.payload.get("candidates", [])}


@rule(_FROM_CAND, title_zh="在推荐的中标候选人中（政府采购按顺序）确定中标人",
      title_en="The winner comes from the recommended candidates (GP: in order, 5 working days)",
      basis='TB 第57条 "在评标委员会依法推荐的中标候选人以外确定中标人的……中标无效"; GPR 第43条 '
            '"自收到评审报告之日起5个工作日内在评审报告推荐的中标或者成交候选人中按顺序确定"',
      section="10", reads=("EVAL_REPORT_SIGNED", "EVAL_REPORT_DELIVERED", "WINNER_DETERMINED",
                           "BID_REJECTED", "BID_WITHDRAWN"),
      severity="violation", lead=True, confidence="V")
def winner_from_candidates(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    gp = regime(trail) == "GP"
    for sid, lot in lots(trail):
        rep, cands = _candidates(lot)
        win = lot.last("WINNER_DETERMINED")
        if rep is None or win is None or not cands:
            continue
        org = str(win.payload["winner_org"])
        if org not in cands:
            yield hit(_FROM_CAND, trail, [rep, win], {"winner": org, "candidates": sorted(cands)},
                      f"中标人 {org} 不在推荐的中标候选人（{listing(sorted(cands))}）之中",
                      f"winner {org} not among the candidates ({listing(sorted(cands), 'en')})",
                      section_id=sid, subjects=[org])
            continue
        if not gp:
            continue
        out = {str(e.get("bidder_org")) for e in lot.of_type("BID_REJECTED", "BID_WITHDRAWN")}
        skipped = sorted(b for b, r in cands.items() if r < cands[org] and b not in out)
        if skipped and not (win.get("reason_if_not_rank1") and win.get("evidence_ref")):
            yield hit(_FROM_CAND, trail, [rep, win], {"winner": org, "skipped": skipped},
                      f"未按顺序确定成交供应商：排名在前的 {listing(skipped)} 无放弃或不合格记录",
                      f"winner {org} chosen over higher-ranked {listing(skipped, 'en')} without a "
                      "recorded cause",
                      section_id=sid, subjects=[org])
        rep_d = _delivered(lot, "purchaser")
        if rep_d is not None and not ctx.calendar.met_wd(at(win), at(rep_d), 5):
            due = ctx.calendar.due_wd(at(rep_d), 5)
            yield hit(_FROM_CAND, trail, [rep_d, win],
                      {"delivered": str(day(rep_d)), "determined": str(day(win)), "due": str(due)},
                      f"评审报告 {day(rep_d)} 送交，{day(win)} 才确定成交供应商，晚于 {due}（5个工作日）",
                      f"report delivered {day(rep_d)}, winner {day(win)} > due {due} (5 wd)",
                      section_id=sid)


@rule(_NOTIFY, title_zh="中标结果同时通知所有未中标人；通知书发出后不得改变中标结果",
      title_en="All bidders notified at the same time; no change of result afterwards",
      basis='TB 第45条 "并同时将中标结果通知所有未中标的投标人"; "中标通知书发出后，招标人改变中标结果的"'
            "; EB 第36条", section="10",
      reads=("BID_SUBMITTED", "AWARD_NOTICE_ISSUED", "RESULT_NOTICE_ISSUED", "WINNER_DETERMINED"),
      severity="warning", lead=False, confidence="V")
def notify_all(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, lot in lot_rounds(trail):
        notices = lot.of_type("AWARD_NOTICE_ISSUED")
        if not notices:
            continue
        first = notices[0]
        winners = set(first.payload.get("recipients", []))
        results = [r for r in lot.of_type("RESULT_NOTICE_ISSUED") if day(r) == day(first)]
        told = winners.union(*(set(r.payload.get("recipients", [])) for r in results))
        missing = [b for b in bidders(lot) if b not in told]
        if missing:
            yield hit(_NOTIFY, trail, [first, *results],
                      {"notice_day": str(day(first)), "not_notified": missing},
                      f"中标通知书 {day(first)} 发出，当日未通知未中标人 {listing(missing)}",
                      f"award notice {day(first)}; bidders {listing(missing, 'en')} not notified "
                      "that day",
                      section_id=sid, subjects=missing)
        for later in notices[1:]:
            if set(later.payload.get("recipients", [])) == winners:
                continue
            causes = [w for w in lot.of_type("WINNER_DETERMINED")
                      if first.index < w.index < later.index
                      and w.get("reason_if_not_rank1") in RANK1_REASONS and w.get("evidence_ref")]
            if not causes:
                yield hit(_NOTIFY, trail, [first, later],
                          {"first": sorted(winners), "later": later.payload.get("recipients")},
                          f"中标通知书发出后改变中标结果：{listing(sorted(winners))} → "
                          f"{listing(later.payload.get('recipients') or [])}，无法定事由",
                          f"result changed after the award notice: "
                          f"{listing(sorted(winners), 'en')} → "
                          f"{listing(later.payload.get('recipients') or [], 'en')} without a "
                          "statutory cause",

                          severity="violation", lead=True, section_id=sid)


@rule(_GP_TIMELINE, title_zh="政府采购评审报告送交、中标通知与结果公告时限",
      title_en="GP report handover (2 wd), award notice and result announcement (2 wd)",
      basis='GPR 第43条 "自评审结束之日起2个工作日内将评审报告送交采购人"; "自中标、成交供应商确定之日起'
            '2个工作日内，发出中标、成交通知书，并……公告中标、成交结果"; GP87 第69条 "中标公告期限为1个工作日"',
      section="10", reads=("PROJECT_REGISTERED", "EVAL_REPORT_SIGNED", "EVAL_REPORT_DELIVERED",
                           "WINNER_DETERMINED", "AWARD_NOTICE_ISSUED", "RESULT_ANNOUNCED"),
      severity="violation", lead=True, confidence="V", applies=GP)
def gp_result_timeline(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if regime(trail) != "GP":
        return
    cal = ctx.calendar
    for sid, lot in lots(trail):
        pairs = ((lot.last("EVAL_REPORT_SIGNED"), _delivered(lot, "purchaser"), "评审报告送交"),
                 (lot.first("WINNER_DETERMINED"), lot.first("AWARD_NOTICE_ISSUED"), "中标通知书"),
                 (lot.first("WINNER_DETERMINED"), lot.first("RESULT_ANNOUNCED"), "结果公告"))
        for base, act, what in pairs:
            if base is None or act is None or cal.met_wd(at(act), at(base), 2):
                continue
            due = cal.due_wd(at(base), 2)
            yield hit(_GP_TIMELINE, trail, [base, act],
                      {"step": act.type, "from": str(day(base)), "on": str(day(act)),
                       "due": str(due), "working_days": cal.wd(at(base), at(act))},
                      f"{what} {day(act)}，晚于 {day(base)} 起2个工作日（{due}）",
                      f"{act.type} on {day(act)} > due {due} (2 working days from {day(base)})",
                      section_id=sid)
        ann = lot.first("RESULT_ANNOUNCED")
        if ann is None:
            continue
        # one finding per announcement (same evidence): the missing expert list is a
        # violation, a period under 1 working day alone a warning
        no_experts = ann.get("expert_list_included") is False
        end = ann.get("period_end")
        short = bool(end) and cal.wd(at(ann), ts(end)) < 1
        if no_experts or short:
            zh = (["结果公告未列明评审专家名单"] if no_experts else []) + (
                [f"结果公告期 {day(ann)} 至 {bj_date(ts(end))} 不足1个工作日"] if short else [])
            en = (["result announcement omits the expert list"] if no_experts else []) + (
                [f"announcement period {day(ann)}..{bj_date(ts(end))} < 1 working day"] if short else [])
            yield hit(_GP_TIMELINE, trail, [ann],
                      {"expert_list_included": not no_experts, "period_end": end,
                       "working_days": cal.wd(at(ann), ts(end)) if end else None},
                      "；".join(zh), "; ".join(en), severity="violation" if no_experts else
                      "warning", lead=no_experts, section_id=sid)
