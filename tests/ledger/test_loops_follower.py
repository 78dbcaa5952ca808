"""The rule follower through a real store failure: its database on a tmpfs that is full.

The elected follower (the service's loop, ``run_elected_follower``) cannot store its
findings or move its cursor; it keeps running, the failure (time, cause) is on record and
logged once, and when space is freed it catches up by itself: every event evaluated, the
planted violations raised as leads, nothing skipped."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path

import pytest

from ledger.demo import generate_portfolio
from ledger.events import Pseudonymizer
from ledger.home import init_home, open_log
from ledger.ingest import Ingestor
from ledger.loops import forget_monitors
from ledger.rules.context import RuleContext
from ledger.rules.follower import LOOP, RuleFollower, run_elected_follower
from ledger.rules.service import RuleService
from ledger.settings import Settings
from tests.ledger.loops_kit import fill, small_tmpfs, thread_named, wait_for
from tests.ledger.test_loops_anchorer import health_of


def test_a_full_disk_stalls_the_rules_until_space_is_freed(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="witness.rules.follower")
    with small_tmpfs(tmp_path / "disk") as disk:
        settings = Settings(home=disk / "home", origin="loops.test/log")
        init_home(settings)
        log = open_log(settings)
        ingest = Ingestor(log, Pseudonymizer(b"k" * 32),
                          now=lambda: datetime.fromisoformat("2026-11-01T00:00:00+08:00"))
        for project in generate_portfolio(3, 6, plant_every=2):
            assert all(r.ok for r in ingest.submit(project.events))
        size = log.size()
        # The write-ahead log emptied first: frames it already holds would take the poll's
        # writes without a byte of new space, and the disk would look full to no one.
        with log.db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        filler = fill(disk)
        stop = threading.Event()
        service = RuleService(log, RuleContext.default())
        thread = threading.Thread(target=run_elected_follower, args=(service, settings, stop),
                                  kwargs={"poll_seconds": 0.1}, name="rules-under-test")
        thread.start()
        try:
            wait_for("a failed poll on record",
                     lambda: "disk is full" in str(health_of(settings, LOOP).last_cause))
            wait_for("a second one", lambda: health_of(settings, LOOP).failures >= 2)
            assert health_of(settings, LOOP).state == "retrying"
            assert thread_named("rules-under-test") is not None
            filler.unlink()
            follower = RuleFollower(service)
            wait_for("caught up", lambda: follower.position() >= size, timeout=40)
            wait_for("the streak over", lambda: health_of(settings, LOOP).streak == 0)
            assert len(service.leads(None, None, None)) >= 3  # raised after all
            streaks = [r for r in caplog.records if r.levelno == logging.WARNING
                       and "rule-follower failed" in r.getMessage()]
            assert len(streaks) == 1
        finally:
            stop.set()
            thread.join(60)
            log.db.dispose()
            forget_monitors(settings.home)
