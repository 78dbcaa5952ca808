"""fsck of one range [lo, hi) of the log — the fsck's only per-event loop — for the
parent to join (``fsck_join``), in a worker process or in the parent itself (``--jobs 1``).

Role: every check of the events over one range, with everything that needs the log before
``lo`` handed to the parent instead of being decided here:

- leaves recomputed, sealed rows and releases read; each project's *first* event in the
  range is carried out (its link to the project's last event before ``lo`` is checked by
  the parent), the later ones are checked here against the range's own heads;
- the tree: every complete subtree inside the range is built (``fsck_build``: a chunk's
  before its events are checked, its findings recorded after theirs, its nodes lent to the
  chunk's receipt batches) and compared with the stored hashes; a node straddling ``lo`` is
  left as a hole (the parent computes it by grafting the range's subtrees onto the frontier
  of [0, lo)); at each size where the tree must stop (a checkpoint row, a chain
  checkpoint) the range's subtrees so far are recorded, from which the parent gets the
  root;
- what it finds is recorded in discovery order (``items``), so that the parent, replaying
  the ranges in order, reports the same problems in the same order as a single pass (the
  whole log as one range) would, however the log is split.

The range starts at a multiple of the chunk size, so its chunks are the single pass's
chunks (which matters where the work goes chunk by chunk: the tree check of a chunk is
skipped once an index gap is met in it). Memory: one chunk and the tree nodes built over
it, the range's heads per project, and per stop O(log n) hashes.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI, the SQLAlchemy ORM.
"""

from __future__ import annotations

from binascii import hexlify
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection

