"""The anchorer's loop through real failures: its chain held by another writer (down, for
the loop), and an embedded chain whose disk is full. Each time the loop keeps running,
logs the cause once per streak, counts the failures, publishes the last one (time, cause)
for ``/readyz`` and ``witness status``, and anchors again by itself once the cause is gone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chain_access import open_chain
from ledger.anchoring import bind_chain
from ledger.anchoring.chains import follow_all
from ledger.home import init_home, open_log
from ledger.log import WitnessLog
from ledger.loops import LoopHealth, forget_monitors, live_monitors, read_health
from ledger.settings import Settings
from ledger.store.schema import anchors
from tests.ledger.anchoring.conftest import append_events
from tests.ledger.loops_kit import fill, small_tmpfs, thread_named, wait_for


def bound_settings(home: Path, chain: str = "embedded", **extra: object) -> Settings:
    settings = Settings(home=home, origin="loops.test/log", chain=chain,
                        checkpoint_interval=0.5, **extra)  # type: ignore[arg-type]
    init_home(settings)
    log = open_log(settings)
    bind_chain(settings, log)
    log.db.dispose()
    return settings


def anchored_size(log: WitnessLog) -> int:
    with log.db.read() as conn:
        return int(conn.execute(select(func.max(anchors.c.checkpoint_size))).scalar() or 0)


def health_of(settings: Settings, loop: str) -> LoopHealth:
    """The loop's record (a blank one until the loop's thread has made its monitor)."""
    found = [h for h in read_health(settings.home) if h.loop == loop]
    return found[0] if found else LoopHealth(loop, 0, "not started", "")


def file_health_of(settings: Settings, loop: str) -> LoopHealth:
    """The published record as another process (``witness status``) reads it."""
    import json

    raw = json.loads((settings.home / "health" / f"{loop}.json").read_text().strip())
    return LoopHealth(**raw)


class Following:
    """``follow_all`` in its own thread, as ``witness anchor --follow`` and the service run it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.log = open_log(settings)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=follow_all, args=(settings, self.log, self.stop),
                                       daemon=True)

    def __enter__(self) -> Following:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(60)
        self.log.db.dispose()
        forget_monitors(self.settings.home)


@pytest.fixture
def streak_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.INFO, logger="witness.anchorer")
    yield caplog


def _messages(caplog: pytest.LogCaptureFixture, level: int, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level and text in
            r.getMessage()]


def test_a_chain_another_writer_holds_is_retried_and_anchored_once_free(
        tmp_path: Path, streak_log: pytest.LogCaptureFixture) -> None:
    settings = bound_settings(tmp_path / "home")
    append_events(settings, 0, 3)
    holder = open_chain(settings.chain, settings.home)  # the embedded chain's writer lock
    try:
        with Following(settings) as run:
            wait_for("three failed rounds", lambda: health_of(settings, "anchorer").failures >= 3)
            record = file_health_of(settings, "anchorer")
            assert record.state == "retrying" and record.streak >= 3
            assert record.last_cause is not None and record.last_cause.startswith("ChainInUse")
            assert record.last_failure_at is not None
            assert len(_messages(streak_log, logging.WARNING, "anchorer failed")) == 1
            holder.close()
            wait_for("anchored once the chain is free",
                     lambda: anchored_size(run.log) == run.log.size(), timeout=40)
            wait_for("the streak over", lambda: health_of(settings, "anchorer").streak == 0)
            assert len(_messages(streak_log, logging.INFO, "anchorer works again")) == 1
            assert thread_named("witness-anchorer-0") is not None
            monitor = next(m for m in live_monitors(settings.home) if m.loop == "anchorer")
            assert monitor.snapshot().failures >= 3  # what the metrics count
    finally:
        holder.close()


def test_an_embedded_chain_on_a_full_disk_does_not_stop_anchoring(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "chain-disk") as disk:
        settings = bound_settings(tmp_path / "home", chain=f"embedded:{disk}/chain")
        with Following(settings) as run:
            append_events(settings, 0, 3)
            wait_for("the first anchors", lambda: anchored_size(run.log) == run.log.size())
            filler = fill(disk)
            append_events(settings, 3, 3)  # the log's own disk has room: only the chain is full
            wait_for("a failed anchor on record", lambda: "disk is full" in str(
                health_of(settings, "anchorer").last_cause))
            assert health_of(settings, "anchorer").state == "retrying"
            assert thread_named("witness-anchorer-0") is not None
            filler.unlink()
            wait_for("anchored again", lambda: anchored_size(run.log) == run.log.size(),
                     timeout=70)
            wait_for("the streak over", lambda: health_of(settings, "anchorer").state == "running")
