"""fsck on several cores: ranges of the log checked in worker processes, joined in order.

Role: split [0, size) into ranges (multiples of the chunk size), check them in a pool of
processes (``fsck_range``: hashing in Python holds the GIL, so threads would not help),
and replay each range's findings, in index order, into the single pass's state
(``ledger_check._Fsck``): the parent reports an index gap between two ranges, checks each
project's first link in a range against the project's last event before it, grafts the
range's complete subtrees onto the tree frontier (computing and comparing the nodes that
straddle the boundary) and, at each stop, checks the checkpoints with the root it then
holds. The problems, their order and their evidence are the single pass's.

Memory: the parent holds the results of the ranges finished ahead of the one it replays
(each: its problems, O(projects) heads, O(log n) hashes per checkpoint in it); a worker
holds one chunk.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI, the SQLAlchemy ORM.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from verifier.fsck_range import Item, RangeResult, RangeTask, init_worker, run_range
from verifier.fsck_tree import graft, tree_problem

if TYPE_CHECKING:
    from verifier.ledger_check import _Fsck

Progress = Callable[[int, int], None]  # (events just checked, total)
RANGES_PER_JOB = 4  # more ranges than workers: a core slowed by other work takes fewer
MAX_RANGE_CHUNKS = 50  # …and a bounded size per range (its stops, its share of progress)
POLL_SECONDS = 0.2


def plan(size: int, jobs: int, chunk: int, span: int | None = None) -> list[tuple[int, int]]:
    """Ranges [lo, hi) covering [0, size), each a multiple of ``chunk`` but the last."""
    if span is None:
        per = -(-size // (jobs * RANGES_PER_JOB))
        span = chunk * max(1, min(MAX_RANGE_CHUNKS, -(-per // chunk)))
    else:
        span = chunk * max(1, span // chunk)
    return [(lo, min(lo + span, size)) for lo in range(0, size, span)]


def _context() -> Any:
    # fork: a worker starts in milliseconds with the verifier already imported (a fresh
    # interpreter costs a large share of a small fsck); it only uses its own connection
    if sys.platform == "linux":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def run_ranges(state: _Fsck, url: str, ranges: list[tuple[int, int]], jobs: int, chunk: int,
               progress: Progress | None) -> None:
    """Check ``ranges`` in ``jobs`` processes and join them into ``state``."""
    keys = state.batch_keys.spec()
    tasks = [RangeTask(url, lo, hi, chunk, tuple(s for s in state.chain_sizes if lo < s <= hi),
                       state.policy.origin, keys) for lo, hi in ranges]
    ctx = _context()
    counter = ctx.Value("q", 0)
    pool = ctx.Pool(min(jobs, len(tasks)), initializer=init_worker, initargs=(counter,))
    try:
        join = Join(state, chunk)
        for result in _results(pool.imap(run_range, tasks), counter, progress, state.size):
            join.take(result)
        join.close()
    finally:
        pool.terminate()
        pool.join()


def _results(it: Any, counter: Any, progress: Progress | None, total: int
             ) -> Iterator[RangeResult]:
    """The results in range order, with the workers' rows passed on to ``progress``."""
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
    """Replays the ranges, in order, into the single pass's state."""

    def __init__(self, state: _Fsck, chunk: int) -> None:
        self.state, self.chunk = state, chunk
        self.held: RangeResult | None = None

    def take(self, result: RangeResult) -> None:
        if result.first is None:
            return  # no row in the range
        # a range is replayed once the next one is known: a gap right after it changes how
        # the single pass would have cut its last chunk
        if self.held is not None:
            self._replay(self.held, gap_after=self.held.next_index != result.first)
        self.held = result

    def close(self) -> None:
        if self.held is not None:
            self._replay(self.held, gap_after=False)
        self.held = None

    def _replay(self, res: RangeResult, *, gap_after: bool) -> None:
        st = self.state
        assert res.first is not None
        if res.first != st.next_index:
            st._gap(res.first, st.event_id(res.first), None)
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
