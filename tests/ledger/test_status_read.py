"""``witness status`` reads the log without SQLAlchemy on a SQLite file
(``ledger.store.status_read``) and through ``Database`` on PostgreSQL: it must say what the
log opened the usual way (``open_log``, ``/readyz``'s ``operational_checks``) says."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from ledger.anchoring.bound import ChainBinding, record_binding
from ledger.anchoring.readiness_checks import operational_checks, readiness_body
from ledger.home import init_home
from ledger.log import WitnessLog
from ledger.settings import Settings
from ledger.store.schema import anchors
from ledger.store.status_read import shown_sqlite_url, sqlite_file
from tests.ledger.conftest import make_event

ROOT = Path(__file__).resolve().parents[2]
PATHS = ["/tmp/witness-data/witness.db", "/tmp/a b/witness.db", "/数据/见证链/witness.db",
         "/srv/a+b@c:d/w.db", "/srv/#x/~y/w.db", "relative/witness.db"]


@pytest.mark.parametrize("path", PATHS)
def test_a_plain_sqlite_url_is_read_and_shown_as_sqlalchemy_does(path: str) -> None:
    url = "sqlite:///" + path
    file = sqlite_file(url)
    assert file == make_url(url).database
    assert file is not None and shown_sqlite_url(file) == make_url(url).render_as_string(
        hide_password=True)


@pytest.mark.parametrize("url", [
    "sqlite://", "sqlite:///:memory:", "sqlite:///a.db?mode=ro", "sqlite:///a%20b.db",
    "sqlite:///file:a.db", "postgresql+psycopg://witness:secret@db:5432/witness",
    "sqlite+pysqlite:///a.db"])
def test_any_other_url_is_left_to_sqlalchemy(url: str) -> None:
    assert sqlite_file(url) is None


def _bind_and_anchor(log: WitnessLog) -> None:
    """A recorded chain binding and one anchor of the first checkpoint, so that the
    anchoring check has rows to read (no chain needed: the check reads only the database)."""
    registry = "0x" + "ab" * 20
    record_binding(log, ChainBinding(spec="embedded", chain_id=1337, genesis_hash="0x" + "00" * 32,
                                     registry=registry, code_hash="0x" + "11" * 32,
                                     log_id="0x" + "22" * 32, anchorer="0x" + "cd" * 20))
    with log.db.write() as conn:
        conn.execute(insert(anchors), [{
            "checkpoint_size": 3, "chain_id": 1337, "registry": registry,
            "log_id": "0x" + "22" * 32, "chain_index": 0, "tx_hash": "0x" + "33" * 32,
            "block_number": 7, "block_hash": "0x" + "44" * 32, "block_timestamp": 1,
            "gas_used": 21_000, "confirmed_at": log.clock()}])


def _status(settings: Settings) -> dict[str, Any]:
    env = {**os.environ, "WITNESS_HOME": str(settings.home),
           "WITNESS_DB_URL": settings.db_url or ""}
    proc = subprocess.run([sys.executable, "-m", "ledger.cli", "status", "--json"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout))


def _steady(body: dict[str, Any]) -> dict[str, Any]:
    """The checks without the figures that move between two readings (ages, free space)."""
    return {name: (c["ok"], re.sub(r"[0-9.]+", "N", c["detail"]))
            for name, c in body["checks"].items()}


def test_status_says_what_the_opened_log_says(settings: Settings, log: WitnessLog) -> None:
    log.append([make_event(n) for n in range(3)])
    log.checkpoint()
    log.append([make_event(n) for n in range(3, 5)])
    _bind_and_anchor(log)
    shown = _status(settings)
    cp = log.latest_checkpoint()
    assert cp is not None
    assert {k: shown[k] for k in ("origin", "size", "database", "checkpoint")} == {
        "origin": log.origin, "size": 5,
        "database": log.db.engine.url.render_as_string(hide_password=True),
        "checkpoint": {"size": 3, "root": cp.root.hex(), "created_at": cp.created_at}}
    assert shown["vkey"] == log.signer.verifier.vkey()
    expected = readiness_body(operational_checks(settings, log))
    assert shown["health"]["status"] == expected["status"]
    assert _steady(shown["health"]) == _steady(expected)
    assert "2 event(s) wait for chain 1337" in shown["health"]["checks"]["anchoring"]["detail"]


def test_a_missing_database_file_is_not_created(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "WITNESS_HOME": str(home), "WITNESS_DB_URL": ""}
    proc = subprocess.run([sys.executable, "-m", "ledger.cli", "status"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (f"witness: no witness log at sqlite:///{home}/witness.db: "
                                   "run `witness init`")
    assert list(home.iterdir()) == []


STATUS_PROBE = """
import json, sys
from ledger.cli import main
try:
    main(["status"])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""
HEAVY = ("sqlalchemy", "alembic", "pydantic", "pydantic_settings", "eth_keys", "eth_utils",
         "web3", "psycopg", "ledger.log", "ledger.home", "ledger.settings", "ledger.signers")


def test_status_on_sqlite_loads_no_heavy_library(tmp_path: Path) -> None:
    """Start-up (docs/benchmarks.md): the status of a SQLite log needs none of them."""
    settings = Settings(home=tmp_path / "home", origin="test.example/log")
    init_home(settings)
    env = {**os.environ, "WITNESS_HOME": str(settings.home), "WITNESS_DB_URL": ""}
    proc = subprocess.run([sys.executable, "-c", STATUS_PROBE], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    assert proc.stdout.startswith("origin      test.example/log")
    modules = json.loads(proc.stdout.rstrip("\n").rpartition("\n")[2])
    assert [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)] == []
