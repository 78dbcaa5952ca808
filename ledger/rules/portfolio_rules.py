"""docs/rules.md §13: cross-project statistical leads, as portfolio checks over many trails.

Risk scores that select projects for targeted inspection; they prove nothing. Every test is
a design heuristic (D) with thresholds in ``Thresholds``. Categories are the project's
``catalog_item`` (else its ``subject``) and regions its ``region`` flag (else "*").
Must not import the store, the API or the verifier.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations, pairwise
from statistics import median

from ledger.rules.catalogue import s10_common as c
from ledger.rules.context import RuleContext
from ledger.rules.helpers import PRICE_SOURCES, bid_prices
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.portfolio import portfolio_hit
from ledger.rules.registry import rule
from ledger.rules.wording import label, listing, pct

_COVER = "R-OP-11-COVER-BIDDER"
_KING = "R-OP-11-BID-KING"
_CLIQUE = "R-OP-11-CLIQUE"
_AFFINITY = "R-EXPERT-BIDDER-AFFINITY"
_DRAWS = "R-EXPERT-DRAW-FREQUENCY"
_AGENT = "R-AGENT-WINNER-CONCENTRATION"
_LOOP = "R-RETENDER-LOOP"
_MAX_CLIQUE = 5  # largest bidder set enumerated per section for R-OP-11-CLIQUE


@dataclass
class Lot:
    """One awarded-or-not section of one project, as the portfolio rules see it."""

    project_id: str
    section_id: str | None
    trail: Trail
    category: str
    region: str
    agent: str | None
    tenderer: str | None
    bids: dict[str, TrailEvent] = field(default_factory=dict)
    winner: str | None = None
    win_event: TrailEvent | None = None
    value: Decimal | None = None


def _value(lot: Trail, winner: str | None) -> Decimal | None:
    contract = lot.first("CONTRACT_SIGNED")
    if contract is not None:
        return c.money(contract.get("amount"))
    win = lot.last("WINNER_DETERMINED")
    if win is not None and win.get("award_price"):
        return c.money(win.get("award_price"))
    found = bid_prices(lot).get(winner) if winner else None  # the price read at the opening
    return found[0] if found else None


def lots_of(trails: Sequence[Trail]) -> list[Lot]:
    out: list[Lot] = []
    for trail in trails:
        flags = trail.flags
        agent = (flags.get("agent_org") or {}).get("org_id")
        tenderer = (flags.get("tenderer_org") or {}).get("org_id")
        category = str(flags.get("catalog_item") or flags.get("subject") or "*")
        for sid, lot in c.lots(trail):
            item = Lot(trail.project_id, sid, lot, category, str(flags.get("region") or "*"),
                       agent, tenderer)
            for b in lot.of_type("BID_SUBMITTED"):
                if b.get("accepted", True) and b.get("bidder_org"):
                    item.bids.setdefault(str(b.get("bidder_org")), b)
            item.winner = c.winner_org(lot)
            item.win_event = lot.last("WINNER_DETERMINED") or lot.first("CONTRACT_SIGNED")
            item.value = _value(lot, item.winner) if item.winner else None
            out.append(item)
    return out


def _by_bidder(lots: list[Lot]) -> dict[str, list[Lot]]:
    out: dict[str, list[Lot]] = defaultdict(list)
    for lot in lots:
        for org in lot.bids:
            out[org].append(lot)
    return out


@rule(_COVER, portfolio=True, section="13", severity="warning", lead=True,
      title_zh="陪标专业户", title_en="Cover bidder (陪标专业户)",
      basis='OP (十一) "密切关注中标率异常低、不以中标为目的投标的\'陪标专业户\'"',
      reads=("BID_SUBMITTED", "WINNER_DETERMINED", "CONTRACT_SIGNED"), confidence="D")
def cover_bidder(trails: Sequence[Trail], ctx: RuleContext) -> Iterator[Finding]:
    th = ctx.thresholds
    for org, mine in sorted(_by_bidder(lots_of(trails)).items()):
        n, wins = len(mine), sum(1 for x in mine if x.winner == org)
        if n < th.cover_min_bids or wins / n > th.cover_max_win_rate:
            continue
        top = Counter(x.winner for x in mine if x.winner and x.winner != org) \
            .most_common(th.cover_top_winners)
        colocated = sum(k for _, k in top)
        if colocated / n < th.cover_colocated_share:
            continue
        yield portfolio_hit(_COVER, [x.bids[org] for x in mine],
                            {"bidder": org, "bids": n, "wins": wins, "win_rate": round(wins / n, 4),
                             "top_winners": [w for w, _ in top],
                             "colocated_share": round(colocated / n, 4)},
                            f"{org} 投标 {n} 次、中标 {wins} 次，"
                            f"{colocated} 次陪同 {listing(w for w, _ in top)} 中标",
                            f"{org}: {n} bids, {wins} wins, {colocated} bids in sections won by "
                            f"{listing((w for w, _ in top), 'en')}", subjects=[org])


@rule(_KING, portfolio=True, section="13", severity="warning", lead=True,
      title_zh="标王", title_en="Bid king (标王): abnormally high win rate",
      basis='OP (十一) "操纵投标或出借资质等行为导致中标率异常高的\'标王\'"',
      reads=("BID_SUBMITTED", "WINNER_DETERMINED", "CONTRACT_SIGNED", *PRICE_SOURCES),
      confidence="D")
def bid_king(trails: Sequence[Trail], ctx: RuleContext) -> Iterator[Finding]:
    th = ctx.thresholds
    groups: dict[tuple[str, str], list[Lot]] = defaultdict(list)
    for lot in lots_of(trails):
        groups[(lot.category, lot.region)].append(lot)
    for (cat, region), lots in sorted(groups.items()):
        awarded = [x for x in lots if x.winner and x.value is not None]
        total = sum((x.value for x in awarded if x.value is not None), Decimal(0))
        for org, mine in sorted(_by_bidder(lots).items()):
            n, won = len(mine), [x for x in mine if x.winner == org]
            value = sum((x.value for x in won if x.value is not None), Decimal(0))
            by_rate = n >= th.king_min_bids and len(won) / n >= th.king_win_rate
            share = float(value / total) if total else 0.0
            by_value = len(awarded) >= th.king_value_min_sections and share >= th.king_value_share
            if not (by_rate or by_value):
                continue
            ev = [x.win_event for x in won if x.win_event] + [x.bids[org] for x in mine]
            yield portfolio_hit(_KING, ev,
                                {"bidder": org, "category": cat, "region": region, "bids": n,
                                 "wins": len(won), "win_rate": round(len(won) / n, 4),
                                 "value_share": round(share, 4), "by_rate": by_rate,
                                 "by_value": by_value},
                                f"{org} 在 {cat}/{region} 投标 {n} 次中标 {len(won)} 次，"
                                f"中标金额占比 {pct(share)}",
                                f"{org} in {cat}/{region}: {len(won)} wins of {n} bids, "
                                f"{pct(share)} of awarded value", subjects=[org])


def electronic_hits(lot: Lot, ctx: RuleContext) -> list[Finding]:
    """R-CL-E-* findings of one section (the electronic collusion indicators of §6)."""
    from ledger.rules.engine import evaluate
    from ledger.rules.registry import REGISTRY, load_all

    load_all()
    ids = [rid for rid in REGISTRY if rid.startswith("R-CL-E-")]
    return [f for f in evaluate(lot.trail, ctx, ids) if f.section_id in (lot.section_id, None)]\
        if ids else []


@rule(_CLIQUE, portfolio=True, section="13", severity="warning", lead=True,
      title_zh="经常性抱团投标、轮流中标",
      title_en="Clique (抱团) with bid rotation",
      basis='OP (十一) "经常性\'抱团\'投标"; TBR 第39条(二) "投标人之间约定中标人"',
      reads=("BID_SUBMITTED", "WINNER_DETERMINED", "CONTRACT_SIGNED"), confidence="D")
def clique(trails: Sequence[Trail], ctx: RuleContext) -> Iterator[Finding]:
    th = ctx.thresholds
    together: dict[tuple[str, ...], list[Lot]] = defaultdict(list)
    for lot in lots_of(trails):
        orgs = sorted(lot.bids)
        cap = th.clique_max_bidders_per_section
        if not lot.winner or not th.clique_min_size <= len(orgs) <= cap:
            continue
        for size in range(th.clique_min_size, min(len(orgs), _MAX_CLIQUE) + 1):
            for group in combinations(orgs, size):
                together[group].append(lot)
    qualifying: dict[tuple[str, ...], tuple[list[Lot], list[Finding]]] = {}
    hits_cache: dict[tuple[str, str | None], list[Finding]] = {}
    for group, lots in together.items():
        winners = {x.winner for x in lots}
        if len(lots) < th.clique_min_sections or not winners <= set(group) \
                or len(winners) < th.clique_min_distinct_winners:
            continue
        hits: list[Finding] = []
        for x in lots:
            key = (x.project_id, x.section_id)
            if key not in hits_cache:
                hits_cache[key] = electronic_hits(x, ctx)
            hits += hits_cache[key]
        if hits:
            qualifying[group] = (lots, hits)
    for group, (lots, hits) in sorted(qualifying.items()):
        if any(set(group) < set(other) for other in qualifying):
            continue
        ev = [x.bids[o] for x in lots for o in group] + [x.win_event for x in lots if x.win_event]
        rotation = [x.winner for x in lots]
        yield portfolio_hit(_CLIQUE, ev,
                            {"bidders": list(group), "sections": len(lots), "winners": rotation,
                             "collusion_rules": sorted({f.rule_id for f in hits})},
                            f"{listing(group)} 共同投标 {len(lots)} 个标段，轮流中标"
                            f"（{listing(rotation)}），并有电子串标迹象",
                            f"{listing(group, 'en')} co-bid in {len(lots)} sections, winners "
                            f"rotating ({listing(rotation, 'en')}), with electronic collusion hits",
                            subjects=list(group))


def _committee(lot: Trail) -> set[str]:
    formed = lot.last("COMMITTEE_FORMED")
    members = {str(m["person_id"]) for m in (formed.payload.get("members", []) if formed else [])
               if m.get("role", "expert") == "expert"}
    for r in lot.of_type("MEMBER_REPLACED"):
        if formed is not None and r.index > formed.index:
            members.discard(str(r.get("person_id")))
            members.add(str(r.get("replacement_id")))
    return members


def _favours(lot: Lot, ctx: RuleContext) -> Iterator[tuple[str, str, list[TrailEvent]]]:
    """(expert, bidder, score events) where the expert's total is ≥ k·MAD above the others."""
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    events: dict[tuple[str, str], list[TrailEvent]] = defaultdict(list)
    for s in lot.trail.of_type("SCORE_SUBMITTED"):
        key = (str(s.get("expert_id")), str(s.get("bidder_org")))
        totals[key] += c.money(s.get("score")) or Decimal(0)
        events[key].append(s)
    floor = Decimal(ctx.thresholds.affinity_mad_floor)
    k = Decimal(str(ctx.thresholds.affinity_mad_k))
    for bidder in sorted({b for _, b in totals}):
        per = {e: v for (e, b), v in totals.items() if b == bidder}
        for expert, mine in sorted(per.items()):
            others = [v for e, v in per.items() if e != expert]
            if len(others) < 2:
                continue
            m = median(others)
            mad = max(median([abs(v - m) for v in others]), floor)
            if mine > m and mine - m >= k * mad:
                yield expert, bidder, events[(expert, bidder)]


