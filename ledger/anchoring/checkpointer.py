"""The checkpointer: keeps the merge-delay promise when the anchorer cannot seal.

Every receipt promises that its event will be in a signed checkpoint within the maximum
merge delay (``mmd_seconds``). The anchorer seals a checkpoint at the start of each of its
rounds, but a round needs its chain: while the chain is down (or a transaction intent
waits for it) nothing would be sealed and the promise would break for a reason that has
nothing to do with it. The checkpointer runs beside the anchorers of the elected worker
and seals only when the oldest event in no checkpoint has waited half the merge delay, so
while the anchorer works it does nothing (no extra checkpoints, no extra anchors), and
during a chain outage it adds one checkpoint per half merge delay. Store errors (a full
disk) are retried with the loop's backoff. Must not import the API or the verifier.
"""

from __future__ import annotations

import logging
import threading

from ledger.log import WitnessLog
from ledger.loops import LoopMonitor
from ledger.settings import Settings
from ledger.store.status_read import for_database

_log = logging.getLogger("witness.checkpointer")
LOOP = "checkpointer"


def oldest_unsealed(log: WitnessLog) -> tuple[int, float] | None:
    """(index, seconds since it was received) of the oldest event no checkpoint covers;
    None when the latest checkpoint covers the whole log (the question of the merge-delay
    check too: ``LogReader.oldest_unsealed``)."""
    return for_database(log.db, log.clock).oldest_unsealed()


def seal_if_due(log: WitnessLog, mmd_seconds: int) -> int | None:
    """Seal a checkpoint when the oldest unsealed event has waited half the merge delay;
    the size sealed, else None."""
    waiting = oldest_unsealed(log)
    if waiting is None or waiting[1] < mmd_seconds / 2:
        return None
    size = log.checkpoint().size
    _log.info("sealed checkpoint %d: event %d had waited %.0f s and the anchorer had not "
              "sealed it", size, waiting[0], waiting[1])
    return size


def follow_checkpoints(settings: Settings, log: WitnessLog, stop: threading.Event) -> None:
    """Check about every second until ``stop``; failures are retried with backoff."""
    monitor = LoopMonitor.named(LOOP, settings.home, logger=_log)
    poll = min(1.0, settings.checkpoint_interval)
    while not stop.is_set():
        try:
            seal_if_due(log, settings.mmd_seconds)
            monitor.ok()
        except Exception as exc:  # a full disk, the database restarting: try again later
            stop.wait(monitor.failed(exc))
            continue
        stop.wait(poll)
    monitor.stopped()
