"""The background loops' failure handling: capped backoff, one log line per streak, health.

Every loop that runs beside the service (the anchorer of each chain, the checkpointer, the
cosigner, the rule follower) keeps a ``LoopMonitor``: it is told of each round that worked
(``ok``) and each that failed (``failed``, which answers how long to back off: 1 s, doubling,
at most 60 s), logs the first failure of a streak with its cause and the recovery, not every
retry, and counts the failures for the Prometheus metrics.

Its ``LoopHealth`` is published to ``<home>/health/<loop>.json`` so that ``/readyz`` of any
worker and ``witness status`` (another process) see the last failure (time, cause) and a
loop that stopped. The file has a fixed size and is rewritten in place: once created it
needs no new disk blocks, so the record still changes while the disk is full, which is
exactly when it matters. Must not import the API or the verifier.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

from chain_access.errors import ChainError

HEALTH_DIR = "health"
RECORD_BYTES = 4096
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0
#: A round that worked republishes the record at most this often (it carries ``last_ok``).
HEARTBEAT_SECONDS = 30.0
MAX_CAUSE = 500
_log = logging.getLogger("witness.loops")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def describe(exc: BaseException) -> str:
    """``Type: first line of the message`` (bounded): the cause as logs and reports show it."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
    return text if len(text) <= MAX_CAUSE else text[:MAX_CAUSE - 1] + "…"


def expected_failure(exc: BaseException) -> bool:
    """A failure of what the loops depend on (the store, a chain, the OS: a full disk, a
    database restarting, an endpoint down), as opposed to a fault in the code."""
    # here, not at import: `witness status` reads the loops' health without SQLAlchemy
    from sqlalchemy.exc import DBAPIError

    return isinstance(exc, (DBAPIError, sqlite3.Error, OSError, ChainError))


@dataclass
class LoopHealth:
    """What one loop last reported. ``state``: running | retrying | stopped."""

    loop: str
    pid: int
    state: str
    started_at: str
    last_ok: str | None = None
    last_failure_at: str | None = None
    last_cause: str | None = None
    streak: int = 0  # failures in a row, now
    failures: int = 0  # since the loop started in this process
    stopped_because: str | None = None
    alive: bool = True  # read from a file: is the publishing process still there?

    def summary(self) -> str:
        """One line: state, and the last failure with its time and cause."""
        where = f"process {self.pid}" + ("" if self.alive else ", which has ended")
        head = f"{self.loop} {self.state if self.alive else 'gone'} ({where})"
        if self.state == "stopped" and self.stopped_because:
            head += f": stopped because {self.stopped_because}"
        if self.last_failure_at is None:
            return head + "; no failure"
        streak = f", {self.streak} in a row, retrying" if self.streak else ""
        return (f"{head}; last failure {self.last_failure_at}: {self.last_cause} "
                f"({self.failures} in all{streak})")

    @property
    def broken(self) -> bool:
        """A loop that stopped by itself while its process lives: it does nothing any more."""
        return self.alive and self.state == "stopped" and self.stopped_because is not None


_LIVE: dict[tuple[str, str], LoopMonitor] = {}
_LIVE_LOCK = threading.Lock()


