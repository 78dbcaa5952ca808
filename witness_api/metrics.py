"""Prometheus metrics of the service (``prometheus-client``), one registry per app.

Counters and histograms: events appended (by outcome), append latency (single and batch),
HTTP requests by route and status. Gauges read on scrape: log size, latest checkpoint size
and checkpoint lag (events not yet in a checkpoint); once ``watch_background`` is called,
the background loops of this process (failures, the current streak, when the last one
was, whether it runs) and the free space of each file system holding the log. Anchoring
hook: ``anchor_gas``, ``anchor_failures`` are defined here for ``ledger.anchoring`` to
update once it runs beside the API (its lag gauge belongs with it). With several uvicorn
workers each process has its own registry unless ``PROMETHEUS_MULTIPROC_DIR`` is set
(prometheus-client multiprocess mode).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from ledger.loops import LoopHealth

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class _LogGauges(Collector):
    """Log size, checkpoint size and lag, read from the store when scraped."""

    def __init__(self, read: Callable[[], tuple[int, int]]) -> None:
        self.read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            size, checkpoint = self.read()
        except Exception:  # the store being down must not break the scrape
            return
        yield GaugeMetricFamily("witness_log_size", "Events in the log.", value=size)
        yield GaugeMetricFamily("witness_checkpoint_size", "Size of the latest checkpoint.",
                                value=checkpoint)
        yield GaugeMetricFamily("witness_checkpoint_lag_events",
                                "Events not yet covered by a checkpoint.", value=size - checkpoint)


class _BackgroundGauges(Collector):
    """The loops' health records of this process and the free disk space, on scrape."""

    def __init__(self, loops: Callable[[], list[LoopHealth]],
                 disks: Callable[[], list[tuple[str, Path, int]]]) -> None:
        self.loops = loops
        self.disks = disks

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        failures = CounterMetricFamily("witness_background_failures",
                                       "Failed rounds of a background loop.", labels=["loop"])
        streak = GaugeMetricFamily("witness_background_failure_streak",
                                   "Failed rounds in a row, now (0: working).", labels=["loop"])
        running = GaugeMetricFamily("witness_background_running",
                                    "1 while the loop runs (or retries), 0 once it stopped.",
                                    labels=["loop"])
        last = GaugeMetricFamily("witness_background_last_failure_timestamp_seconds",
                                 "When the loop last failed (Unix time).", labels=["loop"])
        for h in self.loops():
            failures.add_metric([h.loop], h.failures)
            streak.add_metric([h.loop], h.streak)
            running.add_metric([h.loop], 0 if h.state == "stopped" else 1)
            if h.last_failure_at:
                last.add_metric([h.loop], datetime.fromisoformat(h.last_failure_at).timestamp())
        free = GaugeMetricFamily("witness_disk_free_bytes", "Free space where the log's files "
                                 "live (see /readyz's disk check).", labels=["path"])
        try:
            for _what, path, free_bytes in self.disks():
                free.add_metric([str(path)], free_bytes)
        except OSError:  # a scrape never fails for it
            pass
        yield from (failures, streak, running, last, free)


class Metrics:
    """The service's metrics; ``render()`` is the ``/metrics`` body."""

    def __init__(self, read_sizes: Callable[[], tuple[int, int]]) -> None:
        self.registry = CollectorRegistry()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            MultiProcessCollector(self.registry)  # type: ignore[no-untyped-call]
        reg = self.registry
        self.events = Counter("witness_events_appended", "Events submitted, by outcome.",
                              ["outcome"], registry=reg)
        self.append_latency = Histogram("witness_append_seconds",
                                        "Time to validate, append and sign, per request.",
                                        ["kind"], buckets=_LATENCY_BUCKETS, registry=reg)
        self.latency_single = self.append_latency.labels("single")  # bound once: hot path
        self.latency_batch = self.append_latency.labels("batch")
        self.requests = Counter("witness_http_requests", "HTTP requests by route and status.",
                                ["method", "route", "status"], registry=reg)
        # Hook for ledger.anchoring: updated by the anchorer when it runs in this process.
        self.anchor_gas = Histogram("witness_anchor_gas_used", "Gas used per anchor transaction.",
                                    buckets=(5e4, 1e5, 2e5, 4e5, 8e5, 1.6e6), registry=reg)
        self.anchor_failures = Counter("witness_anchor_failures", "Failed anchoring attempts.",
                                       registry=reg)
        reg.register(_LogGauges(read_sizes))
        self._background: _BackgroundGauges | None = None

    def watch_background(self, loops: Callable[[], list[LoopHealth]],
                         disks: Callable[[], list[tuple[str, Path, int]]]) -> None:
        """Report the background loops and the disks (once; later calls change nothing)."""
        if self._background is None:
            self._background = _BackgroundGauges(loops, disks)
            self.registry.register(self._background)

    def count_outcomes(self, created: int, duplicate: int, rejected: int) -> None:
        for outcome, n in (("created", created), ("duplicate", duplicate),
                           ("rejected", rejected)):
            if n:
                self.events.labels(outcome).inc(n)

    def render(self) -> bytes:
        return generate_latest(self.registry)
