"""Test helper: hand-written trails for the Liaoning center's measures (remote evaluation,
bond refunds, linked complaints) — one lot, three bidders of 沈阳 / 大连 / 鞍山, both regimes.

Built on ``tests.rules.trailkit``; the defect of a test is added by the test itself.
"""

from __future__ import annotations

from typing import Any

from ledger.rules.engine import evaluate
from ledger.rules.model import Finding, Trail
from tests.rules.builders import LAWFUL_FLAGS_GP, LAWFUL_FLAGS_TB, ctx, ev, make_trail
from tests.rules.trailkit import award, bids, contract, doc_round, dressed, opening, refunds
from tests.rules.wording_defects import defects

ORGS = ["91210100MA0XY1234A", "91210200MA0XY2345B", "91210300MA0XY3456C"]
DEADLINE = "2026-03-30T09:30:00+08:00"
PRICES = {o: f"{1_800_000 + 10_000 * k}.00" for k, o in enumerate(ORGS)}
EXPERTS = ["EXP-210700-0011", "EXP-211300-0022", "EXP-211300-0033", "EXP-210700-0044"]
EMPLOYERS = ["12210700MB0000011A", "12211300MB0000022B", "12211300MB0000033C",
             "12210700MB0000044D"]


def venue(vid: str, name: str, region: str) -> dict[str, Any]:
    return {"venue_id": vid, "name": name, "region_code": region,
            "platform": "辽宁省公共资源交易平台"}


def remote_eval(seats: dict[str, tuple[str, str]], employers: list[str] | None = None,
                at: str = "2026-04-01") -> list[dict[str, Any]]:
    """A remote evaluation: main venue 锦州, satellite 朝阳; ``seats``: expert → (venue id,
    region code); the committee is a tenderer representative and the seated experts."""
    members = [{"person_id": "TREP-0001", "role": "tenderer_rep"}] + [
        {"person_id": p, "role": "expert", "employer_org": (employers or EMPLOYERS)[k]}
        for k, p in enumerate(seats)]
    out = [
        ev("EXPERT_DRAW", f"{at}T07:30:00+08:00", section="S1", pool_id="LN-POOL",
           specialties=["A010101"], required_count=len(seats), method="random",
           drawn_ids=list(seats), operator="STAFF-0044", supervisor="SUP-0001"),
        ev("COMMITTEE_FORMED", f"{at}T08:30:00+08:00", section="S1", members=members),
        ev("REMOTE_EVAL_ARRANGED", f"{at}T08:40:00+08:00", section="S1", session_id="PB-1",
           main_venue=venue("LN-JZ-PBS-1", "锦州市公共资源交易中心1号评标室", "210700"),
           satellite_venues=[venue("LN-CY-PBS-2", "朝阳市公共资源交易中心2号评标室", "211300")],
           remote_seats=2),
        ev("REMOTE_LINK_OPENED", f"{at}T08:50:00+08:00", section="S1", session_id="PB-1",
           link_id="LNK-1", main_venue_id="LN-JZ-PBS-1", satellite_venue_id="LN-CY-PBS-2"),
    ]
    for k, (pid, (vid, region)) in enumerate(seats.items()):
        out.append(ev("EXPERT_SEATED", f"{at}T08:5{k}:00+08:00", section="S1",
                      session_id="PB-1", person_id=pid, venue_id=vid, region_code=region,
                      seat_id=f"SEAT-{k + 1}", remote=vid != "LN-JZ-PBS-1"))
    out.append(ev("REMOTE_LINK_CLOSED", f"{at}T16:00:00+08:00", section="S1", session_id="PB-1",
                  link_id="LNK-1", main_venue_id="LN-JZ-PBS-1",
                  satellite_venue_id="LN-CY-PBS-2", cause="finished"))
    return out


LAWFUL_SEATS = {EXPERTS[0]: ("LN-JZ-PBS-1", "210700"), EXPERTS[1]: ("LN-CY-PBS-2", "211300"),
                EXPERTS[2]: ("LN-CY-PBS-2", "211300"), EXPERTS[3]: ("LN-JZ-PBS-1", "210700")}


def project(regime: str, extra: list[dict[str, Any]], *, contract_day: str | None = "2026-05-06",
            refunded: bool = True, project_id: str = "P-TEST", award_day: str = "2026-04-20",
            **flags: Any) -> Trail:
    """A lawful one-lot project up to its contract and refunds (without either if asked)."""
    base = LAWFUL_FLAGS_TB if regime == "TB" else LAWFUL_FLAGS_GP
    evs = (doc_round("S1", "2026-03-02T09:00:00+08:00", DEADLINE, ORGS)
           + bids("S1", "2026-03-27", ORGS, "20000.00")
           + opening("S1", DEADLINE, PRICES)
           + award("S1", award_day, ORGS[0], ORGS[1:], PRICES[ORGS[0]]))
    losers_back = "2026-04-22T14:00:00+08:00"  # GP: 5 working days from the award notice
    if refunded and regime == "GP":
        evs += refunds("S1", losers_back, ORGS[1:], "20000.00", "lost")
    if contract_day:
        evs += contract("S1", contract_day, ORGS[0], PRICES[ORGS[0]], "90000.00")
        back = ORGS if regime == "TB" else ORGS[:1]
        if refunded:
            evs += refunds("S1", f"{contract_day}T14:00:00+08:00", back, "20000.00", "won")
    return make_trail({**base, **flags}, dressed(evs + extra), project_id)


def now_at(day: str) -> dict[str, Any]:
    """An unrelated platform event on ``day`` that moves the trail's "now" there."""
    return ev("ACCESS_LOG", f"{day}T10:00:00+08:00", resource="other", action="view")


def found(trail: Trail, rule_id: str) -> list[Finding]:
    """The findings of ``rule_id`` on ``trail`` (whole catalogue run), each read clean."""
    out = [f for f in evaluate(trail, ctx()) if f.rule_id == rule_id]
    assert [d for f in out for d in defects(f)] == []
    return out


def above_info(trail: Trail) -> list[str]:
    return [f"{f.rule_id}: {f.message_en}" for f in evaluate(trail, ctx())
            if f.severity != "info"]
