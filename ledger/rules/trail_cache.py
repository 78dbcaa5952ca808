"""The rule service's memory of decoded project trails, and the log rows it takes in.

Decoding a project's events once and extending the trail with new events only is what lets
the rules keep pace with ingestion. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import orjson

from ledger.rules.model import Trail, TrailEvent

DEFAULT_CACHE_PROJECTS = 256


def loads(data: bytes) -> Any:
    """``json.loads`` of stored canonical bytes, via orjson (same values, several times
    faster); anything orjson refuses (e.g. an integer beyond 64 bits) goes to ``json``."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


class IndexedTrail(Trail):
    """The trail the cache hands to the rules. Lookups by type, first/last and section are
    indexed by ``Trail`` itself now (same answers); kept as the cache's trail type."""


@dataclass
class _Cached:
    """One project's decoded trail (ledger-internal events left out) and the highest log
    index taken in (whether or not the rules read it)."""

    events: list[TrailEvent]
    last_index: int
    trail: IndexedTrail | None = None

    def view(self, project_id: str) -> IndexedTrail:
        prior = self.trail
        if prior is not None and len(prior.events) == len(self.events):
            return prior
        trail = self.trail = IndexedTrail(project_id, tuple(self.events))
        if prior is not None:  # the events only grow: the last view's indexes carry over
            trail.inherit(prior)
        return trail


class TrailCache:
    """Decoded project trails, least recently used evicted beyond ``max_projects``."""

    def __init__(self, max_projects: int = DEFAULT_CACHE_PROJECTS) -> None:
        if max_projects < 1:
            raise ValueError("the trail cache holds at least one project")
        self.max_projects = max_projects
        self._entries: OrderedDict[str, _Cached] = OrderedDict()
        self.loads = 0  # whole-trail reads from the store (cache misses)
        self.fills = 0  # gap fills (events appended by someone else in between)
        # Every log event below this index was taken in, in order from 0, and no trail has
        # been dropped since: a project not held has no event below it, and its first one
        # needs no read of the store (the follower starting on a new log). None: unknown.
        self.whole_below: int | None = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, project_id: object) -> bool:
        return project_id in self._entries

    def get(self, project_id: str) -> _Cached | None:
        entry = self._entries.get(project_id)
        if entry is not None:
            self._entries.move_to_end(project_id)
        return entry

    def put(self, project_id: str, entry: _Cached) -> None:
        self._entries[project_id] = entry
        self._entries.move_to_end(project_id)
        while len(self._entries) > self.max_projects:
            self._entries.popitem(last=False)
            self.whole_below = None

    def clear(self) -> None:
        self._entries.clear()
        self.whole_below = None


@dataclass(slots=True)
class LogRow:
    """One appended event as the rule service takes it in: log index, project, type, and its
    canonical bytes (decoded only when the rules read it; a sealed record already opened).
    Slotted and not frozen: the follower makes one per event, and a frozen dataclass costs
    twice as much to build (nothing changes a row once made).

    ``envelope``: the event already decoded, when at hand. ``received_at``: the receipt time
    when ``envelope`` lacks it (the submitted fields the ingestion hands over): the trail
    event takes it from here rather than from a copy of the envelope made per event."""

    index: int
    project_id: str
    type: str
    canonical: bytes
    envelope: Mapping[str, Any] | None = None
    received_at: str | None = None

    def decoded(self) -> Mapping[str, Any]:
        if self.envelope is None:
            return cast(Mapping[str, Any], loads(self.canonical))
        if self.received_at is None:
            return self.envelope
        return {**self.envelope, "received_at": self.received_at}
