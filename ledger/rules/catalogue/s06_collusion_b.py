"""docs/rules.md §6 (part b): price pattern, bond account, related bidders, coordinated timing,
give-way and tenderer–bidder collusion indicators.

Every rule compares only bidders of one section in the current round. Must not import the
store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from math import gcd

from ledger.rules.applicability import ALL
from ledger.rules.catalogue.s06_common import (
    bidder_orgs,
    bids,
    dec,
    device_ok,
    field,
    ip_ok,
    org_of,
    parties,
    per_section,
    related_pairs,
    round_of,
    shared,
    short,
    ts,
)
from ledger.rules.context import RuleContext
from ledger.rules.helpers import PRICE_SOURCES, bid_prices, same_events
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import duration, label, labels, listing, yuan


def _spread(steps: list[Decimal]) -> Decimal | None:
    """max |s_i − mean(s)| / mean(s), or None when the mean is not positive."""
    mean = sum(steps, Decimal(0)) / len(steps)
    return max(abs(s - mean) for s in steps) / mean if mean > 0 else None


def _grid_bp(prices: list[Decimal], ceiling: Decimal | None) -> int | None:
    """Step (basis points of the ceiling) of the grid all prices lie on, if exact to 1 bp."""
    if not ceiling or ceiling <= 0:
        return None
    bps = [p / ceiling * 10000 for p in prices]
    if any(b != b.to_integral_value() for b in bps) or len(set(bps)) < 2:
        return None
    step = 0
    for b in bps:
        step = gcd(step, int(b))
    return step


_PATTERN_ZH = {"arithmetic": "等差", "geometric": "等比",
               "ceiling_grid_bp": "均为最高投标限价同一比例步长的整数倍"}
_PATTERN_EN = {"arithmetic": "arithmetic", "geometric": "geometric",
               "ceiling_grid_bp": "multiples of one step of the maximum price"}


def _opened_prices(sec: Trail) -> list[tuple[Decimal, str, TrailEvent]]:
    """(price, bidder, source event) of the current round's bidders, lowest price first."""
    orgs = set(bidder_orgs(sec))
    found = [(p, org, e) for org, (p, e) in bid_prices(sec).items() if org in orgs]
    return sorted(found, key=lambda x: (x[0], x[2].index, x[1]))


@rule("R-TBR-40-4-PRICE-PATTERN", title_zh="投标报价呈规律性差异",
      title_en="Prices with a regular spacing",
      basis='TBR 第40条(四) "不同投标人的投标文件异常一致或者投标报价呈规律性差异"; GP87 第37条(四)',
      section="6", reads=("BID_SUBMITTED", *PRICE_SOURCES, "PROJECT_REGISTERED"),
      severity="warning", lead=True, confidence="D",
      applies=ALL.where("all; ≥ price_pattern_min_bids priced bids, prices as read at the opening "
      "(line-item ratio test (c) needs item vectors: only equal item_price_vector_hash is "
      "checked)"))
