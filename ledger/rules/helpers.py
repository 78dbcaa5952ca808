"""Small helpers every rule section uses: timestamps, decimal amounts, lots, the trail's "now",
the current tender round and the bidders' prices.

Pure. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from ledger.rules.model import Trail, TrailEvent


def ts(value: str | datetime) -> datetime:
    """An RFC 3339 payload timestamp as an aware datetime (datetimes pass through)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def dec(value: Any) -> Decimal | None:
    """A decimal-string amount as Decimal; None when absent, empty or malformed."""
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def lots(trail: Trail) -> list[tuple[str | None, Trail]]:
    """(section id, sub-trail) per lot; the whole trail once when no event names a lot."""
    sids = [s for s in trail.sections() if s is not None]
    if not sids:
        return [(None, trail)]
    return [(s, trail.for_section(s)) for s in sids]


def trail_now(trail: Trail) -> datetime:
    """The trail's "now": the latest ledger receipt time (so due-date rules are reproducible)."""
    latest = trail.latest_received()
    return latest if latest is not None else max(e.received_at for e in trail.events)


def round_start(trail: Trail) -> int:
    """Log index of the trail's last RETENDER_STARTED, -1 when none: bids, decryptions and
    opening records up to it belong to an abandoned round (memoised per trail)."""
    return trail.memo(round_start, _round_start)


def _round_start(trail: Trail) -> int:
    restart = trail.last("RETENDER_STARTED")
    return restart.index if restart is not None else -1


PRICE_SOURCES: Final = ("BID_DECRYPTED", "BID_EXTRACTED", "OPENING_RECORD_PUBLISHED")
"""The event types a bidder's price is read from; a rule using ``bid_prices`` lists them in
its ``reads`` (so it is re-run when a price arrives)."""

Priced = tuple[Decimal, TrailEvent]  # (price in 元, the event the price was read from)


def price_reads(section: Trail) -> dict[str, list[Priced]]:
    """Bidder org → every price read from its bid in the current round, in log order.

    ``section`` is one lot's trail (``lots``). The price is not in BID_SUBMITTED: a bid stays
    sealed or encrypted until the opening (招标投标法 第22条, 电子招标投标办法), so it is read
    where the bid is opened: each successful BID_DECRYPTED / BID_EXTRACTED that carries a
    ``bid_price``. A bidder with no such step falls back to its priced entries in the last
    OPENING_RECORD_PUBLISHED (the read-out price, 唱标). Memoised per trail: do not mutate.
    """
    return section.memo(price_reads, _price_reads)


def _price_reads(section: Trail) -> dict[str, list[Priced]]:
    start = round_start(section)
    out: dict[str, list[Priced]] = {}
    for e in section.of_type("BID_DECRYPTED", "BID_EXTRACTED"):
        price = dec(e.get("bid_price"))
        if e.index > start and e.get("success") is True and price is not None:
            out.setdefault(str(e.get("bidder_org")), []).append((price, e))
    opened = set(out)
    record = section.last("OPENING_RECORD_PUBLISHED")
    if record is None or record.index <= start:
        return out
    for entry in record.get("entries") or []:
        org, price = entry.get("bidder_org"), dec(entry.get("bid_price"))
        if org and org not in opened and price is not None:
            out.setdefault(str(org), []).append((price, record))
    return out


def bid_prices(section: Trail) -> dict[str, Priced]:
    """Bidder org → (price, source event) of its bid in the current round: the last
    successful, priced BID_DECRYPTED / BID_EXTRACTED, else its entry in the last opening
    record (see ``price_reads``). Bidders with no price read are absent. Evidence of a
    finding on a price cites the source event. Memoised per trail: do not mutate."""
    return section.memo(bid_prices, _bid_prices)


def _bid_prices(section: Trail) -> dict[str, Priced]:
    return {org: reads[-1] for org, reads in price_reads(section).items()}
