"""Helpers shared by the §10–§12 rule modules (award, contract, complaints, records).

No rules are registered here. Pure and deterministic: the trail's "now" is its latest
received_at. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from datetime import date, datetime

from ledger.rules.calendar import local_date
from ledger.rules.catalogue.s03_timing import effective_deadline
from ledger.rules.helpers import dec, trail_now
from ledger.rules.helpers import lot_rounds as lot_rounds  # per lot and tender round
from ledger.rules.helpers import lots as lots  # re-exported to the section modules
from ledger.rules.helpers import ts as ts
from ledger.rules.model import Trail, TrailEvent

CASH_FORMS = frozenset({"transfer", "cash", "cheque", "draft", "promissory"})
GUARANTEE_FORMS = frozenset({"bank_guarantee", "insurance_guarantee"})
RANK1_REASONS = frozenset({"waived", "force_majeure", "no_performance_bond", "illegal_conduct"})

# The payload field that carries the business time of an event type (else occurred_at).
TIME_FIELD = {
    "CONTRACT_SIGNED": "signed_at",
    "TENDER_REPORT_FILED": "filed_at",
    "RESULT_ANNOUNCED": "published_at",
    "CANDIDATE_PUBLICITY": "start",
    "OBJECTION_FILED": "received_at",
    "INQUIRY_FILED": "received_at",
    "CHALLENGE_FILED": "received_at",
    "OBJECTION_REPLIED": "replied_at",
    "CHALLENGE_REPLIED": "replied_at",
    "COMPLAINT_FILED": "received_at",
    "COMPLAINT_ACCEPTED": "accepted_at",
    "COMPLAINT_DECIDED": "decided_at",
    "HOTLINE_TICKET_FILED": "received_at",
    "BID_SUBMITTED": "received_at",
}



now = trail_now  # the trail's "now" (see ledger.rules.helpers)
money = dec  # a decimal-string amount


def at(e: TrailEvent) -> datetime:
    """The business time of an event: its type's time field, else occurred_at."""
    name = TIME_FIELD.get(e.type)
    value = e.payload.get(name) if name else None
    return ts(value) if value else e.occurred_at


def day(e: TrailEvent) -> date:
    return local_date(at(e))








def is_tb_must(trail: Trail) -> bool:
    flags = trail.flags
    return flags.get("regime") == "TB" and bool(flags.get("must_tender"))


def regime(trail: Trail) -> str | None:
    value = trail.flags.get("regime")
    return str(value) if value is not None else None


def terminated(trail: Trail) -> bool:
    return bool(trail.of_type("TENDER_TERMINATED"))


def winner_org(trail: Trail) -> str | None:
    """The winner: the last WINNER_DETERMINED, else the signed contract's winner."""
    win = trail.last("WINNER_DETERMINED")
    if win is not None:
        return str(win.payload["winner_org"])
    contract = trail.first("CONTRACT_SIGNED")
    return str(contract.payload["winner_org"]) if contract is not None else None


def bidders(trail: Trail) -> list[str]:
    """Accepted bidders (first-seen order), minus those that withdrew and those whose bid
    arrived after the deadline of ``trail`` (pass one tender round, ``lot_rounds``): a late
    bid is no bid (招标投标法 第28条), so its sender is not owed the result notice."""
    withdrawn = {e.get("bidder_org") for e in trail.of_type("BID_WITHDRAWN")}
    found = effective_deadline(trail)
    seen: dict[str, None] = {}
    for e in trail.of_type("BID_SUBMITTED"):
        org = e.get("bidder_org")
        late = found is not None and at(e) >= found[0]
        if e.get("accepted", True) and org and org not in withdrawn and not late:
            seen.setdefault(str(org), None)
    return list(seen)


def replies_for(trail: Trail, filing: TrailEvent, reply_types: tuple[str, ...],
                fallback: bool = True) -> TrailEvent | None:
    """The reply answering ``filing``: linked by ``linked_filing``; else (fallback) the n-th
    unlinked reply of the same lot after the n-th unlinked filing of the same type."""
    replies = trail.of_type(*reply_types)
    for r in replies:
        if r.get("linked_filing") == filing.event_id:
            return r
    if not fallback:
        return None
    filings = [f for f in trail.of_type(filing.type)
               if f.section_id == filing.section_id
               and not any(r.get("linked_filing") == f.event_id for r in replies)]
    free = [r for r in replies if not r.get("linked_filing") and r.section_id == filing.section_id]
    pos = next((i for i, f in enumerate(filings) if f.event_id == filing.event_id), None)
    if pos is None or pos >= len(free):
        return None
    return free[pos]


def iso_day(value: datetime | date) -> str:
    return (local_date(value) if isinstance(value, datetime) else value).isoformat()
