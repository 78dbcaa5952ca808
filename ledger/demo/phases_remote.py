"""Demo trail, the trading center's measures: remote cross-region evaluation (远程异地评标)
and a 12345 hotline ticket on projects that draw a complaint (质疑投诉联动).

Lawful by construction: the main and satellite venues are in cities where none of the
section's bidders is registered, and experts of one employer never share a venue. Draws
come from a random stream of their own, so the rest of the project is the same with or
without these events. Pure. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

import random
from datetime import timedelta

from ledger.demo import names
from ledger.demo.builder import Builder, at, ts
from ledger.demo.parties import Section
from ledger.demo.plan import Plan

REMOTE = {"id": "remote-eval-system", "role": "system"}
VENUE = {"id": "venue-system", "role": "system"}
HOTLINE = {"id": "hotline-12345", "role": "system"}


def _rng(b: Builder, what: str) -> random.Random:
    return random.Random(f"{what}|{b.project_id}")


def _venue(city: str, n: int) -> dict[str, str]:
    abbr, code = names.CITY_ABBR[city], names.CITY_CODES[city]
    return {"venue_id": f"LN-{abbr}-PBS-{n}", "name": f"{city}市公共资源交易中心{n}号评标室",
            "region_code": f"{code}00", "platform": "辽宁省公共资源交易平台"}


def _cities(rng: random.Random, sec: Section) -> tuple[str, str]:
    """Two cities (main, satellite) where no bidder of the section is registered."""
    taken = {bd.org.org_id[2:6] for bd in sec.bidders}
    free = [c for c in names.CITIES if names.CITY_CODES[c] not in taken]
    main, satellite = rng.sample(free, 2)
    return main, satellite


def remote_evaluation(b: Builder, plan: Plan) -> None:
    """Each section evaluated at a main and a satellite venue, the experts alternating
    between them, one link session for the day."""
    rng = _rng(b, "remote")
    for sec in plan.parties.sections:
        main, sat = (_venue(c, sec.index + 1) for c in _cities(rng, sec))
        sid, session = sec.section_id, f"RE-{sec.section_id}"
        start = at(plan.eval_day, 7, 50)
        experts = [p for p, role in sec.members if role == "expert"]
        b.emit("REMOTE_EVAL_ARRANGED", start, {
            "session_id": session, "main_venue": main, "satellite_venues": [sat],
            "remote_seats": len(experts) // 2}, actor=VENUE, section=sid)
        link = {"session_id": session, "link_id": f"LNK-{sid}",
                "main_venue_id": main["venue_id"], "satellite_venue_id": sat["venue_id"]}
        b.emit("REMOTE_LINK_OPENED", start + timedelta(minutes=5), link, actor=REMOTE,
               section=sid)
        for k, person in enumerate(experts):
            venue = sat if k % 2 else main
            b.emit("EXPERT_SEATED", start + timedelta(minutes=10, seconds=30 * k), {
                "session_id": session, "person_id": person.person_id,
                "venue_id": venue["venue_id"], "region_code": venue["region_code"],
                "seat_id": f"{venue['venue_id']}-{k + 1:02d}", "remote": venue is sat},
                actor=VENUE, section=sid)
        b.emit("REMOTE_LINK_CLOSED", at(plan.eval_day, 19, 0), {
            **link, "cause": "finished", "av_recording_ids": [f"AV-{sid}-REMOTE"]},
            actor=REMOTE, section=sid)


def hotline_ticket(b: Builder, plan: Plan) -> None:
    """On a project that draws a complaint, a 12345 ticket about it naming the agent."""
    if not plan.with_complaint:
        return
    rng = _rng(b, "hotline")
    received = at(b.plus_days(plan.announced.date(), 4), 9, 40)
    b.emit("HOTLINE_TICKET_FILED", received, {
        "ticket_id": f"GD-12345-{rng.randrange(10**6):06d}", "received_at": ts(received),
        "subject": "tender_doc",
        "named": [{"role": "agent", "party_id": plan.parties.agent.org_id}],
        "assigned_to": f"{plan.parties.city}市公共资源交易管理办公室",
        "content_hash": names.sha(rng)}, actor=HOTLINE, section=None)
