"""The rules' reading of the log: project trails decoded once, sealed records included.

The rules see everything, sealed or not: a late bid or two bidders on one device are
flagged before the opening, while nobody else can read those records. Stored sealed
records are opened with the ledger's seal key (``WitnessLog.open_stored``). A project's
events are taken in log-index order (sealed records have no project sequence number);
cached trails are extended with new events, and a gap (events appended by another process
in between) is filled from the store. Must not import the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter

from sqlalchemy import Connection, select

from ledger.core.sealed import is_sealed_blob
from ledger.errors import NotFoundError
from ledger.log import WitnessLog
from ledger.rules.engine import trail_event
from ledger.rules.model import Trail
from ledger.rules.trail_cache import LogRow, TrailCache, _Cached, loads
from ledger.sealing.classes import LEAD_TYPES, RELEASE_TYPE
from ledger.store.schema import events

INTERNAL_TYPES = frozenset({*LEAD_TYPES, RELEASE_TYPE})
"""Ledger-internal events: in the log, not in the trails the rules read."""


_log_index = attrgetter("index")  # of a LogRow: a C getter, no Python call per row


class TrailStore:
    """Decoded trails of the projects the rules look at, kept in a ``TrailCache``."""

    def __init__(self, log: WitnessLog, cache: TrailCache) -> None:
        self.log = log
        self.cache = cache

    def absorb(self, rows: Sequence[LogRow], *, contiguous: bool) -> dict[str, set[str]]:
        """Extend the cached trails with ``rows``; the new rule-visible types per project.
        ``contiguous``: the rows are every event after the ones taken in before (the
        follower reads the log in order), so no gap needs looking for."""
        by_project: dict[str, list[LogRow]] = {}
        for r in rows:
            by_project.setdefault(r.project_id, []).append(r)
        fresh = contiguous and self._continues(rows)
        touched: dict[str, set[str]] = {}
        for pid, items in by_project.items():
            items.sort(key=_log_index)
            if all(r.type in INTERNAL_TYPES for r in items):
                # Ledger events only (the leads the service just raised): no trail changes. A
                # cached trail's gap, if any, is filled when its next rule-visible event
                # comes (the same events, read then), not with a store read per lead now.
                continue
            entry = self.cache.get(pid)
            if entry is None:
                # first seen after every earlier event was taken in, none dropped since (an
                # eviction in this loop clears ``whole_below``): it has nothing to read back
                new = fresh and self.cache.whole_below is not None
                entry = _Cached([], -1) if new else self._load(pid, below=items[0].index)
                self.cache.put(pid, entry)
            elif not contiguous and items[0].index > entry.last_index + 1:
                self.cache.fills += 1
                self._fill(pid, entry, below=items[0].index)
            last, evs, types = entry.last_index, entry.events, set()
            for r in items:
                if r.index <= last:
                    continue  # already taken in (loaded from the store)
                last = r.index
                if r.type not in INTERNAL_TYPES:
                    env = r.envelope
                    evs.append(trail_event(r.index, env, r.received_at) if env is not None
                               else trail_event(r.index, r.decoded()))
                    types.add(r.type)
            entry.last_index = last
            if types:
                touched[pid] = types
        return touched

    def _continues(self, rows: Sequence[LogRow]) -> bool:
        """Whether ``rows`` (the follower's next chunk) are the log's events right after all
        those taken in from index 0 (``TrailCache.whole_below``), which then moves past
        them; otherwise it becomes unknown."""
        if not rows:
            return False
        indexes: list[int] = list(map(_log_index, rows))
        first, last = min(indexes), max(indexes)
        dense = last - first + 1 == len(set(indexes))
        fresh = dense and first == self.cache.whole_below
        self.cache.whole_below = last + 1 if fresh else None
        return fresh

    def entry(self, project_id: str) -> _Cached:
        """The cached trail of a project (loaded whole if it was evicted)."""
        entry = self.cache.get(project_id)
        if entry is None:
            entry = self._load(project_id, below=None)
            self.cache.put(project_id, entry)
        return entry

    def trail(self, project_id: str) -> Trail:
        """A project's whole trail, read from the store (not cached)."""
        found = _Cached([], -1)
        self._fill(project_id, found, below=None)
        return Trail(project_id, tuple(found.events))

    def _load(self, project_id: str, below: int | None) -> _Cached:
        self.cache.loads += 1
        entry = _Cached([], -1)
        self._fill(project_id, entry, below)
        return entry

    def _fill(self, project_id: str, entry: _Cached, below: int | None) -> None:
        """Append the project's stored events after ``entry.last_index`` (below ``below``)."""
        query = (select(events.c.idx, events.c.event_type, events.c.canonical,
                        events.c.leaf_hash)
                 .where(events.c.project_id == project_id)
                 .where(events.c.idx > entry.last_index)
                 .where(events.c.event_type.not_in(INTERNAL_TYPES))
                 .order_by(events.c.idx))
        if below is not None:
            query = query.where(events.c.idx < below)
        with self.log.db.read() as conn:
            for idx, env in self._decoded(conn, project_id, query):
                entry.last_index = max(entry.last_index, idx)
                if env["type"] not in INTERNAL_TYPES:
                    entry.events.append(trail_event(idx, env))

    def _decoded(self, conn: Connection, project_id: str,
                 query: object) -> list[tuple[int, dict[str, object]]]:
        out = []
        for idx, _etype, data, leaf in conn.execute(query).all():  # type: ignore[call-overload]
            plain = open_row(self.log, conn, project_id, bytes(data), bytes(leaf))
            out.append((int(idx), loads(plain)))
        return out


def open_row(log: WitnessLog, conn: Connection, project_id: str, data: bytes,
             leaf: bytes) -> bytes:
    """A stored row's canonical bytes (``WitnessLog.open_stored``). A sealed record of a
    scope the seal key has met already opens without asking the store for the project's
    sections: the follower would otherwise make one query per sealed row."""
    if log.sealer is not None and is_sealed_blob(data):
        try:
            return log.sealer.open(data, leaf, project_id)
        except NotFoundError:
            pass  # a scope not met yet: found among the project's sections
    return log.open_stored(conn, project_id, data, leaf)


def row_from_store(log: WitnessLog, conn: Connection, index: int, project_id: str,
                   event_type: str, data: bytes, leaf: bytes) -> LogRow:
    """A stored row as the rule service takes it in (a sealed record opened)."""
    plain = open_row(log, conn, project_id, data, leaf)
    if plain is data:
        return LogRow(index, project_id, event_type, data)
    env = loads(plain)
    return LogRow(index, project_id, str(env["type"]), plain, env)
