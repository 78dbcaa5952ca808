"""fsck of one range [lo, hi) of the log, in a worker process, for the parent to join.

Role: the same checks as the single-process pass (``ledger_check``), over one range, with
everything that needs the log before ``lo`` handed to the parent (``fsck_join``) instead of
being decided here:

- leaves, sealed rows and releases as in the single pass; each project's *first* event in
  the range is carried out (its link to the project's last event before ``lo`` is checked
  by the parent), the later ones are checked here against the range's own heads;
- the tree: every complete subtree inside the range is built and compared with the stored
  hashes; a node straddling ``lo`` is left as a hole (the parent computes it by grafting the
  range's subtrees onto the frontier of [0, lo)); at each size where the tree must stop (a
  checkpoint row, a chain checkpoint) the range's subtrees so far are recorded, from which
  the parent gets the root;
- what it finds is recorded in discovery order (``items``), so that the parent, replaying
  the ranges in order, reports the same problems in the same order as the single pass.

The range starts at a multiple of the chunk size, so its chunks are the single pass's
chunks (which matters where the single pass works chunk by chunk: the tree check of a chunk
is skipped once an index gap is met in it). Memory: one chunk, the range's heads per
project, and per stop O(log n) hashes.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI, the SQLAlchemy ORM.
"""

from __future__ import annotations

import hashlib
from binascii import hexlify
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from ledger.core import tree
from ledger.core.sealed import MAGIC
from verifier.fsck_batches import BatchStream, KeySpec, PromiseKeys
from verifier.fsck_links import (
    PREV,
    SEQ_LIMIT,
    ProjectChains,
    link_fields,
    link_middle,
    next_link,
)
from verifier.fsck_sealed import RELEASE_TAIL, SealedScopes, read_release
from verifier.fsck_tree import first_difference, tree_problem
from verifier.readers import SourceUnavailable
from verifier.readers.db import LOWEST, LedgerDB, RangeRow
from verifier.report import FIRST_ONLY, MAX_PROBLEMS, Problem, Report

Item = tuple[Any, ...]  # (kind, …): see RangeResult.items


@dataclass(frozen=True)
class RangeTask:
    url: str
    lo: int
    hi: int
    chunk: int
    chain_stops: tuple[int, ...]  # sizes of chain checkpoints in (lo, hi]
    origin: str
    keys: KeySpec  # the log keys receipt batch promises are checked with


@dataclass
class RangeResult:
    """What the parent needs of one range. ``items`` in discovery order: ``("p", problem)``
    (a problem found from this range alone), ``("g", problem, what, reason)`` (an index
    gap: the tree stops), ``("t", problem)`` and ``("seg", …)`` (a stored tree hash that
    differs; a ``seg`` holds nodes straddling ``lo``, for the parent to compare), ``("l",
    index, project id, fields, leaf)`` (a project's first event in the range), ``("r",
    index, event id, project id, release)`` (a release, read), ``("stop", size, subtrees)``;
    receipt batches (``fsck_batches``): ``("bp", problem or None, judged)``, ``("bo", row,
    frontier size, levels, hashes, first bad index)`` (a batch still open at the range's
    end), ``("bh", first, subtrees, first bad index, ended)`` (the range's share of the batch
    open at its start)."""

    lo: int
    first: int | None = None  # index of the first row, None when the range holds none
    next_index: int = 0
    items: list[Item] = field(default_factory=list)
    tree_ok: bool = True
    tree_end: int = 0  # the tree was built over [lo, tree_end)
    pieces: list[tuple[int, bytes]] = field(default_factory=list)
    tree_hashes: int = 0
    last_chunk: tuple[int, int, int] = (0, 0, 0)  # rows, first tree item, tree hashes
    heads: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    scopes: dict[bytes, Any] = field(default_factory=dict)
    bad: set[int] = field(default_factory=set)
    events: int = 0
    suppressed: int = 0


class RangeReport(Report):
    """Records problems and skips as items, in order, for the parent to replay. FIRST_ONLY
    codes are not thinned here (the parent does it); of the others, once MAX_PROBLEMS are
    kept, the rest are only counted — the parent's list is full by then too."""

    def __init__(self, items: list[Item]) -> None:
        super().__init__("ledger")
        self.items = items
        self.kept = 0

    def add(self, problem: Problem) -> None:
        if problem.code not in FIRST_ONLY:
            if self.kept >= MAX_PROBLEMS:
                self.suppressed += 1
                return
            self.kept += 1
        self.items.append(("p", problem))


