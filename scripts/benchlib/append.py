"""The append scenario, run in a child process so that its peak memory is its own.

The parent calls :func:`run_append` (which spawns ``bench.py _append SPEC``); the child runs
:func:`child_main`: init the log, then append the workload in batches through
``WitnessLog.append`` (validate + encode + leaf + store + sign receipt), timing only the
pipeline (event generation — the source system's work — is excluded), and prints one JSON
line with the figures, its peak RSS (``VmHWM``) and a floor measured in the same process
(``floor_seconds``). Also creates/drops the PostgreSQL
databases the scenarios use.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchlib.workload import batches, find_validator
from ledger.home import init_home, open_log
from ledger.log import Appended
from ledger.runtime import tune_gc
from ledger.settings import Settings

BENCH_PY = Path(__file__).resolve().parents[1] / "bench.py"


def peak_rss_mb() -> float:
    """Peak resident set of this process in MB (``VmHWM``, else ``ru_maxrss``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def store_bytes(settings: Settings) -> int:
    """Bytes the store occupies: SQLite files, or ``pg_database_size``."""
    if settings.db_url is None:
        return sum(p.stat().st_size for p in settings.home.glob("witness.db*"))
    log = open_log(settings)
    try:
        with log.db.read() as conn:
            return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar())
    finally:
        log.db.dispose()


def floor_seconds(n: int, batch: int, projects: int) -> float:
    """The floor of the same run: ``json.dumps`` (sorted keys) and one SHA-256 per event of
    the workload, the least any pipeline that hashes canonical JSON does. Appending is
    reported as a multiple of it, which moves less with the machine's load than events/s."""
    spent = 0.0
    for raw in batches(n, batch, projects):
        t0 = time.perf_counter()
        for event in raw:
            hashlib.sha256(json.dumps(event, sort_keys=True, ensure_ascii=False,
                                      separators=(",", ":")).encode()).digest()
        spent += time.perf_counter() - t0
    return spent


def child_main(spec_path: str) -> int:
    """Entry point of the child: run one append scenario, print its JSON figures."""
    spec = json.loads(Path(spec_path).read_text())
    settings = Settings(home=Path(spec["home"]), db_url=spec["db_url"])
    init_home(settings)
    validate, note = find_validator() if spec["validate"] else (None, "disabled (--no-validate)")
    if spec.get("tune_gc", True):  # as the service and `witness ingest` run (ledger.runtime)
        tune_gc()
    before = store_bytes(settings)
    log = open_log(settings)
    floor = floor_seconds(spec["n"], spec["batch"], spec["projects"])
    t_validate = t_append = 0.0
    appended = 0
    for raw in batches(spec["n"], spec["batch"], spec["projects"]):
        t0 = time.perf_counter()
        items = [validate(e) for e in raw] if validate else raw
        t1 = time.perf_counter()
        results = log.append(items)
        t_append += time.perf_counter() - t1
        t_validate += t1 - t0
        appended += sum(isinstance(r, Appended) for r in results)
    log.db.dispose()
    total = t_validate + t_append
    out = {"n": spec["n"], "appended": appended, "seconds": total, "validate_s": t_validate,
           "append_s": t_append, "events_per_s": appended / total if total else 0.0,
           # the same run without its validation time (``--no-validate`` gives it alone)
           "events_per_s_unvalidated": appended / t_append if t_append else 0.0,
           "floor_s": floor, "x_floor": total / floor if floor else 0.0,
           "load_average": os.getloadavg()[0],
           "validation": note, "peak_rss_mb": peak_rss_mb(),
           "bytes_per_event": (store_bytes(settings) - before) / max(appended, 1)}
    print(json.dumps(out))
    return 0 if appended == spec["n"] else 1


def run_append(spec: dict[str, Any], workdir: Path, timeout: float | None) -> dict[str, Any]:
    """Run one append scenario in a child process and return its figures."""
    spec_path = workdir / f"spec-{secrets.token_hex(4)}.json"
    spec_path.write_text(json.dumps(spec))
    proc = subprocess.run([sys.executable, str(BENCH_PY), "_append", str(spec_path)],
                          capture_output=True, text=True, timeout=timeout, check=False)
    spec_path.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise RuntimeError(f"append child failed ({proc.returncode}): {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result["children_max_rss_mb"] = children  # max over all children so far (cross-check)
    return result


def _admin(base_url: str) -> Any:
    import psycopg

    return psycopg.connect(f"{base_url}/postgres", autocommit=True)


def create_pg_database(base_url: str) -> str:
    """Create a uniquely named database; return its name."""
    name = f"bench_{secrets.token_hex(6)}"
    with _admin(base_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_pg_database(base_url: str, name: str) -> None:
    with _admin(base_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlalchemy_pg_url(base_url: str, name: str) -> str:
    """``postgresql://…`` → ``postgresql+psycopg://…/name`` for SQLAlchemy."""
    rest = base_url.split("://", 1)[1]
    return f"postgresql+psycopg://{rest}/{name}"
