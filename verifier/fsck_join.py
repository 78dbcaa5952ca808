"""fsck range by range: ranges of the log checked (``fsck_range``), joined in order.

Role: split [0, size) into ranges (multiples of the chunk size), check them in a pool of
processes (hashing in Python holds the GIL, so threads would not help) or one after another
in this process (``run_here``: ``--jobs 1``, a small log), and replay each range's findings,
in index order, into the fsck's state (``ledger_check._Fsck``): the parent reports an index
gap between two ranges, checks each project's first link in a range against the project's
last event before it, grafts the range's complete subtrees onto the tree frontier
(computing and comparing the nodes that straddle the boundary) and, at each stop, checks
the checkpoints with the root it then holds. The problems, their order and their evidence
are those of a single pass, i.e. of the whole log checked as one range, however it is split.
With workers, the parent takes their results as they come (ranges of one worker may end
before an earlier range of the other), opens meanwhile the sealed records released in them
(``fsck_sealed``: else opened at the end with a core idle), and the workers leave with their
connections closed once no range is left.

Memory: the parent holds the results of the ranges finished ahead of the one it replays
(each: its problems, O(projects) heads, O(log n) hashes per checkpoint in it); a worker
holds one chunk.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI, the SQLAlchemy ORM.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.util
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, suppress
from typing import TYPE_CHECKING, Any

from ledger.core.sealed import Release
from verifier.fsck_range import Item, RangeResult, RangeTask, check_range
from verifier.fsck_tree import graft, tree_problem
from verifier.readers import SourceUnavailable
from verifier.readers.db import LedgerDB

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from verifier.ledger_check import _Fsck

Progress = Callable[[int, int], None]  # (events just checked, total)
Outcome = RangeResult | SourceUnavailable  # of a range in a worker
SHARE = 2  # a range is at most 1/(SHARE × jobs) of what is left to plan…
MAX_RANGE_CHUNKS = 50  # …and of a bounded size (its stops, its share of progress)
POLL_SECONDS = 0.2
AHEAD = 500  # released sealed records left to open once a worker is idle, at most


def plan(size: int, jobs: int, chunk: int, span: int | None = None) -> list[tuple[int, int]]:
    """Ranges [lo, hi) covering [0, size), each a multiple of ``chunk`` but the last: all
    ``span`` long, or (no span) shrinking as the log is used up — large ranges first (few
    boundaries), then smaller ones down to one chunk, so that the workers, taking the
    next range as they finish one, all run till nearly the end (a core slowed by other
    work takes fewer ranges)."""
    if span is not None:
        span = chunk * max(1, span // chunk)
        return [(lo, min(lo + span, size)) for lo in range(0, size, span)]
    out, lo = [], 0
    while lo < size:
        share = -(-(size - lo) // (SHARE * jobs * chunk))  # in chunks, rounded up
        hi = min(size, lo + chunk * max(1, min(MAX_RANGE_CHUNKS, share)))
        out.append((lo, hi))
        lo = hi
    return out


def _context() -> Any:
    # fork: a worker starts in milliseconds with the verifier already imported (a fresh
    # interpreter costs a large share of a small fsck); it only uses its own connection
    if sys.platform == "linux":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _tasks(state: _Fsck, url: str, ranges: list[tuple[int, int]], chunk: int
           ) -> list[RangeTask]:
    keys = state.batch_keys.spec()
    return [RangeTask(url, lo, hi, chunk, tuple(s for s in state.chain_sizes if lo < s <= hi),
                      state.policy.origin, keys) for lo, hi in ranges]


def run_here(state: _Fsck, on: tuple[LedgerDB, Connection], ranges: list[tuple[int, int]],
             chunk: int, progress: Progress | None) -> None:
    """Check ``ranges`` one after another in this process, on its connection, and join
    them into ``state``: the workers' code, so that there is one per-event loop."""
    def read(rows: int) -> None:
        if progress is not None:
            progress(rows, state.size)

    join = Join(state, chunk)
    url = on[0].engine.url.render_as_string(hide_password=False)
    for task in _tasks(state, url, ranges, chunk):
        join.take(check_range(task, read, on))
    join.close()


