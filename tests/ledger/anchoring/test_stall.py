"""Anchoring that stalls is seen, and a store that refuses writes is retried: readiness says
"anchoring behind" once the oldest unanchored event is older than twice the maximum merge
delay; the anchoring loop keeps going through a store error (a full disk) instead of dying."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy.exc import OperationalError

from ledger.anchoring import Anchorer, open_bound_chain
from ledger.anchoring.binding import anchorer_account
from ledger.anchoring.health import readiness
from ledger.anchoring.signer import load_checkpoint_key
from ledger.home import open_log
from ledger.settings import Settings
from tests.ledger.anchoring.conftest import append_events, run_witness


def test_readiness_turns_false_when_anchoring_is_behind_the_merge_delay(
        embedded_settings: Settings) -> None:
    settings = embedded_settings.model_copy(update={"mmd_seconds": 1})
    run_witness(settings, "anchor")
    assert readiness(settings)[1] is True
    append_events(settings, 0, 3)
    time.sleep(2.5)  # older than twice the (1 s) merge delay, and not anchored
    name, ok, detail = readiness(settings)
    assert (name, ok) == ("chain", False) and "anchoring behind" in detail, detail
    run_witness(settings, "anchor")
    assert readiness(settings)[1] is True


def test_the_loop_retries_through_a_store_error(embedded_settings: Settings) -> None:
    append_events(embedded_settings, 0, 3)
    log = open_log(embedded_settings)
    chain, binding = open_bound_chain(embedded_settings, log)
    failures: list[Exception] = []
    anchorer = Anchorer(log, chain, binding, anchorer_account(embedded_settings, create=False),
                        checkpoint_key=load_checkpoint_key(embedded_settings.home),
                        on_failed=failures.append)
    real, calls = anchorer.anchor_once, {"n": 0}

    def full_disk_once() -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("INSERT", {}, Exception("database or disk is full"))
        return real()

    anchorer.anchor_once = full_disk_once  # type: ignore[method-assign]
    stop = threading.Event()
    thread = threading.Thread(target=anchorer.follow, args=(0.2, 1000, stop), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while calls["n"] < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(30)
        chain.close()
        log.db.dispose()
    assert calls["n"] >= 2 and len(failures) == 1 and "disk is full" in str(failures[0])
    assert not thread.is_alive()
