"""The rule follower: tails the witness log and runs the rules as events arrive.

Role: read the events with index ≥ a persisted cursor (table ``rule_cursor``, migration
0005) in chunks, hand them to ``RuleService.process`` (cached trails extended with the new
events; only touched projects, only the rules reading the new types; findings and leads
idempotent), then move the cursor. A crash between the two re-evaluates the chunk, which
stores nothing twice. A chunk never ends inside one append (the events sharing a
``received_at``), so a project appended in one batch is evaluated whole (see the note on
due-date rules in ``ledger.rules.service``). ``follow`` polls every ``poll_seconds``
(0.5 s by default), so a late bid is flagged within about a second of being recorded.
Its state between polls is the cursor (persisted) and the service's trail cache (memory
only): after a restart each project's trail is read again from the store when it is next
touched. Rebuilding costs one read of that trail; a persisted copy would duplicate the log
and have to follow every change of the rules, the calendar or the reference data. Events
appended by this process reach it through a hand-off (``ledger.rules.handoff``, wired by
``attach`` or ``run_elected_follower``'s ``ingestor``) instead of being read back; the
others are read from the store, in the same chunks.
Several workers may run it: the one holding the ``rules.lock`` leadership
(``ledger.anchoring.election.LeaderLock``) follows, the others wait. Must not import the
API or the verifier.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, insert, select, update

from ledger.ingest import Ingestor
from ledger.log import WitnessLog
from ledger.loops import LoopMonitor
from ledger.rules.calendar import DEFAULT_CALENDAR, OPERATOR_CALENDAR, WorkCalendar
from ledger.rules.context import ReferenceData, RuleContext
from ledger.rules.handoff import Handoff, read_chunk
from ledger.rules.service import RuleService
from ledger.settings import Settings
from ledger.store.schema import rule_cursor

DEFAULT_POLL_SECONDS = 0.5
DEFAULT_CHUNK = 5000
CURSOR_NAME = "rules"
RULES_LOCK_ID = 0x52554C45  # "RULE"
RULES_LOCK_FILE = "rules.lock"
REFERENCE_FILE = "reference.json"
LOOP = "rule-follower"  # its name in health records and metrics
_log = logging.getLogger("witness.rules.follower")


def reference_source(settings: Settings, reference: Path | None = None) -> Path | None:
    """Where the reference data comes from: ``reference``, else ``settings.rules_reference``
    (``$WITNESS_RULES_REFERENCE``), else ``<home>/reference.json`` when it exists; None:
    nowhere."""
    named = reference or settings.rules_reference
    if named is not None:
        return named
    path = settings.home / REFERENCE_FILE
    return path if path.is_file() else None


def rule_context(settings: Settings, reference: Path | None = None) -> RuleContext:
    """The default context with the operator's calendar years (``operator_calendar``) and
    the reference data of ``reference_source``, if any."""
    ctx = RuleContext(operator_calendar(settings))
    path = reference_source(settings, reference)
    if path is None:
        return ctx
    return RuleContext(ctx.calendar, ctx.thresholds, ReferenceData.load(path))


def operator_calendar(settings: Settings) -> WorkCalendar:
    """The bundled working-day calendar plus the years of ``<home>/calendar.json``."""
    return WorkCalendar.load(DEFAULT_CALENDAR, settings.home / OPERATOR_CALENDAR)


@dataclass
class FollowStats:
    """What the follower did since it was created."""

    polls: int = 0
    events: int = 0
    findings: int = 0
    leads: int = 0
    cpu_seconds: float = 0.0


class RuleFollower:
    """Evaluates the log's new events in order, from a persisted cursor."""

    def __init__(self, service: RuleService, *, chunk: int = DEFAULT_CHUNK,
                 poll_seconds: float = DEFAULT_POLL_SECONDS, name: str = CURSOR_NAME) -> None:
        if chunk < 1 or poll_seconds <= 0:
            raise ValueError("chunk must be ≥ 1 and poll_seconds > 0")
        self.service = service
        self.log: WitnessLog = service.log
        self.chunk = chunk
        self.poll_seconds = poll_seconds
        self.name = name
        self.stats = FollowStats()
        # what this process appends, offered by its Ingestor (``attach``)
        self.handoff = Handoff()

    def attach(self, ingestor: Ingestor) -> None:
        """Take the events ``ingestor`` appends from it, not from the store (``detach``
        when this follower stops)."""
        ingestor.handoff = self.handoff.offer

    def detach(self, ingestor: Ingestor) -> None:
        if ingestor.handoff == self.handoff.offer:
            ingestor.handoff = None

    # -- the cursor ------------------------------------------------------------------------

    def position(self) -> int:
        """The next log index to evaluate (0 before the first run)."""
        with self.log.db.read() as conn:
            return self._position(conn)

    def _position(self, conn: Connection) -> int:
        value = conn.execute(select(rule_cursor.c.next_index)
                             .where(rule_cursor.c.name == self.name)).scalar()
        return 0 if value is None else int(value)

    def _save(self, next_index: int) -> None:
        now = self.log.clock()
        with self.log.db.write() as conn:
            done = conn.execute(update(rule_cursor).where(rule_cursor.c.name == self.name)
                                .values(next_index=next_index, updated_at=now)).rowcount
            if not done:
                conn.execute(insert(rule_cursor), [{"name": self.name,
                                                    "next_index": next_index,
                                                    "updated_at": now}])

    def reset(self, next_index: int = 0) -> None:
        """Move the cursor (0: evaluate the whole log again; nothing is stored twice)."""
        self._save(next_index)
        self.service.cache.clear()

    # -- following -------------------------------------------------------------------------

    def poll_once(self) -> int:
        """Evaluate at most ``chunk`` new events; the number taken in (0: caught up)."""
        return self._poll(None)[0]

    def _poll(self, start: int | None) -> tuple[int, int, bool]:
        """``poll_once`` from the cursor value ``start`` (None: the persisted one, read in
        the same transaction as the chunk): (events taken, new cursor, whether they were all
        the log held and the evaluation appended nothing, so a next poll now finds none)."""
        t0 = time.process_time()
        with self.log.db.read() as conn:
            if start is None:
                start = self._position(conn)
            taken, top = read_chunk(self.log, conn, start, self.chunk, self.handoff)
        if not taken:
            return 0, start, True
        try:
            result = self.service.process(taken, contiguous=True)
        except Exception:
            # The trail cache has taken the rows in, but their findings were not stored (a
            # full disk, a locked database): forget the cache, or the retry (the cursor did
            # not move) would find nothing new in them and skip their findings for good.
            self.service.cache.clear()
            raise
        after = taken[-1].index + 1
        self._save(after)
        self.stats.polls += 1
        self.stats.events += len(taken)
        self.stats.findings += len(result.new_findings)
        self.stats.leads += len(result.new_leads)
        self.stats.cpu_seconds += time.process_time() - t0
        if result.new_leads:
            _log.info("raised %d lead(s)", len(result.new_leads),
                      extra={"leads": list(result.new_leads)})
        return len(taken), after, after > top and not result.new_leads

    def catch_up(self) -> int:
        """Evaluate until no new event is left (including the LEAD_* events it appends).

        The cursor is read once (with the first chunk); the following polls go on from
        where this one saved it. A poll that took the log up to its end and raised no lead
        ends it: asking again would read nothing new (what is appended meanwhile is the next
        catch-up's, as it is when it lands just after the last read)."""
        total, start = 0, None
        while True:
            taken, start, done = self._poll(start)
            total += taken
            if done:
                return total

    def follow(self, stop: threading.Event, monitor: LoopMonitor | None = None) -> None:
        """Catch up, then poll every ``poll_seconds`` until ``stop`` is set. A failed poll
        (the database locked or full, a rule tripping on odd data) is retried with the
        monitor's backoff: the cursor moved only past what was stored, so nothing is
        skipped and nothing is stored twice."""
        monitor = monitor or LoopMonitor(LOOP, None, logger=_log)
        while not stop.is_set():
            try:
                self.catch_up()
                monitor.ok()
            except Exception as exc:  # the loop must outlive it, and say so
                stop.wait(monitor.failed(exc))
                continue
            stop.wait(self.poll_seconds)
        monitor.stopped()


def run_elected_follower(service: RuleService, settings: Settings, stop: threading.Event,
                         poll_seconds: float = DEFAULT_POLL_SECONDS,
                         retry_seconds: float = 5.0, ingestor: Ingestor | None = None) -> None:
    """Campaign for the rules lock (its own, not the anchorer's), then follow until ``stop``;
    ``ingestor``: this process's, whose appends the follower takes without reading them back
    while it is elected."""
    from ledger.anchoring.election import LeaderLock

    lock = LeaderLock(service.log, settings, lock_id=RULES_LOCK_ID, filename=RULES_LOCK_FILE)
    try:
        while not stop.is_set():
            if lock.try_acquire():
                _log.info("elected as the rule follower")
                monitor = LoopMonitor.named(LOOP, settings.home, logger=_log)
                follower = RuleFollower(service, poll_seconds=poll_seconds)
                if ingestor is not None:
                    follower.attach(ingestor)
                try:
                    follower.follow(stop, monitor)
                finally:
                    if ingestor is not None:
                        follower.detach(ingestor)
                return
            stop.wait(retry_seconds)
    finally:
        lock.release()
