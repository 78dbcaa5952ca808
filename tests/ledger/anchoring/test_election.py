"""Exactly one worker holds the anchorer lock at a time, on SQLite and on PostgreSQL."""

from __future__ import annotations

from ledger.anchoring.election import LeaderLock
from ledger.home import open_log
from ledger.settings import Settings


def test_only_one_leader_at_a_time(settings: Settings) -> None:
    log_a, log_b = open_log(settings), open_log(settings)
    first, second = LeaderLock(log_a, settings), LeaderLock(log_b, settings)
    assert first.try_acquire()
    assert first.try_acquire()  # re-entrant for the holder
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    assert not first.try_acquire()
    second.release()
    log_a.db.dispose()
    log_b.db.dispose()
