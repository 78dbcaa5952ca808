"""docs/rules.md §9 (part b): scores, clarifications, mandatory rejection, abnormally low bids,
the evaluation report, thin competition and re-evaluation.

Evaluated per section (lot). Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, getcontext
from typing import Any

from ledger.rules.applicability import ALL
from ledger.rules.catalogue.s06_common import bidder_orgs, dec
from ledger.rules.context import RuleContext
from ledger.rules.helpers import PRICE_SOURCES, bid_prices, lot_rounds, over_cap, price_reads
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import listing, pct, yuan

Key = tuple[str, str]  # (bidder_org, factor_id)


def latest_scores(sec: Trail) -> dict[Key, dict[str, TrailEvent]]:
    """(bidder, factor) → expert → that expert's latest SCORE_SUBMITTED (memoised per trail,
    grown from the previous view's: an entry no new score changed is the previous one's own
    dict; callers read it, never change it)."""
    return sec.grown(_latest_scores, _latest_scores, _more_scores)


def _more_scores(prior: dict[Key, dict[str, TrailEvent]], new: tuple[TrailEvent, ...]
                 ) -> dict[Key, dict[str, TrailEvent]]:
    """``_latest_scores`` of the trail grown by ``new``: ``prior``'s, an entry copied before a
    new score changes it (same keys and order as built afresh)."""
    out = dict(prior)
    copied: set[Key] = set()
    for s in new:
        if s.type == "SCORE_SUBMITTED":
            p = s.payload
            key = (str(p.get("bidder_org")), str(p.get("factor_id")))
            if key not in copied:
                copied.add(key)
                out[key] = dict(out.get(key, {}))
            out[key][str(p.get("expert_id"))] = s
    return out


def _latest_scores(sec: Trail) -> dict[Key, dict[str, TrailEvent]]:
    out: dict[Key, dict[str, TrailEvent]] = {}
    for s in sec.of_type("SCORE_SUBMITTED"):  # thousands per trail: the payload read directly
        p = s.payload
        key = (str(p.get("bidder_org")), str(p.get("factor_id")))
        out.setdefault(key, {})[str(p.get("expert_id"))] = s
    return out


def _val(e: TrailEvent) -> Decimal:
    return dec(e.get("score")) or Decimal(0)


# One SCORE_SUBMITTED as the score rules compare it, parsed once per trail: factor_min,
# factor_max, the score (0 when absent or malformed), its text (as compared and worded),
# whether it is objective (is_objective truthy), whether it lies outside the range and
# whether its arithmetic is exact (``_exact``). A plain tuple: a trail holds thousands of
# scores, and a tuple is the cheapest to build.
Fact = tuple[Decimal | None, Decimal | None, Decimal, str, bool, bool, bool]
Facts = dict[int, Fact]


def _fact(e: TrailEvent) -> Fact:
    p = e.payload
    lo, hi, v = dec(p.get("factor_min")), dec(p.get("factor_max")), _val(e)
    out = (lo is not None and v < lo) or (hi is not None and v > hi)
    text = str(v)
    return (lo, hi, v, text, bool(p.get("is_objective")), out, _exact(text))


def _exact(text: str) -> bool:
    """A score written with at most 12 characters, digits and a point only (no exponent, no
    NaN or infinity): sums, halves and differences of such scores are exact in the default
    28-digit context."""
    return len(text) <= 12 and text.lstrip("-").replace(".", "", 1).isdigit()


def _score_facts(sec: Trail) -> Facts:
    """id(SCORE_SUBMITTED) → its ``Fact``, parsed once. A fact follows from the texts of the
    range and the score and the objective flag, which most scores share (every expert scores
    a factor within the same range, on the same scale in every project): equal texts share
    one fact, kept across trails (``_SHARED``)."""
    return _add_facts({}, sec.of_type("SCORE_SUBMITTED"))


def _more_facts(prior: Facts, new: tuple[TrailEvent, ...]) -> Facts:
    return _add_facts(dict(prior), [s for s in new if s.type == "SCORE_SUBMITTED"])


def _add_facts(out: Facts, scores: list[TrailEvent]) -> Facts:
    shared = _SHARED
    for s in scores:
        p = s.payload
        lo, hi, score = p.get("factor_min"), p.get("factor_max"), p.get("score")
        if type(lo) in _TEXT and type(hi) in _TEXT and type(score) in _TEXT:
            key = (lo, hi, score, bool(p.get("is_objective")))
            fact = shared.get(key)
            if fact is None:
                fact = _fact(s)
                if len(shared) >= _SHARED_KEPT:
                    shared.clear()
                shared[key] = fact
        else:  # numbers and other JSON values: 1 and 1.0 would be one key, not one text
            fact = _fact(s)
        out[id(s)] = fact
    return out


_TEXT = (str, type(None))
# Facts by (factor_min, factor_max, score, objective) texts: a fact is an immutable tuple that
# follows from them alone, so one is shared by every trail; the bound keeps memory flat.
_SHARED: dict[tuple[str | None, str | None, str | None, bool], Fact] = {}
_SHARED_KEPT = 20_000


@rule("R-GP87-64-SCORE-INTEGRITY", title_zh="评分汇总、分值范围、客观分一致与畸高畸低",
      title_en="Score arithmetic, range, objective consistency and outliers",
      basis='GP87 第64条 "(一)分值汇总计算错误的；(二)分项评分超出评分标准范围的；(三)评标委员会成员'
            '对客观评审因素评分不一致的；(四)经评标委员会认定评分畸高、畸低的"; TBR 第71条(三)',
      section="9", reads=("SCORE_SUBMITTED", "EVAL_REPORT_SIGNED"), severity="violation",
      lead=True, confidence="V",
      applies=ALL.where("all; report total = Σ factors of the mean over experts (pivotal-expert test "
              "not implemented)"))
def score_integrity(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    ratio = Decimal(ctx.thresholds.score_outlier_ratio)
    decimals = getcontext()
    same = (ratio, trail.project_id, trail.flags.get("regime"), decimals.prec, decimals.rounding)
    for sid, sec in lot_rounds(trail):
        signed = sec.last("EVAL_REPORT_SIGNED")
        table = latest_scores(sec)
        facts = sec.grown(_score_facts, _score_facts, _more_facts)
        # a (bidder, factor)'s findings follow from its latest scores, the signed report, the
        # ratio, the project and its regime (the basis cited) and the decimal context: the next
        # view reuses them while its entry of ``latest_scores`` is the previous view's own dict
        # (no new score for it) and the rest is the same
        kept = sec.kept(_group)
        for (b, f), by_expert in sorted(table.items()):
            was = kept.get((b, f))
            if was is None or was[0] is not by_expert or was[1] is not signed or was[2] != same:
                was = kept[(b, f)] = (by_expert, signed, same, list(
                    _group(trail, sid, b, f, by_expert, facts, ratio, signed)))
            yield from was[3]
        if signed is not None:
            yield from _totals(trail, sid, table, signed, facts)


def _group(trail: Trail, sid: str | None, b: str, f: str, by_expert: dict[str, TrailEvent],
           facts: Facts, ratio: Decimal, signed: TrailEvent | None) -> Iterator[Finding]:
    """The findings on one (bidder, factor): scores out of range, then objective scores
    that differ, else outliers."""
    rows = [facts[id(s)] for s in by_expert.values()]
    if any(r[5] for r in rows):  # out of range
        yield from _out_of_range(trail, sid, b, f, by_expert, facts)
    evs = list(by_expert.values())
    values = {r[3] for r in rows}
    if any(r[4] for r in rows) and len(values) > 1:
        after = signed is not None and signed.index > max(e.index for e in evs)
        report = [signed] if signed is not None and after else []
        yield hit("R-GP87-64-SCORE-INTEGRITY", trail, evs + report,
                  {"bidder": b, "factor": f, "scores": sorted(values),
                   "problem": "objective_inconsistent", "in_signed_report": after},
                  f"客观评审因素 {f}（{b}）评分不一致：{listing(sorted(values))}",
                  f"objective factor {f} for {b} scored inconsistently: "
                  f"{listing(sorted(values), 'en')}",
                  section_id=sid, severity="violation" if after else "warning")
    elif len(evs) >= 3 and not _too_close(rows, ratio):
        yield from _outliers(trail, sid, b, f, by_expert, ratio, facts)


def _out_of_range(trail: Trail, sid: str | None, b: str, f: str,
                  by_expert: dict[str, TrailEvent], facts: Facts) -> Iterator[Finding]:
    for ex, s in sorted(by_expert.items()):
        lo, hi, v, _text, _objective, out, _ = facts[id(s)]
        if out:
            yield hit("R-GP87-64-SCORE-INTEGRITY", trail, [s],
                      {"expert": ex, "bidder": b, "factor": f, "score": str(v),
                       "range": [str(lo), str(hi)], "problem": "out_of_range"},
                      f"专家 {ex} 对 {b} 的 {f} 评分 {v} 超出 [{lo}, {hi}]",
                      f"expert {ex} scored {b}/{f} {v} outside [{lo}, {hi}]",
                      section_id=sid, subjects=[ex])


def _too_close(rows: list[Fact], ratio: Decimal) -> bool:
    """No score of the group can be an outlier: every score lies within the spread of the
    group, and so does the median of the others, so no score is further from it than the
    spread; an outlier needs more than ``ratio`` × its own factor_max (its limit is at least
    that). Only said when the arithmetic is exact (ordinary scores); otherwise the scores
    are compared one by one."""
    limits = [ratio * r[1] for r in rows if not r[4] and r[1] is not None]
    if not limits:
        return True  # no subjective score with a range: nothing is tested
    if not all(r[6] for r in rows) or getcontext().prec < 28:
        return False
    values = [r[2] for r in rows]
    return max(values) - min(values) <= min(limits)


def _median(values: list[Decimal]) -> Decimal:
    """``statistics.median`` (same arithmetic) without its overhead on a handful of scores."""
    data = sorted(values)
    n = len(data)
    if n % 2:
        return data[n // 2]
    return (data[n // 2 - 1] + data[n // 2]) / 2


def _outliers(trail: Trail, sid: str | None, b: str, f: str, by_expert: dict[str, TrailEvent],
              ratio: Decimal, facts: Facts) -> Iterator[Finding]:
    vals = {x: facts[id(e)][2] for x, e in by_expert.items()}
    for ex, s in sorted(by_expert.items()):
        hi = facts[id(s)][1]
        if s.get("is_objective") or hi is None:
            continue
        others = [v for x, v in vals.items() if x != ex]
        med = _median(others)
        mad = _median([abs(o - med) for o in others])
        limit = max(ratio * hi, 3 * mad)
        if abs(_val(s) - med) > limit:  # evidence: the score and the others it is set against
            yield hit("R-GP87-64-SCORE-INTEGRITY", trail, list(by_expert.values()),
                      {"expert": ex, "bidder": b, "factor": f, "score": str(_val(s)),
                       "median_others": str(med), "limit": str(limit), "problem": "outlier"},
                      f"专家 {ex} 对 {b}/{f} 评分 {_val(s)} 偏离其他成员中位数 {med} 超过 {limit}",
                      f"expert {ex} scored {b}/{f} {_val(s)}, off the others' median {med} "
                      f"by more than {limit}", section_id=sid, subjects=[ex], severity="warning")


def _totals(trail: Trail, sid: str | None, table: dict[Key, dict[str, TrailEvent]],
            signed: TrailEvent, facts: Facts) -> Iterator[Finding]:
    totals: dict[str, Decimal] = {}
    for (b, _f), by_expert in table.items():
        vals = [facts[id(e)][2] for e in by_expert.values()]
        totals[b] = totals.get(b, Decimal(0)) + sum(vals, Decimal(0)) / len(vals)
    bad = {}
    for c in signed.get("candidates", []):
        stated = dec(c.get("score"))
        mine = totals.get(c.get("bidder_org"))
        if stated is not None and mine is not None and abs(stated - mine) > Decimal("0.01"):
            bad[str(c.get("bidder_org"))] = {"report": str(stated), "recomputed": f"{mine:.2f}"}
    if bad:
        yield hit("R-GP87-64-SCORE-INTEGRITY", trail, [signed],
                  {"totals": bad, "problem": "total_mismatch"},
                  "评标报告所载总分与按评分复算不符：" + listing(
                      f"{o} 报告 {v['report']} 分、复算 {v['recomputed']} 分" for o, v in bad.items()),
                  "report totals differ from the recomputed scores: " + listing(
                      (f"{o} reported {v['report']}, recomputed {v['recomputed']}"
                       for o, v in bad.items()), "en"),
                  section_id=sid, subjects=sorted(bad))


@rule("R-GP87-62-NEGOTIATED-SCORES", title_zh="主观评审因素协商评分",
      title_en="Identical subjective scores",
      basis='GP87 第62条(四) "对需要专业判断的主观评审因素协商评分"; GPR 第41条 "进行独立评审"',
      section="9", reads=("SCORE_SUBMITTED",), severity="warning", lead=True, confidence="D")
def negotiated_scores(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, sec in lot_rounds(trail):
        subj = {k: v for k, v in latest_scores(sec).items()
                if any(e.payload.get("is_objective") is False for e in v.values())}
        bidders = {b for b, _ in subj}
        experts = {x for v in subj.values() for x in v}
        if len(bidders) < 3 or len(experts) < 2:
            continue
        if all(len(v) == len(experts) and len({_val(e) for e in v.values()}) == 1
               for v in subj.values()):
            evs = [e for v in subj.values() for e in v.values()]
            yield hit("R-GP87-62-NEGOTIATED-SCORES", trail, evs,
                      {"bidders": len(bidders), "experts": len(experts), "factors": len(subj)},
                      f"{len(experts)} 名专家对 {len(bidders)} 个投标人的全部主观评分完全相同",
                      f"{len(experts)} experts gave identical subjective scores on all "
                      f"{len(subj)} bidder/factor pairs ({len(bidders)} bidders)", section_id=sid)


@rule("R-TBR-52-BIDDER-CLARIFICATION", title_zh="不得接受投标人主动提出的澄清、说明",
      title_en="Clarifications only when the committee asks, never unsolicited",
      basis='TBR 第52条 "评标委员会……不得接受投标人主动提出的澄清、说明"; TB 第39条; GP87 第51条',
      section="9", reads=("BIDDER_CLARIFICATION_REQUESTED", "BIDDER_CLARIFICATION_ANSWERED",
                          "SCORE_SUBMITTED"), severity="violation", lead=True, confidence="V",
      applies=ALL.where("all (off-platform exchange and price changes are not in the events)"))
def bidder_clarification(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, sec in lot_rounds(trail):
        for a in sec.of_type("BIDDER_CLARIFICATION_ANSWERED"):
            b = a.get("bidder_org")
            asked = [r for r in sec.of_type("BIDDER_CLARIFICATION_REQUESTED")
                     if r.get("bidder_org") == b and r.index < a.index
                     and r.get("initiated_by") == "committee"]
            used = [s for s in sec.of_type("SCORE_SUBMITTED")
                    if s.get("bidder_org") == b and s.index > a.index]
            if (a.get("initiated_by") == "bidder" or not asked) and used:
                yield hit("R-TBR-52-BIDDER-CLARIFICATION", trail, [a, used[0]],
                          {"bidder": b, "initiated_by": a.get("initiated_by"),
                           "requested": bool(asked)},
                          f"投标人 {b} 主动提出的澄清被用于评分",
                          f"an unsolicited clarification from {b} was followed by scoring",
                          section_id=sid, subjects=[str(b)])


@rule("R-TBR-51-MUST-REJECT", title_zh="高于最高投标限价的投标应当否决",
      title_en="Bids above the ceiling are rejected; one price per bidder",
      basis='TBR 第51条(五) "投标报价低于成本或者高于招标文件设定的最高投标限价"; 第51条(四); '
            'GP87 第63条(四) "报价超过招标文件中规定的预算金额或者最高限价的"', section="9",
      reads=("PROJECT_REGISTERED", "BID_SUBMITTED", *PRICE_SOURCES, "BID_REJECTED",
             "SCORE_SUBMITTED", "EVAL_REPORT_SIGNED", "BID_MODIFIED", "BID_WITHDRAWN"),
      severity="violation", lead=True, confidence="V",
      applies=ALL.where("all (prices as read at the opening: decrypted / opened bid, else the record)"))
def must_reject(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    flags = trail.flags
    caps = [c for c in (dec(flags.get("max_price")),
                        dec(flags.get("budget_amount")) if flags.get("regime") == "GP" else None)
            if c is not None]
    cap = min(caps) if caps else None
    for sid, sec in lot_rounds(trail):
        rejected = {e.get("bidder_org") for e in sec.of_type("BID_REJECTED")}
        if cap is not None:
            yield from _above_cap(trail, sid, sec, cap, rejected)
        changed = {e.get("bidder_org") for e in sec.of_type("BID_MODIFIED", "BID_WITHDRAWN")}
        for org, reads in sorted(price_reads(sec).items()):
            prices = sorted({str(p) for p, _ in reads})
            if len(prices) >= 2 and org not in changed and org not in rejected:
                yield hit("R-TBR-51-MUST-REJECT", trail, [e for _, e in reads],
                          {"bidder": org, "prices": prices},
                          f"{org} 的投标文件开启后读出 {len(prices)} 个不同报价"
                          f"（{listing(yuan(Decimal(p)) for p in prices)}），未被否决",
                          f"{org}'s opened bid shows {len(prices)} different prices "
                          f"({listing((yuan(Decimal(p), 'en') for p in prices), 'en')}), "
                          "not rejected", section_id=sid, subjects=[org])


def _above_cap(trail: Trail, sid: str | None, sec: Trail, cap: Decimal,
               rejected: set[Any]) -> Iterator[Finding]:
    """Bidders priced above the ceiling, not rejected, yet scored or in the report."""
    signed = sec.last("EVAL_REPORT_SIGNED")
    in_report = {c.get("bidder_org") for c in (signed.get("candidates", []) if signed else [])}
    scored = {s.payload.get("bidder_org") for s in sec.of_type("SCORE_SUBMITTED")}
    prices = bid_prices(sec)
    for org in bidder_orgs(sec):
        price, src = prices.get(org, (None, None))
        if (price is not None and src is not None and over_cap(price, cap) and org not in rejected
                and (org in in_report or org in scored)):
            yield hit("R-TBR-51-MUST-REJECT", trail, [src] + ([signed] if signed else []),
                      {"bidder": org, "bid_price": str(price), "ceiling": str(cap)},
                      f"{org} 的投标报价 {yuan(price)} 高于最高投标限价 {yuan(cap)}，未被否决",
                      f"{org}'s price {yuan(price, 'en')} > ceiling {yuan(cap, 'en')} but not "
                      "rejected",
                      section_id=sid, subjects=[str(org)])


@rule("R-EV-21-ABNORMALLY-LOW", title_zh="明显低于其他报价的投标应先要求澄清",
      title_en="An abnormally low bid must be asked to explain before it is rejected",
      basis='EV 第21条 "明显低于其他投标报价"; GP87 第60条 "应当要求其在评标现场合理的时间内提供书面'
            '说明"; OP (十三) "不得直接否决投标"', section="9",
      reads=("BID_SUBMITTED", *PRICE_SOURCES, "BID_REJECTED", "BIDDER_CLARIFICATION_REQUESTED"),
      severity="warning", lead=False, confidence="V2", applies=ALL.where("all (0.80 threshold D)"))
def abnormally_low(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    ratio = Decimal(ctx.thresholds.abnormally_low_ratio)
    for sid, sec in lot_rounds(trail):
        asked = {r.get("bidder_org") for r in sec.of_type("BIDDER_CLARIFICATION_REQUESTED")}
        rejected = {e.get("bidder_org"): e for e in sec.of_type("BID_REJECTED")}
        prices = bid_prices(sec)
        priced = [(org, *prices[org]) for org in bidder_orgs(sec) if org in prices]
        for org, p, src in priced:
            others = [q for o, q, _ in priced if o != org and o not in rejected]
            rej = rejected.get(org)
            below_cost = rej is not None and rej.get("reason_code") in ("below_cost",
                                                                       "abnormally_low")
            if org in asked or len(others) < 2:
                continue
            mean = sum(others, Decimal(0)) / len(others)
            if below_cost or p < ratio * mean:
                yield hit("R-EV-21-ABNORMALLY-LOW", trail, [src] + ([rej] if rej else []),
                          {"bidder": org, "bid_price": str(p), "mean_others": str(round(mean, 2)),
                           "ratio": str(round(p / mean, 4)), "rejected_below_cost": below_cost},
                          f"{org} 的投标报价 {yuan(p)} 为其他报价均值 {yuan(mean)} 的 {pct(p / mean)}，"
                          "未要求其澄清",
                          f"{org}'s price {yuan(p, 'en')} is {pct(p / mean)} of the others' mean "
                          f"{yuan(mean, 'en')}; "

                          "no clarification was requested", section_id=sid, subjects=[str(org)],
                          severity="violation" if below_cost else None,
                          lead=True if below_cost else None)
