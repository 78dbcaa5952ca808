"""Demo trail, evaluation: expert draw, committee, check-in, badges, document views, scores
and the evaluation report, one session per section.

Role: write those events from a ``Plan``; plants committee, conflict, badge and timing
violations when asked. Pure. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ledger.demo import names
from ledger.demo.builder import Builder, at
from ledger.demo.names import Person
from ledger.demo.parties import Bidder, Section
from ledger.demo.phases_pre import PLATFORM, agent
from ledger.demo.plan import Plan

BADGES = {"id": "badge-system", "role": "system"}
VENUE = {"id": "venue-system", "role": "system"}
EXPERT_POOL = "LN-EXPERT-POOL"  # 辽宁省综合评标评审专家库
FACTORS = (("P1", Decimal(40), True), ("T1", Decimal(40), False), ("C1", Decimal(20), False))


@dataclass(frozen=True)
class Outcome:
    """What the award phase needs from a section's evaluation."""

    section: Section
    ranked: list[tuple[Bidder, Decimal]]
    delivered: datetime


def _members(b: Builder, plan: Plan, sec: Section, used: set[str]) -> list[tuple[Person, str]]:
    first = sec.index == 0
    reps, experts = 1, (6 if plan.tb and b.rng.random() < 0.3 else 4)
    if first and plan.has("committee_of_4"):
        experts = 3
    elif first and plan.has("few_experts"):
        reps, experts = 2, 3
    out = [(Person(f"TREP-{sec.index + 1}{k:02d}-{b.rng.randrange(1000):03d}",
                   names.person_name(b.rng)), "tenderer_rep") for k in range(reps)]
    return out + [(names.expert(b.rng, used), "expert") for _ in range(experts)]


def evaluate_all(b: Builder, plan: Plan, reference: dict[str, Any]) -> list[Outcome]:
    used: set[str] = set()
    outcomes = []
    for sec in plan.parties.sections:
        sec.members = _members(b, plan, sec, used)
        sec.room = f"PBS-{sec.index + 3}"
        outcomes.append(_section(b, plan, sec, reference))
    return outcomes


def _duration(plan: Plan, n_bids: int) -> int:
    """Session minutes: generous for lawful trails (≥ 40 min per bid for works)."""
    if plan.has("fast_evaluation"):
        return 20
    per_bid = 40 if plan.tb else 25
    minutes = max(150, per_bid * n_bids + 30)
    return max(minutes, 260) if plan.has("expert_leaves") else minutes


def _section(b: Builder, plan: Plan, sec: Section, reference: dict[str, Any]) -> Outcome:
    sid, day = sec.section_id, plan.eval_day
    staff = {"id": f"center-{b.rng.choice(names.PINYIN)}", "role": "center_staff"}
    experts = [p for p, role in sec.members if role == "expert"]
    spec = b.rng.choice(names.SPECIALTIES[plan.kind])
    b.emit("EXPERT_DRAW", at(day, 7, 40 + sec.index), {
        "pool_id": EXPERT_POOL, "specialties": [spec], "required_count": len(experts),
        "method": "random", "drawn_ids": [p.person_id for p in experts],
        "operator": staff["id"], "supervisor": f"SUP-{b.rng.randrange(1000):03d}"},
        actor={"id": "expert-pool", "role": "system"}, section=sid)
    _committee(b, plan, sec, spec, reference)
    start = at(day, 8, 30)
    minutes = _duration(plan, len(sec.bidders))
    end = start + timedelta(minutes=minutes)
    _check_in(b, sec, start)
    present = [p.person_id for p, _ in sec.members]
    session = {"session_id": f"EV-{sid}", "room": sec.room, "members_present": present}
    b.emit("EVAL_STARTED", start, session, actor=VENUE, section=sid)
    totals = _views_and_scores(b, sec, start, minutes)
    _onsite_plants(b, plan, sec, (start, minutes), reference)
    b.emit("EVAL_ENDED", end, session, actor=VENUE, section=sid)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0].price))
    b.emit("EVAL_REPORT_SIGNED", end + timedelta(minutes=5), {
        "candidates": [{"rank": i + 1, "bidder_org": bd.org.org_id, "price": str(bd.price),
                        "score": str(score)} for i, (bd, score) in enumerate(ranked[:3])],
        "signatures": [{"signer_id": pid, "signature": b.signature()} for pid in present],
        "report_hash": names.sha(b.rng), "rejected_count": 0}, actor=PLATFORM, section=sid)
    for j, (person, role) in enumerate(sec.members):
        b.emit("BADGE_EXIT", end + timedelta(minutes=10, seconds=20 * j), {
            **_badge(sec, j, person, role), "duration_s": (minutes + 10) * 60 + 20 * j},
            actor=BADGES, section=sid)
    delivered = end + timedelta(minutes=30)
    b.emit("EVAL_REPORT_DELIVERED", delivered, {
        "to": "tenderer" if plan.tb else "purchaser", "recipient_id": plan.parties.tenderer_user,
        "recipient_name": plan.parties.tenderer.name}, actor=agent(plan), section=sid)
    return Outcome(sec, [(bd, s) for bd, s in ranked], delivered)