def price_pattern(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    th = ctx.thresholds
    tol = Decimal(str(th.price_pattern_cv))
    for sid, sec in per_section(trail):
        priced = _opened_prices(sec)
        prices = [p for p, _, _ in priced]
        if len(prices) >= th.price_pattern_min_bids:
            found: dict[str, str] = {}
            arith = _spread([b - a for a, b in pairwise(prices)])
            if arith is not None and arith <= tol:
                found["arithmetic"] = str(round(arith, 6))
            geo = _spread([b / a - 1 for a, b in pairwise(prices)]) if prices[0] > 0 else None
            if geo is not None and geo <= tol:
                found["geometric"] = str(round(geo, 6))
            step = _grid_bp(prices, dec(trail.flags.get("max_price")))
            if step and step >= Decimal(th.price_grid_min_step) * 10000:
                found["ceiling_grid_bp"] = str(step)
            if found:
                diffs = [str(b - a) for a, b in pairwise(prices)]
                kinds_zh = "、".join(_PATTERN_ZH[k] for k in found)
                yield hit("R-TBR-40-4-PRICE-PATTERN", trail, [e for _, _, e in priced],
                          {"prices": [str(p) for p in prices], "differences": diffs,
                           "patterns": found, "tolerance": str(tol)},
                          f"{len(prices)} 个投标报价呈规律性差异（{kinds_zh}），相邻报价差额分别为 "
                          f"{listing(yuan(b - a) for a, b in pairwise(prices))}",
                          f"{len(prices)} prices regularly spaced "
                          f"({listing((_PATTERN_EN.get(k, label(k, 'en')) for k in found), 'en')}): "
                          f"differences {listing((yuan(b - a, 'en') for a, b in pairwise(prices)), 'en')}",
                          section_id=sid,
                          subjects=[org for _, org, _ in priced])
        vectors = [e for _, _, e in priced]  # item lists come from the same opened bid
        for value, group in shared(vectors, lambda e: e.get("item_price_vector_hash")):
            orgs = parties(group)
            yield hit("R-TBR-40-4-PRICE-PATTERN", trail, group,
                      {"item_price_vector_hash": value, "bidders": orgs},
                      f"{'、'.join(orgs)} 的分项报价完全相同（{short(value)}）",
                      f"{', '.join(orgs)} have identical item price lists ({short(value)})",
                      section_id=sid, subjects=orgs)


_GUARANTEES = ("bank_guarantee", "insurance_guarantee")


@rule("R-TBR-40-6-SAME-BOND-ACCOUNT", title_zh="不同投标人的投标保证金从同一账户转出",
      title_en="Bonds paid from the same account or payer",
      basis='TBR 第40条(六) "不同投标人的投标保证金从同一单位或者个人的账户转出"; GP87 第37条(六)',
      section="6", reads=("BOND_PAID", "BID_SUBMITTED"), severity="violation", lead=True,
      confidence="V", applies=ALL.where("all (a natural-person payer is not identifiable in the events)"))
def same_bond_account(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, sec in per_section(trail):
        bonds = round_of(sec, "BOND_PAID")
        for value, group in shared(bonds, lambda e: e.get("payer_account_hash")):
            orgs = parties(group)
            yield hit("R-TBR-40-6-SAME-BOND-ACCOUNT", trail, group,
                      {"payer_account_hash": value, "bidders": orgs},
                      f"{len(orgs)} 家投标人的保证金从同一账户 {short(value)} 转出：{', '.join(orgs)}",
                      f"bonds of {len(orgs)} bidders paid from the same account {short(value)}: "
                      f"{', '.join(orgs)}", section_id=sid, subjects=orgs)
        names = {e.get("bidder_name"): e for e in bids(sec) if e.get("bidder_name")}
        names.update({e.payload["bidder_org"]: e for e in bids(sec)})
        for b in bonds:
            other = names.get(b.get("payer_name"))
            if other is not None and other.get("bidder_org") != b.get("bidder_org"):
                orgs = [b.payload["bidder_org"], other.payload["bidder_org"]]
                yield hit("R-TBR-40-6-SAME-BOND-ACCOUNT", trail, [b, other],
                          {"payer_name": b.get("payer_name"), "bidders": orgs},
                          f"{orgs[0]} 的保证金由另一投标人 {orgs[1]} 支付",
                          f"{orgs[0]}'s bond was paid by another bidder {orgs[1]}",
                          section_id=sid, subjects=orgs)
        guarantees = [e for e in bonds if e.get("form") in _GUARANTEES]
        for key in ("client_ip", "device_fp"):
            def ident(e: TrailEvent, key: str = key) -> object:
                ok = ip_ok if key == "client_ip" else device_ok
                return ok(ctx, field(e, key))
            for value, group in shared(guarantees, ident):
                orgs = parties(group)
                yield hit("R-TBR-40-6-SAME-BOND-ACCOUNT", trail, group,
                          {"guarantee_" + key: value, "bidders": orgs},
                          f"{listing(orgs)} 的保函经同一{label(key)}办理",
                          f"guarantees of {listing(orgs, 'en')} bought from the same "
                          f"{label(key, 'en')}",
                          section_id=sid, subjects=orgs, severity="warning")


_ENTERPRISE_EQUAL = ("group", "registered_address", "phone")
_ENTERPRISE_PEOPLE = ("legal_rep", "directors", "supervisors", "senior_managers")


def _people(ent: object, key: str) -> set[str]:
    value = ent.get(key) if isinstance(ent, dict) else None
    if value is None:
        return set()
    return {str(v) for v in value} if isinstance(value, list | tuple | set) else {str(value)}


@rule("R-TBR-39-GROUP-RELATED", title_zh="投标人属于同一集团或存在交叉任职、亲属关系",
      title_en="Bidders in the same group, or with shared management or kinship",
      basis='TBR 第39条(四) "属于同一集团、协会、商会等组织成员的投标人按照该组织要求协同投标"; '
            'OP (十一) "高级管理人员之间存在交叉任职、人员混用或者亲属关系"',
      section="6", reads=("BID_SUBMITTED",), severity="warning", lead=True, confidence="V",
      applies=ALL.where("all (reads ReferenceData.relations and .enterprises; common control is "
              "R-TBR-34-RELATED-BIDDERS)"))
def group_related(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    ents = ctx.reference.enterprises
    for sid, sec in per_section(trail):
        by_org = {e.payload["bidder_org"]: e for e in bids(sec)}
        links: dict[tuple[str, str], list[str]] = {}
        for a, b, kind in related_pairs(ctx, by_org):
            if "control" not in kind:
                links.setdefault((a, b), []).append(kind)
        orgs = sorted(by_org)
        known = {o: dict(ents.get(o, {})) for o in orgs}
        for i, a in enumerate(orgs):
            for b in orgs[i + 1:]:
                ea, eb = known[a], known[b]
                if not ea or not eb:
                    continue  # no shared value or person without both records
                links_ab = [f"same_{k}" for k in _ENTERPRISE_EQUAL
                            if ea.get(k) and ea.get(k) == eb.get(k)]
                links_ab += [f"shared_{k}" for k in _ENTERPRISE_PEOPLE
                             if _people(ea, k) & _people(eb, k)]
                if links_ab:
                    links.setdefault((a, b), []).extend(links_ab)
        for (a, b), kinds in sorted(links.items()):
            yield hit("R-TBR-39-GROUP-RELATED", trail, [by_org[a], by_org[b]],
                      {"pair": [a, b], "links": sorted(set(kinds))},
                      f"投标人 {a} 与 {b} 存在关联：{labels(sorted(set(kinds)))}",
                      f"bidders {a} and {b} are linked: {labels(sorted(set(kinds)), 'en')}",
                      section_id=sid, subjects=[a, b])


_IDS = (("ip", "client_ip"), ("mac", "client_mac"), ("device_fp", "device_fp"),
        ("tool_machine_code", "tool_machine_code"))


def _attrs(ctx: RuleContext, e: TrailEvent) -> set[tuple[str, str]]:
    """Non-whitelisted network / device identifiers of an event (payload or context): what
    ``field`` and ``ip_ok`` / ``device_ok`` give, inlined (asked of every staff event)."""
    out = set()
    payload, context, ref = e.payload, e.context, ctx.reference
    for name, ctx_name in _IDS:
        value = payload.get(name)
        if value is None:
            value = context.get(ctx_name)
            if value is None:
                continue
        if value not in (ref.ip_whitelist if name == "ip" else ref.device_whitelist):
            out.add((name, str(value)))
    return out


def _at(e: TrailEvent) -> datetime:
    return ts(e.payload["received_at"]) if e.payload.get("received_at") else e.occurred_at


@rule("R-CL-TIMING-CLUSTER", title_zh="投标人上传、下载或缴纳保证金时间协同",
      title_en="Coordinated timing",
      basis='TBR 第39条(五) "投标人之间为谋取中标或者排斥特定投标人而采取的其他联合行动"; '
            'TBR 第40条(一)', section="6", reads=("BID_SUBMITTED", "DOC_DOWNLOADED", "BOND_PAID"),
      severity="warning", lead=True, confidence="D",
      applies=ALL.where("all (identifiers are pseudonymised: equality only, no /24 proximity)"))
def timing_cluster(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    th = ctx.thresholds
    for sid, sec in per_section(trail):
        kinds = (("BID_SUBMITTED", bids(sec)), ("DOC_DOWNLOADED", round_of(sec, "DOC_DOWNLOADED")),
                 ("BOND_PAID", round_of(sec, "BOND_PAID")))
        for kind, evs in kinds:
            seq = sorted(evs, key=lambda e: (_at(e), e.index))
            for a, b in pairwise(seq):
                gap = (_at(b) - _at(a)).total_seconds()
                if org_of(a) == org_of(b) or gap > th.timing_cluster_seconds:
                    continue
                common = sorted(_attrs(ctx, a) & _attrs(ctx, b))
                ca = (a.get("file_meta") or {}).get("created_at")
                cb = (b.get("file_meta") or {}).get("created_at")
                created = (abs(ts(ca) - ts(cb)) < timedelta(minutes=th.file_created_cluster_minutes)
                           if ca and cb else False)
                if common or created:
                    orgs = [str(org_of(a)), str(org_of(b))]
                    yield hit("R-CL-TIMING-CLUSTER", trail, [a, b],
                              {"kind": kind, "gap_seconds": gap, "pair": orgs,
                               "shared": [n for n, _ in common], "files_created_close": created},
                              f"{orgs[0]} 与 {orgs[1]} 的 {kind} 间隔 {duration(gap)}，且共用"
                              f"{labels([n for n, _ in common]) if common else '文件创建时间'}",
                              f"{kind} of {orgs[0]} and {orgs[1]} {duration(gap, 'en')} apart, "
                              f"sharing {labels([n for n, _ in common], 'en') if common else 'file creation time'}",
                              section_id=sid, subjects=orgs)


@rule("R-CL-GIVE-WAY", title_zh="投标人约定放弃投标或者中标（让标）",
      title_en="Coordinated withdrawal or abandonment",
      basis='TBR 第39条(三) "投标人之间约定部分投标人放弃投标或者中标"; GPR 第74条(六)',
      section="6", reads=("EVAL_REPORT_SIGNED", "WINNER_DETERMINED", "BOND_PAID",
                          "DOC_DOWNLOADED", "BID_SUBMITTED", "BID_WITHDRAWN", "OPENING_STARTED"),
      severity="warning", lead=True, confidence="D",
      applies=ALL.where("all (relations from ReferenceData; subcontracting is not in the events)"))
def give_way(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, sec in per_section(trail):
        report, winner = sec.last("EVAL_REPORT_SIGNED"), sec.last("WINNER_DETERMINED")
        if report is not None and winner is not None:
            first = next((c["bidder_org"] for c in report.get("candidates", [])
                          if c.get("rank") == 1), None)
            won = winner.get("winner_org")
            if first and won and first != won and ctx.reference.related(first, won):
                yield hit("R-CL-GIVE-WAY", trail, [report, winner],
                          {"rank1": first, "winner": won, "pattern": "rank1_gave_way"},
                          f"第一名 {first} 未中标，中标人 {won} 与其存在关联",
                          f"rank-1 {first} gave way to the related winner {won}",
                          section_id=sid, subjects=[first, won])
        if sec.first("OPENING_STARTED") is None:
            continue
        remaining = set(bidder_orgs(sec))
        touched = round_of(sec, "BOND_PAID", "DOC_DOWNLOADED", "BID_WITHDRAWN")
        drop = {o for e in touched if (o := org_of(e)) and o not in remaining}
        pairs = [p for p in related_pairs(ctx, drop | remaining)
                 if p[0] in remaining or p[1] in remaining]
        if len(drop) >= 2 and pairs:
            evs = [e for e in touched if org_of(e) in drop]
            yield hit("R-CL-GIVE-WAY", trail, evs,
                      {"dropped": sorted(drop), "related_pairs": [list(p) for p in pairs],
                       "pattern": "dropouts_related"},
                      f"{len(drop)} 家获取文件或缴纳保证金后未投标（{listing(sorted(drop))}），且与剩余投标人关联",
                      f"{len(drop)} parties ({listing(sorted(drop), 'en')}) dropped out and are related to the "
                      "remaining bidders", section_id=sid, subjects=sorted(drop))


_STAFF = ("tenderer", "agent")
_SENSITIVE = ("downloader_list", "committee_list", "base_price", "bid_files")


def _staff_events(trail: Trail) -> list[TrailEvent]:
    return [e for e in trail if e.actor.get("role") in _STAFF]


def _more_staff_events(prior: list[TrailEvent], new: tuple[TrailEvent, ...]) -> list[TrailEvent]:
    return prior + [e for e in new if e.actor.get("role") in _STAFF]


def _shared_identifiers(trail: Trail, ctx: RuleContext, sid: str | None, staff: list[TrailEvent],
                        bidder_evs: list[TrailEvent]) -> Iterator[Finding]:
    """Staff events sharing an identifier with bidders' events, each identifier once."""
    seen: set[tuple[str, str]] = set()
    bidder_attrs: list[tuple[TrailEvent, set[tuple[str, str]]]] | None = None
    for s in staff:
        for attr in sorted(_attrs(ctx, s)):
            if bidder_attrs is None:
                bidder_attrs = [(b, _attrs(ctx, b)) for b in bidder_evs]
            matches = [b for b, have in bidder_attrs if attr in have]
            if matches and attr not in seen:
                seen.add(attr)
                orgs = parties(matches)
                yield hit("R-TBR-41-TENDERER-BIDDER", trail, [s, *matches],
                          {"identifier": attr[0], "value": attr[1], "staff": s.actor.get("id"),
                           "bidders": orgs, "pattern": "shared_identifier"},
                          f"招标人/代理人员 {s.actor.get('id')} 的{label(attr[0])}与投标人 {listing(orgs)} 相同",
                          f"tenderer/agent staff {s.actor.get('id')} shares the "
                          f"{label(attr[0], 'en')} of bidders {listing(orgs, 'en')}",
                          section_id=sid, subjects=orgs)


@rule("R-TBR-41-TENDERER-BIDDER", title_zh="招标人与投标人串通迹象",
      title_en="Indicators of tenderer–bidder collusion",
      basis='TBR 第41条 "(二)招标人直接或者间接向投标人泄露标底、评标委员会成员等信息……'
            '(四)招标人授意投标人撤换、修改投标文件"; GPR 第74条(一)(二); TB 第22条',
      section="6", reads=("*",), severity="violation", lead=True, confidence="V",
      applies=ALL.where("all (access-to-change window D)"))
def tenderer_bidder(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    window = timedelta(hours=ctx.thresholds.tenderer_access_window_hours)
    # the staff's events of the whole trail, read once (the previous view's, grown by the new
    # events); a lot's are those of its own section or project-wide (what ``per_section``
    # gives it)
    all_staff = trail.grown(_staff_events, _staff_events, _more_staff_events)
    for sid, sec in per_section(trail):
        staff = [e for e in all_staff if e.section_id in (sid, None)]
        bidder_evs = bids(sec) + round_of(sec, "DOC_DOWNLOADED")
        # a lot's shared-identifier findings follow from its staff's and its bidders' events,
        # the reference data (whitelists), the project and its regime (the basis cited): the
        # next view of the growing trail reuses them while these are the same (no identifier
        # of an event is read again)
        kept, cited = sec.kept(_shared_identifiers), (trail.project_id, trail.flags.get("regime"))
        was = kept.get(sid)
        if (was is None or was[2] is not ctx.reference or was[3] != cited
                or not same_events(was[0], staff) or not same_events(was[1], bidder_evs)):
            was = kept[sid] = (staff, bidder_evs, ctx.reference, cited,
                               list(_shared_identifiers(trail, ctx, sid, staff, bidder_evs)))
        yield from was[4]
        opening = sec.first("OPENING_STARTED")
        for a in sec.of_type("ACCESS_LOG"):
            res, role = a.get("resource"), a.actor.get("role")
            if (res == "base_price" and role not in _STAFF
                    and (opening is None or a.occurred_at < opening.occurred_at)):
                yield hit("R-TBR-41-TENDERER-BIDDER", trail, [a],
                          {"resource": res, "actor": a.actor.get("id"), "role": role,
                           "pattern": "base_price_access"},
                          f"开标前 {a.actor.get('id')}（{label(role)}）访问标底",
                          f"{a.actor.get('id')} ({label(role, 'en')}) accessed the base price before opening",
                          section_id=sid)
            if role not in _STAFF or res not in _SENSITIVE:
                continue
            for c in sec.of_type("BID_MODIFIED", "BID_WITHDRAWN"):
                if a.occurred_at <= c.occurred_at <= a.occurred_at + window:
                    hours = (c.occurred_at - a.occurred_at).total_seconds() / 3600
                    yield hit("R-TBR-41-TENDERER-BIDDER", trail, [a, c],
                              {"resource": res, "bidder": c.get("bidder_org"),
                               "hours_after_access": round(hours, 2),
                               "pattern": "access_then_change"},
                              f"{label(role)}访问{label(res)}后 {duration(hours * 3600)}，{c.get('bidder_org')} "
                              f"{'修改' if c.type == 'BID_MODIFIED' else '撤回'}投标文件",
                              f"{c.type} by {c.get('bidder_org')} {duration(hours * 3600, 'en')} after "
                              f"{label(role, 'en')} accessed the {label(res, 'en')}", section_id=sid, severity="warning",

                              subjects=[c.payload["bidder_org"]])
