"""fsck: the stored receipt batches (receipt v2) against the log they promise.

Role: every row of ``receipt_batches`` (first index, count, root, the signed promise note)
is checked while the events stream by, with no second read of the log:

- the note opens under the log's keys (``fsck_keys``: the pinned key and the rotations the
  log recorded), and under the key that was the log's key when the batch was appended: the
  newest key whose announcing event lies before the batch's first event (the batch holding
  a ``LOG_KEY_ROTATED`` event is still the old key's, every later one the new key's);
- its body parses and says the log's origin and the row's first index, count and root;
- the row's root is the RFC 9162 MTH of the leaves [first, first + count) the fsck
  recomputes (a sealed row: its stored leaf), folded on a small frontier while they pass;
- every public event of the batch carries the promise's ``received_at`` in its signed
  bytes (the events of one append transaction share one; a sealed blob cannot be read);
- coverage, in first-index order: a row must not start before the end of an earlier row
  (overlap: reported, its root not checked), every event from the first batched index on
  must be in a batch (a hole before a row, or after the last one, is reported), no row may
  reach beyond the log.

A batch is judged the moment its last leaf is fed, so the problem lands in the report at the
same place in one pass and in the parallel one. From the first index gap on nothing more is
checked (as for the tree). A range worker (``fsck_range``) judges the batches that start in
its range; for one open at its start it returns the aligned subtrees of its share of the
batch (``("bh", …)``), and for one still open at its end the batch's frontier (``("bo",
…)``): the parent grafts them as it grafts the tree's (``fsck_tree.graft``).

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI, the SQLAlchemy ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ledger.core import tree
from ledger.core.batch import BatchPromise
from ledger.core.errors import MalformedError, VerificationError
from ledger.core.hashing import node_hasher
from ledger.core.key_rotation import LogKeys
from ledger.core.note import NoteVerifier, split_note
from ledger.core.sealed import MAGIC
from verifier.fsck_tree import Pieces, aligned_spans, graft, level_up
from verifier.report import Problem

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from verifier.readers.db import LedgerDB

BatchRow = tuple[int, int, bytes, str]  # first_idx, count, root, promise_note
KeySpec = tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...], str]
RECEIVED_AT = b'"received_at":"'  # the last one in canonical bytes is the top-level key
NO_MARK = 2 ** 64  # beyond any index
Sink = Callable[[Problem | None, bool], None]  # (problem or None, whether a batch was judged)
Emit = Callable[[tuple[Any, ...]], None]
Known = dict[int, bytes]  # log tree nodes built from the same leaves, by ``node_key``
CODE = "receipt_batch"


@dataclass(frozen=True)
class PromiseKeys:
    """The log keys (oldest first) and the index of the event announcing each (-1: pinned)."""

    keys: LogKeys
    announced: tuple[int, ...]
    origin: str

    def spec(self) -> KeySpec:
        """What a worker process needs to rebuild them (verifier keys as text)."""
        return (tuple(k.vkey() for k in self.keys.keys), self.keys.after, self.announced,
                self.origin)

    @classmethod
    def from_spec(cls, spec: KeySpec) -> PromiseKeys:
        vkeys, after, announced, origin = spec
        keys = LogKeys(tuple(NoteVerifier.from_vkey(v) for v in vkeys), after)
        return cls(keys, announced, origin)

    def expected(self, first: int) -> int:
        """The key that was the log's when the event at ``first`` was appended."""
        return max(j for j, at in enumerate(self.announced) if at < first)


