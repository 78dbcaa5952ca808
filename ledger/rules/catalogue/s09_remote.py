"""docs/rules.md §9 (remote evaluation): what 远程异地评标 is meant to stop — 熟人评标.

A remote cross-region evaluation seats experts in venues of other cities so that they do not
judge firms of their own place, and spreads them so that colleagues do not sit together. Two
checks read the seats (EXPERT_SEATED): an expert seated in the city where a bidder is
registered, and two experts of one employer seated in one venue. Neither is unlawful in
itself — the law forbids an interest in a bidder and a chosen (not drawn) expert, which the
trail cannot prove — so both are warnings, never leads. A bidder's city is the reference
enterprise's ``region_code``, else the registration-authority code inside its unified social
credit code (characters 3–8); cities compare on the first four digits of the code.
Must not import the store, the API or the verifier.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from ledger.rules.applicability import ALL
from ledger.rules.catalogue import s10_common as c
from ledger.rules.catalogue.s08_common import committee
from ledger.rules.context import RuleContext
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import listing

HOME_REGION = "R-REMOTE-EXPERT-HOME-REGION"
SAME_EMPLOYER = "R-REMOTE-SAME-EMPLOYER-SEATED"
_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}([1-9][0-9]{5})[0-9A-HJ-NPQRTUWXY]{10}$")


def city(code: object) -> str | None:
    """The city part (first four digits) of an administrative division code."""
    text = str(code or "")
    return text[:4] if re.fullmatch(r"[1-9][0-9]{5}", text) else None


def org_city(org: str, ctx: RuleContext) -> str | None:
    """Where a firm is registered: the reference data's region_code, else its credit code."""
    ref = ctx.reference.enterprises.get(org) or {}
    if ref.get("region_code"):
        return city(ref["region_code"])
    m = _USCC.match(org)
    return city(m.group(1)) if m else None


def seats(lot: Trail) -> dict[str, TrailEvent]:
    """The last seat of each expert of the lot's committee (all seated experts if none)."""
    com = committee(lot)
    experts = set(com.experts) if com is not None else None
    out: dict[str, TrailEvent] = {}
    for s in lot.of_type("EXPERT_SEATED"):
        pid = str(s.get("person_id"))
        if experts is None or pid in experts:
            out[pid] = s
    return out


@rule(HOME_REGION, title_zh="远程异地评标中专家在投标人注册地所在城市的评标场地就座",
      title_en="Remote evaluation: an expert seated in a bidder's home city",
      basis='TB 第37条 "与投标人有利害关系的人不得进入相关项目的评标委员会"; TBR 第46条 "评标委员会成员与'
            '投标人有利害关系的，应当主动回避"; GP 第12条 "采购人员及相关人员与供应商有利害关系的，必须回避"'
            '; GPR 第9条(五) "与供应商有其他可能影响政府采购活动公平、公正进行的关系"',
      section="9", reads=("EXPERT_SEATED", "BID_SUBMITTED", "BID_WITHDRAWN", "COMMITTEE_FORMED",
                          "MEMBER_REPLACED", "DOC_ISSUED", "DEADLINE_CHANGED"),
      severity="warning", lead=False, confidence="D",
      applies=ALL.where("remote evaluation (EXPERT_SEATED); bidder city from reference data or credit code"))
def expert_home_region(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, lot in c.lots(trail):
        bidders = {org: org_city(org, ctx) for org in c.bidders(lot)}
        for pid, seat in sorted(seats(lot).items()):
            here = city(seat.get("region_code"))
            local = [org for org, where in bidders.items() if here and where == here]
            if not local:
                continue
            bids = [b for b in lot.of_type("BID_SUBMITTED") if b.get("bidder_org") in local]
            venue = seat.get("venue_id")
            yield hit(HOME_REGION, trail, [seat, *bids],
                      {"expert": pid, "venue": venue, "region_code": seat.get("region_code"),
                       "bidders": local},
                      f"专家 {pid} 在评标场地 {venue}（行政区划 {seat.get('region_code')}）就座，"
                      f"与投标人 {listing(local)} 的注册地同属一市，远程异地评标未起到异地隔离作用",
                      f"expert {pid} sat at venue {venue} (division {seat.get('region_code')}), "
                      f"the home city of bidder(s) {listing(local, 'en')}",
                      section_id=sid, subjects=[pid, *local])


def _employer(pid: str, members: Mapping[str, Mapping[str, Any]], ctx: RuleContext
              ) -> str | None:
    found = (members.get(pid) or {}).get("employer_org") or (
        ctx.reference.experts.get(pid) or {}).get("employer_org")
    return str(found) if found else None


@rule(SAME_EMPLOYER, title_zh="远程异地评标中同一单位的专家在同一评标场地就座",
      title_en="Remote evaluation: experts of one employer seated in one venue",
      basis='TBR 第46条 "任何单位和个人不得以明示、暗示等任何方式指定或者变相指定参加评标委员会的专家成员"'
            '; TBR 第49条 "客观、公正地对投标文件提出评审意见"; GPR 第39条 "应当从政府采购评审专家库中随机'
            '抽取评审专家"; GPR 第41条 "按照客观、公正、审慎的原则……进行独立评审"',
      section="9", reads=("EXPERT_SEATED", "COMMITTEE_FORMED", "MEMBER_REPLACED"),
      severity="warning", lead=False, confidence="D",
      applies=ALL.where("remote evaluation (EXPERT_SEATED); employer from the committee or reference data"))
def same_employer_seated(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, lot in c.lots(trail):
        com = committee(lot)
        members = com.members if com is not None else {}
        groups: dict[tuple[str, str], list[TrailEvent]] = defaultdict(list)
        for pid, seat in sorted(seats(lot).items()):
            employer = _employer(pid, members, ctx)
            if employer:
                groups[(str(seat.get("venue_id")), employer)].append(seat)
        for (venue, employer), together in sorted(groups.items()):
            if len(together) < 2:
                continue
            pids = [str(s.get("person_id")) for s in together]
            evs = [*together, *([com.formed] if com is not None else [])]
            yield hit(SAME_EMPLOYER, trail, evs,
                      {"venue": venue, "employer": employer, "experts": pids},
                      f"专家 {listing(pids)} 同属单位 {employer}，在同一评标场地 {venue} 就座评标",
                      f"experts {listing(pids, 'en')} of employer {employer} sat together at "
                      f"venue {venue}", section_id=sid, subjects=pids)