@rule(_AFFINITY, portfolio=True, section="13", severity="warning", lead=True,
      title_zh="评标专家与投标人异常亲和",
      title_en="Expert–bidder affinity (scores or win rate)",
      basis="TB 第44条; TBR 第49条; OP (十二)",
      reads=("SCORE_SUBMITTED", "COMMITTEE_FORMED", "BID_SUBMITTED", "WINNER_DETERMINED"),
      confidence="D")
def expert_affinity(trails: Sequence[Trail], ctx: RuleContext) -> Iterator[Finding]:
    th = ctx.thresholds
    lots = lots_of(trails)
    scored: dict[tuple[str, str], dict[str, list[TrailEvent]]] = defaultdict(dict)
    for lot in lots:
        for expert, bidder, evs in _favours(lot, ctx):
            scored[(expert, bidder)].setdefault(lot.project_id, []).extend(evs)
    flagged: set[tuple[str, str]] = set()
    for (expert, bidder), projects in sorted(scored.items()):
        if len(projects) >= th.affinity_min_projects:
            flagged.add((expert, bidder))
            yield portfolio_hit(_AFFINITY, [e for evs in projects.values() for e in evs],
                                {"expert": expert, "bidder": bidder, "projects_high": len(projects),
                                 "mad_k": th.affinity_mad_k, "branch": "scores"},
                                f"专家 {expert} 在 {len(projects)} 个项目中给 {bidder} "
                                "的评分显著高于其他成员",
                                f"expert {expert} scored {bidder} ≥ {th.affinity_mad_k}·MAD "
                                f"above the others in {len(projects)} projects",
                                subjects=[expert, bidder])
    for bidder, mine in sorted(_by_bidder(lots).items()):
        wins = sum(1 for x in mine if x.winner == bidder)
        base = wins / len(mine)
        sits: dict[str, list[Lot]] = defaultdict(list)
        for x in mine:
            for expert in _committee(x.trail):
                sits[expert].append(x)
        for expert, with_e in sorted(sits.items()):
            won = [x for x in with_e if x.winner == bidder]
            if (expert, bidder) in flagged or len(with_e) < th.affinity_min_sittings \
                    or len(won) < 2 or len(won) / len(with_e) < th.affinity_win_ratio * base:
                continue
            yield portfolio_hit(_AFFINITY, [x.win_event for x in won if x.win_event],
                                {"expert": expert, "bidder": bidder, "sittings": len(with_e),
                                 "wins_with": len(won), "base_rate": round(base, 4),
                                 "branch": "win_rate"},
                                f"专家 {expert} 在场时 {bidder} 中标 {len(won)}/{len(with_e)}，"
                                f"基准中标率 {pct(base)}",
                                f"{bidder} won {len(won)}/{len(with_e)} with expert {expert} "
                                f"sitting; base rate {pct(base)}", subjects=[expert, bidder])


