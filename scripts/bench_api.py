"""HTTP benchmark of ``witness serve`` on SQLite and PostgreSQL, next to the framework floor.

For each database, in one run (targets and figures: docs/benchmarks.md):

- the floor: a bare FastAPI app (``benchlib/api_floor.py``) under uvicorn with the same
  workers, uvloop and httptools, loaded by the same client with the same bodies — ``GET``
  (a proof-sized answer), ``POST`` of one event, ``POST`` of a batch;
- batch ingestion: events/s posting batches of ``--batch`` events (each event durable and
  in the answer with its receipt);
- single-event ingestion: requests/s and p50/p99 latency at ``--concurrency`` clients;
- inclusion proofs/s at ``--concurrency`` clients on a log of ``--proof-size`` events
  (default 1M; ``--quick`` 100k), filled by real appends and kept between runs
  (``benchlib/api_logcache.py``: a copy is served, the kept log is reused while the
  storage schema is unchanged; ``--fresh-log`` rebuilds it).

Every rate is printed with "= X% of floor". The load generator (``benchlib/api_client.py``)
runs in its own process on the same machine. PostgreSQL: scratch databases on ``--pg-url``
(as user postgres), dropped afterwards. Writes ``bench-results/bench-api-<ts>.json`` with
the exact command line and the load average.

    .venv/bin/python scripts/bench_api.py --quick
    .venv/bin/python scripts/bench_api.py --db sqlite --db postgres --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import benchlib  # noqa: F401  (puts the repository root on sys.path)
from benchlib import api_report, api_runs
from benchlib.api_logcache import proof_log
from benchlib.api_service import pg_database
from benchlib.append import drop_pg_database

ROOT = Path(__file__).resolve().parent.parent


def bench_db(kind: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"db": kind, "workers": args.workers,
                           "access_log": not args.no_access_log, "rules": not args.no_rules,
                           "anchor": not args.no_anchor}
    out["floor"] = api_runs.floor(args, work, args.proof_size)
    if kind == "postgres":
        with pg_database(args.pg_url) as url:
            out.update(api_runs.ingestion(kind, _env(args, work / "home-pg", url), args, work))
    else:
        out.update(api_runs.ingestion(kind, _env(args, work / "home-sqlite", None), args, work))
    if args.proof_size > 0:
        env, out["proof_log"] = proof_log(kind, args.proof_size, work, args.pg_url,
                                          args.fresh_log)
        print(f"  [{kind}] proof log: {out['proof_log']}", flush=True)
        try:
            out["proof"] = api_runs.proofs(kind, {**env, **_service_env(args)},
                                           args.proof_size, args, work)
        finally:  # the copy, not the kept log (a million events take gigabytes)
            shutil.rmtree(env["WITNESS_HOME"], ignore_errors=True)
            if "pg_database" in out["proof_log"]:
                drop_pg_database(args.pg_url, out["proof_log"]["pg_database"])
    out["ratios"] = api_report.ratios(out)
    return out


def _service_env(args: argparse.Namespace) -> dict[str, str]:
    return {"WITNESS_API_ACCESS_LOG": "false" if args.no_access_log else "true",
            "WITNESS_API_RULES": "0" if args.no_rules else "1",
            "WITNESS_API_ANCHOR": "0" if args.no_anchor else "1"}


def _env(args: argparse.Namespace, home: Path, db_url: str | None) -> dict[str, str]:
    env = {**os.environ, "WITNESS_HOME": str(home), **_service_env(args)}
    env.pop("WITNESS_DB_URL", None)
    if db_url:
        env["WITNESS_DB_URL"] = db_url
    return env


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--db", action="append", choices=("sqlite", "postgres"),
                   help="database(s) to run on (repeatable; default both)")
    p.add_argument("--pg-url", default=os.environ.get(
        "WITNESS_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432"),
        help="server URL (user postgres) where scratch databases are created and dropped")
    p.add_argument("--workers", type=int, default=2, help="uvicorn workers (service and floor)")
    p.add_argument("--batch", type=int, default=500, help="events per batch request")
    p.add_argument("--batch-events", type=int, default=20_000, help="events posted in batches")
    p.add_argument("--batch-clients", type=int, default=4, help="concurrent batch clients")
    p.add_argument("--single-requests", type=int, default=10_000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--proof-size", type=int, default=1_000_000,
                   help="events in the log of the proof test (0: skip)")
    p.add_argument("--proof-requests", type=int, default=20_000)
    p.add_argument("--fresh-log", action="store_true", help="rebuild the kept proof log")
    p.add_argument("--quick", action="store_true",
                   help="100k-event proof log, fewer requests (about two minutes per database "
                        "once the log is kept)")
    p.add_argument("--no-access-log", action="store_true",
                   help="run the service without its access log (default: as deployed, on)")
    p.add_argument("--no-rules", action="store_true",
                   help="without the rule follower thread (default: as deployed, on)")
    p.add_argument("--no-anchor", action="store_true",
                   help="without the anchorer thread (default: on, anchoring on the embedded "
                        "chain inside a worker, as `witness init` sets it up)")
    p.add_argument("--timeout", type=float, default=120.0, help="max seconds per load run")
    p.add_argument("--workdir", type=Path, default=None, help="scratch dir (default: a temp dir)")
    p.add_argument("--out", type=Path, default=ROOT / "bench-results")
    args = p.parse_args(argv)
    if args.quick:
        args.proof_size = min(args.proof_size, 100_000)
        args.batch_events = min(args.batch_events, 10_000)
        args.single_requests = min(args.single_requests, 5_000)
        args.proof_requests = min(args.proof_requests, 10_000)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    command = shlex.join([sys.executable, *sys.argv[:1],
                          *(argv if argv is not None else sys.argv[1:])])
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-api-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"$ {command}\n  scratch: {work}", flush=True)
    load_start = os.getloadavg()
    results = [bench_db(kind, args, work) for kind in args.db or ["sqlite", "postgres"]]
    print("\n" + api_report.table(results))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"bench-api-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"command": command, "cpus": os.cpu_count(),
                                "load_avg_at_start": load_start,
                                "load_avg_at_end": os.getloadavg(), "results": results},
                               indent=2) + "\n")
    print(f"\nload average at start {load_start}, at end {os.getloadavg()}")
    print(f"wrote {path}\nreproduce with:\n  {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
