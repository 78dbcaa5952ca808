"""Failed-login throttling: a client address that keeps guessing is refused for a while.

A token has 256 random bits, so guessing is hopeless anyway; the throttle keeps a scanner
from filling the logs and the database with lookups. Counted per worker process in memory
(each worker refuses after ``max_failures``; with N workers a client gets at most N times
that many tries per window), bounded in size.
"""

from __future__ import annotations

import threading
import time
from collections import deque

MAX_FAILURES = 10
WINDOW_SECONDS = 600.0
MAX_CLIENTS = 10_000


class LoginThrottle:
    """At most ``max_failures`` failed logins per client in ``window`` seconds."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW_SECONDS,
                 max_clients: int = MAX_CLIENTS) -> None:
        self.max_failures = max_failures
        self.window = window
        self.max_clients = max_clients
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client)
        if times is None:
            if len(self._failures) >= self.max_clients:
                self._failures.clear()  # forgetting only gives a scanner a fresh window
            times = self._failures[client] = deque()
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def blocked(self, client: str, now: float | None = None) -> bool:
        with self._lock:
            return len(self._recent(client, time.monotonic() if now is None else now)) \
                >= self.max_failures

    def failed(self, client: str, now: float | None = None) -> None:
        moment = time.monotonic() if now is None else now
        with self._lock:
            self._recent(client, moment).append(moment)
