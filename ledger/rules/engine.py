"""Run the registered rules over a trail: every applicable rule, deterministic order.

A rule runs on a trail when its ``applies`` predicate holds for the project's flags; a
rule registered as not implemented never runs (asking for it finds nothing).

Pure. Persisting findings, raising leads and running incrementally as events arrive live
in ``ledger.rules.service``. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from ledger.rules.calendar import CalendarMissingError
from ledger.rules.context import RuleContext
from ledger.rules.model import Finding, Trail, TrailEvent, instant
from ledger.rules.registry import REGISTRY, UNIMPLEMENTED, load_all


def trail_event(index: int, envelope: Mapping[str, Any],
                received_at: str | None = None) -> TrailEvent:
    """A TrailEvent from a decoded envelope (``ledger.core.canonical.decode_envelope``);
    ``received_at``: the receipt time when the envelope does not carry it (the fields the
    ingestion hands over), else the envelope's."""
    return TrailEvent.of(  # positional: taken in once per event
        index, envelope["event_id"], envelope["type"], envelope["project_id"],
        envelope.get("section_id"), _instant(envelope["occurred_at"]),
        _instant(envelope["received_at"] if received_at is None else received_at),
        envelope.get("actor") or {}, envelope.get("context") or {},
        envelope.get("payload") or {},
    )


# ``instant(text)`` of recently seen texts: the events of one append share their receipt
# time, and many events share their time with another (a fifth of them in the generated
# projects: the scores of a factor, a badge pair). The cache is the C one (thread-safe, no
# Python call on a hit) and hands back the one value per text, as ``instant`` would an equal.
_instant = lru_cache(maxsize=4096)(instant)


def trail_from_canonical(project_id: str, rows: Iterable[tuple[int, bytes]]) -> Trail:
    events = tuple(trail_event(i, json.loads(data)) for i, data in rows)
    return Trail(project_id, events)


def evaluate(trail: Trail, ctx: RuleContext, rule_ids: Sequence[str] | None = None
             ) -> list[Finding]:
    """All findings of the given (default: all) rules, deduplicated by finding key."""
    load_all()
    return run_rules(trail, ctx, sorted(rule_ids or REGISTRY))


def run_rules(trail: Trail, ctx: RuleContext, rule_ids: Sequence[str]) -> list[Finding]:
    """The findings of ``rule_ids`` (registered), deduplicated by key. A rule that needs a
    day of a year the calendar does not cover stops there: its findings so far stand, and
    one info finding per missing year says which deadlines were not computed."""
    from ledger.rules.catalogue.s01_calendar import calendar_missing

    found: dict[str, Finding] = {}
    missing: dict[int, list[tuple[str, CalendarMissingError]]] = {}
    flags = trail.flags
    for rid in sorted(rule_ids):
        if rid in UNIMPLEMENTED:
            continue
        rule = REGISTRY[rid]
        if not rule.meta.applies.holds(flags):
            continue
        try:
            for finding in rule.check(trail, ctx):
                found.setdefault(finding.key, finding)
        except CalendarMissingError as exc:
            missing.setdefault(exc.year, []).append((rid, exc))
    for year, errors in sorted(missing.items()):
        finding = calendar_missing(trail, year, errors)
        found.setdefault(finding.key, finding)
    return sorted(found.values(), key=lambda f: (f.rule_id, f.key))


def rules_reading(event_type: str) -> list[str]:
    """Ids of rules that read ``event_type`` (incremental evaluation runs only these)."""
    load_all()
    return sorted(rid for rid, r in REGISTRY.items()
                  if event_type in r.meta.reads or "*" in r.meta.reads)
