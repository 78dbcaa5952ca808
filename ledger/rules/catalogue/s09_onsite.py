"""docs/rules.md §9 (part a): evaluation time and on-site order — time extension, implausibly
fast evaluation, members leaving the room, unauthorised badges, private contact, identity
checks, communication control and scoring terminals.

Badge events may be project-wide; they are matched to a section's session by time and room.
Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from ledger.rules.applicability import ALL, ELECTRONIC
from ledger.rules.catalogue.s06_common import bidder_orgs, bids, dec, per_section
from ledger.rules.catalogue.s08_common import (
    Session,
    all_member_ids,
    committee,
    in_room,
    scores_by,
    session,
)
from ledger.rules.catalogue.s09_views import final_scores, viewing
from ledger.rules.context import RuleContext, Thresholds
from ledger.rules.model import Finding, Severity, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import duration, label, labels, listing, minutes_words


def _sessions(trail: Trail) -> Iterator[tuple[str | None, Trail, Session]]:
    for sid, sec in per_section(trail):
        sess = session(sec)
        if sess is not None:
            yield sid, sec, sess


@rule("R-TBR-48-EVAL-TIME-EXTENSION", title_zh="超过三分之一成员认为评标时间不够的应当延长",
      title_en="Time is extended when more than a third of members say it is insufficient",
      basis='TBR 第48条 "超过三分之一的评标委员会成员认为评标时间不够的，招标人应当适当延长"',
      section="9", reads=("EVAL_TIME_INSUFFICIENT_VOTE", "EVAL_EXTENDED", "EVAL_REPORT_SIGNED",
                          "COMMITTEE_FORMED"), severity="violation", lead=True, confidence="V")
def time_extension(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, sec in per_section(trail):
        com = committee(sec)
        signed = sec.last("EVAL_REPORT_SIGNED")
        for v in sec.of_type("EVAL_TIME_INSUFFICIENT_VOTE"):
            n = v.get("committee_size") or (len(com.members) if com else 0)
            k = len(set(v.get("member_ids", [])))
            if not n or 3 * k <= n:
                continue
            ext = [e for e in sec.of_type("EVAL_EXTENDED") if e.index > v.index
                   and (signed is None or e.index < signed.index)]
            if not ext and signed is not None and signed.index > v.index:
                yield hit("R-TBR-48-EVAL-TIME-EXTENSION", trail, [v, signed],
                          {"votes": k, "members": n},
                          f"{k}/{n} 名成员认为评标时间不够（超过三分之一），未延长即签署报告",
                          f"{k} of {n} members said time was insufficient (> 1/3); the report "
                          "was signed without an extension", section_id=sid)


@rule("R-SITE-FAST-EVAL", title_zh="评标用时明显过短", title_en="Evaluation implausibly fast",
      basis='TBR 第48条 "合理确定评标时间"; OP (十二) "不得……敷衍塞责随意评标"; '
            'OP (十三) "保证充足的评标时间"', section="9",
      reads=("EVAL_STARTED", "EVAL_PAUSED", "EVAL_RESUMED", "EVAL_REPORT_SIGNED", "BID_SUBMITTED",
             "BID_REJECTED", "DOC_VIEWED", "SCORE_SUBMITTED"),
      severity="warning", lead=True, confidence="D",
      applies=ALL.where("all (per-expert viewing checks only when the trail carries DOC_VIEWED)"))
def fast_eval(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    th = ctx.thresholds
    for sid, sec, sess in _sessions(trail):
        if sess.end is None or sess.end.type != "EVAL_REPORT_SIGNED":
            continue
        rejected = {e.get("bidder_org") for e in sec.of_type("BID_REJECTED")}
        n_valid = len([o for o in bidder_orgs(sec) if o not in rejected])
        need = max(th.fast_eval_min_total_minutes, th.fast_eval_minutes_per_bid * n_valid)
        took = sess.minutes()
        if took < need:
            yield hit("R-SITE-FAST-EVAL", trail, [sess.start, sess.end],
                      {"minutes": round(took, 1), "required_minutes": need, "valid_bids": n_valid},
                      f"评标用时 {minutes_words(took)}，少于 {minutes_words(need)}（{n_valid} 个有效投标）",
                      f"evaluation took {minutes_words(took, 'en')} < {minutes_words(need, 'en')} for {n_valid} valid bids",

                      section_id=sid)
        yield from viewing(trail, sec, sid, ctx)
        last = final_scores(sec)
        times = sorted(e.occurred_at for e in last.values())
        if len(times) >= 3 and (times[-1] - times[0]).total_seconds() <= th.score_burst_seconds:
            spread = (times[-1] - times[0]).total_seconds()
            yield hit("R-SITE-FAST-EVAL", trail, list(last.values()),
                      {"experts": len(times), "final_scores_within_s": spread},
                      f"{len(times)} 名专家的最终评分在 {duration(int(spread))}内提交",
                      f"{len(times)} experts submitted final scores within {duration(int(spread), 'en')}",
                      section_id=sid)


_INSIDE = ("evaluation_room", "isolation_corridor")


def _badges(sec: Trail, person: str) -> list[TrailEvent]:
    return [e for e in sec.of_type("BADGE_ENTER", "BADGE_EXIT") if e.payload.get("person_id") == person]


@rule("R-SITE-EXPERT-LEAVES", title_zh="评标委员会成员擅离职守", title_en="A member leaves the "
      "evaluation room mid-session", basis='TBR 第48条 "擅离职守……应当及时更换"; TBR 第71条(二); '
      'GP87 第62条(五) "在评标过程中擅离职守，影响评标程序正常进行的"', section="9",
      reads=("BADGE_ENTER", "BADGE_EXIT", "EVAL_STARTED", "EVAL_PAUSED", "EVAL_RESUMED",
             "EVAL_REPORT_SIGNED", "SCORE_SUBMITTED", "COMMITTEE_FORMED", "MEMBER_REPLACED"),
      severity="violation", lead=True, confidence="D",
      applies=ALL.where("all with a badge system (legal basis V, thresholds D)"))
def expert_leaves(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    th = ctx.thresholds
    for sid, sec, sess in _sessions(trail):
        com = committee(sec)
        if com is None:
            continue
        badges_used = any(in_room(b, sess) for b in sec.of_type("BADGE_ENTER", "BADGE_EXIT"))
        for pid in sorted(com.members):
            own = _badges(sec, pid)
            for x in own:
                if x.type == "BADGE_EXIT" and in_room(x, sess) and sess.active(x.occurred_at):
                    yield from _absence(trail, sec, sid, sess, pid, x, own, th)
            scores = scores_by(sec, pid)
            if badges_used and scores and not any(b.type == "BADGE_ENTER" and in_room(b, sess)
                                                  for b in own):
                yield hit("R-SITE-EXPERT-LEAVES", trail, scores[:1],
                          {"person": pid, "problem": "scores_without_room_entry"},
                          f"成员 {pid} 从未刷卡进入评标室却有评分",
                          f"member {pid} never badged into the evaluation room but scored",
                          section_id=sid, subjects=[pid])


def _absence(trail: Trail, sec: Trail, sid: str | None, sess: Session, pid: str,
             x: TrailEvent, own: list[TrailEvent], th: Thresholds) -> Iterator[Finding]:
    back = next((b for b in own if b.type == "BADGE_ENTER" and in_room(b, sess)
                 and b.occurred_at >= x.occurred_at), None)
    end = back.occurred_at if back is not None else sess.until
    end = min([end] + [a for a, _ in sess.pauses if a >= x.occurred_at])
    minutes = (end - x.occurred_at).total_seconds() / 60
    outside = [b for b in own if b.type == "BADGE_ENTER" and b.get("zone") not in _INSIDE
               and x.occurred_at <= b.occurred_at <= end]
    escort = [e for e in sec.of_type("BADGE_EXIT") if e.get("role") in th.onsite_staff_roles
              and in_room(e, sess)
              and abs((e.occurred_at - x.occurred_at).total_seconds()) <= th.escort_seconds]
    scored = [s for s in scores_by(sec, pid) if x.occurred_at <= s.occurred_at < end]
    evidence = [x, *([back] if back else []), *outside, *scored]
    values = {"person": pid, "absent_minutes": round(minutes, 1), "escorted": bool(escort),
              "seen_outside": [b.get("zone") for b in outside], "scores_while_absent": len(scored)}
    sev: Severity
    if minutes > th.expert_absence_violation_minutes or outside or scored:
        sev = "violation"
    elif minutes > th.expert_absence_minutes and not escort:
        sev = "warning"
    else:
        return
    yield hit("R-SITE-EXPERT-LEAVES", trail, evidence, values,
              f"成员 {pid} 评标期间离开评标室 {minutes_words(minutes)}"
              + (f"，到过{labels(b.get('zone') for b in outside)}" if outside else "")
              + (f"，离开时提交 {len(scored)} 项评分" if scored else ""),
              f"member {pid} left the evaluation room for {minutes_words(minutes, 'en')}"
              + (f", seen in {labels((b.get('zone') for b in outside), 'en')}" if outside else "")
              + (f", {len(scored)} scores submitted while away" if scored else ""),
              section_id=sid, subjects=[pid], severity=sev)


@rule("R-SITE-UNAUTHORIZED-BADGE", title_zh="无关人员进入评标区域",
      title_en="An unauthorised person in the evaluation area",
      basis='GP87 第66条 "与评标工作无关的人员不得进入评标现场"; TB 第38条 "保证评标在严格保密的'
            '情况下进行"; OP (十五) "评标场所应当封闭运行"', section="9",
      reads=("BADGE_ENTER", "EVAL_STARTED", "EVAL_REPORT_SIGNED", "COMMITTEE_FORMED",
             "MEMBER_REPLACED"), severity="violation", lead=True, confidence="D",
      applies=ALL.where("all with a badge system (authorised = members ∪ onsite_staff_roles)"))
def unauthorized_badge(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    every_member = set().union(*(all_member_ids(sec) for _, sec in per_section(trail)))
    for sid, sec, sess in _sessions(trail):
        mine, orgs = all_member_ids(sec), set(bidder_orgs(sec))
        reps = {str(e.get("authorized_rep_id")) for e in bids(sec) if e.get("authorized_rep_id")}
        for b in sec.of_type("BADGE_ENTER"):
            pid, role, zone = str(b.get("person_id")), b.get("role"), b.get("zone")
            if not sess.active(b.occurred_at) or zone not in _INSIDE:
                continue
            if zone == "evaluation_room" and not in_room(b, sess):
                continue
            if pid in mine or role in ctx.thresholds.onsite_staff_roles:
                continue
            sev: Severity = "violation"
            why = "not_authorised"
            if pid in every_member:
                if zone == "isolation_corridor":
                    continue
                sev, why = "warning", "member_of_other_section"
            linked = role == "bidder" or pid in reps or any(
                ctx.reference.related(pid, o) for o in orgs)
            yield hit("R-SITE-UNAUTHORIZED-BADGE", trail, [b],
                      {"person": pid, "role": role, "zone": zone, "room": b.get("room"),
                       "reason": why, "priority": "high" if linked else "normal"},
                      f"评标期间 {pid}（{label(role)}）进入{label(zone)} {b.get('room') or ''}，非授权人员",
                      f"{pid} ({label(role, 'en')}) entered the {label(zone, 'en')} {b.get('room') or ''} during evaluation "
                      "without authorisation", section_id=sid, subjects=[pid], severity=sev)


@rule("R-SITE-PRIVATE-CONTACT", title_zh="评标委员会成员私下接触投标人",
      title_en="Members in contact with bidders", basis='TB 第44条 "评标委员会成员不得私下接触投标人"; '
      'TBR 第49条; GP87 第62条(一) "确定参与评标至评标结束前私自接触投标人"', section="9",
      reads=("BADGE_PROXIMITY", "EXPERT_DRAW", "COMMITTEE_FORMED", "EVAL_REPORT_SIGNED"),
      severity="violation", lead=True, confidence="D",
      applies=ALL.where("all with proximity badges (legal basis V, thresholds D)"))
def private_contact(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    th = ctx.thresholds
    for sid, sec in per_section(trail):
        com = committee(sec)
        if com is None:
            continue
        orgs = set(bidder_orgs(sec))
        reps = {str(e.get("authorized_rep_id")) for e in bids(sec) if e.get("authorized_rep_id")}
        sess = session(sec)
        until = sess.until if sess else max(e.received_at for e in sec)
        for p in sec.of_type("BADGE_PROXIMITY"):
            pair = [(p.get("person_id"), p.get("other_person_id"), p.get("other_role")),
                    (p.get("other_person_id"), p.get("person_id"), p.get("role"))]
            for m, other, other_role in pair:
                if m not in com.members or other is None:
                    continue
                start = _since(sec, m, com.formed.occurred_at)
                dist = dec(p.get("distance_m"))
                dur = int(p.get("duration_s", 0))
                linked = other_role == "bidder" or other in reps or any(
                    ctx.reference.related(other, o) for o in orgs)
                if (not linked or not start <= p.occurred_at <= until or dist is None
                        or dist > Decimal(th.proximity_max_m) or dur < th.proximity_warning_s):
                    continue
                rep = com.members[m].get("role") == "tenderer_rep"
                strong = (dur >= th.proximity_violation_s and not rep
                          and p.get("zone") not in th.supervised_public_zones)
                yield hit("R-SITE-PRIVATE-CONTACT", trail, [p],
                          {"member": m, "other": other, "distance_m": str(dist),
                           "duration_s": dur, "zone": p.get("zone")},
                          f"成员 {m} 与投标人相关人员 {other} 在{label(p.get('zone'))}距离 {dist} 米接触 {duration(int(dur))}",
                          f"member {m} was {dist} m from bidder-linked {other} for {duration(int(dur), 'en')} in the {label(p.get('zone'), 'en')}",
                          section_id=sid, subjects=[m, str(other)],
                          severity="violation" if strong else "warning")


def _since(sec: Trail, person: str, default: datetime) -> datetime:
    draws = [d.occurred_at for d in sec.of_type("EXPERT_DRAW") if person in d.get("drawn_ids", [])]
    return min(draws, default=default)


@rule("R-SITE-IDENTITY", title_zh="评审专家身份核验", title_en="Identity check of experts at check-in",
      basis='GP87 第45条(一) "核对评审专家身份和采购人代表授权函"; TBR 第46条', section="9",
      reads=("IDENTITY_VERIFIED", "SCORE_SUBMITTED", "COMMITTEE_FORMED"), severity="violation",
      lead=True, confidence="V",
      applies=ALL.where("all; 'no check' warning only when the trail records identity checks at all"))
def identity(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    floor = Decimal(ctx.thresholds.identity_min_match)
    recorded = bool(trail.of_type("IDENTITY_VERIFIED"))
    for sid, sec in per_section(trail):
        com = committee(sec)
        for pid in sorted(com.members) if com else []:
            scores = scores_by(sec, pid)
            if not scores:
                continue
            checks = [c for c in sec.of_type("IDENTITY_VERIFIED")
                      if c.payload.get("person_id") == pid and c.index < scores[0].index]
            last = checks[-1] if checks else None
            score = dec(last.get("match_score")) if last else None
            if last is not None and (last.get("result") == "fail"
                                     or (score is not None and score < floor)):
                yield hit("R-SITE-IDENTITY", trail, [last, scores[0]],
                          {"person": pid, "result": last.get("result"),
                           "match_score": str(score) if score is not None else None,
                           "min_match": str(floor)},
                          f"成员 {pid} 身份核验{label(last.get('result'))}（比对得分 {score}）仍评分",
                          f"member {pid} scored after a failed identity check "
                          f"({last.get('result')}, score {score})", section_id=sid, subjects=[pid])
            elif last is None and recorded:
                yield hit("R-SITE-IDENTITY", trail, [scores[0]], {"person": pid, "checked": False},
                          f"成员 {pid} 评分前无身份核验记录",
                          f"member {pid} scored with no identity check before",
                          section_id=sid, subjects=[pid], severity="warning", lead=False)


@rule("R-SITE-COMMS", title_zh="评标期间通讯管理", title_en="Communication control during evaluation",
      basis='GP87 第45条(五) "在评标期间采取必要的通讯管理措施"; OP (十二) (十五)', section="9",
      reads=("DEVICE_DEPOSITED", "SIGNAL_DETECTED", "EVAL_STARTED", "COMMITTEE_FORMED"),
      severity="warning", lead=True, confidence="D",
      applies=ALL.where("all; the deposit check only when the trail records device deposits at all"))
def comms(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    recorded = bool(trail.of_type("DEVICE_DEPOSITED"))
    for sid, sec, sess in _sessions(trail):
        com = committee(sec)
        members = sorted(com.members) if com is not None and recorded else []
        missing = [pid for pid in members
                   if not any(d.get("person_id") == pid and d.index < sess.start.index
                              for d in sec.of_type("DEVICE_DEPOSITED"))]
        if missing:
            yield hit("R-SITE-COMMS", trail, [sess.start], {"not_deposited": missing},
                      f"成员 {listing(missing)} 评标开始前未存放通讯工具",
                      f"members {listing(missing, 'en')} deposited no device before the evaluation started",
                      section_id=sid, subjects=missing)
        for s in sec.of_type("SIGNAL_DETECTED"):
            if sess.active(s.occurred_at) and (sess.room is None or s.get("room") == sess.room):
                yield hit("R-SITE-COMMS", trail, [s],
                          {"room": s.get("room"), "device_type": s.get("device_type"),
                           "person": s.get("person_id")},
                          f"评标期间在 {s.get('room')} 检测到{label(s.get('device_type'))}信号",
                          f"{label(s.get('device_type'), 'en')} signal detected in {s.get('room')} during "
                          "evaluation", section_id=sid)


@rule("R-EB-33-CONTROLLED-ENVIRONMENT", title_zh="电子评标在受控终端进行",
      title_en="Scoring only from registered evaluation terminals",
      basis='EB 第33条 "电子评标应当在有效监控和保密的环境下在线进行"', section="9",
      reads=("SCORE_SUBMITTED",), severity="violation", lead=True, confidence="V",
      applies=ELECTRONIC.where("electronic (terminal registry: Thresholds.evaluation_terminals; room network "
              "not checkable)"))
def controlled_environment(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if not trail.flags.get("electronic"):
        return
    known, burst = set(ctx.thresholds.evaluation_terminals), ctx.thresholds.score_burst_seconds
    for sid, sec in per_section(trail):
        scores = [s for s in sec.of_type("SCORE_SUBMITTED") if s.payload.get("terminal_id")]
        by_term: dict[str, dict[str, TrailEvent]] = {}
        for s in scores:
            by_term.setdefault(s.payload["terminal_id"], {}).setdefault(s.payload["expert_id"], s)
            if known and s.payload["terminal_id"] not in known:
                yield hit("R-EB-33-CONTROLLED-ENVIRONMENT", trail, [s],
                          {"terminal": s.payload["terminal_id"], "problem": "unregistered"},
                          f"评分来自未登记终端 {s.payload['terminal_id']}",
                          f"score from unregistered terminal {s.payload['terminal_id']}",
                          section_id=sid, subjects=[s.payload["expert_id"]])
        for term, experts in sorted(by_term.items()):
            if len(experts) >= 2:
                yield hit("R-EB-33-CONTROLLED-ENVIRONMENT", trail, list(experts.values()),
                          {"terminal": term, "experts": sorted(experts)},
                          f"终端 {term} 上有 {len(experts)} 个专家账号评分",
                          f"{len(experts)} expert accounts scored on terminal {term}",
                          section_id=sid, subjects=sorted(experts))
        by_expert: dict[str, list[TrailEvent]] = {}  # each expert's scores, trail order
        for s in scores:
            by_expert.setdefault(s.payload["expert_id"], []).append(s)
        window = timedelta(seconds=burst)
        for ex, mine in sorted(by_expert.items()):
            for a, b in pairwise(mine):
                if a.payload["terminal_id"] != b.payload["terminal_id"] and (
                        b.occurred_at - a.occurred_at <= window):
                    yield hit("R-EB-33-CONTROLLED-ENVIRONMENT", trail, [a, b],
                              {"expert": ex, "terminals": [a.payload["terminal_id"],
                                                           b.payload["terminal_id"]]},
                              f"专家 {ex} 同时在两个终端评分",
                              f"expert {ex} scored from two terminals at once",
                              section_id=sid, subjects=[ex])
                    break
