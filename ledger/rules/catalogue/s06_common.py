"""Helpers shared by the docs/rules.md §6 collusion rules: bids of the current round, identifier
grouping across bidders, whitelists and relations.

Registers no rule. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from operator import attrgetter
from typing import Any

from ledger.rules.context import RuleContext
from ledger.rules.helpers import dec as dec  # re-exported to the section modules
from ledger.rules.helpers import round_start
from ledger.rules.helpers import ts as ts
from ledger.rules.model import Trail, TrailEvent

Group = tuple[str, list[TrailEvent]]  # (shared value, events of ≥ 2 distinct parties)


def per_section(trail: Trail) -> Iterator[tuple[str | None, Trail]]:
    """(section id, section trail) per lot; the whole trail when no event names a lot."""
    sids = [s for s in trail.sections() if s is not None]
    if not sids:
        yield None, trail
    for sid in sids:
        yield sid, trail.for_section(sid)






def current_round(trail: Trail) -> list[TrailEvent]:
    """Events after the last RETENDER_STARTED (the round bids are compared in)."""
    start = round_start(trail)
    return [e for e in trail.events if e.index > start]


def round_of(trail: Trail, *types: str) -> list[TrailEvent]:
    """Events of ``types`` in the current round, in trail order (a new list)."""
    start = round_start(trail)
    return [e for e in trail.of_type(*types) if e.index > start]


def _bids(trail: Trail) -> list[TrailEvent]:
    latest: dict[str, TrailEvent] = {}
    for e in round_of(trail, "BID_SUBMITTED", "BID_WITHDRAWN"):
        org = e.get("bidder_org")
        if e.type == "BID_WITHDRAWN":
            latest.pop(org, None)
        elif e.get("accepted", True):
            latest[org] = e
    return sorted(latest.values(), key=lambda e: e.index)


def bids(trail: Trail) -> list[TrailEvent]:
    """Accepted BID_SUBMITTED of the current round (latest per bidder), minus withdrawn ones."""
    return list(trail.memo(_bids, _bids))


def _bidder_orgs(trail: Trail) -> list[str]:
    return [e.payload["bidder_org"] for e in trail.memo(_bids, _bids)]


def bidder_orgs(trail: Trail) -> list[str]:
    return list(trail.memo(_bidder_orgs, _bidder_orgs))


def field(e: TrailEvent, name: str, ctx_name: str | None = None) -> Any:
    """Payload field, falling back to the envelope context (``ctx_name`` or same name)."""
    value = e.payload.get(name)
    return value if value is not None else e.context.get(ctx_name or name)


def org_of(e: TrailEvent) -> str | None:
    return (e.payload.get("bidder_org") or e.payload.get("downloader_org")
            or e.actor.get("org_id"))


def shared(events: Iterable[TrailEvent], value: Callable[[TrailEvent], Any],
           party: Callable[[TrailEvent], str | None] = org_of) -> list[Group]:
    """Values carried by events of ≥ 2 distinct parties, with those events (log order)."""
    by_value: dict[str, tuple[list[TrailEvent], set[str]]] = {}
    for e in events:
        v = value(e)
        if v is not None and v != "" and (who := party(e)):
            found = by_value.get(text := str(v))
            if found is None:
                found = by_value[text] = ([], set())
            found[0].append(e)
            found[1].add(who)  # each event's party asked once, not again per group
    out = [(v, sorted(evs, key=_index)) for v, (evs, who) in by_value.items() if len(who) >= 2]
    return sorted(out, key=_first_index)


_index = attrgetter("index")


def _first_index(group: Group) -> int:
    return group[1][0].index


def parties(evs: Iterable[TrailEvent]) -> list[str]:
    return sorted({p for p in (org_of(e) for e in evs) if p})


def random_mac(mac: str) -> bool:
    """A raw MAC that is locally administered / randomised (bit 1 of the first octet set).

    Pseudonymised (hk1:) MACs cannot be tested and count as universal.
    """
    if mac.startswith("hk1:"):
        return False
    digits = "".join(c for c in mac if c.isalnum())
    try:
        return bool(int(digits[:2], 16) & 0x02)
    except ValueError:
        return False


def device_ok(ctx: RuleContext, value: Any) -> Any:
    """The identifier, or None when it is whitelisted (center terminals)."""
    if value is None or value in ctx.reference.device_whitelist:
        return None
    return value


def ip_ok(ctx: RuleContext, value: Any) -> Any:
    if value is None or value in ctx.reference.ip_whitelist:
        return None
    return value


def related_pairs(ctx: RuleContext, orgs: Iterable[str]) -> list[tuple[str, str, str]]:
    """(a, b, kind) of reference relations between distinct parties of ``orgs``."""
    out: list[tuple[str, str, str]] = []
    if not ctx.reference.relations:
        return out  # no relation to find among any pair
    items = sorted(set(orgs))
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            out.extend((a, b, str(r.get("kind", "related"))) for r in ctx.reference.related(a, b))
    return out


def short(value: str) -> str:
    """A matching value as shown in messages (pseudonyms and hashes cut to 16 chars)."""
    return value if len(value) <= 20 else value[:16] + "…"


def merge(items: Iterable[tuple[str, str, list[TrailEvent]]]
          ) -> list[tuple[list[TrailEvent], dict[str, str]]]:
    """Merge (field, value, events) matches resting on the same events into one entry.

    Findings are keyed by their evidence, so two matches of one rule on the same events
    (e.g. same MAC and same machine code of one pair) must become one finding.
    """
    out: dict[tuple[int, ...], tuple[list[TrailEvent], dict[str, str]]] = {}
    for name, value, group in items:
        out.setdefault(tuple(e.index for e in group), (group, {}))[1][name] = value
    return list(out.values())
