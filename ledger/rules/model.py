"""The data the rules work on: trail events, project flags, rule metadata and findings.

Pure: no I/O, no clock. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from itertools import islice
from operator import is_, lt
from typing import Any, Literal, TypeVar

from ledger.rules.applicability import ALL, Applies

Severity = Literal["info", "warning", "violation"]
Confidence = Literal["V", "V2", "M", "D"]
T = TypeVar("T")


_ZONES: dict[tzinfo, tzinfo] = {}


def instant(text: str) -> datetime:
    """``datetime.fromisoformat(text)``, its zone the one object kept for its UTC offset.

    Rules compare and subtract timestamps all the time; two aware datetimes whose zones
    are different objects go through ``utcoffset()`` calls for that, an order of magnitude
    slower than when the zone is the same object, and ``fromisoformat`` makes a new zone
    per call. Same instant, same fields, same offset: only the zone object is shared."""
    value = datetime.fromisoformat(text)
    zone = value.tzinfo
    if zone is None:
        return value
    # fromisoformat's zones are unnamed fixed offsets, equal (and hashed) by their offset;
    # the same fields rebuilt with the kept zone cost a third of ``astimezone(kept)``
    kept = _ZONES.setdefault(zone, zone)
    if kept is zone:
        return value
    return datetime(value.year, value.month, value.day, value.hour, value.minute,
                    value.second, value.microsecond, kept)


@dataclass(frozen=True)
class TrailEvent:
    """One event of a project trail, as the rules see it (decoded from the envelope)."""

    index: int
    event_id: str
    type: str
    project_id: str
    section_id: str | None
    occurred_at: datetime
    received_at: datetime
    actor: Mapping[str, Any]
    context: Mapping[str, Any]
    payload: Mapping[str, Any]

    @classmethod
    def of(cls, index: int, event_id: str, type: str, project_id: str,
           section_id: str | None, occurred_at: datetime, received_at: datetime,
           actor: Mapping[str, Any], context: Mapping[str, Any],
           payload: Mapping[str, Any]) -> TrailEvent:
        """``TrailEvent(...)``, the same event, built without the frozen dataclass's
        ``object.__setattr__`` per field (most of the cost of taking a new event in)."""
        event = object.__new__(cls)
        event.__dict__.update(
            index=index, event_id=event_id, type=type, project_id=project_id,
            section_id=section_id, occurred_at=occurred_at, received_at=received_at,
            actor=actor, context=context, payload=payload)
        return event

    def get(self, key: str, default: Any = None) -> Any:
        return self.payload.get(key, default)

    @property
    def ref(self) -> tuple[int, str]:
        return (self.index, self.event_id)


@dataclass(frozen=True)
class Trail:
    """All events of one project in log order; ``flags`` come from PROJECT_REGISTERED.

    Lookups by type, first/last, sections and section trails are indexed on first use, and
    helpers may memoise what they derive from a trail with ``memo`` (a trail never changes,
    so neither does anything derived from it). Same answers as scanning ``events``.
    """

    project_id: str
    events: tuple[TrailEvent, ...]
    _memo: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    # What the previous view of this growing trail had derived, to be extended with the new
    # events when first asked for here (``inherit``, ``grown``, ``for_section``): memo key →
    # (value, length of the trail it was derived from).
    _carried: dict[Any, tuple[Any, int]] = field(default_factory=dict, compare=False,
                                                  hash=False, repr=False)

    def memo(self, key: Any, build: Callable[[Trail], T]) -> T:
        """``build(self)``, computed once per trail and ``key`` (callers must not mutate it).
        The value must not hold this trail: the trail would become a reference cycle, left
        for the collector when the cache replaces its view (tests/rules/test_no_cycles.py)."""
        try:
            found: T = self._memo[key]
        except KeyError:
            found = self._memo[key] = build(self)
        return found

    def grown(self, key: Any, build: Callable[[Trail], T],
              grow: Callable[[T, tuple[TrailEvent, ...]], T]) -> T:
        """``memo(key, build)``, but when the previous view of this growing trail had built
        it (``inherit``): ``grow(its value, the events added since)``, which must equal
        ``build`` of this trail and must not change the value it is given (a new value,
        sharing what did not change)."""
        try:
            found: T = self._memo[key]
        except KeyError:
            _GROWERS.add(key)
            carried = self._carried.pop(key, None)
            found = self._memo[key] = (build(self) if carried is None
                                       else grow(carried[0], self.events[carried[1]:]))
        return found

    def kept(self, key: Any) -> dict[Any, Any]:
        """A dict a rule fills as it likes under its own ``key`` (memoised per trail), handed
        to the next view of this growing trail as a copy (``grown``): what it keeps there
        must say what it followed from, so the rule can tell whether it still holds."""
        return self.grown(key, _new_dict, _copied_dict)

    @property
    def _by_type(self) -> dict[str, list[TrailEvent]]:
        try:  # the memo inlined: of_type / first / last ask for it on every call
            found: dict[str, list[TrailEvent]] = self._memo["_by_type"]
        except KeyError:
            found = self._memo["_by_type"] = _index_by_type(self)
        return found

    @property
    def flags(self) -> Mapping[str, Any]:
        reg = self.first("PROJECT_REGISTERED")
        return reg.payload if reg else {}

    def of_type(self, *types: str) -> list[TrailEvent]:
        """Events of the given types, in trail order (a new list)."""
        by_type = self._by_type
        if len(types) == 1:
            return list(by_type.get(types[0], ()))
        present = [by_type[t] for t in dict.fromkeys(types) if t in by_type]
        if len(present) <= 1:
            return list(present[0]) if present else []
        if self.memo("_ordered", _indexes_increase):
            return sorted((e for evs in present for e in evs), key=_index)
        wanted = set(types)
        return [e for e in self.events if e.type in wanted]

    def first(self, event_type: str) -> TrailEvent | None:
        found = self._by_type.get(event_type)
        return found[0] if found else None

    def last(self, event_type: str) -> TrailEvent | None:
        found = self._by_type.get(event_type)
        return found[-1] if found else None

    def latest_received(self) -> datetime | None:
        """The latest ``received_at`` (the trail's "now"), None for an empty trail."""
        return self.memo("_latest_received", _latest_received)

    def sections(self) -> list[str | None]:
        """Section ids in first-seen order (None for project-wide events)."""
        return list(self.memo("_sections", _first_seen_sections))

    def for_section(self, section_id: str | None) -> Trail:
        """Events of one section plus the project-wide ones (section_id None)."""
        subs: dict[str | None, Trail] = self.memo("_for_section", _new_dict)
        sub = subs.get(section_id)
        if sub is None:
            before = self._carried.get("_for_section", ({}, 0))[0].pop(section_id, None)
            if before is None:  # every section's events sorted out in one pass, not one each
                parts = self.memo("_section_events", _section_events)
                sub = type(self)(self.project_id, tuple(parts.get(section_id, parts[None])))
            else:  # the previous view's sub-trail, grown by the new events of the section
                prev, n = before
                wanted = (section_id, None)
                sub = type(self)(self.project_id, prev.events + tuple(
                    e for e in self.events[n:] if e.section_id in wanted))
                sub.inherit(prev)
            subs[section_id] = sub
            if self._memo.get("_ordered"):  # a subsequence of increasing indexes increases
                sub._memo["_ordered"] = True
        return sub

    def __iter__(self) -> Iterator[TrailEvent]:
        return iter(self.events)

    def inherit(self, prior: Trail) -> None:
        """Start this trail's whole-trail indexes (by type, order, sections, latest receipt)
        from those ``prior`` has built, when its events begin this trail's: the new events
        are added to copies instead of every event being indexed again (the cache extends a
        project's trail poll after poll). Same values as building them afresh."""
        n = len(prior.events)
        if not n or n > len(self.events) or self._memo or not all(
                map(is_, self.events, prior.events)):
            return  # not the same event objects first (or this trail has indexes already)
        new, built, memo = self.events[n:], prior._memo, self._memo
        if (by_type := built.get("_by_type")) is not None:
            memo["_by_type"] = _grown_by_type(by_type, new)
        if (ordered := built.get("_ordered")) is not None:
            indexes = [prior.events[-1].index, *(e.index for e in new)]
            memo["_ordered"] = ordered and all(map(lt, indexes, islice(indexes, 1, None)))
        if (sections := built.get("_sections")) is not None:
            memo["_sections"] = list(dict.fromkeys([*sections, *(e.section_id for e in new)]))
        if "_latest_received" in built:
            latest = built["_latest_received"]
            memo["_latest_received"] = max([latest, *(e.received_at for e in new)])
        self._carry(prior, n)

    def _carry(self, prior: Trail, n: int) -> None:
        """Keep what ``prior`` (this trail's first ``n`` events) derived and ``grown`` or
        ``for_section`` can extend, or what it carried itself unasked; held here until first
        asked for (not the prior trail: only its values and sub-trails, so at most one older
        sub-trail per section and one older value per key stay alive)."""
        built, before, carried = prior._memo, prior._carried, self._carried
        for key in tuple(_GROWERS):  # a copy: another thread may add a key meanwhile
            if key in built:
                carried[key] = (built[key], n)
            elif key in before:
                carried[key] = before[key]
        subs = dict(before["_for_section"][0]) if "_for_section" in before else {}
        subs.update((sid, (sub, n)) for sid, sub in built.get("_for_section", {}).items())
        if subs:
            carried["_for_section"] = (subs, n)


# The keys of ``Trail.grown`` memos (functions, a handful): the ones ``inherit`` carries over.
_GROWERS: set[Any] = set()


def _index(e: TrailEvent) -> int:
    return e.index


def _new_dict(_trail: Trail) -> dict[Any, Any]:
    return {}


def _copied_dict(prior: dict[Any, Any], _new: tuple[TrailEvent, ...]) -> dict[Any, Any]:
    return dict(prior)


def _grown_by_type(by_type: dict[str, list[TrailEvent]], new: tuple[TrailEvent, ...]
                   ) -> dict[str, list[TrailEvent]]:
    """The by-type index of a trail grown by ``new``: a type without new events keeps the
    previous index's list (no list of the index is changed once built), the others are
    copied before the new events are added."""
    out = dict(by_type)
    copied: set[str] = set()
    for e in new:
        found = out.get(e.type)
        if found is None:
            out[e.type] = [e]
            copied.add(e.type)
        elif e.type in copied:
            found.append(e)
        else:
            out[e.type] = [*found, e]
            copied.add(e.type)
    return out


def _index_by_type(trail: Trail) -> dict[str, list[TrailEvent]]:
    out: dict[str, list[TrailEvent]] = {}
    for e in trail.events:
        found = out.get(e.type)
        if found is None:
            out[e.type] = [e]
        else:
            found.append(e)
    return out


def _indexes_increase(trail: Trail) -> bool:
    """Log indexes strictly increase along the trail (so sorting by index keeps its order)."""
    indexes = [e.index for e in trail.events]
    return all(map(lt, indexes, islice(indexes, 1, None)))


def _latest_received(trail: Trail) -> datetime | None:
    return max((e.received_at for e in trail.events), default=None)


def _section_events(trail: Trail) -> dict[str | None, list[TrailEvent]]:
    """Section id → the events of that section plus the project-wide ones, in trail order;
    None → the project-wide ones alone (also what a section without events of its own
    sees)."""
    shared: list[TrailEvent] = []
    out: dict[str | None, list[TrailEvent]] = {None: shared}
    for e in trail.events:
        sid = e.section_id
        if sid is None:
            for evs in out.values():
                evs.append(e)
            continue
        own = out.get(sid)
        if own is None:  # first seen: it starts with the project-wide events before it
            own = out[sid] = list(shared)
        own.append(e)
    return out


def _first_seen_sections(trail: Trail) -> list[str | None]:
    return list(dict.fromkeys(e.section_id for e in trail.events))


@dataclass(frozen=True)
class RuleMeta:
    """What a rule is, where its legal basis is, and how serious a hit is."""

    id: str
    title_zh: str
    title_en: str
    basis: str  # law code + article + key phrase, e.g. 'TB 第24条 "…不得少于二十日"'
    section: str  # docs/rules.md section number, e.g. "3"
    reads: tuple[str, ...]  # event types it reads
    severity: Severity
    lead: bool
    confidence: Confidence
    applies: Applies = ALL  # to which projects (ledger.rules.applicability)
    version: int = 1
    # The basis cited for a project of each regime ("TB": 招标投标法 system, "GP": 政府采购);
    # filled by the registry from ``basis`` unless the rule declares it (ledger.rules.regimes).
    basis_by_regime: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Finding:
    """One rule hit, reproducible from the evidence events and the rule version."""

    rule_id: str
    rule_version: int
    severity: Severity
    lead: bool
    project_id: str
    section_id: str | None
    evidence: tuple[tuple[int, str], ...]  # (log index, event id)
    computed: Mapping[str, Any]
    message_zh: str
    message_en: str
    subjects: tuple[str, ...] = field(default=())
    basis: str = ""  # the cited basis of the project's regime (RuleMeta.basis_by_regime)

    @property
    def key(self) -> str:
        """Identity for idempotency: the same hit on the same evidence is one finding."""
        ev = ",".join(str(i) for i, _ in sorted(self.evidence))
        return f"{self.rule_id}@{self.rule_version}|{self.project_id}|{self.section_id}|{ev}"
