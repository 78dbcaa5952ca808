"""Fixtures: a witness home bound to the embedded chain, and helpers to run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ledger.anchoring import bind_chain
from ledger.home import init_home, open_log
from ledger.settings import Settings
from tests.ledger.conftest import make_event

ROOT = Path(__file__).resolve().parents[3]
#: Events a freshly bound log holds: CHECKPOINT_SIGNER_BOUND, appended by bind_chain.
BOUND = 1


@pytest.fixture
def embedded_settings(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "home", origin="anchor.test/log", chain="embedded")
    init_home(s)
    log = open_log(s)
    bind_chain(s, log)
    log.db.dispose()
    return s


def append_events(settings: Settings, start: int, count: int) -> None:
    log = open_log(settings)
    log.append([make_event(i, project=f"P-{i % 3}") for i in range(start, start + count)])
    log.db.dispose()


def run_witness(settings: Settings, *args: str, env: dict[str, str] | None = None,
                check: bool = True) -> subprocess.CompletedProcess[str]:
    full_env: dict[str, Any] = {**os.environ, "WITNESS_HOME": str(settings.home),
                                "WITNESS_CHAIN": settings.chain, **(env or {})}
    if settings.db_url:
        full_env["WITNESS_DB_URL"] = settings.db_url
    proc = subprocess.run([sys.executable, "-m", "ledger.cli", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"witness {args} failed ({proc.returncode}): {proc.stderr}")
    return proc
