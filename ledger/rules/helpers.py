"""Small helpers every rule section uses: timestamps, decimal amounts, lots and their tender
rounds, the trail's "now" and the bidders' prices.

Pure. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from operator import is_
from typing import Any, Final

from ledger.rules.model import Trail, TrailEvent, instant


def ts(value: str | datetime) -> datetime:
    """An RFC 3339 payload timestamp as an aware datetime (datetimes pass through)."""
    return value if isinstance(value, datetime) else _instant_of(value)


def dec(value: Any) -> Decimal | None:
    """A decimal-string amount as Decimal; None when absent, empty or malformed."""
    return None if value is None else _decimal_of(str(value))


# Amounts, scores and score ranges repeat across events (every expert scores a factor within
# the same "0".."40"), and payload timestamps (deadlines, signing times) are read by several
# rules in every evaluation: each text is parsed once. Decimals and datetimes are immutable,
# so sharing one is safe; the bound keeps memory flat.
_PARSED_KEPT: Final = 50_000
_instant_of = functools.lru_cache(maxsize=_PARSED_KEPT)(instant)


@functools.lru_cache(maxsize=_PARSED_KEPT)
def _decimal_of(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def lots(trail: Trail) -> list[tuple[str | None, Trail]]:
    """(section id, sub-trail) per lot; the whole trail once when no event names a lot."""
    sids = [s for s in trail.sections() if s is not None]
    if not sids:
        return [(None, trail)]
    return [(s, trail.for_section(s)) for s in sids]


def same_events(a: Sequence[TrailEvent], b: Sequence[TrailEvent]) -> bool:
    """The same event objects in the same order (what a rule's kept result followed from is
    what it would follow from now: events never change)."""
    return len(a) == len(b) and all(map(is_, a, b))


CAP_TOLERANCE: Final = Decimal("0.005")
"""Money caps (bond ≤ 2 % of the estimate, performance bond ≤ 10 % of the contract, …) are
exceeded only by more than half a fen: a cap computed from a percentage has more decimals
than the bank can pay, and an amount rounded to the fen must not count as over it."""


def over_cap(amount: Decimal, cap: Decimal) -> bool:
    """``amount`` exceeds ``cap`` by more than ``CAP_TOLERANCE`` (both in 元)."""
    return amount - cap > CAP_TOLERANCE


def trail_now(trail: Trail) -> datetime:
    """The trail's "now": the latest ledger receipt time (so due-date rules are reproducible)."""
    latest = trail.latest_received()
    return latest if latest is not None else max(e.received_at for e in trail.events)


STANDING: Final = frozenset({"PROJECT_REGISTERED", "METHOD_CHANGED"})
"""Event types that hold for every later round of a lot: a re-tender renews documents,
deadline, downloads, bonds, bids, the opening, the evaluation and the award, not these."""


def rounds(section: Trail) -> list[Trail]:
    """One lot's trail split into its tender rounds (轮次), oldest first.

    A lot that fails (招标投标法 第28条; 实施条例 第44条: fewer than three bids) and is
    tendered again starts a new round at each RETENDER_STARTED. Round k holds the events
    logged after the previous RETENDER_STARTED up to and including its own (the restart closes
    the round it ends), plus the ``STANDING`` events logged before it; the last round runs to
    the end of the trail. A round-scoped rule (deadlines, the opening, the opening record,
    one price per bidder, notices to bidders, document holders) checks each round on its own,
    so a second round is measured against its own documents and deadline. A trail without a
    restart is one round (the trail itself). Memoised per trail: do not mutate.
    """
    split = section.memo(rounds, _rounds)
    return [section] if split is None else split


def _cuts(section: Trail) -> list[int]:
    """Log indexes of the restarts that close a round: those followed by any later event
    (a restart still last in the trail has opened no new round yet, and a round's own trail
    ends with its restart, so splitting a round again gives the round itself)."""
    last = section.events[-1].index if section.events else -1
    return [e.index for e in section.of_type("RETENDER_STARTED") if e.index < last]


