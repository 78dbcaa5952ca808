"""Background work of a service worker: the elected anchorer.

Every worker campaigns; the database lock (``ledger.anchoring.election``) lets exactly one
anchor at a time, and another takes over if it dies. Started and stopped by the app's
lifespan. Must not be imported by the ledger.
"""

from __future__ import annotations

import logging
import threading

from ledger.anchoring import read_binding
from ledger.anchoring.election import run_elected_anchorer
from ledger.log import WitnessLog
from ledger.settings import Settings

_log = logging.getLogger("witness.api.background")


class AnchorerThread:
    """Runs ``run_elected_anchorer`` in a daemon thread until ``stop``."""

    def __init__(self, log: WitnessLog, settings: Settings) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(log, settings),
                                        name="witness-anchorer", daemon=True)

    def _run(self, log: WitnessLog, settings: Settings) -> None:
        try:
            run_elected_anchorer(log, settings, self._stop)
        except Exception:  # keep serving; readiness reports the lag
            _log.exception("the anchorer stopped")

    def start(self) -> AnchorerThread:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


def start_anchorer(log: WitnessLog, settings: Settings, enabled: bool) -> AnchorerThread | None:
    if not enabled or read_binding(log) is None:
        return None
    return AnchorerThread(log, settings).start()