def open_promise(keys: PromiseKeys, row: BatchRow
                 ) -> tuple[BatchPromise | None, list[str], list[str]]:
    """(the promise once its note opens, the failed checks, why) for one row."""
    first, count, root, note = row
    try:
        signers = keys.keys.signers(note)
    except (VerificationError, MalformedError) as exc:
        return None, ["signature"], [f"promise note: {exc}"]
    checks, reasons = [], []
    want = keys.expected(first)
    if want not in signers:
        j = signers[-1]
        why = (f"announced at index {keys.announced[j]}, not before the batch" if j > want
               else f"retired by the rotation at index {keys.announced[j + 1]}")
        checks.append("key")
        reasons.append(f"promise signed by log key {j} ({why}); key {want} was the log's "
                       f"key at index {first}")
    try:
        promise = BatchPromise.parse(split_note(note)[0])
    except MalformedError as exc:
        return None, [*checks, "body"], [*reasons, f"promise body: {exc}"]
    for name, signed, stored in (("origin", promise.origin, keys.origin),
                                 ("first", promise.first, first), ("count", promise.count, count),
                                 ("signed_root", promise.root, root)):
        if signed != stored:
            checks.append(name)
            reasons.append(f"the promise says {name.removeprefix('signed_')} {_show(signed)}, "
                           f"the {'log' if name == 'origin' else 'row'} {_show(stored)}")
    return promise, checks, reasons


def _show(value: object) -> str:
    return value.hex() if isinstance(value, bytes) else repr(value)


def node_key(end: int, level: int) -> int:
    """The key of the log's tree node of ``level`` whose leaves end at index ``end`` (the
    range pass keeps the nodes it built under it: ``Known``)."""
    return end << 6 | level


def pieces(leaves: Sequence[bytes], start: int, known: Known | None = None,
           first: int = 0) -> list[tuple[int, bytes]]:
    """The maximal aligned complete subtrees over batch offsets [start, start + len);
    ``known``: nodes of the log's tree over the same leaves, the batch's offset 0 at log
    index ``first``."""
    out = []
    for i, level in aligned_spans(start, len(leaves)):
        part = leaves[i:i + (1 << level)]
        out.append((level, _perfect_root(part) if known is None
                    else _known_root(part, start + i + first, known)))
    return out


def _known_root(hashes: Sequence[bytes], at: int, known: Known) -> bytes:
    """The root of a complete subtree of 2^k leaf hashes starting at log index ``at``: a
    subtree aligned in the log is a node of the log's tree, hashed once already (a batch
    of a thousand events at a multiple of eight shares seven eighths of its nodes with
    it); a subtree that is not is split until its halves are."""
    n = len(hashes)
    if n == 1:
        return hashes[0]
    level = n.bit_length() - 1
    if not at & (n - 1):
        h = known.get(node_key(at + n, level))
        if h is not None:
            return h
    if n <= 8 or at & 7:  # small or not eight-aligned: splitting costs more than hashing
        return _perfect_root(hashes)
    half = n >> 1
    node = node_hasher()
    node.update(_known_root(hashes[:half], at, known))
    node.update(_known_root(hashes[half:], at + half, known))
    return node.digest()


def _perfect_root(hashes: Sequence[bytes]) -> bytes:
    """The root of a complete subtree (2^k leaf hashes), level by level."""
    level = list(hashes)
    while len(level) > 1:
        level = level_up(level)
    return level[0]


@dataclass
class _Open:
    """The batch the stream is inside: what is known of it so far."""

    row: BatchRow
    promise: BatchPromise | None
    checks: list[str]
    reasons: list[str]
    start: int  # batch offset of the first leaf this process sees (0: all of them)
    pos: int  # chunk position of the next leaf to take
    done: int  # batch offsets taken so far
    frontier: tree.Frontier = tree.EMPTY_FRONTIER  # start == 0
    pieces: list[tuple[int, bytes]] = field(default_factory=list)  # start > 0
    ra_bad: int | None = None

    @property
    def end(self) -> int:
        return self.row[0] + self.row[1]


def _problem(row: BatchRow, detail: str, checks: list[str], **more: Any) -> Problem:
    first, count = row[0], row[1]
    return Problem(CODE, f"receipt batch of events {first}..{first + count - 1}: {detail}",
                   index=first, evidence={"first": first, "count": count, "checks": checks,
                                          **more})


