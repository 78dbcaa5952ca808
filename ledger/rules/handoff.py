"""The rule follower's reading of the log: a chunk of new events, the ones this process has
just appended taken as they were handed over, the others read from the store.

The follower evaluates every event of the log once, in index order, from its cursor. When it
runs in the process that appends (a service worker holding the rules lock), the ingestion
hands it each event it has committed (``Ingestor.handoff``): index, receipt time and the
submitted fields, which are what the stored canonical bytes decode to. Taking them from here
spares reading the rows back, opening sealed ones and decoding them. Anything not handed
over — appended by another worker or process, before a restart, or dropped because the
buffer was full — is read from the store, so the chunks and what the rules see are the
same either way. Must not import the API or the verifier.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import Connection, func, select

from ledger.ingest import MAX_BATCH, Recorded
from ledger.log import WitnessLog
from ledger.rules.trail_cache import LogRow
from ledger.rules.trail_store import row_from_store
from ledger.store.database import in_lists
from ledger.store.schema import events

HANDOFF_KEPT = 20 * MAX_BATCH
"""Events held for the follower: a few polls' worth at full ingestion rate. Beyond it the
oldest are dropped (read from the store when their turn comes), so a process whose follower
is stopped or slow holds a bounded amount."""

_SPAN = 10 * MAX_BATCH  # how far past a chunk the rest of its last append is looked for


class Handoff:
    """Events appended in this process, by log index, until the follower takes them
    (thread-safe: offered from the ingestion's threads, taken by the follower's)."""

    def __init__(self, kept: int = HANDOFF_KEPT) -> None:
        if kept < 1:
            raise ValueError("the hand-off holds at least one event")
        self.kept = kept
        self._held: dict[int, Recorded] = {}
        self._lock = threading.Lock()
        self.taken = 0  # events the follower took from here instead of the store

    def __len__(self) -> int:
        return len(self._held)

    def offer(self, recorded: Sequence[Recorded]) -> None:
        """Hold newly committed events (an ``Ingestor.handoff``)."""
        with self._lock:
            held = self._held
            for r in recorded:
                held[r.log_index] = r
            excess = len(held) - self.kept
            if excess > 0:  # the oldest offers first (dicts keep insertion order)
                for index in [i for i, _ in zip(held, range(excess), strict=False)]:
                    del held[index]

    def take(self, indexes: Sequence[int]) -> dict[int, LogRow]:
        """The held events among ``indexes`` (ascending), as rule rows; they and anything
        held below them are let go."""
        if not indexes:
            return {}
        with self._lock:
            held = self._held
            for stale in [i for i in held if i < indexes[0]]:
                del held[stale]
            found = [r for i in indexes if (r := held.pop(i, None)) is not None]
        self.taken += len(found)
        return {r.log_index: _row(r) for r in found}


def _row(r: Recorded) -> LogRow:
    event = r.event  # the submitted fields; the receipt time rides beside them, not merged in
    return LogRow(r.log_index, str(event["project_id"]), str(event["type"]), b"", event,
                  r.received_at)


def chunk_rows(log: WitnessLog, conn: Connection, start: int, chunk: int,
               handoff: Handoff | None) -> list[LogRow]:
    """The events from index ``start`` on: at most ``chunk``, plus the rest of the last one's
    append (the events sharing its ``received_at``), so a project sent whole is evaluated
    whole. The log's indexes are dense, so the first ``chunk`` are a range."""
    return read_chunk(log, conn, start, chunk, handoff)[0]


def read_chunk(log: WitnessLog, conn: Connection, start: int, chunk: int,
               handoff: Handoff | None) -> tuple[list[LogRow], int]:
    """``chunk_rows``, and the log's last index as this transaction sees it (-1: empty)."""
    found = conn.execute(select(func.max(events.c.idx))).scalar()
    top = -1 if found is None else int(found)
    if top < start:
        return [], top
    last = min(top, start + chunk - 1)
    wanted = list(range(start, last + 1))
    if last < top:  # else the chunk ends with the log, so with the append of its last
        stamp = conn.execute(select(events.c.received_at).where(events.c.idx == last)).scalar()
        rest = conn.execute(select(events.c.idx)
                            .where(events.c.idx > last, events.c.idx <= last + _SPAN)
                            .where(events.c.received_at == stamp)
                            .order_by(events.c.idx)).scalars()
        wanted.extend(int(i) for i in rest)
    got = handoff.take(wanted) if handoff is not None else {}
    missing = [i for i in wanted if i not in got]
    if missing:
        got.update(_stored(log, conn, missing))
    return [got[i] for i in wanted if i in got], top


def _stored(log: WitnessLog, conn: Connection, indexes: list[int]) -> dict[int, LogRow]:
    """Rows of the store (sealed ones opened), by index; ``indexes`` ascending. A dense run
    is read as a range; scattered ones (what the log appended itself between handed-over
    events) by their indexes, not with every row in between."""
    cols = (events.c.idx, events.c.project_id, events.c.event_type, events.c.canonical,
            events.c.leaf_hash)
    # ``.all()``: one fetch of the driver's rows, not a fetch per row as iterating would
    if indexes[-1] - indexes[0] < 2 * len(indexes):
        keep = set(indexes)
        found = [r for r in conn.execute(select(*cols).where(events.c.idx >= indexes[0],
                                                              events.c.idx <= indexes[-1])).all()
                 if int(r[0]) in keep]
    else:
        found = [r for part in in_lists(indexes)
                 for r in conn.execute(select(*cols).where(events.c.idx.in_(part))).all()]
    return {int(i): row_from_store(log, conn, int(i), str(p), str(t), bytes(c), bytes(h))
            for i, p, t, c, h in found}