class _Range:
    def __init__(self, task: RangeTask, db: LedgerDB, conn: Connection) -> None:
        self.task, self.db, self.conn = task, db, conn
        self.out = RangeResult(task.lo, next_index=task.lo, tree_end=task.lo)
        self.report = RangeReport(self.out.items)
        self.links = ProjectChains(self.report)
        # per project: the bytes its next event must hold at its last "prev", and the
        # part of them that names the project
        self.nexts: dict[str, tuple[bytes, bytes]] = {}
        self.sealed = SealedScopes(self.report, task.origin)
        self.payload_bad: set[int] = set()
        self.stops = sorted(set(db.checkpoint_sizes(conn, task.lo, task.hi))
                            | set(task.chain_stops))
        self.levels: list[int] = []
        self.hashes: list[bytes] = []
        self.rows: list[RangeRow] = []
        self.ids: dict[int, str] | None = None
        self.batches = _batch_stream(task, db, conn, self.out.items)

    def event_id(self, idx: int) -> str | None:
        """The event id of a row of the current chunk (read only when a problem names it)."""
        if self.ids is None:
            rows = self.rows
            self.ids = self.db.event_ids(self.conn, rows[0][0], rows[-1][0]) if rows else {}
        return self.ids.get(idx)

    def events(self, rows: list[RangeRow]) -> None:
        """One chunk, as ``ledger_check._Fsck.events``; a link is one ``startswith``."""
        leaves: list[bytes] = []
        sha, heads, nexts, sealed, out, app = (hashlib.sha256, self.links.heads, self.nexts,
                                               self.sealed, self.out, leaves.append)
        magic, tail, join, limit = MAGIC, RELEASE_TAIL, b"".join, SEQ_LIMIT
        self.rows, self.ids = rows, None
        batches = self.batches
        bmark = batches.mark
        for idx, project_id, leaf_col, data in rows:
            if idx != out.next_index:
                batches.reach(idx, len(leaves), rows, leaves, gap=True)
                self._gap(idx, project_id)
            out.next_index = idx + 1
            if idx >= bmark:  # a receipt batch ends or starts here
                bmark = batches.reach(idx, len(leaves), rows, leaves)
            if data[:4] == magic:  # sealed: the stored leaf (the tree pass ties it), no link
                app(leaf_col)
                if not sealed.seen(idx, data):
                    sealed.misshapen(idx, self.event_id(idx), project_id, data)
                continue
            leaf = sha(b"\x00" + data).digest()
            app(leaf)
            if leaf != leaf_col:
                self.payload_bad.add(idx)
                self.report.fail("payload", "stored event bytes do not hash to the stored "
                                 "leaf hash", index=idx, event_id=self.event_id(idx),
                                 project_id=project_id)
            expect = nexts.get(project_id)
            if expect is not None and data.startswith(expect[0], data.rfind(PREV)):
                seq = heads[project_id][0] + 1
                heads[project_id] = (seq, leaf)
                if seq + 1 < limit:  # the next event's link, as next_link writes it
                    nexts[project_id] = (join((PREV, hexlify(leaf), expect[1], b"%d" % (seq + 1),
                                               b',"')), expect[1])
                else:
                    del nexts[project_id]
            else:
                self._link(idx, project_id, data, leaf)
            if data.endswith(tail) and leaf == leaf_col:
                out.items.append(("r", idx, self.event_id(idx), project_id,
                                  read_release(data)))
        batches.flush(rows, leaves)
        out.events += len(rows)
        tree_from = len(out.items), out.tree_hashes
        if out.tree_ok:
            self._tree(leaves)
        out.last_chunk = (len(rows), tree_from[0], out.tree_hashes - tree_from[1])

    def _link(self, idx: int, project_id: str, data: bytes, leaf: bytes) -> None:
        """The full link check (``ProjectChains``); a project not met yet in this range is
        carried out to the parent, which knows its last event before the range."""
        fields = link_fields(data)
        if fields is None:
            self.links.unreadable(idx, self.event_id(idx), project_id, data)
            return
        heads = self.links.heads
        if fields[0] not in heads:
            heads[fields[0]] = (fields[1], leaf)
            self.out.items.append(("l", idx, project_id, fields, leaf))
        else:
            broken = self.links.step(project_id, fields, leaf)
            if broken is not None:
                self.links.broken(idx, self.event_id(idx), project_id, fields, broken)
        for key in {fields[0], project_id}:
            head = heads.get(key)
            expect = None if head is None else next_link(key, head[0], head[1])
            if expect is None:
                self.nexts.pop(key, None)
            else:
                self.nexts[key] = (expect, link_middle(key))  # type: ignore[assignment]

    def _gap(self, idx: int, project_id: str) -> None:
        out = self.out
        problem = Problem("sequence", f"events {out.next_index}..{idx - 1} are missing from "
                          f"the log (index gap)", index=out.next_index,
                          evidence={"next_present": idx, "next_event_id": self.event_id(idx)})
        out.items.append(("g", problem, f"tree hashes, checkpoint roots and receipt batches "
                          f"from index {out.next_index}", "cannot recompute the tree across "
                          "missing events"))
        out.tree_ok = False
        self.batches.stop()
        del project_id

    def _tree(self, leaves: list[bytes]) -> None:
        """As ``_Fsck._tree``: segments cut at the stops, each compared, then the stop."""
        pos, out, stops = 0, self.out, self.stops
        while pos < len(leaves):
            cut = len(leaves)
            if stops and stops[0] <= out.tree_end + cut - pos:
                cut = pos + stops[0] - out.tree_end
            start = out.tree_end
            computed, holes = self._append(leaves[pos:cut])
            self._compare(start, computed, holes)
            pos = cut
            while stops and stops[0] <= out.tree_end:
                if stops.pop(0) == out.tree_end:
                    out.items.append(("stop", out.tree_end,
                                      list(zip(self.levels, self.hashes, strict=True))))
        out.pieces = list(zip(self.levels, self.hashes, strict=True))

    def _append(self, leaves: list[bytes]) -> tuple[list[bytes | None], list[int]]:
        """Append leaves: the stored hashes they complete, in stored order (None for a node
        straddling ``lo``), and the positions of those holes."""
        sha, lo, levels, hashes = hashlib.sha256, self.task.lo, self.levels, self.hashes
        n = self.out.tree_end
        out: list[bytes | None] = []
        app = out.append
        holes: list[int] = []
        for h in leaves:
            app(h)
            n += 1
            level = 0
            while not (n >> level) & 1:  # leaf n-1 completes one node per trailing 0 of n
                if n - (2 << level) < lo:
                    up = level
                    while not (n >> up) & 1:
                        holes.append(len(out))
                        app(None)
                        up += 1
                    break
                levels.pop()
                h = sha(b"\x01" + hashes.pop() + h).digest()
                level += 1
                app(h)
            levels.append(level)
            hashes.append(h)
        self.out.tree_end = n
        return out, holes

    def _compare(self, start: int, computed: list[bytes | None], holes: list[int]) -> None:
        lo = tree.stored_hash_count(start)
        stored = self.db.tree_range(self.conn, lo, lo + len(computed))
        self.out.tree_hashes += len(computed)
        if not holes and stored == computed:
            return
        n_stored, n_rows = len(stored), len(computed)
        first = first_difference(stored, computed)
        tail = None if n_stored == n_rows else min(n_stored, n_rows)
        if not holes:
            at = first if first is not None else tail
            if at is not None:
                self._tree_problem(lo + at, at >= n_stored or n_stored != n_rows)
            return
        checks = [(i, stored[i]) for i in holes if i < n_stored]
        local = None if first is None else self._problem(lo + first, n_stored != n_rows)
        after = None if tail is None else self._problem(lo + tail, True)
        self.out.items.append(("seg", lo, n_stored != n_rows, checks, first, local, tail,
                               after))

    def _problem(self, stored_index: int, missing: bool) -> Problem | None:
        return tree_problem(stored_index, missing=missing, where=self._where,
                            payload_bad=self.payload_bad)

    def _tree_problem(self, stored_index: int, missing: bool) -> None:
        problem = self._problem(stored_index, missing)
        if problem is not None:
            self.out.items.append(("t", problem))

    def _where(self, index: int) -> tuple[str | None, str | None]:
        for row in self.rows:
            if row[0] == index:
                return self.event_id(index), row[1]
        return None, None