from ledger.core import tree
from verifier.fsck_batches import BatchStream, KeySpec, PromiseKeys
from verifier.fsck_build import RangeTree, chunk_leaves
from verifier.fsck_links import (
    PREV,
    SEQ_LIMIT,
    ProjectChains,
    link_fields,
    link_template,
    next_link,
)
from verifier.fsck_sealed import RELEASE_TAIL, SealedScopes, read_release
from verifier.fsck_tree import first_difference, tree_problem
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
        # per project whose next event can take the fast path: [the bytes that event must
        # hold at its last "prev", their template (``link_template``), seq, leaf] — its
        # head, kept here rather than in ``links.heads`` until the full check needs it
        self.follow: dict[str, list[Any]] = {}
        self.sealed = SealedScopes(self.report, task.origin)
        self.payload_bad: set[int] = set()
        self.tree = RangeTree(task.lo, sorted(set(db.checkpoint_sizes(conn, task.lo, task.hi))
                                              | set(task.chain_stops)))
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
        """One chunk: its leaves (``chunk_leaves``), the tree over them built (its findings kept
        for after the events'), the rows cut into runs of consecutive indexes with no receipt
        batch mark inside (``_run``, the hot loop), then the tree's findings."""
        out, batches, n = self.out, self.batches, len(rows)
        self.rows, self.ids = rows, None
        leaves = chunk_leaves(rows)
        breaks = _breaks(rows, out.next_index)
        # the tree is built over the chunk unless an index gap stops it there (as before)
        steps = None
        if out.tree_ok and not breaks:
            steps = self.tree.build(leaves)
            out.tree_end, out.pieces = self.tree.end, self.tree.pieces()
        # its nodes stand for the batches' where tree positions are log indexes
        batches.known = self.tree.known if steps is not None \
            and rows[0][0] == self.tree.built_from else None
        pos = 0
        while pos < n:
            idx = rows[pos][0]
            if breaks and breaks[-1] == pos:  # an index gap before this row
                breaks.pop()
                batches.reach(idx, pos, rows, leaves, gap=True)
                self._gap(idx, rows[pos][1])
            mark = batches.mark
            if idx >= mark:  # a receipt batch ends or starts here
                mark = batches.reach(idx, pos, rows, leaves)
            end = min(n, pos + (mark - idx), breaks[-1] if breaks else n)
            self._run(rows, pos, end, leaves)
            out.next_index = rows[end - 1][0] + 1
            pos = end
        batches.flush(rows, leaves)
        batches.known = None
        out.events += n
        tree_from = len(out.items), out.tree_hashes
        if steps is not None:
            self._findings(steps)
        out.last_chunk = (n, tree_from[0], out.tree_hashes - tree_from[1])

    def _run(self, rows: list[RangeRow], pos: int, end: int, leaves: list[bytes]) -> None:
        """Rows [pos, end) of the chunk, of consecutive indexes: each recomputed leaf
        compared, its project link checked. The common case costs one ``rfind`` and one
        ``startswith`` (the link: ``next_link``) and the next link's formatting; anything
        else goes to ``_link``, which locates and reports the problem. A sealed record (its
        leaf the stored one itself: ``chunk_leaves``) costs a read of its header."""
        follow, sealed = self.follow, self.sealed
        tail, prev, limit = RELEASE_TAIL, PREV, SEQ_LIMIT
        for (idx, project_id, leaf_col, data), leaf in zip(rows[pos:end], leaves[pos:end],
                                                           strict=True):
            if leaf is leaf_col:  # sealed: the stored leaf (the tree pass ties it), no link
                if not sealed.seen(idx, data):
                    sealed.misshapen(idx, self.event_id(idx), project_id, data)
                continue
            if leaf != leaf_col:
                self._payload(idx, project_id)
            st = follow.get(project_id)  # [next link, template, seq, leaf] of the project
            if st is not None and data.startswith(st[0], data.rfind(prev)):
                seq = st[2] = st[2] + 1
                st[3] = leaf
                if seq + 1 < limit:  # the next event's link, as next_link writes it
                    st[0] = st[1] % (hexlify(leaf), seq + 1)
                else:
                    self._unfollow(project_id)
            else:
                self._link(idx, project_id, data, leaf)
            if data.endswith(tail) and leaf == leaf_col:
                self.out.items.append(("r", idx, self.event_id(idx), project_id,
                                       read_release(data)))

    def _payload(self, idx: int, project_id: str) -> None:
        self.payload_bad.add(idx)
        self.report.fail("payload", "stored event bytes do not hash to the stored leaf hash",
                         index=idx, event_id=self.event_id(idx), project_id=project_id)

    def _unfollow(self, key: str) -> None:
        """The project's head back in ``ProjectChains.heads``, its next link unknown."""
        st = self.follow.pop(key, None)
        if st is not None:
            self.links.heads[key] = (st[2], st[3])

    def heads(self) -> dict[str, tuple[int, bytes]]:
        """Each project's last (seq, leaf) in the range."""
        for key in list(self.follow):
            self._unfollow(key)
        return self.links.heads

    def _link(self, idx: int, project_id: str, data: bytes, leaf: bytes) -> None:
        """The full link check (``ProjectChains``); a project not met yet in this range is
        carried out to the parent, which knows its last event before the range."""
        fields = link_fields(data)
        if fields is None:
            self.links.unreadable(idx, self.event_id(idx), project_id, data)
            return
        keys = {fields[0], project_id}
        for key in keys:
            self._unfollow(key)
        heads = self.links.heads
        if fields[0] not in heads:
            heads[fields[0]] = (fields[1], leaf)
            self.out.items.append(("l", idx, project_id, fields, leaf))
        else:
            broken = self.links.step(project_id, fields, leaf)
            if broken is not None:
                self.links.broken(idx, self.event_id(idx), project_id, fields, broken)
        for key in keys:
            head = heads.get(key)
            template = link_template(key)
            expect = None if head is None else next_link(template, head[0], head[1])
            if head is not None and expect is not None:
                self.follow[key] = [expect, template, head[0], head[1]]

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

    def _findings(self, steps: list[Item]) -> None:
        """The built segments compared with the stored hashes, the stops recorded, in order."""
        for step in steps:
            if step[0] == "seg":
                self._compare(step[1], step[2], step[3])
            else:
                self.out.items.append(step)

    def _compare(self, start: int, computed: list[bytes | None], holes: list[int]) -> None:
        lo = tree.stored_hash_count(start)
        self.out.tree_hashes += len(computed)
        same = self.db.tree_range_same(self.conn, lo, computed, holes)
        if same is not None:  # the common case, told by the database without reading them
            if holes:  # as below: the stored hashes complete, none differs
                self.out.items.append(("seg", lo, False, list(zip(holes, same, strict=True)),
                                       None, None, None, None))
            return
        stored = self.db.tree_range(self.conn, lo, lo + len(computed))
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


def _breaks(rows: list[RangeRow], start: int) -> list[int]:
    """The positions of the rows whose index does not follow the one before (the first
    row's: ``start``), last first: none when the chunk runs on from ``start``, as it does
    but where events are missing (one comparison of two lists, in C)."""
    idxs = list(map(itemgetter(0), rows))
    if idxs == list(range(start, start + len(rows))):
        return []
    after = [start, *(i + 1 for i in idxs[:-1])]
    return [k for k in range(len(rows) - 1, -1, -1) if idxs[k] != after[k]]


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


def check_range(task: RangeTask, read: Callable[[int], None] | None = None,
                on: tuple[LedgerDB, Connection] | None = None) -> RangeResult:
    """Check one range, on its own connection (a worker process) or ``on`` the caller's;
    ``read`` is told of the rows read, chunk by chunk."""
    if on is None:
        db = LedgerDB(task.url)
        with db.connect() as conn:
            return check_range(task, read, (db, conn))
    db, conn = on
    state = _Range(task, db, conn)
    for rows in db.range_chunks(conn, LOWEST if task.lo == 0 else task.lo, task.hi,
                                task.chunk):
        if state.out.first is None:  # a gap before it is the parent's to report
            state.out.first = state.out.next_index = rows[0][0]
        state.events(rows)
        if read is not None:
            read(len(rows))
    state.batches.close()
    out = state.out
    out.heads, out.scopes, out.bad = state.heads(), state.sealed.scopes, state.sealed.bad
    out.suppressed = state.report.suppressed
    return out
