"""The large log of the proof benchmark: built by real appends, kept between runs.

Filling a log to a million events takes minutes; proofs only read it, so the filled log is
kept in the temp directory under a key naming the database kind, the size, ``FILL_VERSION``
and a digest of the storage schema and migrations (a change there builds a new one). A run
works on a copy: SQLite's data directory is copied, a PostgreSQL database is cloned from the
kept one (``CREATE DATABASE … TEMPLATE``), so the kept log never sees the run's tokens or
anchors. ``--fresh-log`` rebuilds it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib.api_service import make_events, witness
from benchlib.append import _admin, sqlalchemy_pg_url

# Bump when the workload of fill_log changes.
FILL_VERSION = 1
ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(tempfile.gettempdir()) / "witness-bench-api-logs"


def schema_digest() -> str:
    """Digest of what decides the stored format: schema and migrations."""
    h = hashlib.sha256()
    store = ROOT / "ledger" / "store"
    for path in [store / "schema.py", *sorted((store / "migrations" / "versions").glob("*.py"))]:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def fill_log(env: dict[str, str], target: int, batch: int = 2000) -> dict[str, Any]:
    """Append events (validated, unsigned: receipts are derived on demand) up to ``target``,
    then seal a checkpoint of that size."""
    from ledger.events import Pseudonymizer, event_to_json, parse_event
    from ledger.home import open_log
    from ledger.keys import load_secret
    from ledger.settings import Settings

    settings = Settings(home=Path(env["WITNESS_HOME"]), db_url=env.get("WITNESS_DB_URL"))
    log = open_log(settings)
    pseudo = Pseudonymizer(load_secret(settings.pseudonym_key_path))
    t0 = time.perf_counter()
    done = log.size()
    while done < target:
        n = min(batch, target - done)
        log.commit([pseudo.apply(event_to_json(parse_event(e)))
                    for e in make_events("fill", done, n, projects=5000)])
        done += n
        if done % 100_000 < batch:
            print(f"  filled {done:,} events ({time.perf_counter() - t0:.0f} s)", flush=True)
    cp = log.checkpoint()
    log.db.dispose()
    return {"size": cp.size, "seconds": round(time.perf_counter() - t0, 1)}


def _env(home: Path, db_url: str | None) -> dict[str, str]:
    env = {**os.environ, "WITNESS_HOME": str(home)}
    env.pop("WITNESS_DB_URL", None)
    if db_url:
        env["WITNESS_DB_URL"] = db_url
    return env


def _pg_name(key: str) -> str:
    return "witness_bench_log_" + hashlib.sha256(key.encode()).hexdigest()[:12]


def _build(kind: str, size: int, key: str, pg_url: str) -> dict[str, Any]:
    kept = CACHE / key
    shutil.rmtree(kept, ignore_errors=True)
    db_url = None
    if kind == "postgres":
        with _admin(pg_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{_pg_name(key)}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{_pg_name(key)}"')
        db_url = sqlalchemy_pg_url(pg_url, _pg_name(key))
    env = _env(kept / "home", db_url)
    witness(env, "init")
    fill = fill_log(env, size)
    (kept / "complete").write_text(str(fill["seconds"]))
    return fill


def proof_log(kind: str, size: int, work: Path, pg_url: str, fresh: bool = False,
              ) -> tuple[dict[str, str], dict[str, Any]]:
    """The environment of a working copy of a log of ``size`` events, and how it was had."""
    key = f"{kind}-{size}-v{FILL_VERSION}-{schema_digest()}"
    kept = CACHE / key
    info: dict[str, Any] = {"cache_key": key, "cached": (kept / "complete").exists() and not fresh}
    if not info["cached"]:
        info["fill"] = _build(kind, size, key, pg_url)
    t0 = time.perf_counter()
    home = work / f"proof-{kind}"
    shutil.rmtree(home, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    # cp rather than copytree: it uses reflinks or copy_file_range where the disk has them.
    subprocess.run(["cp", "-a", "--reflink=auto", str(kept / "home"), str(home)], check=True)
    db_url = None
    if kind == "postgres":
        name = f"witness_bench_{os.getpid()}_{int(time.time())}"
        with _admin(pg_url) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_name(key)}"')
        db_url = sqlalchemy_pg_url(pg_url, name)
        info["pg_database"] = name
    # the copy's gigabytes are written back now, not while the proofs are being timed
    os.sync()
    info["copy_seconds"] = round(time.perf_counter() - t0, 1)
    return _env(home, db_url), info
