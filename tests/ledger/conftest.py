"""Fixtures for the ledger tests: an initialised log on SQLite or on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.home import init_home, open_log
from ledger.log import WitnessLog
from ledger.settings import Settings


def make_event(n: int, project: str = "P-1", **payload: Any) -> dict[str, Any]:
    """A small event of a public type (the log itself does not validate payloads); the
    sealing tests (tests/ledger/test_sealing*.py) append bid-phase events."""
    return {
        "event_id": f"ev-{n}", "type": "ANNOUNCEMENT_PUBLISHED", "project_id": project,
        "occurred_at": "2026-03-22T09:30:00+08:00",
        "actor": {"id": "platform", "role": "system", "org_id": f"ORG-{n % 5}"},
        "payload": {"bidder_org": f"ORG-{n % 5}", "bid_price": f"{1000 + n}.00", **payload},
    }


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    db_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    s = Settings(home=tmp_path / "home", db_url=db_url, origin="test.example/log")
    init_home(s)
    return s


@pytest.fixture
def log(settings: Settings) -> Iterator[WitnessLog]:
    opened = open_log(settings)
    yield opened
    opened.db.dispose()
