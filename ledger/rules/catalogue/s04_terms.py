"""docs/rules.md §4: tender-document content — restrictive or discriminatory terms, prices, bonds.

Checks the effective (latest) ``DOC_ISSUED.structured_terms`` per lot and document kind.
Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ledger.rules.applicability import ALL, GP, TB_MUST, TB_MUST_OR_GP
from ledger.rules.context import RuleContext
from ledger.rules.helpers import dec as dec  # re-exported to the section modules
from ledger.rules.model import Finding, Severity, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import label, labels, quoted

NO_SCOPE = {None, "", "none", "national", "全国", "无"}
LOCAL_TYPES = {"ownership", "org_form", "location", "local_branch", "local_tax_social_security"}
SCALE_TYPES = {"registered_capital", "total_assets", "revenue", "employees", "profit", "tax_paid"}
_DOC = ("DOC_ISSUED",)




def docs(trail: Trail) -> list[TrailEvent]:
    """The latest DOC_ISSUED per (section, doc_kind): the terms in force."""
    latest: dict[tuple[str | None, Any], TrailEvent] = {}
    for e in trail.of_type("DOC_ISSUED"):
        latest[(e.section_id, e.get("doc_kind"))] = e
    return list(latest.values())


def terms(e: TrailEvent) -> Mapping[str, Any]:
    return e.get("structured_terms") or {}


def items(e: TrailEvent) -> list[tuple[str, Mapping[str, Any]]]:
    """("qualification"/"scoring", entry) for every requirement and scoring factor."""
    t = terms(e)
    return ([("qualification", q) for q in t.get("qualification_reqs") or []]
            + [("scoring", f) for f in t.get("scoring_factors") or []])


def _term_hits(rule_id: str, trail: Trail, e: TrailEvent, bad: list[tuple[str, Mapping[str, Any]]],
               zh: str, en: str, **kw: Any) -> Iterator[Finding]:
    if bad:
        listed = [{"where": w, "type": x.get("type"), "id": x.get("id"), "value": x.get("value"),
                   "region_scope": x.get("region_scope"),
                   "industry_scope": x.get("industry_scope")} for w, x in bad]
        types = sorted({str(x.get("type")) for _, x in bad})
        where = {"qualification": ("资格条件", "qualification"), "scoring": ("评分因素", "scoring")}
        zh_items = [f"{where[w][0]} {x.get('id') or ''}（{label(x.get('type'))}）" for w, x in bad]
        en_items = [f"{where[w][1]} {x.get('id') or ''} ({label(x.get('type'), 'en')})" for w, x in bad]
        yield hit(rule_id, trail, [e], {"terms": listed, "doc_version": e.get("version")},
                  f"{zh}：{'、'.join(zh_items) or labels(types)}",
                  f"{en}: {', '.join(en_items) or labels(types, 'en')}", **kw)



@rule("R-TBR-32-3-REGION-INDUSTRY-PERF", title_zh="以特定区域或行业的业绩、奖项作为加分或中标条件",
      title_en="Performance or awards from a specific region or industry as a scoring or award "
               "condition",
      basis='TBR 第32条(三) "以特定行政区域或者特定行业的业绩、奖项作为加分条件或者中标条件"; GPR 第20条(四)',
      section="4", reads=_DOC, severity="violation", lead=True, confidence="V",
      applies=TB_MUST_OR_GP)
def tbr_32_3(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    f = trail.flags
    if f.get("regime") == "TB" and not f.get("must_tender"):
        return
    for e in docs(trail):
        bad = [(w, x) for w, x in items(e) if x.get("type") in ("performance", "award")
               and (x.get("region_scope") not in NO_SCOPE or x.get("industry_scope") not in NO_SCOPE)]
        yield from _term_hits("R-TBR-32-3-REGION-INDUSTRY-PERF", trail, e, bad,
                              "以特定区域/行业的业绩或奖项作为条件",
                              "region- or industry-bound performance/award terms")


@rule("R-TBR-32-5-BRAND", title_zh="限定或者指定特定的专利、商标、品牌、原产地或者供应商",
      title_en="A specific patent, trademark, brand, origin or supplier is named",
      basis='TBR 第32条(五) "限定或者指定特定的专利、商标、品牌、原产地或者供应商"; GPR 第20条(六); TB 第20条',
      section="4", reads=_DOC, severity="violation", lead=True, confidence="V")
def tbr_32_5_brand(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for e in docs(trail):
        refs = terms(e).get("brand_refs") or []
        strict = [r for r in refs if not r.get("equivalent_allowed")]
        if refs:
            sev: Severity = "violation" if strict else "info"
            shown = strict or refs
            names = [r.get("value") for r in shown]
            yield hit("R-TBR-32-5-BRAND", trail, [e],
                      {"brand_refs": list(shown), "equivalent_allowed": not strict},
                      f"招标文件指定{'' if strict else '（允许相当于）'}：{quoted(names)}",
                      f"document names {quoted(names, 'en')}" + ("" if strict else " (or equivalent)"),

                      severity=sev, lead=bool(strict))


@rule("R-TBR-32-6-OWNERSHIP-FORM-LOCATION", title_zh="限定所有制形式、组织形式或者所在地",
      title_en="Restriction on ownership, organisational form or location",
      basis='TBR 第32条(六) "非法限定潜在投标人或者投标人的所有制形式或者组织形式"; GPR 第20条(七); '
            "OP (三); FC 第9条(三); TB 第6条",
      section="4", reads=_DOC, severity="violation", lead=True, confidence="V")
def tbr_32_6(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for e in docs(trail):
        bad = [(w, x) for w, x in items(e) if x.get("type") in LOCAL_TYPES]
        yield from _term_hits("R-TBR-32-6-OWNERSHIP-FORM-LOCATION", trail, e, bad,
                              "限定所有制/组织形式/所在地", "ownership/form/location restriction")


@rule("R-GP87-17-SCALE-CONDITIONS", title_zh="以企业规模条件作为资格要求或评审因素",
      title_en="Size of the company used as a qualification or scoring factor",
      basis='GP87 第17条 "不得将投标人的注册资本、资产总额、营业收入、从业人员、利润、纳税额等规模条件'
            '作为资格要求或者评审因素"; TBR 第32条(二) (TB heuristic)',
      section="4", reads=("PROJECT_REGISTERED", "DOC_ISSUED"), severity="violation", lead=True,
      confidence="V", applies=ALL.where("GP: violation; TB: warning when capital/revenue > estimate (D)"))
def gp87_17_scale(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    gp = trail.flags.get("regime") == "GP"
    sev: Severity = "violation" if gp else "warning"
    est = dec(trail.flags.get("estimate_amount"))
    for e in docs(trail):
        if gp:
            bad = [(w, x) for w, x in items(e) if x.get("type") in SCALE_TYPES]
        else:
            bad = [(w, x) for w, x in items(e) if x.get("type") in ("registered_capital", "revenue")
                   and est is not None and (dec(x.get("value")) or 0) > est]
        yield from _term_hits("R-GP87-17-SCALE-CONDITIONS", trail, e, bad,
                              "以规模条件作为资格或评审因素", "company-size terms",
                              severity=sev)


@rule("R-GP87-17-MFR-AUTH", title_zh="将生产厂家授权作为资格要求",
      title_en="Manufacturer authorisation as a qualification (GP)",
      basis='GP87 第17条 "也不得通过将除进口货物以外的生产厂家授权、承诺、证明、背书等作为资格要求"',
      section="4", reads=_DOC, severity="violation", lead=True, confidence="V", applies=GP)
def gp87_17_mfr(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    """The catalogue has no 'imported goods' flag: every such requirement is reported."""
    if trail.flags.get("regime") != "GP":
        return
    for e in docs(trail):
        bad = [(w, x) for w, x in items(e)
               if w == "qualification" and x.get("type") == "manufacturer_authorization"]
        yield from _term_hits("R-GP87-17-MFR-AUTH", trail, e, bad,
                              "以生产厂家授权作为资格要求", "manufacturer authorisation required")


@rule("R-OP-3-IMPLICIT-BARRIERS", title_zh="市场占有率等隐性壁垒",
      title_en="Market share, non-mandatory certifications, specific-producer conditions",
      basis='OP (三) "不得提出……市场占有率……取得非强制资质认证……等要求"',
      section="4", reads=_DOC, severity="warning", lead=True, confidence="V",
      applies=TB_MUST.where("TB ∧ must_tender (market share only: mandatory_cert carries no mandatory flag)"))
def op_3_barriers(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    f = trail.flags
    if f.get("regime") != "TB" or not f.get("must_tender"):
        return
    for e in docs(trail):
        bad = [(w, x) for w, x in items(e) if x.get("type") == "market_share"]
        yield from _term_hits("R-OP-3-IMPLICIT-BARRIERS", trail, e, bad,
                              "以市场占有率设定条件", "market-share terms")


@rule("R-TBR-32-4-DIFFERENT-STANDARDS", title_zh="对不同投标人采用不同的评审标准",
      title_en="Different review standards for different bidders",
      basis='TBR 第32条(四) "对潜在投标人或者投标人采取不同的资格审查或者评标标准"; TBR 第49条 '
            '"招标文件没有规定的评标标准和方法不得作为评标的依据"; GPR 第20条(五); GPR 第34条',
      section="4", reads=("DOC_ISSUED", "SCORE_SUBMITTED"), severity="violation", lead=True,
      confidence="V")
def tbr_32_4(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    from ledger.rules.catalogue.s03_timing import is_tender_doc, lots
    for sid, lot in lots(trail):
        tdocs = [e for e in docs(lot) if is_tender_doc(e) and terms(e).get("scoring_factors")]
        scores = lot.of_type("SCORE_SUBMITTED")
        if not tdocs or not scores:
            continue
        known = {x.get("id") for x in terms(tdocs[-1]).get("scoring_factors") or []}
        unknown = [s for s in scores if s.payload.get("factor_id") not in known]
        maxima: dict[Any, dict[Any, TrailEvent]] = {}
        for s in scores:  # one pass per score of the lot: the payload read directly
            high = s.payload.get("factor_max")
            if high is not None:
                maxima.setdefault(s.payload.get("factor_id"), {}).setdefault(dec(high), s)
        varying = [ev for m in maxima.values() if len(m) > 1 for ev in m.values()]
        if unknown or varying:
            yield hit("R-TBR-32-4-DIFFERENT-STANDARDS", trail, [tdocs[-1], *unknown, *varying],
                      {"unknown_factors": sorted({str(s.get("factor_id")) for s in unknown}),
                       "varying_maxima": sorted({str(s.get("factor_id")) for s in varying})},
                      "评分因素不在招标文件中或各投标人分值上限不同",
                      "scores on factors not in the document, or factor maxima differ by bidder",
                      section_id=sid)


@rule("R-GP87-55-QUAL-AS-SCORE", title_zh="资格条件作为评审因素",
      title_en="Qualification conditions used as scoring factors (GP)",
      basis='GP87 第55条 "资格条件不得作为评审因素"; GPR 第34条; GPR 第68条(七)',
      section="4", reads=_DOC, severity="violation", lead=True, confidence="V",
      applies=GP.where("GP (the subjective-factor band check is not implemented: no band field)"))
def gp87_55_qual(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if trail.flags.get("regime") != "GP":
        return
    for e in docs(trail):
        qtypes = {q.get("type") for q in terms(e).get("qualification_reqs") or []} - {None, "other"}
        bad = [(w, x) for w, x in items(e) if w == "scoring" and x.get("type") in qtypes]
        yield from _term_hits("R-GP87-55-QUAL-AS-SCORE", trail, e, bad,
                              "资格条件同时作为评审因素", "qualification conditions scored")