class BatchStream:
    """The batch rows met in index order, the open one fed leaf by leaf (chunk slices)."""

    def __init__(self, keys: PromiseKeys, sink: Sink, rows: Iterator[BatchRow],
                 covered: int | None = None, emit: Emit | None = None) -> None:
        self.keys, self.sink, self.rows, self.emit = keys, sink, rows, emit
        self.covered = covered  # the end of the rows started so far (None: none yet)
        self.open: _Open | None = None
        self.next: BatchRow | None = None
        self.stopped = False
        self._pull = True
        # the log tree's nodes over the chunk being fed, when the range built them first
        # (``fsck_range``), for the batch roots to reuse
        self.known: Known | None = None

    @property
    def mark(self) -> int:
        """The next index at which a batch ends or a row starts."""
        if self.stopped:
            return NO_MARK
        if self._pull:
            self.next, self._pull = next(self.rows, None), False
        marks = [self.open.end] if self.open is not None else []
        return min(marks + ([self.next[0]] if self.next is not None else []), default=NO_MARK)

    def stop(self) -> None:
        self.stopped = True

    def head(self, row: BatchRow, start: int) -> None:
        """A worker: ``row`` is open at its range's start, offset ``start`` of the batch."""
        promise, checks, reasons = open_promise(self.keys, row)
        self.open = _Open(row, promise, checks, reasons, start, 0, start)

    def reach(self, idx: int, pos: int, rows: Sequence[Any], leaves: Sequence[bytes],
              gap: bool = False) -> int:
        """The event at ``idx`` (chunk position ``pos``) is next: end and start what lies
        before it; the next mark. Before an index gap (``gap``) only a batch already
        complete is judged, and the stream stops."""
        if self.stopped:
            return NO_MARK
        if gap:
            self.flush(rows, leaves[:pos])
            self.stop()
            return NO_MARK
        while True:
            o = self.open
            if o is not None and idx >= o.end:
                self._feed(o, rows, leaves, pos)
                self._end(o)
                continue
            nxt = self.next if self.mark < NO_MARK else None
            if nxt is None or idx < nxt[0]:
                return self.mark
            self._pull = True
            self._start(nxt, pos)

    def flush(self, rows: Sequence[Any], leaves: Sequence[bytes]) -> None:
        """The end of a chunk: the open batch takes the rest of it; complete, it is judged."""
        o = self.open
        if o is None or self.stopped:
            return
        self._feed(o, rows, leaves, len(leaves))
        o.pos = 0
        if o.done == o.row[1]:
            self._end(o)

    def _start(self, row: BatchRow, pos: int) -> None:
        first, count = row[0], row[1]
        if self.covered is not None and first > self.covered:
            hole = self.covered
            self.sink(Problem(CODE, f"events {hole}..{first - 1} are in no receipt batch: a "
                              "batch row is missing (every event from the first batched "
                              "index on belongs to one)", index=hole,
                              evidence={"first": hole, "count": first - hole,
                                        "checks": ["uncovered"], "next_batch": first}), False)
        if count < 1:
            self.sink(_problem(row, f"count {count}", ["count"]), True)
            self.covered = max(self.covered or 0, first + count)
            return
        if self.covered is not None and first < self.covered:
            self.sink(_problem(row, f"overlaps an earlier batch, which reaches index "
                               f"{self.covered - 1}", ["overlap"], covered_to=self.covered),
                      True)
        else:
            promise, checks, reasons = open_promise(self.keys, row)
            self.open = _Open(row, promise, checks, reasons, 0, pos, 0)
        self.covered = max(self.covered or 0, first + count)

    def _feed(self, o: _Open, rows: Sequence[Any], leaves: Sequence[bytes], upto: int) -> None:
        a = o.pos
        take = min(upto - a, o.row[1] - o.done)
        if take <= 0:
            return
        new = pieces(leaves[a:a + take], o.done, self.known, o.row[0])
        if o.start == 0:
            o.frontier = graft(o.frontier, new)
        else:
            o.pieces.extend(new)
        if o.promise is not None and o.ra_bad is None:
            o.ra_bad = _other_time(rows[a:a + take], o.promise.received_at)
        o.done += take
        o.pos = a + take

    def _end(self, o: _Open) -> None:
        self.open = None
        if o.start == 0:
            self.judge(o, o.frontier.root)
        elif self.emit is not None:
            self.emit(("bh", o.row[0], o.pieces, o.ra_bad, True))

    def judge(self, o: _Open, root: bytes) -> None:
        row_root = o.row[2]
        checks, reasons = list(o.checks), list(o.reasons)
        if root != row_root:
            checks.append("root")
            reasons.append(f"the stored leaves have batch root {root.hex()}, the row says "
                           f"{row_root.hex()}")
        more: dict[str, Any] = {"root": row_root.hex(), "calculated_root": root.hex()}
        if o.promise is not None and o.promise.root != row_root:
            more["signed_root"] = o.promise.root.hex()
        if o.ra_bad is not None and o.promise is not None:
            checks.append("received_at")
            reasons.append(f"event {o.ra_bad} was not received at {o.promise.received_at}, "
                           "the time the promise signs")
            more.update(received_at=o.promise.received_at, received_at_index=o.ra_bad)
        self.sink(_problem(o.row, "; ".join(reasons), checks, **more) if checks else None, True)

    # -- a worker's ends, the parent's joins ----------------------------------------------

    def close(self) -> None:
        """A worker's range is read: hand the batch still open to the parent."""
        o = self.open
        if o is None or self.stopped or self.emit is None:
            return
        if o.start == 0:
            f = o.frontier
            self.emit(("bo", o.row, f.size, f.levels, f.hashes, o.ra_bad))
        else:
            self.emit(("bh", o.row[0], o.pieces, o.ra_bad, False))

    def adopt(self, row: BatchRow, size: int, levels: tuple[int, ...],
              hashes: tuple[bytes, ...], ra_bad: int | None) -> None:
        """The parent: a batch a worker opened and its range ended inside."""
        promise, checks, reasons = open_promise(self.keys, row)
        self.open = _Open(row, promise, checks, reasons, 0, 0, size,
                          tree.Frontier(size, levels, hashes), ra_bad=ra_bad)

    def join(self, first: int, more: Pieces, ra_bad: int | None, ended: bool) -> None:
        """The parent: a worker's share of the open batch; judged when it was the last."""
        o = self.open
        if o is None or o.row[0] != first:
            return
        o.frontier = graft(o.frontier, more)
        o.done = o.frontier.size
        o.ra_bad = o.ra_bad if o.ra_bad is not None else ra_bad
        if ended:
            self.open = None
            self.judge(o, o.frontier.root)

    def finish(self, db: LedgerDB, conn: Connection, size: int) -> None:
        """After the last event: a hole at the end, rows beyond the log."""
        if self.stopped:
            return
        end = db.batch_end_before(conn, size)
        if end is not None and end < size:
            self.sink(Problem(CODE, f"events {end}..{size - 1} are in no receipt batch: "
                              "the last batch rows are missing", index=end,
                              evidence={"first": end, "count": size - end,
                                        "checks": ["uncovered"]}), False)
        beyond = [self.open.row] if self.open is not None else []
        for row in beyond + list(db.batch_rows(conn, size, 2 ** 63 - 1)):
            self.sink(_problem(row, f"the log holds only {size} events (events removed, or "
                               "a forged row)", ["beyond"], log_size=size), True)
        self.open = None


def _other_time(rows: Sequence[Any], received_at: str) -> int | None:
    """The index of the first public row whose signed bytes carry another received_at."""
    want = RECEIVED_AT + received_at.encode() + b'"'
    for row in rows:
        data = row[-1]
        if not data.startswith(want, data.rfind(RECEIVED_AT)) and data[:4] != MAGIC:
            return int(row[0])
    return None
