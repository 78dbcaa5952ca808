"""Small helpers every rule section uses: timestamps, decimal amounts, lots, the trail's "now".

Pure. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger.rules.model import Trail


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
