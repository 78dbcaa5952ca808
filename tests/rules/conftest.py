"""Fixtures shared by the rule tests: a fresh SQLite data directory and its open log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.home import init_home, open_log
from ledger.log import WitnessLog
from ledger.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "home", origin="test.example/log")
    init_home(s)
    return s


@pytest.fixture
def log(settings: Settings) -> Iterator[WitnessLog]:
    opened = open_log(settings)
    yield opened
    opened.db.dispose()