def binomial_tail(n: int, k: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p)."""
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1))


def _pool_sizes(trails: Sequence[Trail], ctx: RuleContext) -> dict[str, int]:
    sizes: Counter[str] = Counter()
    for person in ctx.reference.experts.values():
        for pool in {person.get("pool_id"), *(person.get("pools") or [])} - {None}:
            sizes[str(pool)] += 1
    seen: dict[str, set[str]] = defaultdict(set)
    for t in trails:
        for d in t.of_type("EXPERT_DRAW"):
            seen[str(d.get("pool_id"))] |= set(d.get("drawn_ids") or [])
    return {p: sizes.get(p) or len(s) for p, s in seen.items()}


@rule(_DRAWS, portfolio=True, section="13", severity="warning", lead=True,
      title_zh="专家被同一招标人或代理机构异常频繁抽中",
      title_en="Expert drawn for the same tenderer or agent unusually often",
      basis='TBR 第46条 "不得……变相指定"; OP (十四)', reads=("EXPERT_DRAW",),
      confidence="D")
def draw_frequency(trails: Sequence[Trail], ctx: RuleContext) -> Iterator[Finding]:
    sizes = _pool_sizes(trails, ctx)
    draws: dict[tuple[str, str, str], list[TrailEvent]] = defaultdict(list)
    for t in trails:
        for who in ("tenderer_org", "agent_org"):
            org = (t.flags.get(who) or {}).get("org_id")
            for d in t.of_type("EXPERT_DRAW") if org else []:
                draws[(who, str(org), str(d.get("pool_id")))].append(d)
    for (who, org, pool), evs in sorted(draws.items()):
        size = sizes.get(pool, 0)
        p = sum(min(1.0, int(d.get("required_count") or 1) / size) for d in evs) / len(evs) \
            if size else 1.0
        if p >= 1.0:
            continue
        counts = Counter(x for d in evs for x in set(d.get("drawn_ids") or []))
        for expert, k in sorted(counts.items()):
            tail = binomial_tail(len(evs), k, p)
            if k >= 2 and tail < ctx.thresholds.draw_alpha:
                mine = [d for d in evs if expert in (d.get("drawn_ids") or [])]
                yield portfolio_hit(_DRAWS, mine,
                                    {"expert": expert, who: org, "pool": pool, "draws": len(evs),
                                     "times_drawn": k, "p": round(p, 6), "tail": tail},
                                    f"专家 {expert} 在 {org} 的 {len(evs)} 次抽取中被抽中 {k} 次"
                                    f"（单次抽中概率 {pct(p)}，尾概率 {tail:.2e}）",
                                    f"expert {expert} drawn {k} of {len(evs)} times for {org} "
                                    f"(chance per draw {pct(p)}, tail {tail:.2e})",
                                    subjects=[expert, org])


@rule(_AGENT, portfolio=True, section="13", severity="warning", lead=True,
      title_zh="代理机构所代理项目中标人集中",
      title_en="Agent–winner concentration", basis="TBR 第41条; OP (十六)",
      reads=("PROJECT_REGISTERED", "WINNER_DETERMINED", "CONTRACT_SIGNED"),
      confidence="D")
def agent_concentration(trails: Sequence[Trail], ctx: RuleContext) -> Iterator[Finding]:
    th = ctx.thresholds
    per_agent: dict[str, list[Lot]] = defaultdict(list)
    for lot in lots_of(trails):
        if lot.agent and lot.winner:
            per_agent[lot.agent].append(lot)
    for agent, lots in sorted(per_agent.items()):
        if len(lots) < th.agent_min_sections:
            continue
        for winner, k in sorted(Counter(x.winner for x in lots).items(), key=str):
            if winner and k / len(lots) >= th.agent_winner_share:
                won = [x.win_event for x in lots if x.winner == winner and x.win_event]
                yield portfolio_hit(_AGENT, won,
                                    {"agent": agent, "winner": winner, "sections": len(lots),
                                     "won": k, "share": round(k / len(lots), 4)},
                                    f"代理机构 {agent} 代理的 {len(lots)} 个标段中 "
                                    f"{winner} 中标 {k} 个",
                                    f"{winner} won {k} of {len(lots)} sections run by "
                                    f"agent {agent}",
                                    subjects=[agent, winner])


@rule(_LOOP, portfolio=True, section="13", severity="warning", lead=True,
      title_zh="反复流标后改为非公开方式或由每轮均参与者中标",
      title_en="Retender loop ending in a non-open method or a constant bidder",
      basis="TBR 第44条; OP (二) (虚假招标 / 明招暗定)",
      reads=("RETENDER_STARTED", "METHOD_CHANGED", "BID_SUBMITTED", "WINNER_DETERMINED"),
      confidence="D")
def retender_loop(trails: Sequence[Trail], ctx: RuleContext) -> Iterator[Finding]:
    for t in trails:
        for _sid, lot in c.lots(t):
            fails = lot.of_type("RETENDER_STARTED")
            if len(fails) < ctx.thresholds.retender_min_failures:
                continue
            bounds = [-1, *(f.index for f in fails), math.inf]
            rounds = [{str(b.get("bidder_org")) for b in lot.of_type("BID_SUBMITTED")
                       if lo < b.index < hi} for lo, hi in pairwise(bounds)]
            rounds = [r for r in rounds if r]
            change = next((m for m in lot.of_type("METHOD_CHANGED") if m.index > fails[-2].index
                           and m.get("new_method") != "open"), None)
            winner, win = c.winner_org(lot), lot.last("WINNER_DETERMINED")
            constant = bool(winner and len(rounds) > len(fails) - 1
                            and all(winner in r for r in rounds))
            if change is None and not constant:
                continue
            ev = [*fails, *([change] if change else []), *([win] if win and constant else [])]
            yield portfolio_hit(_LOOP, ev,
                                {"project": t.project_id, "failures": len(fails),
                                 "new_method": change.get("new_method") if change else None,
                                 "winner_in_every_round": winner if constant else None},
                                f"项目 {t.project_id} 流标 {len(fails)} 次后"
                                + (f"改为{label(change.get('new_method'))}" if change else "")
                                + (f"，由每轮均参与的 {winner} 中标" if constant else ""),
                                f"project {t.project_id} failed {len(fails)} times, then "
                                + (f"method {label(change.get('new_method'), 'en')}"
                                   if change else "")

                                + (f"; won by {winner}, a bidder in every round" if constant
                                   else ""), subjects=[winner] if constant and winner else [])