def _rounds(section: Trail) -> list[Trail] | None:
    """The rounds of a trail with restarts; None for one round (the trail itself: a memo
    holding its own trail would make the trail a reference cycle, freed only by the
    collector, where dropping the cache's previous view should free it at once)."""
    cuts = _cuts(section)
    if not cuts:
        return None
    out: list[Trail] = []
    lows = [-1, *cuts]
    highs = [*cuts, None]
    for low, high in zip(lows, highs, strict=True):
        evs = tuple(e for e in section.events
                    if (e.index <= low and e.type in STANDING)
                    or (e.index > low and (high is None or e.index <= high)))
        out.append(Trail(section.project_id, evs))
    return out


def lot_rounds(trail: Trail) -> list[tuple[str | None, Trail]]:
    """(section id, round trail) for every round of every lot (``lots`` × ``rounds``): the
    iteration of every rule that holds per lot and per tender round."""
    kept = trail.memo(lot_rounds, _lot_rounds)
    return [(sid, trail if rnd is None else rnd) for sid, rnd in kept]


def _lot_rounds(trail: Trail) -> list[tuple[str | None, Trail | None]]:
    """``lot_rounds``, the trail itself as None (kept in its memo: no reference cycle)."""
    return [(sid, None if rnd is trail else rnd)
            for sid, lot in lots(trail) for rnd in rounds(lot)]


ROUND_SCOPED_RULES: Final = (
    "R-TB-24-DEADLINE", "R-GP-35-DEADLINE", "R-TBR-21-CLARIFY-15D", "R-GPR-31-CLARIFY-15D",
    "R-EB-22-CLARIFY-NOTIFY", "R-TB-22-DOWNLOADER-SECRECY", "R-TBR-25-BID-VALIDITY",
    "R-TB-28-LATE-BID", "R-EB-27-NO-EARLY-DECRYPT", "R-TB-28-MIN3-BIDDERS",
    "R-TBR-26-BOND-VALIDITY", "R-TBR-35-WITHDRAWAL-REFUND", "R-TB-34-OPENING-TIME-PLACE",
    "R-TB-36-ALL-BIDS-OPENED", "R-EB-31-DECRYPT-FAILURE", "R-TBR-44-OPENING-OBJECTION",
    "R-GP87-40-NO-EXPERT-AT-OPENING", "R-GP87-39-AV-COVERAGE", "R-TBR-46-RANDOM-DRAW",
    "R-GP87-64-SCORE-INTEGRITY", "R-GP87-62-NEGOTIATED-SCORES", "R-TBR-52-BIDDER-CLARIFICATION",
    "R-TBR-51-MUST-REJECT", "R-EV-21-ABNORMALLY-LOW", "R-TB-45-NOTIFY-ALL",
    "R-TBR-22-DOC-OBJECTION",
)
"""The rules that check each tender round of a lot on its own (``lot_rounds``, or
``round_holding`` for an event measured against its round's deadline); docs/rules.md lists
them. The §6 collusion rules compare the bids of a lot's current round only."""


def round_holding(section: Trail, event: TrailEvent) -> Trail:
    """The tender round of ``section`` (``rounds``) that logged ``event``: a withdrawal, a
    draw or a payment is measured against the deadline of its own round."""
    for rnd in rounds(section):
        if rnd.events and event.index <= rnd.events[-1].index:
            return rnd
    return rounds(section)[-1]


def round_start(trail: Trail) -> int:
    """Log index of the RETENDER_STARTED that opened the trail's last round (``rounds``),
    -1 when none: bids, decryptions and opening records up to it belong to an abandoned round
    (memoised per trail)."""
    return trail.memo(round_start, _round_start)


def _round_start(trail: Trail) -> int:
    cuts = _cuts(trail)
    return cuts[-1] if cuts else -1


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
