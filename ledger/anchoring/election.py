"""Electing the one anchorer among several service workers with a database-held lock.

PostgreSQL: a session-level advisory lock held on a dedicated connection for as long as the
worker leads; if the worker dies, its connection closes and the lock is free again. SQLite
(one machine by nature): an exclusive ``flock`` on a file beside the database, released by
the kernel when the process dies. Must not import the API or the verifier.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text

from ledger.anchoring.chains import follow_all
from ledger.log import WitnessLog
from ledger.settings import Settings

ANCHORER_LOCK_ID = 0x414E4348  # "ANCH"
_log = logging.getLogger("witness.election")


class LeaderLock:
    """Non-blocking leadership: ``try_acquire`` is True for exactly one holder at a time.

    ``lock_id`` / ``filename`` name the office (default: the anchorer's); the rule follower
    campaigns for its own."""

    def __init__(self, log: WitnessLog, settings: Settings, *, lock_id: int = ANCHORER_LOCK_ID,
                 filename: str = "anchorer.lock") -> None:
        self._log = log
        self._lock_id = lock_id
        self._path = settings.home / filename
        self._conn: Any = None
        self._file: IO[str] | None = None

    def try_acquire(self) -> bool:
        if self._conn is not None or self._file is not None:
            return True
        if self._log.db.is_sqlite:
            return self._try_file()
        conn = self._log.db.engine.connect()
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                           {"k": self._lock_id}).scalar()
        conn.commit()
        if got:
            self._conn = conn
        else:
            conn.close()
        return bool(got)

    def _try_file(self) -> bool:
        Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        fh = open(self._path, "a")  # noqa: SIM115 - held open while leading
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        self._file = fh
        return True

    def release(self) -> None:
        if self._conn is not None:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._lock_id})
            self._conn.close()
            self._conn = None
        if self._file is not None:
            self._file.close()
            self._file = None


def run_elected_anchorer(log: WitnessLog, settings: Settings, stop: threading.Event,
                         retry_seconds: float = 5.0, **observers: Any) -> None:
    """Campaign until elected, then anchor until ``stop``; other workers keep waiting.
    ``observers`` (``on_anchored``, ``on_failed``) are passed to the Anchorer."""
    lock = LeaderLock(log, settings)
    try:
        while not stop.is_set():
            if lock.try_acquire():
                _log.info("elected as the anchorer")
                # one loop per bound chain: a chain that is down never holds the others back
                follow_all(settings, log, stop, **observers)
                return
            stop.wait(retry_seconds)
    finally:
        lock.release()
