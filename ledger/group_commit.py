"""Group commit: the events of concurrent submitters appended in one transaction.

A durable commit (an fsync on SQLite, a WAL flush on PostgreSQL) costs about the same for
one event as for a thousand, so single-event ingestion at N concurrent clients is bound by
commits, not by work. ``GroupCommitter`` runs one writer thread per process: submitters
queue their (already validated) events and wait; the writer takes everything queued (up to
``max_events``), appends it with ``WitnessLog.commit`` in one transaction and hands each
submitter its own outcomes. Nobody waits on a timer: while one transaction commits, the
next group gathers.

- Durability is unchanged: a submitter gets its outcomes only after the transaction that
  holds its events has committed. The group's one batch promise is signed in that
  transaction (receipt v2); building each receipt from it (``WitnessLog.seal``) is left to
  the submitter, outside the lock and off the writer thread.
- Outcomes stay exact: the events of a group are appended in queue order, so a duplicate or
  a conflicting reuse of an event id between two submitters of the same group is reported
  exactly as if they had come one after the other. If a group's transaction fails, nothing
  of it was written and each submission is retried alone, so one bad submission cannot fail
  the others.

Must not import the API or the verifier.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from ledger.log import Committed, WitnessLog

_Events = Sequence[Mapping[str, Any]]


class GroupCommitter:
    """One writer thread appending the queued submissions of a process together."""

    def __init__(self, log: WitnessLog, *, max_events: int = 2000) -> None:
        self.log = log
        self.max_events = max_events
        self._queue: deque[tuple[_Events, Future[list[Committed]]]] = deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.groups = 0  # transactions committed (for tests and metrics)
        self.grouped = 0  # submissions they carried

    def submit(self, events: _Events) -> Future[list[Committed]]:
        """Queue ``events``; the future completes after the commit that holds them."""
        future: Future[list[Committed]] = Future()
        if not events:
            future.set_result([])
            return future
        with self._cond:
            self._queue.append((events, future))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="witness-group-commit",
                                                daemon=True)
                self._thread.start()
            self._cond.notify()
        return future

    def commit(self, events: _Events) -> list[Committed]:
        """``submit`` and wait (for threads)."""
        return self.submit(events).result()

    def close(self, timeout: float = 30.0) -> None:
        """Finish the queued submissions, then stop the writer (a later submit restarts it)."""
        with self._cond:
            self._closed = True
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        with self._cond:
            self._closed = False
            if self._thread is thread:
                self._thread = None

    def _take(self) -> list[tuple[_Events, Future[list[Committed]]]] | None:
        with self._cond:
            while not self._queue:
                if self._closed:
                    return None
                self._cond.wait()
            group = [self._queue.popleft()]
            count = len(group[0][0])
            while self._queue and count + len(self._queue[0][0]) <= self.max_events:
                item = self._queue.popleft()
                count += len(item[0])
                group.append(item)
            return group

    def _run(self) -> None:
        while True:
            group = self._take()
            if group is None:
                return
            group = [(events, fut) for events, fut in group if fut.set_running_or_notify_cancel()]
            if group:
                self._commit_group(group)

    def _commit_group(self, group: list[tuple[_Events, Future[list[Committed]]]]) -> None:
        self.groups += 1
        self.grouped += len(group)
        if len(group) == 1:
            events, future = group[0]
            _settle(future, lambda: self.log.commit(events))
            return
        try:
            outcomes = self.log.commit([ev for events, _ in group for ev in events])
        except Exception:  # the transaction rolled back: each submission on its own
            for events, future in group:
                _settle(future, lambda events=events: self.log.commit(events))
            return
        start = 0
        for events, future in group:
            future.set_result(outcomes[start:start + len(events)])
            start += len(events)


def _settle(future: Future[list[Committed]], work: Any) -> None:
    try:
        future.set_result(work())
    except BaseException as exc:  # the submitter re-raises it
        future.set_exception(exc)
