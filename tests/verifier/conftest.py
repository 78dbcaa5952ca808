"""Fixtures: a real ledger (SQLite) with two interleaved projects and checkpoints."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ledger.events import Pseudonymizer
from ledger.events.examples import example_event
from ledger.home import init_home, open_log
from ledger.ingest import Ingestor
from ledger.keys import load_secret
from ledger.log import WitnessLog
from ledger.settings import Settings
from verifier.policy import TrustPolicy, build

TYPES = ["PROJECT_REGISTERED", "ANNOUNCEMENT_PUBLISHED", "DOC_ISSUED", "BID_SUBMITTED",
         "BID_SUBMITTED", "OPENING_STARTED", "OPENING_ENDED"]
PROJECTS = ("LN-SY-2025-0317", "LN-SY-2025-0420")


def project_events(project: str, start: int, n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(start, start + n):
        ev = example_event(TYPES[i % len(TYPES)])
        ev["event_id"] = f"{project}-E{i:04d}"
        ev["project_id"] = project
        out.append(ev)
    return out


@dataclass
class Built:
    settings: Settings
    log: WitnessLog
    policy: TrustPolicy
    db_path: Path
    ingestor: Ingestor

    @property
    def db_url(self) -> str:
        return self.settings.database_url


def build_ledger(home: Path, db_url: str | None = None) -> Built:
    settings = Settings(home=home, db_url=db_url)
    info = init_home(settings)
    log = open_log(settings)
    ingestor = Ingestor(log, Pseudonymizer(load_secret(settings.pseudonym_key_path)))
    for batch in range(3):  # interleave the two projects, a checkpoint after each batch
        events = []
        for k in range(3):
            for p in PROJECTS:
                events += project_events(p, batch * 3 + k, 1)
        results = ingestor.submit(events)
        assert all(r.ok for r in results), [r.error for r in results]
        log.checkpoint()
    policy = build(key=info["vkey"], origin=info["origin"])
    return Built(settings, log, policy, home / "witness.db", ingestor)


@pytest.fixture
def built(tmp_path: Path) -> Iterator[Built]:
    b = build_ledger(tmp_path / "home")
    yield b
    b.log.db.dispose()


TRIGGERS = [f"{t}_no_{v}" for t in ("log_info", "events", "tree_hashes", "checkpoints",
                                   "anchor_intents", "anchors") for v in ("update", "delete")]


def tamper(db_path: Path, *statements: str | tuple[str, tuple[Any, ...]]) -> None:
    """Change the database as an attacker with file access would: drop the guards first."""
    con = sqlite3.connect(db_path)
    try:
        for trigger in TRIGGERS:
            con.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for st in statements:
            sql, params = (st, ()) if isinstance(st, str) else st
            con.execute(sql, params)
        con.commit()
    finally:
        con.close()


@pytest.fixture(params=["sqlite", "postgres"])
def sealed_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A ``tests.verifier.sealed_log.SealedLedger`` on each database, with its bid-phase
    events (the first five) appended."""
    from tests.verifier.sealed_log import BEFORE, new_ledger  # it imports this module

    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    built = new_ledger(tmp_path / "home", url)
    built.append(BEFORE, "E")
    yield built
    built.log.db.dispose()