def _committee(b: Builder, plan: Plan, sec: Section, spec: str,
               reference: dict[str, Any]) -> None:
    members: list[dict[str, Any]] = []
    for person, role in sec.members:
        if role == "tenderer_rep":
            members.append({"person_id": person.person_id, "role": role,
                            "employer_org": plan.parties.tenderer.org_id})
            continue
        employer = names.credit_code(b.rng, "沈阳", "12")
        years = b.rng.randint(10, 32)
        members.append({"person_id": person.person_id, "role": "expert", "specialty": spec,
                        "employer_org": employer, "senior_title": True, "years_in_field": years,
                        "pool_id": EXPERT_POOL})
        reference["experts"].append({
            "person_id": person.person_id, "name": person.name, "specialty": spec,
            "senior_title": True, "years_in_field": years, "status": "active",
            "employer_history": [{"org_id": employer, "name": b.rng.choice(
                names.EXPERT_EMPLOYERS), "start": f"{2024 - years}-07-01"}]})
    chair = next(p.person_id for p, r in sec.members if r == "expert")
    b.emit("COMMITTEE_FORMED", at(plan.eval_day, 8, 0), {
        "members": members, "chair_id": chair, "is_complex": False,
        "high_social_impact": False}, actor=agent(plan), section=sec.section_id)


def _badge(sec: Section, j: int, person: Person, role: str) -> dict[str, Any]:
    return {"badge_id": f"BG-{sec.index + 1}{j:02d}", "person_id": person.person_id,
            "role": "expert" if role == "expert" else "tenderer_rep",
            "zone": "evaluation_room", "room": sec.room, "reader_id": f"RD-{sec.room}-01"}


def _check_in(b: Builder, sec: Section, start: datetime) -> None:
    sid = sec.section_id
    for j, (person, role) in enumerate(sec.members):
        t0 = start - timedelta(minutes=25) + timedelta(seconds=40 * j)
        pid = person.person_id
        b.emit("IDENTITY_VERIFIED", t0, {"person_id": pid, "method": "id_card_and_face",
                                         "match_score": f"0.9{b.rng.randint(2, 9)}",
                                         "result": "pass"}, actor=VENUE, section=sid)
        b.emit("DEVICE_DEPOSITED", t0 + timedelta(minutes=2), {
            "person_id": pid, "device_type": "phone", "locker_id": f"LK-{b.rng.randrange(300)}",
            "room": sec.room}, actor=VENUE, section=sid)
        b.emit("BADGE_ENTER", t0 + timedelta(minutes=5), _badge(sec, j, person, role),
               actor=BADGES, section=sid)
        b.emit("CONFLICT_DECLARED", t0 + timedelta(minutes=10), {
            "person_id": pid, "declared_relations": []},
            actor={"id": pid, "role": "expert" if role == "expert" else "tenderer_rep"},
            section=sid)


