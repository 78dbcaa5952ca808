"""The ledger's one clock: the time it stamps and the time it judges submissions by.

Every time the ledger writes (an event's ``received_at``, a checkpoint's, a finding's or a
lead's) comes from ``WitnessLog.clock``, and ingestion measures how far ahead of it an
``occurred_at`` is from that same clock (``clock_now``), so the two can never disagree. Its
zone is the ledger's (``Settings.timezone``; Beijing time, Asia/Shanghai, by default), never
the machine's: a service started with another ``TZ`` stamps exactly the same. Injectable:
``source`` gives the current instant (tests and benchmarks pass a fixed one).

Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Shanghai"

Clock = Callable[[], str]
"""The current time as the ledger stamps it: ISO 8601 with microseconds and the offset."""


def zone_clock(tz: str = DEFAULT_TIMEZONE, *,
               source: Callable[[], datetime] | None = None) -> Clock:
    """A clock in the zone ``tz``; ``source`` (an aware instant, default the system time)."""
    zone = check_timezone(tz)
    now = source or (lambda: datetime.now(UTC))
    return lambda: now().astimezone(zone).isoformat(timespec="microseconds")


def clock_now(clock: Clock) -> datetime:
    """The instant ``clock`` says it is, as an aware datetime."""
    return datetime.fromisoformat(clock())


def check_timezone(tz: str) -> ZoneInfo:
    """The zone named ``tz`` (an IANA name such as Asia/Shanghai); ValueError if unknown."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}: use an IANA name such as "
                         f"{DEFAULT_TIMEZONE}") from exc
