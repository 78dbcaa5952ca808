"""One clock (ledger.clock): the log stamps in the ledger's zone (Settings.timezone) whatever
the process's TZ says, and ingestion judges how far ahead an event is by that same clock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from ledger.clock import clock_now, zone_clock
from ledger.core.canonical import decode_envelope
from ledger.events import Pseudonymizer
from ledger.events.examples import example_event
from ledger.home import init_home, open_log
from ledger.ingest import Ingestor, ItemResult
from ledger.log import WitnessLog
from ledger.settings import Settings

FIXED = datetime(2026, 3, 22, 1, 30, tzinfo=UTC)  # 09:30 in Beijing


@pytest.fixture(params=["America/New_York", "UTC", "Asia/Kolkata"])
def machine_tz(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The process runs with another local zone than the ledger's."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def _log(tmp_path: Path, **settings: Any) -> WitnessLog:
    s = Settings(home=tmp_path / "home", origin="clock.example/log", **settings)
    init_home(s)
    return open_log(s)


def _event(n: int, occurred: datetime) -> dict[str, Any]:
    event = example_event("ANNOUNCEMENT_PUBLISHED")
    return {**event, "event_id": f"{event['event_id']}-{n}",
            "occurred_at": occurred.isoformat(timespec="seconds")}


def _received_at(result: ItemResult) -> str:
    assert result.appended is not None, result.error
    return str(decode_envelope(result.appended.receipt.canonical_event)["received_at"])


def test_stamps_are_in_the_ledger_zone_whatever_tz(tmp_path: Path, machine_tz: str) -> None:
    assert datetime.now().astimezone().utcoffset() != timedelta(hours=8)  # really another zone
    log = _log(tmp_path)
    try:
        (result,) = Ingestor(log, Pseudonymizer(b"k" * 32)).submit(
            [_event(1, datetime.now(UTC))])
        stamp = _received_at(result)
        assert stamp.endswith("+08:00"), (machine_tz, stamp)
        assert abs(datetime.fromisoformat(stamp) - datetime.now(UTC)) < timedelta(minutes=1)
        assert log.clock().endswith("+08:00")
    finally:
        log.db.dispose()


def test_the_zone_comes_from_settings(tmp_path: Path, machine_tz: str) -> None:
    log = _log(tmp_path, timezone="UTC")
    try:
        assert log.clock().endswith("+00:00")
    finally:
        log.db.dispose()


def test_ingest_judges_skew_by_the_log_clock(tmp_path: Path, machine_tz: str) -> None:
    log = _log(tmp_path)
    log.clock = zone_clock(source=lambda: FIXED)  # the log's clock says 09:30 Beijing time
    try:
        ingest = Ingestor(log, Pseudonymizer(b"k" * 32), max_clock_skew_seconds=300)
        near, ahead = ingest.submit([_event(1, FIXED + timedelta(seconds=200)),
                                     _event(2, FIXED + timedelta(seconds=600))])
        assert near.warnings == []
        assert len(ahead.warnings) == 1 and "600 s ahead of the ledger clock" in ahead.warnings[0]
        assert _received_at(near) == "2026-03-22T09:30:00.000000+08:00"
        assert ingest.now() == clock_now(log.clock) == FIXED
    finally:
        log.db.dispose()


def test_an_unknown_timezone_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        Settings(timezone="Mars/Olympus_Mons")
    monkeypatch.setenv("WITNESS_TIMEZONE", "Europe/Berlin")
    assert Settings().timezone == "Europe/Berlin"
    assert Settings(timezone="UTC").timezone == "UTC"  # an argument wins over the variable
