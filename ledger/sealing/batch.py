"""One append transaction: public events onto the project chain, bid-phase events sealed,
sections opened with a ``BIDS_UNSEALED`` event, results marked.

Runs under the sequencer lock (``WitnessLog.commit``), so the phase book it reads and the
sealed records it lists are exact. The order inside a batch is the order of the log: a
sealed record submitted before the opening event of the same batch is listed by the
release that follows that event; a bid submitted after it is public (and late).

Must not import the API or the verifier.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select

from ledger.core.canonical import (
    SALT_SIZE,
    ZERO_HASH,
    PreparedEvent,
    assemble_envelope,
    assemble_sealed_envelope,
    prepare_event,
)
from ledger.core.hashing import leaf_hash
from ledger.core.sealed import MAX_RELEASED
from ledger.sealing.classes import (
    LEAD_TYPES,
    OPENING_TRIGGERS,
    RELEASE_TYPE,
    RESULT_TRIGGERS,
    scope_of,
    sealed_before_opening,
)
from ledger.sealing.keys import Sealer
from ledger.sealing.phases import PhaseBook, SectionPhase
from ledger.store import log_queries as q
from ledger.store.schema import events

LEDGER_ACTOR = {"id": "ledger", "role": "system"}

_SEALED_OF_SCOPE = (select(events.c.idx).where(events.c.project_id == bindparam("p"))
                    .where(events.c.seal_scope == bindparam("s")).order_by(events.c.idx))
_SCOPES_OF = (select(events.c.idx, events.c.seal_scope)
              .where(events.c.idx.in_(bindparam("ids", expanding=True)))
              .where(events.c.seal_scope.is_not(None)))


@dataclass(frozen=True)
class NewEvent:
    """A submitted event as appended: its index and plaintext canonical bytes."""

    event_id: str
    index: int
    data: bytes
    received_at: str
    leaf: bytes


class BatchWriter:
    """Builds the event rows of one append transaction."""

    def __init__(self, conn: Connection, *, origin: str, size: int,
                 heads: dict[str, tuple[int, bytes]], received_at: str,
                 sealer: Sealer | None, project_ids: set[str]) -> None:
        self.conn, self.origin, self.start = conn, origin, size
        self.heads, self.received_at, self.sealer = heads, received_at, sealer
        self.book = PhaseBook(conn, project_ids, sealer)
        self.rows: list[tuple[Any, ...]] = []
        self.sealed_here: dict[str, list[int]] = {}  # scope id (hex) → sealed indexes

    @property
    def next_index(self) -> int:
        return self.start + len(self.rows)

    def add(self, event: Mapping[str, Any], prepared: PreparedEvent, salt: bytes) -> NewEvent:
        """Append one validated event (sealed or onto its project's chain)."""
        pid, section = scope_of(event)
        self._see(event, pid, section)
        scope = self._seal_scope(event, pid, section)
        new = (self._public(event, prepared, salt) if scope is None
               else self._sealed(event, prepared, salt, scope))
        self._after(event["type"], pid, section, new.index)
        return new

    def flush(self) -> None:
        """Write the phase changes (the caller inserts ``rows`` and their tree hashes)."""
        self.book.flush(self.conn)

    # -- one event -------------------------------------------------------------------------

    def _see(self, event: Mapping[str, Any], pid: str, section: str) -> None:
        self.book.get(pid, "")
        if section:
            self.book.get(pid, section)
        if event["type"] == "PROJECT_REGISTERED":
            for declared in event["payload"].get("sections") or []:
                self.book.get(pid, str(declared))

    def _seal_scope(self, event: Mapping[str, Any], pid: str,
                    section: str) -> SectionPhase | None:
        if self.sealer is None:
            return None
        if event["type"] in LEAD_TYPES:
            return self._lead_scope(event)
        if not sealed_before_opening(event):
            return None
        phase = self.book.get(pid, section)
        return phase if phase.opened_index is None else None

    def _lead_scope(self, event: Mapping[str, Any]) -> SectionPhase | None:
        """A lead on evidence still sealed is sealed too (the project-wide scope when the
        evidence spans several sections: it opens last)."""
        wanted = [i for i in event["payload"].get("evidence_indexes") or [] if isinstance(i, int)]
        if not wanted:
            return None
        here = {i: s for s, ids in self.sealed_here.items() for i in ids}
        found = {i: s for i, s in self.conn.execute(_SCOPES_OF, {"ids": sorted(set(wanted))})}
        pid = str(event["project_id"])
        closed = {ph.section_key: ph for i in wanted
                  if (sid := here.get(i) or found.get(i)) is not None
                  and (ph := self.book.by_scope_id(pid, sid)) is not None
                  and ph.opened_index is None}
        if not closed:
            return None
        return next(iter(closed.values())) if len(closed) == 1 else self.book.get(pid, "")

    def _public(self, event: Mapping[str, Any], prepared: PreparedEvent,
                salt: bytes) -> NewEvent:
        pid = str(event["project_id"])
        seq, prev = self.heads.get(pid, (-1, ZERO_HASH))
        data = assemble_envelope(prepared, origin=self.origin, project_seq=seq + 1, prev=prev,
                                 received_at=self.received_at, salt=salt)
        leaf, index = leaf_hash(data), self.next_index
        self.heads[pid] = (seq + 1, leaf)
        self.rows.append(q.event_row(index, event, seq + 1, self.received_at, leaf,
                                     prepared.digest, data))
        return NewEvent(prepared.event_id, index, data, self.received_at, leaf)

    def _sealed(self, event: Mapping[str, Any], prepared: PreparedEvent, salt: bytes,
                phase: SectionPhase) -> NewEvent:
        sealer = self.sealer
        assert sealer is not None and phase.scope_id is not None
        data = assemble_sealed_envelope(prepared, origin=self.origin,
                                        received_at=self.received_at, salt=salt)
        leaf, index = leaf_hash(data), self.next_index
        blob = sealer.seal(phase.project_id, phase.section_key, data, leaf)
        self.rows.append(q.sealed_row(
            index, sealer.blind("event", prepared.event_id), phase.project_id,
            self.received_at, leaf, sealer.blind_digest(prepared.digest), blob,
            phase.scope_id, q.submitter_of(event)))
        self.sealed_here.setdefault(phase.scope_id, []).append(index)
        return NewEvent(prepared.event_id, index, data, self.received_at, leaf)

    # -- phases ----------------------------------------------------------------------------

    def _after(self, etype: str, pid: str, section: str, index: int) -> None:
        if etype in OPENING_TRIGGERS:
            self._open(pid, section, index, etype)
        if etype in RESULT_TRIGGERS:
            self.book.mark_result(pid, section, index)

    def _open(self, pid: str, section: str, index: int, trigger: str) -> None:
        """Open the section (every section, for a project-wide event), and the project-wide
        scope once every section is open."""
        whole, parts = self.book.get(pid, ""), self.book.sections(pid)
        targets = [self.book.get(pid, section)] if section else [*parts, whole]
        for phase in targets:
            if phase.opened_index is None:
                self._release(phase, index, trigger)
        if whole.opened_index is None and all(p.opened_index is not None for p in parts):
            self._release(whole, index, trigger)

    def _release(self, phase: SectionPhase, trigger_index: int, trigger: str) -> None:
        phase.opened_index, phase.changed = trigger_index, True
        if self.sealer is None or phase.scope_id is None:
            return  # nothing was sealed: the phase is still tracked for the views
        sealed = [int(i) for i in self.conn.execute(
            _SEALED_OF_SCOPE, {"p": phase.project_id, "s": phase.scope_id}).scalars()]
        sealed += self.sealed_here.pop(phase.scope_id, [])
        key = self.sealer.scope_key(phase.project_id, phase.section_key)
        parts = [sealed[k:k + MAX_RELEASED] for k in range(0, len(sealed), MAX_RELEASED)]
        for number, part in enumerate(parts or [[]]):
            event = release_event(phase, key, part, trigger_index, trigger, number,
                                  self.received_at)
            self._public(event, prepare_event(event), os.urandom(SALT_SIZE))


def release_event(phase: SectionPhase, key: bytes, indexes: list[int], trigger_index: int,
                  trigger: str, part: int, now: str) -> dict[str, Any]:
    """The ``BIDS_UNSEALED`` event of one section (part ``part`` of its list)."""
    from ledger.events import event_to_json, parse_event

    ident = f"{phase.scope_id}-{part}" if part else str(phase.scope_id)
    event: dict[str, Any] = {
        "event_id": f"UNSEAL-{ident}", "type": RELEASE_TYPE, "project_id": phase.project_id,
        "occurred_at": now, "actor": LEDGER_ACTOR,
        "payload": {"scope_id": phase.scope_id, "key": base64.b64encode(key).decode(),
                    "sealed_indexes": indexes, "sealed_count": len(indexes),
                    "trigger_index": trigger_index, "trigger_type": trigger}}
    if phase.section_key:
        event["section_id"] = phase.section_key
    return event_to_json(parse_event(event))
