"""docs/rules.md §4 (part 2): price weight and formula, price limits, bonds, consortium statement,
samples, standard templates, fair-competition review.

Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ledger.rules.applicability import ALL, GP, TB_MUST_OR_GP
from ledger.rules.catalogue.s04_terms import dec, docs, terms
from ledger.rules.context import RuleContext
from ledger.rules.helpers import over_cap
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import Lang, money_str, pct, share, yuan

_DOC = ("PROJECT_REGISTERED", "DOC_ISSUED")


def _problems(rule_id: str, trail: Trail, e: TrailEvent, problems: dict[str, object],
              zh: str, en: str, also: Sequence[TrailEvent] = ()) -> Iterator[Finding]:
    """One finding per document version listing its problems in words (``also``: the
    events the compared values come from, e.g. the registration carrying the estimate)."""
    if problems:
        said = [(_say(k, v, "zh"), _say(k, v, "en")) for k, v in problems.items()]
        yield hit(rule_id, trail, [e, *also],
                  {"problems": problems, "doc_version": e.get("version")},
                  f"{zh}：{'；'.join(z for z, _ in said)}",
                  f"{en}: {'; '.join(x for _, x in said)}", section_id=e.section_id)


def _amount(value: object, lang: Lang) -> str:
    amount = dec(value)
    return yuan(amount, lang) if amount is not None else ("未载明" if lang == "zh" else "none")


def _say(key: str, value: object, lang: Lang) -> str:
    """One problem of a document's price or bond terms as a sentence."""
    v: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
    zh = lang == "zh"
    if key == "bond_amount":
        gp = v.get("regime") == "GP"
        ratio = Decimal(str(v["ratio"]))
        over = share(dec(v["amount"]) or Decimal(0), dec(v["base"]) or Decimal(0), ratio)
        cap = pct(ratio)
        if zh:
            return (f"投标保证金 {_amount(v['amount'], lang)}，为{'预算金额' if gp else '估算价'} "
                    f"{_amount(v['base'], lang)} 的 {over}，超过 {cap}（上限 "
                    f"{_amount(v['cap'], lang)}）")
        return (f"bid bond {_amount(v['amount'], lang)} is {over} of the "
                f"{'budget' if gp else 'estimate'} {_amount(v['base'], lang)}, above {cap} "
                f"(cap {_amount(v['cap'], lang)})")
    if key == "price_weight":
        return (f"价格分值比重 {v['percent']}% 低于 {v['minimum']}%" if zh else
                f"price weight {v['percent']}% below the minimum {v['minimum']}%")
    if key == "max_price_above_budget":
        return (f"最高限价 {_amount(v['max_price'], lang)} 超过预算金额 {_amount(v['budget'], lang)}"
                if zh else f"maximum price {_amount(v['max_price'], lang)} above the budget "
                f"{_amount(v['budget'], lang)}")
    if key == "perf_bond_percent":
        return (f"履约保证金比例 {value}% 超过 10%" if zh else
                f"performance bond of {value}% above 10%")
    if key in _AMOUNT_PHRASES:
        return _AMOUNT_PHRASES[key][0 if zh else 1].format(_amount(value, lang))
    return _FLAG_PHRASES[key][0 if zh else 1]


_AMOUNT_PHRASES = {
    "min_price": ("规定了最低投标限价 {}", "a minimum bid price of {} is set"),
    "max_price_not_disclosed": ("最高投标限价 {} 未在招标文件中载明",
                                "the maximum price {} is not stated in the documents"),
    "budget_not_disclosed": ("预算金额 {} 未在招标文件中载明",
                             "the budget {} is not stated in the documents"),
}
_FLAG_PHRASES = {
    "price_formula": ("价格分未采用低价优先法计算", "the price score is not lowest-price-first"),
    "trims_extremes": ("价格分计算去掉了最高和最低报价", "the highest and lowest prices are dropped"),
    "cash_allowed": ("允许以现金形式提交投标保证金", "cash bid bonds are allowed"),
}


@rule("R-GP87-55-PRICE-WEIGHT", title_zh="综合评分法价格分值比重与计算方法",
      title_en="Price weight and price formula in comprehensive scoring (GP)",
      basis='GP87 第55条 "货物项目的价格分值占总分值的比重不得低于30%；服务项目的价格分值占总分值的'
            '比重不得低于10%"; "价格分应当采用低价优先法计算"; "不得去掉报价中的最高报价和最低报价"',
      section="4", reads=_DOC, severity="violation", lead=True, confidence="V", applies=GP)
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
      applies=ALL.where("all (a lot's own estimate / budget from PROJECT_REGISTERED.lots when given, "
              "else the project's; the 80万 absolute cap is not implemented)"))
