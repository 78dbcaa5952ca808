"""The cosigner's loop with its witness down, then up: a real ``witness-cosign`` process on
a port where, at first, nothing listens. The failure (time, cause) is on record and logged
once however many rounds fail; once the witness is up the checkpoint is cosigned and the
streak ends by itself."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ledger.cosigning import LOOP, start_cosigner
from ledger.home import init_home, open_log
from ledger.loops import forget_monitors
from ledger.settings import Settings
from ledger.store.schema import cosignatures
from tests.ledger.conftest import make_event
from tests.ledger.loops_kit import thread_named, wait_for
from tests.ledger.test_loops_anchorer import file_health_of, health_of
from tests.witness_cosign.conftest import WitnessProcess


def _cosigned(settings: Settings) -> int:
    from sqlalchemy import func, select

    log = open_log(settings)
    try:
        with log.db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(cosignatures)).scalar() or 0)
    finally:
        log.db.dispose()


def test_a_witness_that_is_down_is_on_record_and_asked_again(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="witness.cosigning")
    base = Settings(home=tmp_path / "home", origin="loops.test/log")
    init_home(base)
    log = open_log(base)
    witness = WitnessProcess(tmp_path / "witness", "witness-1.example",
                             log.signer.verifier.vkey()).init()  # not started: down
    settings = base.model_copy(update={"cosigners": f"{witness.url} {witness.vkey}"})
    log.append([make_event(i) for i in range(3)])
    log.checkpoint()
    stop = start_cosigner(log, settings, interval=0.1)
    assert stop is not None
    try:
        wait_for("two failed rounds", lambda: health_of(settings, LOOP).failures >= 2,
                 timeout=20)
        record = file_health_of(settings, LOOP)
        assert record.state == "retrying" and record.last_failure_at
        assert "witness witness-1.example did not cosign size 3" in str(record.last_cause)
        assert "Connection refused" in str(record.last_cause)
        assert thread_named("witness-cosigner") is not None
        witness.start()
        wait_for("cosigned once the witness is up", lambda: _cosigned(settings) == 1,
                 timeout=70)
        wait_for("the streak over", lambda: health_of(settings, LOOP).streak == 0)
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert [r.getMessage().split(",")[0] for r in warnings] == ["cosigner failed"]
    finally:
        stop.set()
        witness.stop()
        log.db.dispose()
        forget_monitors(settings.home)