def _views_and_scores(b: Builder, sec: Section, start: datetime,
                      minutes: int) -> dict[Bidder, Decimal]:
    n = len(sec.bidders)
    low = min(bd.price for bd in sec.bidders)
    slot = minutes * 0.6 / n
    sums: dict[Bidder, Decimal] = {bd: Decimal(0) for bd in sec.bidders}
    for j, (person, role) in enumerate(sec.members):
        order = list(sec.bidders)
        b.rng.shuffle(order)
        for i, bd in enumerate(order):
            seen = start + timedelta(minutes=slot * (i + 0.1) + 0.5 * j)
            dur = min(b.rng.randint(600, 1300), int(slot * 60 * 0.7))
            b.emit("DOC_VIEWED", seen, {
                "expert_id": person.person_id, "bidder_org": bd.org.org_id,
                "section": "技术标", "duration_s": dur, "terminal_id": f"{sec.room}-T{j + 1:02d}",
                "ip": f"10.20.{sec.index + 1}.{j + 11}"}, actor={"id": person.person_id,
                "role": "expert" if role == "expert" else "tenderer_rep"}, section=sec.section_id)
        scored_at = start + timedelta(minutes=minutes * 0.62 + 2.5 * j)
        for i, bd in enumerate(order):
            when = scored_at + timedelta(minutes=minutes * 0.3 * i / n)
            sums[bd] += _score(b, sec, j, person, role, bd, low, when)
    return {bd: (s / len(sec.members)).quantize(Decimal("0.01")) for bd, s in sums.items()}


def _score(b: Builder, sec: Section, j: int, person: Person, role: str, bd: Bidder,
           low: Decimal, when: datetime) -> Decimal:
    total = Decimal(0)
    for k, (fid, top, objective) in enumerate(FACTORS):
        if objective:
            value = (top * low / bd.price).quantize(Decimal("0.01"))
        else:
            value = (top * Decimal(b.rng.randint(650, 950)) / 1000).quantize(Decimal("0.1"))
        total += value
        b.emit("SCORE_SUBMITTED", when + timedelta(seconds=20 * k), {
            "expert_id": person.person_id, "bidder_org": bd.org.org_id, "factor_id": fid,
            "score": str(value), "factor_min": "0", "factor_max": str(top),
            "is_objective": objective, "terminal_id": f"{sec.room}-T{j + 1:02d}",
            "ip": f"10.20.{sec.index + 1}.{j + 11}"}, actor={"id": person.person_id,
            "role": "expert" if role == "expert" else "tenderer_rep"}, section=sec.section_id)
    return total


def _onsite_plants(b: Builder, plan: Plan, sec: Section, when: tuple[datetime, int],
                   reference: dict[str, Any]) -> None:
    if sec.index != 0:
        return
    start, minutes = when
    if plan.has("expert_leaves"):
        j = next(k for k, (_, r) in enumerate(sec.members) if r == "expert")
        person, role = sec.members[j]
        left = start + timedelta(minutes=minutes * 0.25)
        b.emit("BADGE_EXIT", left, {**_badge(sec, j, person, role), "duration_s": 3000},
               actor=BADGES, section=sec.section_id)
        b.emit("BADGE_ENTER", left + timedelta(minutes=62), _badge(sec, j, person, role),
               actor=BADGES, section=sec.section_id)
    if plan.has("unauthorized_badge"):
        bd = sec.bidders[0]
        intruder = {"badge_id": "BG-V-0931", "person_id": bd.rep_id, "role": "bidder",
                    "zone": "evaluation_room", "room": sec.room, "reader_id": f"RD-{sec.room}-01"}
        came = start + timedelta(minutes=minutes * 0.4)
        b.emit("BADGE_ENTER", came, intruder, actor=BADGES, section=sec.section_id)
        b.emit("BADGE_EXIT", came + timedelta(minutes=8), {**intruder, "duration_s": 480},
               actor=BADGES, section=sec.section_id)
    if plan.has("expert_conflict"):
        expert = next(p for p, r in sec.members if r == "expert")
        bd = sec.bidders[0]
        year = plan.eval_day.year - 1
        reference["relations"].append({
            "a": expert.person_id, "b": bd.org.org_id, "kind": "employment",
            "since": f"{year - 4}-03-01", "until": f"{year}-06-30",
                              "note": f"{expert.name} 曾任 {bd.org.name} 技术负责人"})
