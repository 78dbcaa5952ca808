"""RULES.md §4 (part 2): price weight and formula, price limits, bonds, consortium statement,
samples, standard templates, fair-competition review.

Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ledger.rules.catalogue.s04_terms import dec, docs, terms
from ledger.rules.context import RuleContext
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.registry import hit, rule

_DOC = ("PROJECT_REGISTERED", "DOC_ISSUED")


def _problems(rule_id: str, trail: Trail, e: TrailEvent, problems: dict[str, object],
              zh: str, en: str) -> Iterator[Finding]:
    if problems:
        keys = ", ".join(problems)
        yield hit(rule_id, trail, [e], {"problems": problems, "doc_version": e.get("version")},
                  f"{zh}：{keys}", f"{en}: {keys}")


@rule("R-GP87-55-PRICE-WEIGHT", title_zh="综合评分法价格分值比重与计算方法",
      title_en="Price weight and price formula in comprehensive scoring (GP)",
      basis='GP87 第55条 "货物项目的价格分值占总分值的比重不得低于30%；服务项目的价格分值占总分值的'
            '比重不得低于10%"; "价格分应当采用低价优先法计算"; "不得去掉报价中的最高报价和最低报价"',
      section="4", reads=_DOC, severity="violation", lead=True, confidence="V", applies="GP")
def gp87_55_price(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if trail.flags.get("regime") != "GP":
        return
    minimum = {"goods": Decimal(30), "services": Decimal(10)}.get(trail.flags.get("subject", ""))
    for e in docs(trail):
        t = terms(e)
        weight = dec(t.get("price_weight"))
        problems: dict[str, object] = {}
        if weight is not None and minimum is not None and weight < minimum:
            problems["price_weight"] = {"percent": str(weight), "minimum": str(minimum)}
        if t.get("price_formula") == "other":
            problems["price_formula"] = "other"
        if t.get("trims_extremes"):
            problems["trims_extremes"] = True
        yield from _problems("R-GP87-55-PRICE-WEIGHT", trail, e, problems,
                             "综合评分价格条款违规", "price scoring terms")


@rule("R-TBR-27-PRICE-LIMITS", title_zh="不得设最低投标限价；最高限价、预算应公开",
      title_en="No minimum price; maximum price disclosed; GP budget disclosed",
      basis='TBR 第27条 "招标人设有最高投标限价的，应当在招标文件中明确最高投标限价或者最高投标限价的'
            '计算方法。招标人不得规定最低投标限价"; GP87 第12条; GPR 第30条',
      section="4", reads=_DOC, severity="violation", lead=True, confidence="V")
def tbr_27_limits(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    f = trail.flags
    gp = f.get("regime") == "GP"
    for e in docs(trail):
        t = terms(e)
        problems: dict[str, object] = {}
        if dec(t.get("min_price")):
            problems["min_price"] = t.get("min_price")
        if f.get("max_price") and t.get("max_price_disclosed") is False:
            problems["max_price_not_disclosed"] = f.get("max_price")
        if gp and t.get("budget_disclosed") is False:
            problems["budget_not_disclosed"] = f.get("budget_amount")
        mp, budget = dec(f.get("max_price")), dec(f.get("budget_amount"))
        if gp and mp is not None and budget is not None and mp > budget:
            problems["max_price_above_budget"] = {"max_price": str(mp), "budget": str(budget)}
        yield from _problems("R-TBR-27-PRICE-LIMITS", trail, e, problems,
                             "限价条款违规", "price limit terms")


@rule("R-TBR-26-BOND-CAP", title_zh="投标保证金不超过估算价/预算的2%，政府采购非现金",
      title_en="Bid bond at most 2% of the estimate (TB) or budget (GP); GP bonds non-cash",
      basis='TBR 第26条 "投标保证金不得超过招标项目估算价的2%"; GPR 第33条 "投标保证金不得超过采购项目'
            '预算金额的2%……应当以支票、汇票、本票或者金融机构、担保机构出具的保函等非现金形式提交"',
      section="4", reads=(*_DOC, "BOND_PAID"), severity="violation", lead=True, confidence="V",
      applies="all (per-lot bases and the 80万 absolute cap are not implemented)")
def tbr_26_bond_cap(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    f = trail.flags
    gp = f.get("regime") == "GP"
    base = dec(f.get("budget_amount") if gp else f.get("estimate_amount"))
    ratio = Decimal(ctx.thresholds.bond_cap_ratio)
    for e in docs(trail):
        t = terms(e)
        problems: dict[str, object] = {}
        bond = dec(t.get("bond_amount"))
        if bond is not None and base is not None and bond > ratio * base:
            problems["bond_amount"] = {"amount": str(bond), "cap": str(ratio * base),
                                       "base": str(base)}
        if gp and "cash" in (t.get("bond_forms_allowed") or []):
            problems["cash_allowed"] = True
        yield from _problems("R-TBR-26-BOND-CAP", trail, e, problems,
                             "投标保证金条款违规", "bid bond terms")


@rule("R-TBR-58-PERF-BOND-CAP", title_zh="履约保证金不超过合同金额的10%",
      title_en="Performance bond at most 10% of the contract amount",
      basis='TBR 第58条 "履约保证金不得超过中标合同金额的10%"; GPR 第48条',
      section="4", reads=("DOC_ISSUED", "PERFORMANCE_BOND_PAID", "CONTRACT_SIGNED"),
      severity="violation", lead=True, confidence="V")
def tbr_58_perf(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    cap = Decimal(ctx.thresholds.perf_bond_cap_ratio)
    for e in docs(trail):
        pct = dec(terms(e).get("perf_bond_ratio"))
        if pct is not None and pct > cap * 100:
            yield from _problems("R-TBR-58-PERF-BOND-CAP", trail, e,
                                 {"perf_bond_percent": str(pct)}, "履约保证金比例超过10%",
                                 "performance bond percent above cap")
    contract = trail.last("CONTRACT_SIGNED")
    gp = trail.flags.get("regime") == "GP"
    for p in trail.of_type("PERFORMANCE_BOND_PAID"):
        amount = dec(p.get("amount"))
        c_amount = dec(contract.get("amount")) if contract else None
        over = amount is not None and c_amount is not None and amount > cap * c_amount
        cash = gp and p.get("form") == "cash"
        if over or cash:
            yield hit("R-TBR-58-PERF-BOND-CAP", trail, [p, *([contract] if contract else [])],
                      {"amount": str(amount), "contract_amount": str(c_amount), "cash": cash},
                      f"履约保证金 {amount}，合同金额 {c_amount}，现金={cash}",
                      f"performance bond {amount} vs contract {c_amount}; cash={cash}")


@rule("R-TBR-37-CONSORTIUM-STATEMENT", title_zh="公告或招标文件载明是否接受联合体投标",
      title_en="The announcement states whether consortia are accepted",
      basis='TBR 第37条 "招标人应当在资格预审公告、招标公告或者投标邀请书中载明是否接受联合体投标"; GP87 第19条',
      section="4", reads=("DOC_ISSUED",), severity="warning", lead=False, confidence="V",
      applies="all (the GP rejected-consortium violation is not implemented: no reason code)")
def tbr_37_statement(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for e in docs(trail):
        t = terms(e)
        if t and t.get("consortium_statement") in (None, "unspecified"):
            yield hit("R-TBR-37-CONSORTIUM-STATEMENT", trail, [e],
                      {"consortium_statement": t.get("consortium_statement")},
                      "招标文件未载明是否接受联合体投标", "no statement on consortium bids")


@rule("R-GP87-22-SAMPLES", title_zh="一般不得要求提供样品",
      title_en="Samples required without justification (GP)",
      basis='GP87 第22条 "一般不得要求投标人提供样品"', section="4", reads=("DOC_ISSUED",),
      severity="warning", lead=False, confidence="V", applies="GP (justification not recorded)")
def gp87_22_samples(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if trail.flags.get("regime") != "GP":
        return
    for e in docs(trail):
        if terms(e).get("samples_required"):
            yield hit("R-GP87-22-SAMPLES", trail, [e], {"samples_required": True},
                      "招标文件要求提供样品，需核查理由与评审方法",
                      "samples required; check justification and evaluation criteria")


@rule("R-TBR-15-STANDARD-TEMPLATE", title_zh="使用标准文本", title_en="Standard document templates used",
      basis='TBR 第15条 "编制依法必须进行招标的项目的资格预审文件和招标文件，应当使用……标准文本"; GPR 第32条',
      section="4", reads=_DOC, severity="info", lead=False, confidence="V",
      applies="(TB ∧ must_tender) ∨ GP")
def tbr_15_template(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    f = trail.flags
    if f.get("regime") == "TB" and not f.get("must_tender"):
        return
    for e in docs(trail):
        if not e.get("standard_template_id"):
            yield hit("R-TBR-15-STANDARD-TEMPLATE", trail, [e], {"standard_template_id": None},
                      "未记录所用标准文本", "no standard template id recorded")


@rule("R-FC-REVIEW", title_zh="政策措施经过公平竞争审查",
      title_en="The center's own rules and templates passed fair-competition review",
      basis='FC 第18条 "政策措施未经公平竞争审查……不得出台"; FC 第8条(四); FC 第9条(三)',
      section="4", reads=(), severity="warning", lead=True, confidence="V",
      applies="not implemented: no event carries policy measures or review record ids")
def fc_review(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    """Not implemented: no event records the center's policy measures or their fair-competition review (公平竞争审查) records."""
    return iter(())
