"""docs/rules.md §8: evaluation committee formation, roles, expert draw and qualification,
conflicts of interest, list secrecy and member replacement.

Evaluated per section (lot). Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from ledger.rules.applicability import ALL, GP, TB_MUST_OR_GP
from ledger.rules.catalogue.s03_timing import effective_deadline
from ledger.rules.catalogue.s06_common import dec, per_section
from ledger.rules.catalogue.s08_common import (
    SMALL_TEAM_METHODS,
    Committee,
    committee,
    random_draws,
)
from ledger.rules.context import RuleContext
from ledger.rules.helpers import round_holding
from ledger.rules.model import Finding, Severity, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import label, listing


def _applies_committee(flags: Mapping[str, Any]) -> bool:
    """TB 第37条 binds must-tender projects; GP committees / teams always."""
    if flags.get("method") == "single_source":
        return False
    return flags.get("regime") == "GP" or bool(flags.get("must_tender"))


def _composition(com: Committee, n_min: int) -> dict[str, int] | None:
    n, e = len(com.members), len(com.experts)
    if n < n_min or n % 2 == 0 or 3 * e < 2 * n:
        return {"members": n, "experts": e, "minimum": n_min}
    return None


@rule("R-TB-37-COMPOSITION", title_zh="评标委员会五人以上单数，专家不少于三分之二",
      title_en="5 or more members, odd number, experts at least two thirds",
      basis='TB 第37条 "成员人数为五人以上单数，其中技术、经济等方面的专家不得少于成员总数的三分之二"; '
            'GP87 第47条; GP 第38条(一) 第40条(一) "三人以上的单数"',
      section="8", reads=("PROJECT_REGISTERED", "COMMITTEE_FORMED", "MEMBER_REPLACED"),
      severity="violation", lead=True, confidence="V",
      applies=TB_MUST_OR_GP.where("(TB ∧ must_tender) ∨ GP; minimum 3 for negotiation / inquiry / consultation"))
def composition(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    flags = trail.flags
    if not _applies_committee(flags):
        return
    n_min = 3 if flags.get("method") in SMALL_TEAM_METHODS else 5
    for sid, sec in per_section(trail):
        formed, now = committee(sec, replacements=False), committee(sec)
        if formed is None or now is None:
            continue
        bad, com = _composition(formed, n_min), formed
        if bad is None:
            bad, com = _composition(now, n_min), now
        if bad is None:
            continue
        n, e = bad["members"], bad["experts"]
        yield hit("R-TB-37-COMPOSITION", trail, [com.formed, *com.replaced.values()], bad,
                  *_composition_words(n, e, n_min), section_id=sid)


@rule("R-GP87-47-SEVEN", title_zh="大额、复杂或社会影响大的政府采购项目评标委员会七人以上",
      title_en="7 or more members for large, complex or high-impact GP projects",
      basis='GP87 第47条 "评标委员会成员人数应当为7人以上单数：(一)采购预算金额在1000万元以上；'
            '(二)技术复杂；(三)社会影响较大"', section="8",
      reads=("PROJECT_REGISTERED", "COMMITTEE_FORMED", "MEMBER_REPLACED"),
      severity="violation", lead=True, confidence="V", applies=GP.where("GP ∧ method ∈ {open, invited}"))
def gp_seven(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    flags = trail.flags
    if flags.get("regime") != "GP" or flags.get("method") not in ("open", "invited"):
        return
    budget = dec(flags.get("budget_amount")) or Decimal(0)
    for sid, sec in per_section(trail):
        com = committee(sec)
        if com is None:
            continue
        p = com.formed.payload
        reasons = [r for r, on in (("budget≥10000000", budget >= 10_000_000),
                                   ("is_complex", p.get("is_complex")),
                                   ("high_social_impact", p.get("high_social_impact"))) if on]
        n = len(com.members)
        if reasons and n < 7:
            yield hit("R-GP87-47-SEVEN", trail, [com.formed],
                      {"members": n, "minimum": 7, "reasons": reasons, "budget": str(budget)},
                      f"评标委员会 {n} 人，少于 7 人（{listing(_SEVEN_ZH[r] for r in reasons)}）",
                      f"committee of {n} < 7 although "
                      f"{listing((_SEVEN_EN[r] for r in reasons), 'en')}", section_id=sid)


@rule("R-GP87-47-ROLES", title_zh="政府采购评标委员会成员身份限制",
      title_en="Role restrictions (GP)",
      basis='GP87 第47条 "评审专家对本单位的采购项目只能作为采购人代表参与评标……采购代理机构工作人员'
            '不得参加由本机构代理的政府采购项目的评标"; GP87 第45条(四) "采购人代表不得担任组长"',
      section="8", reads=("PROJECT_REGISTERED", "COMMITTEE_FORMED"), severity="violation",
      lead=True, confidence="V", applies=GP)
def gp_roles(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    flags = trail.flags
    if flags.get("regime") != "GP":
        return
    purchaser = (flags.get("tenderer_org") or {}).get("org_id")
    agent = (flags.get("agent_org") or {}).get("org_id")
    for sid, sec in per_section(trail):
        com = committee(sec, replacements=False)
        if com is None:
            continue
        problems = []
        for pid, m in com.members.items():
            if m.get("role") == "expert" and purchaser and m.get("employer_org") == purchaser:
                problems.append((pid, "expert_employed_by_purchaser"))
            if agent and m.get("employer_org") == agent:
                problems.append((pid, "member_employed_by_agent"))
        chair = com.formed.get("chair_id")
        if chair and (com.members.get(chair) or {}).get("role") == "tenderer_rep":
            problems.append((chair, "purchaser_rep_is_chair"))
        if problems:
            shown = [f"{pid}:{what}" for pid, what in problems]
            yield hit("R-GP87-47-ROLES", trail, [com.formed], {"problems": shown},
                      "评标委员会成员身份不符：" + listing(
                          f"{pid}{_ROLES_ZH[what]}" for pid, what in problems),
                      "committee role restrictions broken: " + listing(
                          (f"{pid} {_ROLES_EN[what]}" for pid, what in problems), "en"),
                      section_id=sid, subjects=sorted({pid for pid, _ in problems}))


@rule("R-TBR-46-SUPERVISOR-NOT-MEMBER", title_zh="行政监督部门工作人员不得担任评标委员会成员",
      title_en="Supervisory or competent-department staff are not members",
      basis='TBR 第46条 "行政监督部门的工作人员不得担任本部门负责监督项目的评标委员会成员"; '
            'EV 第12条(二)', section="8",
      reads=("PROJECT_REGISTERED", "COMMITTEE_FORMED", "MEMBER_REPLACED", "*"),
      severity="violation", lead=True, confidence="V")
def supervisor_not_member(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    dept = trail.flags.get("supervisory_dept")
    acting: dict[Any, TrailEvent] | None = None  # the same for every section: read once
    for sid, sec in per_section(trail):
        com = committee(sec)
        if com is None:
            continue
        if acting is None:
            acting = {e.actor.get("id"): e for e in trail
                      if e.actor.get("role") in ("supervisor", "regulator")}
        persons, evs = [], [com.formed]
        for pid, m in com.members.items():
            employer = m.get("employer_org") or (ctx.reference.experts.get(pid) or {}).get(
                "employer_org")
            as_sup = acting.get(pid)
            if (dept and employer == dept) or as_sup is not None:
                persons.append(pid)
                evs += [as_sup] if as_sup is not None else []
        if persons:
            yield hit("R-TBR-46-SUPERVISOR-NOT-MEMBER", trail, evs,
                      {"persons": persons, "supervisory_dept": dept,
                       "acting_as_supervisor": [e.actor.get("id") for e in evs[1:]]},
                      f"评标委员会成员 {listing(persons)} 为行政监督人员",
                      f"committee members {listing(persons, 'en')} are "
                      "supervisory staff", section_id=sid, subjects=persons)


_SEVEN_ZH = {"budget≥10000000": "采购预算金额在1000万元以上", "is_complex": "技术复杂",
             "high_social_impact": "社会影响较大"}
_SEVEN_EN = {"budget≥10000000": "the budget is CNY 10 million or more",
             "is_complex": "it is technically complex", "high_social_impact": "of wide impact"}
_ROLES_ZH = {"expert_employed_by_purchaser": " 为本单位评审专家，只能作为采购人代表",
             "member_employed_by_agent": " 为本项目代理机构工作人员",
             "purchaser_rep_is_chair": " 为采购人代表却担任组长"}
_ROLES_EN = {"expert_employed_by_purchaser": "is an expert employed by the purchaser",
             "member_employed_by_agent": "works for the procurement agent",
             "purchaser_rep_is_chair": "is the purchaser's representative and chairs"}


def _composition_words(n: int, e: int, n_min: int) -> tuple[str, str]:
    """What the committee fails, each comparison written as it actually stands."""
    zh, en = [], []
    if n < n_min or n % 2 == 0:
        zh.append(f"成员 {n} 人，须为不少于 {n_min} 人的单数")
        en.append(f"{n} members, not an odd number of at least {n_min}")
    if 3 * e < 2 * n:
        zh.append(f"专家 {e} 人，少于成员总数的三分之二（3×{e}={3 * e} < 2×{n}={2 * n}）")
        en.append(f"{e} experts, fewer than two thirds of the members "
                  f"(3×{e}={3 * e} < 2×{n}={2 * n})")
    return (f"评标委员会组成不符合规定：{'；'.join(zh)}",
            f"committee composition unlawful: {'; '.join(en)}")


def _qualification_words(suspended: list[str], weak: list[dict[str, object]], years: int
                         ) -> tuple[str, str]:
    zh = [f"专家 {listing(suspended)} 已被暂停评标资格"] if suspended else []
    en = [f"experts {listing(suspended, 'en')} are suspended"] if suspended else []
    for w in weak:
        y, senior = w["years_in_field"], w["senior_title"]
        zh.append(f"专家 {w['person']} 从业 {y if y is not None else '（未载明）'} 年"
                  f"{'、无高级职称' if senior is False else ''}（须满 {years} 年并具有高级职称）")
        en.append(f"expert {w['person']} has {y if y is not None else 'unrecorded'} years in "
                  f"the field{', no senior title' if senior is False else ''} (needs {years} "
                  "years and a senior title)")
    return f"专家资格不符：{'；'.join(zh)}", f"expert qualification: {'; '.join(en)}"


_DRAW_ZH = {
"not_drawn": "未经随机抽取", "direct_with_approval": "经批准直接确定",
            "specialty_mismatch": "专业与抽取专业不符"}


@rule("R-TBR-46-RANDOM-DRAW", title_zh="评标专家从专家库随机抽取",
      title_en="Experts drawn at random from the pool; direct choice only for special projects",
      basis='TBR 第46条 "应当从评标专家库内相关专业的专家名单中以随机抽取方式确定"; TBR 第47条; '
            'GP87 第48条', section="8",
      reads=("EXPERT_DRAW", "COMMITTEE_FORMED", "MEMBER_REPLACED", "DOC_ISSUED",
             "DEADLINE_CHANGED"), severity="violation", lead=True, confidence="V",
      applies=ALL.where("all committees (timing tiers D/M)"))
def random_draw(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    th = ctx.thresholds
    for sid, sec in per_section(trail):
        com = committee(sec)
        if com is None:
            continue
        draws = sec.of_type("EXPERT_DRAW")
        problems: dict[str, tuple[list[str], list[TrailEvent]]] = {}
        for pid in com.experts:
            mine = [d for d in draws if pid in d.get("drawn_ids", [])]
            rnd = [d for d in mine if d.get("method") == "random"]
            spec = com.members[pid].get("specialty")
            if rnd and spec and not any(spec in d.get("specialties", []) for d in rnd):
                what, evs = "specialty_mismatch", rnd
            elif rnd:
                continue
            elif any(d.get("method") == "direct" and d.get("justification_ref") for d in mine):
                what, evs = "direct_with_approval", mine
            else:
                what, evs = "not_drawn", []
            entry = problems.setdefault(what, ([], [com.formed]))
            entry[0].append(pid)
            entry[1].extend(evs)
        for what, (persons, evs) in sorted(problems.items()):
            sev: Severity = {"not_drawn": "violation", "direct_with_approval": "info"}.get(
                what, "warning")  # type: ignore[assignment]
            yield hit("R-TBR-46-RANDOM-DRAW", trail, evs, {"persons": persons, "problem": what},
                      f"专家 {listing(persons)}：{_DRAW_ZH[what]}",
                      f"experts {listing(persons, 'en')}: {label(what, 'en')}",
                      section_id=sid, subjects=persons, severity=sev, lead=sev != "info")
        rounds = [d for d in draws if d.get("declined_ids")]
        if len(rounds) > th.max_redraw_rounds:
            yield hit("R-TBR-46-RANDOM-DRAW", trail, rounds,
                      {"rounds_with_declines": len(rounds), "maximum": th.max_redraw_rounds},
                      f"专家抽取因拒绝重抽 {len(rounds)} 轮，超过 {th.max_redraw_rounds}",
                      f"{len(rounds)} draw rounds with declines > {th.max_redraw_rounds}",
                      section_id=sid, severity="warning")
        yield from _early_draw(trail, sec, sid, ctx)


def _early_draw(trail: Trail, sec: Trail, sid: str | None, ctx: RuleContext
                ) -> Iterator[Finding]:
    lead = timedelta(hours=ctx.thresholds.draw_lead_hours)
    for d in random_draws(sec):
        dl = effective_deadline(round_holding(sec, d))  # the deadline of the draw's round
        if dl is not None and d.occurred_at < dl[0] - lead:
            hours = (dl[0] - d.occurred_at).total_seconds() / 3600
            yield hit("R-TBR-46-RANDOM-DRAW", trail, [d, dl[1]],
                      {"hours_before_deadline": round(hours, 2),
                       "limit_hours": ctx.thresholds.draw_lead_hours, "problem": "early_draw"},
                      f"专家抽取早于投标截止 {hours:.1f} 小时",
                      f"experts drawn {hours:.1f} h before the bid deadline", section_id=sid,
                      severity="warning")


@rule("R-TB-37-EXPERT-QUALIFICATION", title_zh="评标专家从事相关领域工作满八年并具有高级职称",
      title_en="8 years in the field and a senior title (or equivalent)",
      basis='TB 第37条 "专家应当从事相关领域工作满八年并具有高级职称或者具有同等专业水平"; EV 第11条',
      section="8", reads=("COMMITTEE_FORMED", "MEMBER_REPLACED", "EXPERT_DRAW"),
      severity="warning", lead=False, confidence="V",
      applies=ALL.where("all committees (reads ReferenceData.experts for missing fields and status)"))
def expert_qualification(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, sec in per_section(trail):
        com = committee(sec)
        if com is None:
            continue
        suspended, weak = [], []
        for pid in com.experts:
            reg = ctx.reference.experts.get(pid) or {}
            m = {**reg, **{k: v for k, v in com.members[pid].items() if v is not None}}
            years, senior = m.get("years_in_field"), m.get("senior_title")
            if reg.get("status") == "suspended":
                suspended.append(pid)
            short = years is not None and years < ctx.thresholds.expert_min_years
            if short or (senior is False and not m.get("equivalence_recognised")):
                weak.append({"person": pid, "years_in_field": years, "senior_title": senior})
        if suspended or weak:
            yield hit("R-TB-37-EXPERT-QUALIFICATION", trail, [com.formed],
                      {"suspended": suspended, "unqualified": weak,
                       "min_years": ctx.thresholds.expert_min_years},
                      *_qualification_words(suspended, weak, ctx.thresholds.expert_min_years),
                      section_id=sid, subjects=suspended + [str(w["person"]) for w in weak],
                      severity="violation" if suspended else None, lead=True if suspended else None)