def run_ranges(state: _Fsck, url: str, ranges: list[tuple[int, int]], jobs: int, chunk: int,
               progress: Progress | None, workers: ExitStack) -> None:
    """Check ``ranges`` in ``jobs`` processes and join them into ``state``; the workers,
    leaving once the ranges are done, are waited for when ``workers`` closes (the caller's
    last checks meanwhile)."""
    tasks = _tasks(state, url, ranges, chunk)
    ctx = _context()
    counter = ctx.Value("q", 0)
    # a forked worker opens its connection on the parent's engine (driver and dialect set
    # up, the schema's answers known: some milliseconds a worker at the start, on the
    # critical path); a spawned one makes its own
    shared = state.db if ctx.get_start_method() == "fork" else None
    if shared is not None:
        shared.prime(state.conn)
    # forked workers share the parent's memory until they write to it: frozen, the
    # parent's objects are left out of the workers' garbage collections, which would
    # otherwise write to (and so copy) their pages (some 5% of a worker's CPU)
    gc.freeze()
    try:
        pool = ctx.Pool(min(jobs, len(tasks)), initializer=init_worker,
                        initargs=(counter, shared))
    finally:
        gc.unfreeze()  # in the parent only: the workers keep theirs frozen
    try:
        arrivals = pool.imap_unordered(run_range_at, tasks)
        # no task follows: once the ranges are done each worker leaves, closing its
        # connection (``init_worker``) rather than being killed in the middle of it
        pool.close()
        _join(state, chunk, _results(arrivals, counter, progress, state.size),
              [t.lo for t in tasks], len(tasks) - min(jobs, len(tasks)))
    except BaseException:
        pool.terminate()  # the ranges still running are not waited for
        pool.join()
        raise
    workers.callback(pool.join)


def _join(state: _Fsck, chunk: int, arrivals: Iterator[tuple[int, Outcome]],
          starts: list[int], idle_from: int) -> None:
    """Join the ranges' results (arriving in any order, with their start), in range order,
    into ``state`` (a range's error raised in its turn, as if met by a single pass); and
    open the released sealed records met (``SealedScopes.prepare``) while the workers still
    run, rather than all at the end with a core idle. Once more than ``idle_from`` ranges
    are done, a worker has none left: those met till then are opened on its core, where
    they delay no other (so they wait for it, but a few hundred at most)."""
    join, ahead, pending = Join(state, chunk), dict[int, Outcome](), list[tuple[int, Any]]()
    for done, (lo, outcome) in enumerate(arrivals, 1):
        ahead[lo] = outcome
        if isinstance(outcome, RangeResult):
            pending += [(it[1], it[4]) for it in outcome.items if it[0] == "r"]
        while starts and starts[0] in ahead:
            outcome = ahead.pop(starts.pop(0))
            if isinstance(outcome, SourceUnavailable):
                raise outcome
            join.take(outcome)
        if pending and (done > idle_from or sum(_listed(r) for _, r in pending) >= AHEAD):
            state.sealed.prepare(state.db, state.conn, pending)
            pending = []
    join.close()


def _listed(release: Any) -> int:
    return len(release.indexes) if isinstance(release, Release) else 0


def _results(it: Any, counter: Any, progress: Progress | None, total: int
             ) -> Iterator[tuple[int, Outcome]]:
    """The results as they come, with the workers' rows passed on to ``progress``."""
    told = 0
    while True:
        try:
            result = it.next(timeout=POLL_SECONDS)
        except StopIteration:
            break
        except multiprocessing.TimeoutError:
            result = None
        if progress is not None and counter.value > told:
            now = counter.value
            progress(now - told, total)
            told = now
        if result is not None:
            yield result


