"""Progress of a long command on standard error: how far, how fast, how long still.

On a terminal a bar is redrawn in place (at most ten times a second); anywhere else (a log
file, a pipe, a CI job) one line every ``every`` items, because carriage returns make a log
unreadable and a long run must still show how far it got. Both carry the rate and, when the
total is known, the share done and the time left. ``WITNESS_PROGRESS_EVERY`` overrides
``every`` (a smaller number for a slow source, a larger one for a quiet log).

Used by ``witness ingest``, ``witness export``, ``witness rules run`` and
``witness-verify ledger``; pure standard library, so the verifier's wheel has it too.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

EVERY_ENV = "WITNESS_PROGRESS_EVERY"
REDRAW_SECONDS = 0.1
BAR_WIDTH = 24


def every_from_env(default: int) -> int:
    """``WITNESS_PROGRESS_EVERY`` when it is a positive integer, else ``default``."""
    raw = os.environ.get(EVERY_ENV, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


def clock_text(seconds: float) -> str:
    """``H:MM:SS``."""
    whole = max(0, int(seconds + 0.5))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


class Progress:
    """Counts items of one task and reports them on ``stream`` (standard error).

    ``label`` names the task (``fsck``), ``unit`` what is counted (``events``), ``verb``
    what was done to them (``checked``). ``advance`` takes a ``note`` the line carries
    (``12 rejected so far``). Disabled, it only counts."""

    def __init__(self, label: str, *, unit: str, verb: str, total: int | None = None,
                 every: int = 1000, enabled: bool = True, stream: TextIO | None = None,
                 prefix: str = "witness: ", tty: bool | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label, self.unit, self.verb, self.prefix = label, unit, verb, prefix
        self.total = total
        self.every = max(1, every_from_env(every))
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = self.stream.isatty() if tty is None else tty
        self.clock = clock
        self.done = 0
        self._started = clock()
        self._drawn_at = 0.0
        self._bar_shown = False

    def advance(self, n: int = 1, note: str = "") -> None:
        before, self.done = self.done, self.done + n
        if not self.enabled:
            return
        if self.tty:
            now = self.clock()
            if now - self._drawn_at >= REDRAW_SECONDS:
                self._drawn_at = now
                self._draw()
        elif self.done // self.every > before // self.every:
            self.stream.write(self.line(note) + "\n")
            self.stream.flush()

    def rate(self) -> float:
        """Items per second since the start."""
        elapsed = self.clock() - self._started
        return self.done / elapsed if elapsed > 0 else 0.0

    def _eta(self) -> str | None:
        rate = self.rate()
        if self.total is None or rate <= 0:
            return None
        return clock_text(max(0, self.total - self.done) / rate)

    def line(self, note: str = "") -> str:
        """``witness: fsck: 20000 events checked; 40 % of 50000, 9,870 events/s, ETA 0:00:03``."""
        text = f"{self.prefix}{self.label}: {self.done} {self.unit} {self.verb}"
        if note:
            text += f", {note}"
        parts = [f"{self.rate():,.0f} {self.unit}/s"]
        eta = self._eta()
        if self.total and eta is not None:
            parts = [f"{min(100, 100 * self.done // self.total)} % of {self.total}", *parts,
                     f"ETA {eta}"]
        return f"{text}; {', '.join(parts)}"

    def _draw(self) -> None:
        rate = f"{self.rate():,.0f} {self.unit}/s"
        if self.total:
            share = min(1.0, self.done / self.total)
            filled = int(share * BAR_WIDTH)
            bar = "█" * filled + " " * (BAR_WIDTH - filled)
            text = (f"{self.label} {share:4.0%} |{bar}| {self.done}/{self.total} "
                    f"[{rate}, ETA {self._eta() or '?'}]")
        else:
            text = f"{self.label} {self.done} {self.unit} {self.verb} [{rate}]"
        self.stream.write("\r" + text + "\x1b[K")
        self.stream.flush()
        self._bar_shown = True

    def close(self) -> None:
        """Draw the bar a last time and end its line (nothing for the line mode)."""
        if self.enabled and self.tty and (self._bar_shown or self.done):
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