def tbr_26_bond_cap(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    f = trail.flags
    gp = f.get("regime") == "GP"
    ratio = Decimal(ctx.thresholds.bond_cap_ratio)
    reg = trail.first("PROJECT_REGISTERED")  # carries the estimate / budget compared
    for e in docs(trail):
        t = terms(e)
        problems: dict[str, object] = {}
        base = _bond_base(f, reg, e.section_id, gp)
        bond = dec(t.get("bond_amount"))
        if bond is not None and base is not None and over_cap(bond, ratio * base):
            problems["bond_amount"] = {"amount": money_str(bond), "base": money_str(base),
                                       "cap": money_str(ratio * base), "ratio": str(ratio),
                                       "regime": f.get("regime")}
        if gp and "cash" in (t.get("bond_forms_allowed") or []):
            problems["cash_allowed"] = True
        yield from _problems("R-TBR-26-BOND-CAP", trail, e, problems,
                             "投标保证金条款违规", "bid bond terms",
                             also=[reg] if reg is not None and "bond_amount" in problems else [])


def _bond_base(flags: Mapping[str, Any], reg: TrailEvent | None, section_id: str | None,
               gp: bool) -> Decimal | None:
    """The amount the bond cap is measured on: the document's lot's own estimate (TB) or
    budget (GP) when the registration lists the lot with it, else the project's (the 2 %
    of 第26条 / GPR 第33条 is of the project tendered, which for a lot is the lot)."""
    key = "budget_amount" if gp else "estimate_amount"
    lots = (reg.get("lots") if reg is not None else None) or []
    own = next((lot.get(key) for lot in lots
                if isinstance(lot, Mapping) and lot.get("section_id") == section_id), None)
    return dec(own) if own is not None else dec(flags.get(key))


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
    gp = trail.flags.get("regime") == "GP"
    for p in trail.of_type("PERFORMANCE_BOND_PAID"):
        amount = dec(p.get("amount"))
        contracts = bonded_contracts(trail, p)
        c_amount = sum((dec(c.get("amount")) or Decimal(0) for c in contracts), Decimal(0)) \
            if contracts else None
        over = amount is not None and c_amount is not None and over_cap(amount, cap * c_amount)
        cash = gp and p.get("form") == "cash"
        if over or cash:
            yield hit("R-TBR-58-PERF-BOND-CAP", trail, [p, *contracts],
                      {"amount": str(amount), "contract_amount": str(c_amount), "cash": cash},
                      *_perf_words(amount, c_amount, cap, over, cash),
                      section_id=p.section_id or _one_section(contracts))


def _perf_words(amount: Decimal | None, contract: Decimal | None, cap: Decimal, over: bool,
                cash: bool) -> tuple[str, str]:
    """The performance-bond finding in words: the amounts, the share and the cap."""
    zh, en = [], []
    if over and amount is not None and contract is not None:
        zh.append(f"履约保证金 {yuan(amount)}，为中标合同金额 {yuan(contract)} 的 "
                  f"{share(amount, contract, cap)}，超过 {pct(cap)}（上限 {yuan(cap * contract)}）")
        en.append(f"performance bond {yuan(amount, 'en')} is {share(amount, contract, cap)} of the "
                  f"contract amount {yuan(contract, 'en')}, above {pct(cap)} "
                  f"(cap {yuan(cap * contract, 'en')})")
    if cash:
        zh.append("政府采购履约保证金以现金形式提交")
        en.append("the procurement performance bond was paid in cash")
    return "；".join(zh), "; ".join(en)


def bonded_contracts(trail: Trail, bond: TrailEvent) -> list[TrailEvent]:
    """The contracts a performance bond secures (实施条例 第58条 "中标合同金额"): the winner's
    contracts of the bond's own lot (the last version of each contract id), or of every lot
    when the bond names none. Another lot's contract is never the base."""
    latest: dict[object, TrailEvent] = {}
    for c in trail.of_type("CONTRACT_SIGNED"):
        same_lot = bond.section_id is None or c.section_id in (bond.section_id, None)
        if same_lot and c.get("winner_org") == bond.get("bidder_org"):
            latest[(c.section_id, c.get("contract_id"))] = c
    return list(latest.values())


def _one_section(events: list[TrailEvent]) -> str | None:
    sections = {e.section_id for e in events} - {None}
    return next(iter(sections)) if len(sections) == 1 else None


@rule("R-TBR-37-CONSORTIUM-STATEMENT", title_zh="公告或招标文件载明是否接受联合体投标",
      title_en="The announcement states whether consortia are accepted",
      basis='TBR 第37条 "招标人应当在资格预审公告、招标公告或者投标邀请书中载明是否接受联合体投标"; GP87 第19条',
      section="4", reads=("DOC_ISSUED",), severity="warning", lead=False, confidence="V",
      applies=ALL.where("all (the GP rejected-consortium violation is not implemented: no reason code)"))
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
      severity="warning", lead=False, confidence="V", applies=GP.where("GP (justification not recorded)"))
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
      applies=TB_MUST_OR_GP)
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
      applies=ALL, implemented=False)
def fc_review(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    """Not implemented: no event records the center's policy measures or their fair-competition review (公平竞争审查) records."""
    return iter(())