def _batch_stream(task: RangeTask, db: LedgerDB, conn: Connection, items: list[Item]
                  ) -> BatchStream:
    """The receipt batches of the range: those starting in it, and the one open at its
    start when the single pass would have opened it (its count at least 1, starting at or
    after the end of every row before it), whose share goes to the parent."""
    def judged(problem: Problem | None, batch: bool) -> None:
        items.append(("bp", problem, batch))

    stream = BatchStream(PromiseKeys.from_spec(task.keys), judged,
                         db.batch_rows(conn, task.lo, task.hi),
                         db.batch_end_before(conn, task.lo), emit=items.append)
    for row in db.batches_across(conn, task.lo) if task.lo > 0 else []:
        before = db.batch_end_before(conn, row[0])
        if before is None or row[0] >= before:  # the rows it opens are disjoint: one at most
            stream.head(row, task.lo - row[0])
            break
    return stream


def check_range(task: RangeTask, counter: Any = None) -> RangeResult:
    """Check one range (in a worker process); ``counter`` a shared count of rows read."""
    db = LedgerDB(task.url)
    with db.connect() as conn:
        state = _Range(task, db, conn)
        for rows in db.range_chunks(conn, LOWEST if task.lo == 0 else task.lo, task.hi,
                                    task.chunk):
            if state.out.first is None:  # a gap before it is the parent's to report
                state.out.first = state.out.next_index = rows[0][0]
            state.events(rows)
            if counter is not None:
                with counter.get_lock():
                    counter.value += len(rows)
        state.batches.close()
    out = state.out
    out.heads, out.scopes, out.bad = state.links.heads, state.sealed.scopes, state.sealed.bad
    out.suppressed = state.report.suppressed
    return out


def run_range(task: RangeTask) -> RangeResult:
    """Pool entry point: a database error becomes ``SourceUnavailable`` (it must cross the
    process boundary; the driver's exceptions do not always pickle)."""
    try:
        return check_range(task, _COUNTER)
    except SourceUnavailable:
        raise
    except Exception as exc:
        if type(exc).__module__.startswith(("sqlalchemy", "sqlite3", "psycopg")):
            raise SourceUnavailable(f"database read failed: {str(exc)[:200]}") from None
        raise


_COUNTER: Any = None


def init_worker(counter: Any) -> None:
    global _COUNTER
    _COUNTER = counter
