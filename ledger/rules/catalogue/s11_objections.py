"""docs/rules.md §11: objections (异议), inquiries (询问), challenges (质疑) and complaints (投诉).

Filings and replies are paired by ``linked_filing`` (else in order within the lot);
complaint events by ``case_id``. "Not answered by the due date" compares with the trail's
"now" (latest received_at). Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from ledger.rules.applicability import GP, TB
from ledger.rules.calendar import WorkCalendar, cd, local_date
from ledger.rules.catalogue import s10_common as c
from ledger.rules.context import RuleContext
from ledger.rules.helpers import round_holding
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import bj_time, listing

_DOC_OBJ = "R-TBR-22-DOC-OBJECTION"
_TB_COMPLAINT = "R-TBR-60-COMPLAINT-HANDLING"
_INQUIRY = "R-GPR-52-INQUIRY-3WD"
_CH_WINDOW = "R-GP-52-CHALLENGE-WINDOW"
_CH_REPLY = "R-GP-53-CHALLENGE-REPLY-7WD"
_SUSPEND = "R-GPR-54-SUSPEND-CONTRACT"
_GP_COMPLAINT = "R-GP-55-COMPLAINT"

_ADVANCE = ("OPENING_STARTED", "EVAL_STARTED", "WINNER_DETERMINED")
_RESULT = ("evaluation_result", "result")


def _reply_late(trail: Trail, reply: TrailEvent | None, due: date) -> bool:
    if reply is None:
        return local_date(c.now(trail)) > due
    return c.day(reply) > due


def _reply_msg(filing: TrailEvent, reply: TrailEvent | None, due: date, n: str
               ) -> tuple[dict[str, object], str, str]:
    on = str(c.day(reply)) if reply else None
    computed: dict[str, object] = {"filed": str(c.day(filing)), "replied": on, "due": str(due),
                                   "limit": n}
    zh = f"{c.day(filing)} 收到{filing.type}，" + (f"{on} 才答复" if on else "未答复") \
        + f"，晚于 {due}（{n}）"
    en = f"{filing.type} of {c.day(filing)} " + (f"answered {on}" if on else "unanswered") \
        + f" > due {due} ({n})"
    return computed, zh, en


def _doc_deadline(trail: Trail, kind: str) -> tuple[datetime, TrailEvent] | None:
    if kind == "tender_doc":
        changed = trail.last("DEADLINE_CHANGED")
        if changed is not None and changed.get("new_deadline"):
            return c.ts(changed.payload["new_deadline"]), changed
    doc = next((d for d in trail.of_type("DOC_ISSUED") if d.get("doc_kind") == kind), None)
    return (c.ts(doc.payload["bid_deadline"]), doc) if doc else None


@rule(_DOC_OBJ, title_zh="对资格预审文件、招标文件（及评标结果）的异议3日内答复，答复前暂停",
      title_en="Objections answered within 3 days; the activity suspended until answered (TB)",
      basis='TBR 第22条 "招标人应当自收到异议之日起3日内作出答复；作出答复前，应当暂停招标投标活动"; '
            "TBR 第54条 (评标结果异议); TBR 第77条; EB 第39条", section="11",
      reads=("PROJECT_REGISTERED", "OBJECTION_FILED", "OBJECTION_REPLIED", "DOC_ISSUED",
             "DEADLINE_CHANGED", "ACTIVITY_SUSPENDED", *_ADVANCE),
      severity="violation", lead=True, confidence="V", applies=TB)
def doc_objection(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if c.regime(trail) != "TB":
        return
    for obj in trail.of_type("OBJECTION_FILED"):
        subject = obj.get("subject")
        if subject not in ("prequal_doc", "tender_doc", *_RESULT):
            continue
        scope = trail.for_section(obj.section_id) if obj.section_id else trail
        deadline = _doc_deadline(round_holding(scope, obj), subject) \
            if subject in ("prequal_doc", "tender_doc") else None  # the objection's own round
        reply = c.replies_for(scope, obj, ("OBJECTION_REPLIED",))
        due = ctx.calendar.due(c.at(obj), 3)
        if _reply_late(trail, reply, due):
            computed, zh, en = _reply_msg(obj, reply, due, "3日")
            yield hit(_DOC_OBJ, trail, [obj, *([reply] if reply else [])], computed, zh, en,
                      subjects=[str(obj.get("filer_org"))])
        yield from _not_suspended(trail, scope, obj, reply, deadline)
        # yielded last: the engine keeps the first finding of a key (same evidence)
        need = 10 if subject == "tender_doc" else 2
        if deadline is not None and cd(c.at(obj), deadline[0]) < need:
            days = cd(c.at(obj), deadline[0])
            yield hit(_DOC_OBJ, trail, [deadline[1], obj],
                      {"days_before_deadline": days, "minimum": need},
                      f"异议在截止时间前 {days} 日提出，少于 {need} 日（逾期异议，应记录处理决定）",
                      f"objection {days} days before the deadline < {need} (late objection)",
                      severity="info", lead=False)


def _not_suspended(trail: Trail, scope: Trail, obj: TrailEvent, reply: TrailEvent | None,
                   deadline: tuple[datetime, TrailEvent] | None) -> Iterator[Finding]:
    """(c): the process moved on between filing and reply without suspension or postponement."""
    t0, t1 = c.at(obj), c.at(reply) if reply else c.now(trail)
    paused = [e for e in scope.of_type("ACTIVITY_SUSPENDED", "DEADLINE_CHANGED")
              if t0 <= c.at(e) <= t1]
    if paused:
        return
    moved = [e for e in scope.of_type(*_ADVANCE) if t0 <= c.at(e) < t1]
    if moved:
        yield hit(_DOC_OBJ, trail, [obj, moved[0]],
                  {"filed": t0.isoformat(), "event": moved[0].type, "at": c.at(moved[0]).isoformat()},
                  f"异议答复前未暂停：{moved[0].type} 于 {bj_time(c.at(moved[0]))} 进行",
                  f"{moved[0].type} at {bj_time(c.at(moved[0]))} before the objection was "
                  "answered, without suspension")
    elif deadline is not None and obj.get("subject") == "tender_doc" and t0 <= deadline[0] < t1:
        yield hit(_DOC_OBJ, trail, [obj, deadline[1], *([reply] if reply else [])],
                  {"filed": t0.isoformat(), "deadline": deadline[0].isoformat()},
                  f"异议答复前投标截止时间 {bj_time(deadline[0])} 已过，且未暂停或延期",
                  f"bid deadline {bj_time(deadline[0])} passed before the objection was "
                  "answered, without suspension or postponement")


def _case(trail: Trail, etype: str, case_id: object) -> TrailEvent | None:
    return next((e for e in trail.of_type(etype) if e.get("case_id") == case_id), None)


def _excluded_wd(cal: WorkCalendar, decided: TrailEvent | None) -> int:
    """Working days inside the excluded periods (检验、检测、鉴定、专家评审, 补正)."""
    total = 0
    for p in (decided.payload.get("excluded_periods") or []) if decided else []:
        if p.get("end"):
            total += cal.wd(c.ts(p["start"]), c.ts(p["end"]))
    return total


def _prior(trail: Trail, types: tuple[str, ...], org: object, before: datetime
           ) -> list[TrailEvent]:
    return [e for e in trail.of_type(*types)
            if (e.get("filer_org") or e.get("bidder_org")) == org and c.at(e) <= before]


def _handling(trail: Trail, ctx: RuleContext, rid: str, filed: TrailEvent, start: TrailEvent,
              label: str, start_day: date | None = None) -> Iterator[Finding]:
    """Working days from ``start`` (or ``start_day``) to the decision (or now), minus the
    excluded periods, > 30."""
    decided = _case(trail, "COMPLAINT_DECIDED", filed.get("case_id"))
    end = c.at(decided) if decided else c.now(trail)
    excl = _excluded_wd(ctx.calendar, decided)
    begin = c.at(start) if start_day is None else datetime.combine(
        start_day, datetime.min.time(), c.at(start).tzinfo)
    used = ctx.calendar.wd(begin, end) - excl
    if used > 30:
        yield hit(rid, trail, [start, *([decided] if decided else [])],
                  {"from": str(local_date(begin)), "decided": str(c.day(decided)) if decided else None,
                   "working_days": used, "excluded_working_days": excl, "limit": 30},
                  f"投诉自{label} {local_date(begin)} 起 {used} 个工作日（已扣除 {excl}）"
                  + ("才作出处理决定" if decided else "仍未作出处理决定") + "，超过30个工作日",
                  f"complaint: {used} working days from {label} {local_date(begin)} (minus {excl} "
                  "excluded) " + ("to the decision" if decided else "without a decision") + " > 30",
                  severity="warning", subjects=[str(filed.get("complainant_org"))])


@rule(_TB_COMPLAINT, title_zh="招标投标投诉的提出与处理时限",
      title_en="TB complaint filing and handling times",
      basis='TBR 第60条 "可以自知道或者应当知道之日起10日内向有关行政监督部门投诉"; TBR 第61条 "应当自收到'
            '投诉之日起3个工作日内决定是否受理投诉，并自受理投诉之日起30个工作日内作出书面处理决定"',
      section="11", reads=("PROJECT_REGISTERED", "COMPLAINT_FILED", "COMPLAINT_ACCEPTED",
                           "COMPLAINT_DECIDED", "OBJECTION_FILED", "OBJECTION_REPLIED",
                           "OPENING_OBJECTION"),
      severity="warning", lead=True, confidence="V", applies=TB)
def tb_complaint(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if c.regime(trail) != "TB":
        return
    for filed in trail.of_type("COMPLAINT_FILED"):
        org, t = filed.get("complainant_org"), c.at(filed)
        objections = _prior(trail, ("OBJECTION_FILED", "OPENING_OBJECTION"), org, t)
        replies = [r for o in objections if o.type == "OBJECTION_FILED"
                   and (r := c.replies_for(trail, o, ("OBJECTION_REPLIED",))) is not None]
        if replies and cd(c.at(replies[-1]), t) > 10:
            yield hit(_TB_COMPLAINT, trail, [replies[-1], filed],
                      {"days_after_reply": cd(c.at(replies[-1]), t), "limit": 10},
                      f"异议答复后 {cd(c.at(replies[-1]), t)} 日才投诉，超过10日",
                      f"complaint {cd(c.at(replies[-1]), t)} days after the objection reply > 10",
                      severity="info", lead=False, subjects=[str(org)])
        acc = _case(trail, "COMPLAINT_ACCEPTED", filed.get("case_id"))
        due = ctx.calendar.due_wd(t, 3)
        if _reply_late(trail, acc, due):
            yield hit(_TB_COMPLAINT, trail, [filed, *([acc] if acc else [])],
                      {"filed": str(c.day(filed)), "due": str(due),
                       "accepted": str(c.day(acc)) if acc else None},
                      f"投诉 {c.day(filed)} 收到，" + (f"{c.day(acc)} 才决定受理" if acc
                                                   else "未决定是否受理") + f"（至 {due}）",
                      f"complaint of {c.day(filed)}: acceptance "
                      + (f"on {c.day(acc)}" if acc else "missing") + f" > due {due} (3 wd)",
                      subjects=[str(org)])
        if acc is not None:
            yield from _handling(trail, ctx, _TB_COMPLAINT, filed, acc, "受理")
        elif _case(trail, "COMPLAINT_DECIDED", filed.get("case_id")) is not None:
            # no acceptance recorded: count from the latest lawful acceptance date
            yield from _handling(trail, ctx, _TB_COMPLAINT, filed, filed, "最迟受理日", due)
        if filed.get("subject") in ("prequal_doc", "tender_doc", "opening", *_RESULT) \
                and not objections:
            yield hit(_TB_COMPLAINT, trail, [filed], {"subject": filed.get("subject")},
                      "投诉事项应先提出异议，但未见异议记录",
                      "complaint on a matter requiring a prior objection; none recorded",
                      severity="info", lead=False, subjects=[str(org)])


@rule(_INQUIRY, title_zh="政府采购询问3个工作日内答复",
      title_en="GP inquiries answered within 3 working days",
      basis='GPR 第52条 "采购人或者采购代理机构应当在3个工作日内对供应商依法提出的询问作出答复"; '
            "GPR 第68条(八)", section="11",
      reads=("PROJECT_REGISTERED", "INQUIRY_FILED", "CHALLENGE_REPLIED", "OBJECTION_REPLIED"),
      severity="violation", lead=True, confidence="V", applies=GP)
def gp_inquiry(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if c.regime(trail) != "GP":
        return
    for inq in trail.of_type("INQUIRY_FILED"):
        reply = c.replies_for(trail, inq, ("CHALLENGE_REPLIED", "OBJECTION_REPLIED"),
                              fallback=False)
        due = ctx.calendar.due_wd(c.at(inq), 3)
        if _reply_late(trail, reply, due):
            computed, zh, en = _reply_msg(inq, reply, due, "3个工作日")
            yield hit(_INQUIRY, trail, [inq, *([reply] if reply else [])], computed, zh, en,
                      subjects=[str(inq.get("filer_org"))])


def _know_date(trail: Trail, ch: TrailEvent) -> tuple[datetime, TrailEvent] | None:
    """GPR 第53条 knowing date by subject (the later of the recorded candidates)."""
    scope = trail.for_section(ch.section_id) if ch.section_id else trail
    subject, org = ch.get("subject"), ch.get("filer_org")
    found: list[tuple[datetime, TrailEvent]] = []
    if subject in ("prequal_doc", "tender_doc"):
        dl = next((d for d in scope.of_type("DOC_DOWNLOADED") if d.get("downloader_org") == org),
                  None)
        found += [(c.at(dl), dl)] if dl else []
        found += [(c.ts(a.payload["period_end"]), a) for a in scope.of_type("ANNOUNCEMENT_PUBLISHED")
                  if a.get("kind") in ("tender", "prequal") and a.get("period_end")]
    elif subject in _RESULT:
        found += [(c.ts(a.get("period_end") or a.payload["published_at"]), a)
                  for a in scope.of_type("RESULT_ANNOUNCED")]
    else:
        step = "OPENING_ENDED" if subject == "opening" else "EVAL_ENDED"
        found += [(c.at(e), e) for e in scope.of_type(step)]
    found = [f for f in found if f[0] <= c.at(ch)]
    return max(found, key=lambda f: f[0]) if found else None


@rule(_CH_WINDOW, title_zh="质疑应在知道或应知权益受损之日起七个工作日内提出",
      title_en="GP challenge within 7 working days of the knowing date",
      basis='GP 第52条 "可以在知道或者应知其权益受到损害之日起七个工作日内，以书面形式向采购人提出质疑"; '
            "GPR 第53条", section="11",
      reads=("PROJECT_REGISTERED", "CHALLENGE_FILED", "DOC_DOWNLOADED", "ANNOUNCEMENT_PUBLISHED",
             "RESULT_ANNOUNCED", "OPENING_ENDED", "EVAL_ENDED"),
      severity="info", lead=False, confidence="V", applies=GP)
def gp_challenge_window(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if c.regime(trail) != "GP":
        return
    for ch in trail.of_type("CHALLENGE_FILED"):
        know = _know_date(trail, ch)
        if know is None:
            continue
        due = ctx.calendar.due_wd(know[0], 7)
        if c.day(ch) > due:
            yield hit(_CH_WINDOW, trail, [know[1], ch],
                      {"know_date": str(local_date(know[0])), "filed": str(c.day(ch)),
                       "due": str(due)},
                      f"质疑 {c.day(ch)} 提出，晚于知道之日 {local_date(know[0])} 起7个工作日（{due}）",
                      f"challenge {c.day(ch)} > due {due} (7 wd from {local_date(know[0])})",
                      subjects=[str(ch.get("filer_org"))])


@rule(_CH_REPLY, title_zh="质疑七个工作日内答复并书面通知有关供应商",
      title_en="GP challenge answered within 7 working days; other suppliers notified",
      basis='GP 第53条 "采购人应当在收到供应商的书面质疑后七个工作日内作出答复，并以书面形式通知质疑供应商'
            '和其他有关供应商"; GPR 第68条(八)', section="11",
      reads=("PROJECT_REGISTERED", "CHALLENGE_FILED", "CHALLENGE_REPLIED", "WINNER_DETERMINED"),
      severity="violation", lead=True, confidence="V", applies=GP)
def gp_challenge_reply(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if c.regime(trail) != "GP":
        return
    for ch in trail.of_type("CHALLENGE_FILED"):
        reply = c.replies_for(trail, ch, ("CHALLENGE_REPLIED",))
        due = ctx.calendar.due_wd(c.at(ch), 7)
        org = str(ch.get("filer_org"))
        scope = trail.for_section(ch.section_id) if ch.section_id else trail
        needed = {org} | ({w} if ch.get("subject") in _RESULT and (w := c.winner_org(scope))
                          else set())
        missing = sorted(needed - set(reply.payload.get("notified_parties", []))) if reply \
            else []
        if _reply_late(trail, reply, due):
            computed, zh, en = _reply_msg(ch, reply, due, "7个工作日")
            yield hit(_CH_REPLY, trail, [ch, *([reply] if reply else [])],
                      {**computed, "not_notified": missing}, zh, en, subjects=[org])
        elif missing and reply is not None:
            yield hit(_CH_REPLY, trail, [ch, reply], {"not_notified": missing},
                      f"质疑答复未通知 {listing(missing)}",
                      f"challenge reply did not notify {listing(missing, 'en')}",

                      severity="warning", lead=False, subjects=missing)


@rule(_SUSPEND, title_zh="可能影响中标结果的询问或质疑处理前暂停签订合同",
      title_en="No contract while a result-affecting inquiry or challenge is pending",
      basis='GPR 第54条 "询问或者质疑事项可能影响中标、成交结果的，采购人应当暂停签订合同，已经签订合同的，'
            '应当中止履行合同"', section="11",
      reads=("PROJECT_REGISTERED", "CHALLENGE_FILED", "INQUIRY_FILED", "CHALLENGE_REPLIED",
             "CONTRACT_SIGNED", "ACTIVITY_SUSPENDED"),
      severity="violation", lead=True, confidence="V", applies=GP)
def gp_suspend_contract(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if c.regime(trail) != "GP":
        return
    for f in trail.of_type("CHALLENGE_FILED", "INQUIRY_FILED"):
        affects = f.get("may_affect_result")
        if affects is False or (f.type == "INQUIRY_FILED" and affects is not True):
            continue
        scope = trail.for_section(f.section_id) if f.section_id else trail
        reply = c.replies_for(scope, f, ("CHALLENGE_REPLIED",), fallback=f.type != "INQUIRY_FILED")
        t0, t1 = c.at(f), c.at(reply) if reply else None
        for k in scope.of_type("CONTRACT_SIGNED"):
            tk = c.at(k)
            if tk >= t0 and (t1 is None or tk < t1):
                yield hit(_SUSPEND, trail, [f, k],
                          {"filed": t0.isoformat(), "signed": tk.isoformat(),
                           "replied": t1.isoformat() if t1 else None},
                          f"{f.type}（{bj_time(t0)}）答复前于 {bj_time(tk)} 签订合同",
                          f"contract signed {bj_time(tk)} while the {f.type} of "
                          f"{bj_time(t0)} was unanswered", subjects=[str(f.get("filer_org"))])
            elif tk < t0 and not [s for s in scope.of_type("ACTIVITY_SUSPENDED") if c.at(s) >= t0]:
                yield hit(_SUSPEND, trail, [k, f], {"signed": tk.isoformat(), "filed": t0.isoformat()},
                          f"合同已签订后收到可能影响结果的{f.type}，未见中止履行记录",
                          f"{f.type} after signing; no suspension of performance recorded",
                          severity="warning", subjects=[str(f.get("filer_org"))])


@rule(_GP_COMPLAINT, title_zh="政府采购投诉期限、处理时限和暂停期限",
      title_en="GP complaint window, decision time, suspension limit",
      basis='GP 第55条 "可以在答复期满后十五个工作日内向同级政府采购监督管理部门投诉"; GP 第56条 "应当在收到'
            '投诉后三十个工作日内，对投诉事项作出处理决定"; GP 第57条 "暂停时间最长不得超过三十日"; GPR 第55条',
      section="11", reads=("PROJECT_REGISTERED", "COMPLAINT_FILED", "COMPLAINT_DECIDED",
                           "CHALLENGE_FILED", "CHALLENGE_REPLIED", "ACTIVITY_SUSPENDED",
                           "ACTIVITY_RESUMED"),
      severity="warning", lead=True, confidence="V", applies=GP)
def gp_complaint(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if c.regime(trail) != "GP":
        return
    cal = ctx.calendar
    for filed in trail.of_type("COMPLAINT_FILED"):
        org = filed.get("complainant_org")
        yield from _handling(trail, ctx, _GP_COMPLAINT, filed, filed, "收到")
        challenges = _prior(trail, ("CHALLENGE_FILED",), org, c.at(filed))
        if not challenges:
            yield hit(_GP_COMPLAINT, trail, [filed], {"complainant": org},
                      "投诉事项未经质疑", "complaint on matters never challenged",
                      severity="info", lead=False, subjects=[str(org)])
        else:
            ch = challenges[-1]
            reply = c.replies_for(trail, ch, ("CHALLENGE_REPLIED",))
            ref = c.at(reply) if reply else datetime.combine(cal.due_wd(c.at(ch), 7),
                                                             datetime.min.time(), c.at(ch).tzinfo)
            due = cal.due_wd(ref, 15)
            if c.day(filed) > due:
                yield hit(_GP_COMPLAINT, trail, [ch, *([reply] if reply else []), filed],
                          {"reference": str(local_date(ref)), "due": str(due),
                           "filed": str(c.day(filed))},
                          f"投诉 {c.day(filed)} 提出，晚于答复期满 {local_date(ref)} 后15个工作日（{due}）",
                          f"complaint {c.day(filed)} > due {due} (15 wd after {local_date(ref)})",
                          severity="info", lead=False, subjects=[str(org)])
    for s in trail.of_type("ACTIVITY_SUSPENDED"):
        if s.actor.get("role") != "regulator":
            continue
        res = next((r for r in trail.of_type("ACTIVITY_RESUMED") if r.index > s.index), None)
        days = cd(c.at(s), c.at(res) if res else c.now(trail))
        if days > 30:
            yield hit(_GP_COMPLAINT, trail, [s, *([res] if res else [])],
                      {"suspended": str(c.day(s)), "resumed": str(c.day(res)) if res else None,
                       "days": days, "limit": 30},
                      f"监督部门责令暂停 {c.day(s)} 起 {days} 日，超过30日",
                      f"regulator-ordered suspension from {c.day(s)} lasted {days} days > 30")
