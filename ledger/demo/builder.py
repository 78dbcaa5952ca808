"""The event builder shared by the demo generator's phases: ids, times, actors, emit().

Role: turns (type, time, payload) into ``EventIn`` dicts with +08:00 RFC 3339 times and a
deterministic event id; date helpers over the working-day calendar (``WorkCalendar``).
Pure: no I/O, no clock. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from ledger.rules.calendar import WorkCalendar

CST = timezone(timedelta(hours=8))
SIGNED_TYPES = frozenset({
    "ANNOUNCEMENT_PUBLISHED", "DOC_ISSUED", "BID_SUBMITTED", "OPENING_RECORD_PUBLISHED",
    "EVAL_REPORT_SIGNED", "CANDIDATE_PUBLICITY", "AWARD_NOTICE_ISSUED", "RESULT_NOTICE_ISSUED",
    "RESULT_ANNOUNCED", "CONTRACT_SIGNED", "OBJECTION_REPLIED", "CHALLENGE_REPLIED",
})
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
"""Data messages the platform signs electronically (EB 第40条): they carry a signature."""


def at(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    """A local (+08:00) time on ``day``."""
    return datetime.combine(day, time(hh, mm, ss), tzinfo=CST)


def ts(moment: datetime) -> str:
    return moment.astimezone(CST).isoformat(timespec="seconds")


def ts_ms(moment: datetime) -> str:
    return moment.astimezone(CST).isoformat(timespec="milliseconds")


@dataclass
class Builder:
    """Accumulates one project's events in emission order."""

    rng: random.Random
    cal: WorkCalendar
    project_id: str
    events: list[dict[str, Any]] = field(default_factory=list)

    def emit(self, event_type: str, moment: datetime, payload: dict[str, Any], *,
             actor: dict[str, Any], section: str | None = None,
             context: dict[str, Any] | None = None) -> dict[str, Any]:
        """Append one event dict; ``None`` payload values are dropped."""
        event: dict[str, Any] = {
            "event_id": f"{self.project_id}:{len(self.events):05d}",
            "type": event_type, "project_id": self.project_id,
            "occurred_at": ts(moment), "actor": actor,
            "payload": {k: v for k, v in payload.items() if v is not None},
        }
        if section is not None:
            event["section_id"] = section
        if event_type in SIGNED_TYPES:
            context = {**(context or {}), "signature": self.signature()}
        if context:
            event["context"] = context
        self.events.append(event)
        return event

    def signature(self) -> str:
        """A placeholder e-signature value (base64 shape)."""
        return "MEUCIQ" + "".join(self.rng.choice(_B64) for _ in range(40))

    # -- calendar helpers --------------------------------------------------------------

    def workday(self, day: date) -> date:
        """``day`` or the next working day."""
        return self.cal.roll(day)

    def plus_days(self, day: date, n: int) -> date:
        """n calendar days after ``day``, rolled onto a working day."""
        return self.cal.roll(day + timedelta(days=n))

    def plus_wd(self, day: date, n: int) -> date:
        """The n-th working day after ``day``."""
        return self.cal.due_wd(at(day, 12), n)

    def minutes(self, lo: int, hi: int) -> timedelta:
        return timedelta(minutes=self.rng.randint(lo, hi), seconds=self.rng.randint(0, 59))


def ordered(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events sorted by occurred_at (stable), renumbered so ids follow the new order."""
    keyed = sorted(enumerate(events),
                   key=lambda p: (datetime.fromisoformat(p[1]["occurred_at"]), p[0]))
    out = []
    for n, (_, ev) in enumerate(keyed):
        pid = ev["project_id"]
        out.append({**ev, "event_id": f"{pid}:{n:05d}"})
    return out
