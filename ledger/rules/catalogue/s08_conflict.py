"""docs/rules.md §8 (part b): conflicts of interest and recusal, committee-list secrecy, and
member replacement.

Evaluated per section (lot). Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from ledger.rules.applicability import ALL
from ledger.rules.catalogue.s06_common import bidder_orgs, per_section
from ledger.rules.catalogue.s08_common import committee, random_draws, scores_by
from ledger.rules.context import RuleContext
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import label, listing


def _edges(ctx: RuleContext, person: str, orgs: list[str], since: datetime
           ) -> list[tuple[str, str]]:
    """(org, kind) relations of a person with orgs or their principals, within the lookback
    (a relation whose ``until`` ends before ``since`` − lookback years is ignored)."""
    out: list[tuple[str, str]] = []
    if not ctx.reference.relations:
        return out  # no relation to find (asked for every member and bidder of every lot)
    horizon = (since - timedelta(days=365 * ctx.thresholds.conflict_lookback_years)).date()
    for org in orgs:
        ent = ctx.reference.enterprises.get(org) or {}
        principals = [org] + [str(ent[k]) for k in ("legal_rep", "principal") if ent.get(k)]
        for party in principals:
            for r in ctx.reference.related(person, party):
                until = r.get("until")
                if until and datetime.fromisoformat(str(until)).date() < horizon:
                    continue
                out.append((org, str(r.get("kind", "related"))))
    return out


def _declared(sec: Trail, person: str, orgs: list[str]) -> tuple[list[TrailEvent], bool]:
    """(declarations naming one of ``orgs``, whether ``person`` declared "no relation")."""
    decls = [e for e in sec.of_type("CONFLICT_DECLARED") if e.payload.get("person_id") == person]
    naming = [e for e in decls if any(r.get("counterpart_org") in orgs
                                      for r in e.get("declared_relations", []))]
    return naming, any(not e.get("declared_relations") for e in decls)


@rule("R-TBR-46-CONFLICT", title_zh="与投标人有利害关系的评标委员会成员应当回避",
      title_en="Conflicts of interest and recusal",
      basis='TB 第37条 "与投标人有利害关系的人不得进入相关项目的评标委员会；已经进入的应当更换"; '
            'TBR 第46条 "评标委员会成员与投标人有利害关系的，应当主动回避"; EV 第12条; GPR 第9条',
      section="8", reads=("COMMITTEE_FORMED", "MEMBER_REPLACED", "CONFLICT_DECLARED", "RECUSAL",
                          "SCORE_SUBMITTED", "BID_SUBMITTED", "EXPERT_DRAW"),
      severity="violation", lead=True, confidence="V",
      applies=ALL.where("all committees (graph from ReferenceData.relations / .enterprises / .experts)"))
def conflict(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    flags = trail.flags
    staff_orgs = [o for o in ((flags.get("tenderer_org") or {}).get("org_id"),
                              (flags.get("agent_org") or {}).get("org_id")) if o]
    for sid, sec in per_section(trail):
        com = committee(sec)
        if com is None:
            continue
        orgs = bidder_orgs(sec)
        staff_links: list[str] = []
        staff_words: list[tuple[str, str, str]] = []

        for pid in [*com.members, *com.replaced]:
            draw = next((d for d in sec.of_type("EXPERT_DRAW") if pid in d.get("drawn_ids", [])),
                        com.formed)
            edges = _edges(ctx, pid, orgs, draw.occurred_at)
            naming, said_none = _declared(sec, pid, orgs)
            own = [e for e in sec.of_type("CONFLICT_DECLARED") if e.payload.get("person_id") == pid]
            edges += [(str(r["counterpart_org"]), str(r.get("relation"))) for e in naming
                      for r in e.get("declared_relations", []) if r.get("counterpart_org") in orgs]
            penalties = (ctx.reference.experts.get(pid) or {}).get("penalties")
            if penalties:
                edges.append(("-", "prior_penalty"))
            scores = scores_by(sec, pid)
            first = scores[0] if scores else None
            left = [e for e in sec.of_type("RECUSAL", "MEMBER_REPLACED")
                    if e.get("person_id") == pid and (first is None or e.index < first.index)]
            if edges and not left:
                false_decl = said_none and any(k != "prior_penalty" for _, k in edges)
                links = sorted({f"{o}:{k}" for o, k in edges})
                yield hit("R-TBR-46-CONFLICT", trail,
                          # evidence: committee, the member's draw and declarations, first score
                          [com.formed, draw, *own, *([first] if first else [])],
                          {"person": pid, "links": links, "false_declaration": false_decl,
                           "scored": first is not None},
                          f"评标委员会成员 {pid} 与投标人存在利害关系（{_links_zh(edges)}）未回避"
                          + ("，且声明无关联" if false_decl else ""),
                          f"committee member {pid} has a conflict ({_links_en(edges)}) and did "
                          "not recuse" + (" (declared no relation)" if false_decl else ""),
                          section_id=sid, subjects=[pid, *sorted({o for o, _ in edges} - {"-"})])
            staff = _edges(ctx, pid, staff_orgs, draw.occurred_at)
            if staff and not left:
                staff_links += sorted({f"{pid}~{o}:{k}" for o, k in staff})
                staff_words += [(pid, o, k) for o, k in sorted(staff)]
        if staff_links:
            yield hit("R-TBR-46-CONFLICT", trail, [com.formed],
                      {"links": staff_links, "with": "tenderer_or_agent"},
                      "评标委员会成员与招标人或代理机构存在关系（" + listing(
                          f"{p} 与 {o} 存在{label(k)}" for p, o, k in staff_words) + "）",
                      "committee members linked to the tenderer or agent (" + listing(
                          (f"{p}: {label(k, 'en')} with {o}" for p, o, k in staff_words),
                          "en") + ")",
                      section_id=sid, subjects=sorted({x.split("~")[0] for x in staff_links}),
                      severity="warning")


@rule("R-TB-37-LIST-SECRECY", title_zh="评标委员会成员名单在中标结果确定前保密",
      title_en="The committee list stays confidential",
      basis='TB 第37条 "评标委员会成员的名单在中标结果确定前应当保密"; GP87 第47条 "在评标结果公告前'
            '应当保密"; TBR 第41条(二)', section="8",
      reads=("ACCESS_LOG", "EXPERT_DRAW", "COMMITTEE_FORMED", "WINNER_DETERMINED",
             "RESULT_ANNOUNCED"), severity="violation", lead=True, confidence="V",
      applies=ALL.where("all (organising staff = draw operators / supervisors and the committee's former)"))
def list_secrecy(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    result_type = "RESULT_ANNOUNCED" if trail.flags.get("regime") == "GP" else "WINNER_DETERMINED"
    for sid, sec in per_section(trail):
        result = sec.first(result_type)
        staff = {str(x) for d in sec.of_type("EXPERT_DRAW") for x in
                 (d.get("operator"), d.get("supervisor"), d.actor.get("id")) if x}
        staff |= {str(e.actor.get("id")) for e in sec.of_type("COMMITTEE_FORMED")}
        for a in sec.of_type("ACCESS_LOG"):
            if a.get("resource") != "committee_list" or a.get("success") is False:
                continue
            if result is not None and a.index > result.index:
                continue
            who, role = str(a.actor.get("id")), a.actor.get("role")
            if role == "bidder" or who not in staff:
                yield hit("R-TB-37-LIST-SECRECY", trail, [a],
                          {"actor": who, "role": role, "before": result_type},
                          f"{who}（{label(role)}）在{_BEFORE[result_type][0]}前访问评标委员会名单",
                          f"{who} ({label(role, 'en')}) accessed the committee list before "
                          f"{_BEFORE[result_type][1]}",
                          section_id=sid, subjects=[who])


_REASONS = ("recusal", "left_post", "health")
_BEFORE = {"RESULT_ANNOUNCED": ("中标结果公告", "the result was announced"),
           "WINNER_DETERMINED": ("中标人确定", "the winner was determined")}
_REPLACE_ZH = {"replacement_not_drawn_at_random": "替补专家未经随机抽取"}
_REPLACE_EN = {"replacement_not_drawn_at_random": "the replacement was not drawn at random"}


def _links_zh(edges: list[tuple[str, str]]) -> str:
    return listing("曾受处罚" if k == "prior_penalty" else f"与 {o} 存在{label(k)}"
                   for o, k in sorted(set(edges)))


def _links_en(edges: list[tuple[str, str]]) -> str:
    return listing(("prior penalty" if k == "prior_penalty" else f"{label(k, 'en')} with {o}"
                    for o, k in sorted(set(edges))), "en")


@rule("R-TBR-46-REPLACEMENT", title_zh="评标委员会成员依法更换、随机抽取替补、被更换者评审无效",
      title_en="Members replaced only for legal reasons; replacement drawn at random; "
               "the replaced member's conclusions are void",
      basis='TBR 第46条 "非因招标投标法和本条例规定的事由，不得更换依法确定的评标委员会成员"; '
            'TBR 第48条 "被更换的评标委员会成员作出的评审结论无效"; GP87 第49条', section="8",
      reads=("MEMBER_REPLACED", "EXPERT_DRAW", "SCORE_SUBMITTED", "EVAL_REPORT_SIGNED"),
      severity="violation", lead=True, confidence="V",
      applies=ALL.where("all (reason 'other' cannot be told apart from other statutory grounds: warning)"))
def replacement(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, sec in per_section(trail):
        signed = sec.last("EVAL_REPORT_SIGNED")
        for r in sec.of_type("MEMBER_REPLACED"):
            old, new, reason = r.payload["person_id"], r.payload["replacement_id"], r.get("reason")
            draws = [d for d in random_draws(sec) if new in d.get("drawn_ids", [])]
            problems = ([f"reason_{reason}"] if reason not in _REASONS else []) + (
                [] if draws else ["replacement_not_drawn_at_random"])
            if problems:
                yield hit("R-TBR-46-REPLACEMENT", trail, [r, *draws],
                          {"replaced": old, "replacement": new, "reason": reason,
                           "problems": problems},
                          f"成员 {old} 由 {new} 更换（理由：{label(reason)}）："
                          f"{listing(_REPLACE_ZH.get(p, '更换理由非法定事由') for p in problems)}",
                          f"member {old} replaced by {new} (reason: {label(reason, 'en')}): "
                          f"{listing((_REPLACE_EN.get(p, 'not a statutory reason') for p in problems), 'en')}",
                          section_id=sid, subjects=[old, new],
                          severity="violation" if draws == [] else "warning")
            late = [s for s in scores_by(sec, old) if s.index > r.index]
            if late:
                yield hit("R-TBR-46-REPLACEMENT", trail, [r, *late],
                          {"replaced": old, "scores_after_replacement": len(late)},
                          f"被更换成员 {old} 在更换后仍提交 {len(late)} 项评分",
                          f"replaced member {old} submitted {len(late)} scores after replacement",
                          section_id=sid, subjects=[old])
            if signed is None:
                continue
            wanted = {(s.get("bidder_org"), s.get("factor_id"))
                      for s in sec.of_type("SCORE_SUBMITTED") if s.get("expert_id") != old}
            done = {(s.get("bidder_org"), s.get("factor_id")) for s in scores_by(sec, new)}
            missing = sorted(f"{b}/{f}" for b, f in wanted - done)
            if missing:
                yield hit("R-TBR-46-REPLACEMENT", trail, [r, signed],
                          {"replacement": new, "missing": missing[:20], "missing_count": len(missing)},
                          f"替补成员 {new} 未对 {len(missing)} 个投标人/评分项重新评审",
                          f"replacement {new} did not score {len(missing)} bidder/factor pairs",
                          section_id=sid, subjects=[new])