class Join:
    """Replays the ranges, in order, into the fsck's state."""

    def __init__(self, state: _Fsck, chunk: int) -> None:
        self.state, self.chunk = state, chunk
        self.held: RangeResult | None = None

    def take(self, result: RangeResult) -> None:
        if result.first is None:
            return  # no row in the range
        # a range whose last chunk is short is replayed once the next one is known: a gap
        # right after it changes how the single pass would have cut that chunk
        if self.held is not None:
            self._replay(self.held, gap_after=self.held.next_index != result.first)
            self.held = None
        if result.last_chunk[0] >= self.chunk:
            self._replay(result, gap_after=False)  # a whole last chunk: no matter what follows
        else:
            self.held = result

    def close(self) -> None:
        if self.held is not None:
            self._replay(self.held, gap_after=False)
        self.held = None

    def _replay(self, res: RangeResult, *, gap_after: bool) -> None:
        st = self.state
        assert res.first is not None
        if res.first != st.next_index:
            st._gap(res.first, st.event_id(res.first))
        items, tree_hashes = res.items, res.tree_hashes
        rows, tree_from, last_hashes = res.last_chunk
        if gap_after and rows < self.chunk:
            # the single pass meets that gap in the same chunk, whose tree it then skips
            items, tree_hashes = items[:tree_from], tree_hashes - last_hashes
        tree = st.tree_ok
        base, made = st.frontier, dict[int, bytes]()
        end = graft(base, res.pieces, made) if tree else base
        st.report.count("events", res.events)
        if tree and tree_hashes:
            st.report.count("tree_hashes", tree_hashes)
        for item in items:
            self._item(item, tree and st.tree_ok, base, made)
        st.links.heads.update(res.heads)
        st.sealed.join(res.scopes, res.bad)
        st.next_index = res.next_index
        st.report.suppressed += res.suppressed
        if tree and st.tree_ok and res.tree_ok:
            st.frontier = end

    def _item(self, item: Item, tree: bool, base: Any, made: dict[int, bytes]) -> None:
        st, kind = self.state, item[0]
        if kind == "p":
            st.report.add(item[1])
        elif kind == "g":
            st.report.add(item[1])
            st.report.skip(item[2], item[3])
            st.tree_ok = False
            st.batches.stop()
        elif kind == "l":
            _, idx, column_pid, fields, leaf = item
            broken = st.links.step(column_pid, fields, leaf)
            if broken is not None:
                st.links.broken(idx, st.event_id(idx), column_pid, fields, broken)
        elif kind == "r":
            _, idx, event_id, project_id, release = item
            st.sealed.take_release(idx, event_id, project_id, release)
        elif not tree:
            return
        elif kind == "t":
            st.report.add(item[1])
        elif kind == "seg":
            self._segment(item, made)
        elif kind == "stop":
            st.frontier = graft(base, item[2])
            st.due_checkpoints()
        elif kind == "bp":  # a receipt batch judged in the worker
            st.batch_judged(item[1], item[2])
        elif kind == "bo":  # a batch still open at the range's end: its frontier
            st.batches.adopt(*item[1:])
        elif kind == "bh":  # the range's share of the batch open at its start
            st.batches.join(*item[1:])

    def _segment(self, item: Item, made: dict[int, bytes]) -> None:
        """A tree segment holding nodes across the range's start: the first difference of
        the single pass, from the worker's and the nodes the graft made."""
        _, lo, missing, checks, first, local, tail, after = item
        hole = next((i for i, stored in checks if stored != made[lo + i]), None)
        if first is not None and (hole is None or first < hole):
            problem = local
        elif hole is not None:
            problem = tree_problem(lo + hole, missing=missing, where=lambda i: (None, None),
                                   payload_bad=())
        else:
            problem = after if tail is not None else None
        if problem is not None:
            self.state.report.add(problem)


def run_range_at(task: RangeTask) -> tuple[int, Outcome]:
    """Pool entry point, results taken as they come: the range's start, with its result
    or the ``SourceUnavailable`` it met (raised by the parent in the range's turn)."""
    try:
        return task.lo, run_range(task)
    except SourceUnavailable as exc:
        return task.lo, exc


def run_range(task: RangeTask) -> RangeResult:
    """A range in a worker: a database error becomes ``SourceUnavailable`` (it must cross
    the process boundary; the driver's exceptions do not always pickle)."""
    try:
        return check_range(task, _count, _worker_connection(task.url))
    except SourceUnavailable:
        _drop_connection()
        raise
    except Exception as exc:
        _drop_connection()
        if type(exc).__module__.startswith(("sqlalchemy", "sqlite3", "psycopg")):
            raise SourceUnavailable(f"database read failed: {str(exc)[:200]}") from None
        raise


_COUNTER: Any = None
# A worker's connection, opened at its first range and kept for the next ones: a worker
# takes several ranges, and a connection per range costs an engine, the schema check and,
# on PostgreSQL, a server process started and stopped each time.
_OPEN: tuple[str, LedgerDB, Connection, ExitStack] | None = None
_PARENT_DB: LedgerDB | None = None  # the parent's, in a forked worker: its engine reused


def init_worker(counter: Any, parent_db: LedgerDB | None = None) -> None:
    global _COUNTER, _OPEN, _PARENT_DB
    _COUNTER, _PARENT_DB = counter, parent_db
    _OPEN = None  # not a connection of the parent's (forked)
    # run as the worker leaves the closed pool: its connection ends cleanly (a killed
    # worker's would end in the middle, which the server logs as an unexpected EOF)
    multiprocessing.util.Finalize(None, _drop_connection, exitpriority=0)


def _worker_connection(url: str) -> tuple[LedgerDB, Connection]:
    global _OPEN
    if _OPEN is None or _OPEN[0] != url:
        _drop_connection()
        parent = _PARENT_DB
        db = parent if parent is not None and parent.url == url else LedgerDB(url)
        stack = ExitStack()
        conn = stack.enter_context(db.connect())
        _OPEN = (url, db, conn, stack)
    return _OPEN[1], _OPEN[2]


def _drop_connection() -> None:
    """Close the worker's connection (after an error: it may be unusable)."""
    global _OPEN
    held, _OPEN = _OPEN, None
    if held is not None:
        # already broken, maybe: the error that led here is the one to report
        with suppress(Exception):
            held[3].close()


def _count(rows: int) -> None:
    """A worker's rows, added to the count the parent reports progress from."""
    if _COUNTER is not None:
        with _COUNTER.get_lock():
            _COUNTER.value += rows
