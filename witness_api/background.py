"""Background work of a service worker: the elected anchorer and the elected rule follower.

Every worker campaigns; the database lock (``ledger.anchoring.election``) lets exactly one
anchor at a time, and another takes over if it dies. The rule follower (early warning,
``ledger.rules.follower``) campaigns for its own lock the same way. Started and stopped by
the app's lifespan. Must not be imported by the ledger.

The follower runs when ``ApiSettings.rules`` (``WITNESS_API_RULES``) is true (``1``/``true``/
``yes``/``on``; off by default for now: apps embedded in tests must not append LEAD_RAISED
events behind their back); ``WITNESS_API_RULES_POLL_SECONDS`` sets its polling interval
(default 0.5 s).
``witness rules follow`` runs the same follower as a process of its own.

No thread dies of an error: each campaign is supervised (``ledger.loops.run_supervised``),
so a database that is down while a worker campaigns, or anything unforeseen, is logged once
per streak, counted (``witness_background_failures_total``) and retried with backoff; the
loops themselves retry store, chain and OS errors the same way (``ledger.loops``).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ledger.anchoring import read_binding
from ledger.anchoring.election import run_elected_anchorer
from ledger.anchoring.readiness_checks import free_space
from ledger.ingest import Ingestor
from ledger.log import WitnessLog
from ledger.loops import LoopMonitor, live_monitors, run_supervised
from ledger.settings import Settings
from witness_api.config import ApiSettings

_log = logging.getLogger("witness.api.background")


class AnchorerThread:
    """Runs ``run_elected_anchorer`` in a daemon thread until ``stop``."""

    def __init__(self, log: WitnessLog, settings: Settings, metrics: Any = None) -> None:
        self._stop = threading.Event()
        self._metrics = metrics
        self._thread = threading.Thread(target=self._run, args=(log, settings),
                                        name="witness-anchorer", daemon=True)

    def _observers(self) -> dict[str, Any]:
        m = self._metrics
        if m is None:
            return {}
        return {"on_anchored": lambda outcome: m.anchor_gas.observe(outcome.gas_used or 0),
                "on_failed": lambda _exc: m.anchor_failures.inc()}

    def _run(self, log: WitnessLog, settings: Settings) -> None:
        campaign = LoopMonitor.named("anchorer-campaign", settings.home, logger=_log,
                                     publish=False)
        run_supervised(campaign, lambda: run_elected_anchorer(log, settings, self._stop,
                                                              **self._observers()), self._stop)
        campaign.stopped()

    def start(self) -> AnchorerThread:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


def start_anchorer(log: WitnessLog, settings: Settings, enabled: bool,
                   metrics: Any = None) -> AnchorerThread | None:
    """Start the anchorer (if enabled and the log is bound to a chain); and, in any case,
    let ``metrics`` report the background loops and the free disk space of this home."""
    if metrics is not None:
        metrics.watch_background(lambda: [m.snapshot() for m in live_monitors(settings.home)],
                                 lambda: free_space(settings))
    if not enabled or read_binding(log) is None:
        return None
    return AnchorerThread(log, settings, metrics).start()


class FollowerThread:
    """Runs ``run_elected_follower`` (the rules over new events) in a daemon thread."""

    def __init__(self, log: WitnessLog, settings: Settings, poll_seconds: float,
                 ingestor: Ingestor | None = None) -> None:
        self._stop = threading.Event()
        self._ingestor = ingestor  # its appends are handed to the follower while elected
        self._thread = threading.Thread(target=self._run, args=(log, settings, poll_seconds),
                                        name="witness-rules", daemon=True)

    def _run(self, log: WitnessLog, settings: Settings, poll_seconds: float) -> None:
        from ledger.rules.follower import rule_context, run_elected_follower
        from ledger.rules.service import RuleService

        def campaign_and_follow() -> None:  # the reference data is read again on a retry
            service = RuleService(log, rule_context(settings))
            run_elected_follower(service, settings, self._stop, poll_seconds,
                                 ingestor=self._ingestor)

        campaign = LoopMonitor.named("rules-campaign", settings.home, logger=_log,
                                     publish=False)
        run_supervised(campaign, campaign_and_follow, self._stop)
        campaign.stopped()

    def start(self) -> FollowerThread:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


def start_follower(log: WitnessLog, settings: Settings, api: ApiSettings | None = None,
                   ingestor: Ingestor | None = None) -> FollowerThread | None:
    """Start the rule follower when ``api.rules`` (``WITNESS_API_RULES``) turns it on;
    ``ingestor``: the worker's, whose appends the follower takes without reading them back."""
    api = api or ApiSettings()
    if not api.rules:
        return None
    return FollowerThread(log, settings, api.rules_poll_seconds, ingestor).start()