class LoopMonitor:
    """Backoff, logging, counting and publishing for one named loop of this process.

    ``LoopMonitor.named(loop, home)`` returns the process's one monitor of that loop, so a
    loop restarted by its supervisor keeps its failure count."""

    def __init__(self, loop: str, home: Path | None, *, logger: logging.Logger | None = None,
                 first_backoff: float = FIRST_BACKOFF, max_backoff: float = MAX_BACKOFF) -> None:
        self.loop = loop
        self.home = home
        self.logger = logger or _log
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self._lock = threading.Lock()
        self._health = LoopHealth(loop, os.getpid(), "running", _now())
        self._fd: int | None = None
        self._published_at = 0.0
        self._publish_failed = False

    @classmethod
    def named(cls, loop: str, home: Path | None, *, logger: logging.Logger | None = None,
              publish: bool = True) -> LoopMonitor:
        """The process's monitor of ``loop`` for ``home``, (re)started. ``publish=False``:
        no file (a worker campaigning for an office must not overwrite the record of the
        worker holding it); this process's ``/readyz`` and metrics still show it."""
        key = (str(home.resolve()) if home else "", loop)
        with _LIVE_LOCK:
            monitor = _LIVE.get(key)
            if monitor is None:
                monitor = _LIVE[key] = cls(loop, home if publish else None, logger=logger)
        monitor.started()
        return monitor

    def started(self) -> None:
        """The loop (re)starts: running, whatever it was."""
        with self._lock:
            self._health.state, self._health.stopped_because = "running", None
        self._publish()

    def snapshot(self) -> LoopHealth:
        with self._lock:
            return LoopHealth(**asdict(self._health))

    def ok(self) -> None:
        """A round worked: ends a failure streak (logged once) and resets the backoff."""
        with self._lock:
            h = self._health
            recovered, streak, cause = h.streak > 0, h.streak, h.last_cause
            h.streak, h.state, h.last_ok = 0, "running", _now()
        if recovered:
            self.logger.info("%s works again after %d failure(s); the last was %s",
                             self.loop, streak, cause)
        if recovered or time.monotonic() - self._published_at >= HEARTBEAT_SECONDS:
            self._publish()

    def failed(self, exc: BaseException) -> float:
        """A round failed: record it, log it if it starts a streak (with the traceback when
        it is not a store, chain or OS failure: a cause nobody foresaw needs one); the
        seconds to wait."""
        cause = describe(exc)
        unexpected = not expected_failure(exc)
        with self._lock:
            h = self._health
            h.streak += 1
            h.failures += 1
            h.last_failure_at, h.last_cause, h.state = _now(), cause, "retrying"
            streak = h.streak
        delay = min(self.first_backoff * 2.0 ** min(streak - 1, 30), self.max_backoff)
        if streak == 1:
            self.logger.warning("%s failed, retrying with backoff (at most %.0f s between "
                                "attempts) until it works: %s", self.loop, self.max_backoff,
                                cause, extra={"loop": self.loop, "cause": cause},
                                exc_info=exc if unexpected else None)
        else:
            self.logger.debug("%s failed again (%d in a row), next attempt in %.0f s: %s",
                              self.loop, streak, delay, cause)
        self._publish()
        return delay

    def stopped(self, exc: BaseException | None = None) -> None:
        """The loop ended: asked to (``exc`` None) or by itself, for a cause no retry cures."""
        with self._lock:
            self._health.state = "stopped"
            self._health.stopped_because = None if exc is None else describe(exc)
        if exc is not None:
            self.logger.error("%s stopped: %s", self.loop, describe(exc),
                              extra={"loop": self.loop, "cause": describe(exc)})
        self._publish()

    def close(self) -> None:
        """Close the record file (it stays on disk)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _publish(self) -> None:
        if self.home is None:
            return
        body = json.dumps(asdict(self.snapshot()), ensure_ascii=False).encode()
        try:
            if self._fd is None:
                folder = self.home / HEALTH_DIR
                folder.mkdir(mode=0o755, exist_ok=True)
                self._fd = os.open(folder / f"{self.loop}.json", os.O_RDWR | os.O_CREAT, 0o644)
            os.pwrite(self._fd, body[:RECORD_BYTES].ljust(RECORD_BYTES), 0)
            self._published_at, self._publish_failed = time.monotonic(), False
        except OSError as exc:  # a full disk before the file existed: this process still knows
            if not self._publish_failed:
                self.logger.warning("cannot publish the health of %s to %s: %s", self.loop,
                                    self.home / HEALTH_DIR, describe(exc))
            self._publish_failed = True


def live_monitors(home: Path | None = None) -> list[LoopMonitor]:
    """This process's monitors made by ``named`` (of ``home`` only, when given)."""
    want = str(home.resolve()) if home else None
    with _LIVE_LOCK:
        return [m for (h, _), m in sorted(_LIVE.items()) if want is None or h == want]


def forget_monitors(home: Path) -> None:
    """Drop this process's monitors of ``home`` and close their files (a process done with
    a data directory: its records stay on disk, marked gone once the process ends)."""
    want = str(home.resolve())
    with _LIVE_LOCK:
        keys = [key for key in _LIVE if key[0] == want]
        dropped = [_LIVE.pop(key) for key in keys]
    for monitor in dropped:
        monitor.close()


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def _read_record(path: Path) -> LoopHealth | None:
    try:
        raw = json.loads(path.read_bytes().strip() or b"null")
    except (OSError, ValueError):  # being written, or an empty file left by a full disk
        return None
    if not isinstance(raw, dict):
        return None
    known = {f.name for f in fields(LoopHealth)}
    try:
        record = LoopHealth(**{k: v for k, v in raw.items() if k in known})
    except TypeError:
        return None
    record.alive = _pid_alive(record.pid)
    return record


def read_health(home: Path) -> list[LoopHealth]:
    """Every loop's latest record under ``home``: this process's own monitors as they are
    now (fresher than a file a full disk kept from being written), the others' files."""
    own = {m.loop: m.snapshot() for m in live_monitors(home)}
    out = dict(own)
    folder = home / HEALTH_DIR
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        record = _read_record(path)
        if record is not None and record.loop not in own:
            out[record.loop] = record
    return [out[name] for name in sorted(out)]


def run_supervised(monitor: LoopMonitor, body: Callable[[], None],
                   stop: threading.Event) -> None:
    """Run ``body()`` until ``stop``: it returning means the loop is done; an exception is a
    failed round, retried after the monitor's backoff, so the thread never dies of it."""
    while not stop.is_set():
        try:
            body()
        except Exception as exc:  # whatever it was, the loop must go on and say why
            stop.wait(monitor.failed(exc))
            continue
        return
