"""Benchmark of the witness log: append throughput, checkpoints, proofs, peers, memory.

    python scripts/bench.py                       # 10k, 100k, 1M on SQLite and PostgreSQL
    python scripts/bench.py --quick               # 10k only
    python scripts/bench.py --sizes 300 --db sqlite --no-peers --json out.json
    python scripts/bench.py --anchor [--quick] [--hardhat off|auto|URL]  # anchoring only
    python scripts/bench.py --verify [--sizes 10000,100000,1000000]  # witness-verify only
    python scripts/bench.py --rules [--quick] [--rules-projects 30]  # rule follower overhead
    python scripts/bench.py --startup [--startup-runs 15]  # start-up of the command-line tools

The default run (no --sizes, or --quick) includes the anchoring section (gas per anchor vs
log size, gas per event vs one write per event, anchor latency on the embedded chain and a
Hardhat node, event → anchored proof); --no-anchor skips it. It also includes the rules
section (CPU of the rule follower vs. the append, benchlib/rules_bench.py); --no-rules skips it,
and the start-up section (wall time of `witness --help`, `witness status`, `witness-verify
--help` against `python -c pass`, benchlib/startup.py); --no-startup skips it.

Each append scenario runs in a child process (its peak RSS is reported). PostgreSQL runs
in a freshly created database (``bench_<random>``), dropped at the end; by default only up
to ``--pg-max`` events. Prints Markdown tables and writes every figure to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from benchlib import anchor_bench, measure, peers, report, rules_bench, startup, verify_bench
from benchlib import append as app
from benchlib.workload import find_validator
from ledger.home import open_log
from ledger.settings import Settings

DEFAULT_SIZES = "10000,100000,1000000"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated event counts")
    p.add_argument("--quick", action="store_true", help="10k events only")
    p.add_argument("--db", default="sqlite,postgres", help="sqlite,postgres")
    p.add_argument("--json", type=Path, help="default bench-results/bench-<timestamp>.json")
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432",
                   help="PostgreSQL server (no database part)")
    p.add_argument("--pg-max", type=int, default=100_000, help="largest size run on PostgreSQL")
    p.add_argument("--peer-max", type=int, default=200_000, help="cap on the peers' size")
    p.add_argument("--no-peers", action="store_true", help="skip pymerkle / merkletools")
    p.add_argument("--proofs", type=int, default=1000, help="random proofs per measurement")
    p.add_argument("--sqlite-peer-proofs", type=int, default=200,
                   help="proofs sampled on pymerkle SqliteTree (slow)")
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--projects", type=int, default=200, help="distinct projects in the load")
    p.add_argument("--no-validate", action="store_true", help="skip the event catalogue")
    p.add_argument("--default-gc", action="store_true",
                   help="append with CPython's default collector settings (by default the "
                        "append child tunes it as the service and `witness ingest` do)")
    p.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    p.add_argument("--timeout", type=float, default=None, help="per append scenario, seconds")
    p.add_argument("--seed", type=int, default=1)
    anchor_bench.add_arguments(p)
    verify_bench.add_arguments(p)
    rules_bench.add_arguments(p)
    startup.add_arguments(p)
    args = p.parse_args(argv)
    if args.quick:
        args.sizes = "10000"
    args.size_list = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.db_list = [d.strip() for d in args.db.split(",") if d.strip()]
    if any(d not in ("sqlite", "postgres") for d in args.db_list) or not args.size_list:
        p.error("--db takes sqlite and/or postgres; --sizes at least one size")
    return args


def machine_info(args: argparse.Namespace, stamp: datetime) -> dict[str, Any]:
    _, note = (None, "validation disabled (--no-validate)") if args.no_validate \
        else find_validator()
    return {"date": stamp.isoformat(timespec="seconds"), "python": platform.python_version(),
            "cpu_count": os.cpu_count(), "platform": platform.platform(),
            "command": shlex.join([sys.executable, *sys.argv]), "sizes": args.size_list,
            "dbs": args.db_list, "pg_max": args.pg_max, "peer_max": args.peer_max,
            "batch": args.batch, "projects": args.projects, "validation": note,
            "collector": "CPython defaults" if args.default_gc else "tuned (ledger.runtime)",
            "proof_samples": args.proofs}


@contextmanager
def scenario(db: str, n: int, args: argparse.Namespace, root: Path) -> Iterator[Settings]:
    """A fresh data directory (and PostgreSQL database), removed afterwards."""
    home = Path(tempfile.mkdtemp(prefix=f"{db}-{n}-", dir=root))
    pg_name = app.create_pg_database(args.pg_url) if db == "postgres" else None
    url = app.sqlalchemy_pg_url(args.pg_url, pg_name) if pg_name else None
    try:
        yield Settings(home=home, db_url=url)
    finally:
        if pg_name:
            app.drop_pg_database(args.pg_url, pg_name)
        shutil.rmtree(home, ignore_errors=True)


def run_db(db: str, n: int, args: argparse.Namespace, root: Path,
           results: dict[str, Any], first: bool) -> None:
    """Append n events on one database, then measure checkpoint, proofs (and peers)."""
    with scenario(db, n, args, root) as settings:
        spec = {"home": str(settings.home), "db_url": settings.db_url, "n": n,
                "batch": args.batch, "projects": args.projects, "validate": not args.no_validate,
                "tune_gc": not args.default_gc}
        run: dict[str, Any] = {"db": db, "n": n, "append": app.run_append(spec, root, args.timeout)}
        print(f"  {db} {n:,}: {run['append']['events_per_s']:,.0f} events/s", file=sys.stderr)
        log = open_log(settings)
        try:
            run["checkpoint"] = measure.stored_checkpoint(log)
            run["inclusion"] = measure.inclusion_latency(log, n, args.proofs, args.seed)
            run["consistency"] = measure.consistency_latency(log, n, args.proofs, args.seed)
            results["runs"].append(run)
            if first:
                scratch = measure.checkpoint_from_scratch(log, n)
                results["checkpoint_scratch"].append({**scratch, "source_db": db})
                if not args.no_peers:
                    results["peers"].append(run_peers(log, n, db, args, root))
        finally:
            log.db.dispose()


def run_peers(log: Any, n: int, db: str, args: argparse.Namespace, root: Path) -> dict[str, Any]:
    used = min(n, args.peer_max)
    entries = [e for chunk in measure.read_canonical(log, 0, used) for e in chunk]
    opts = {"samples": args.proofs, "sqlite_samples": args.sqlite_peer_proofs,
            "seed": args.seed, "workdir": root}
    out = peers.run_peers(entries, log, opts)
    return {"n_requested": n, "capped": used < n, "stored_db": db, **out}


def run_all(args: argparse.Namespace, results: dict[str, Any]) -> None:
    args.workdir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="witness-bench-", dir=args.workdir))
    try:
        for n in args.size_list:
            first = True
            for db in args.db_list:
                if db == "postgres" and n > args.pg_max:
                    results["notes"].append(f"PostgreSQL not run at {n:,} (> --pg-max "
                                            f"{args.pg_max:,})")
                    continue
                run_db(db, n, args, root, results, first)
                first = False
    finally:
        shutil.rmtree(root, ignore_errors=True)


def add_notes(args: argparse.Namespace, results: dict[str, Any]) -> None:
    notes = results["notes"]
    notes.append(f"Append pipeline: {results['meta']['validation']} (the API's Ingestor also "
                 "pseudonymises; not included). Event generation is not timed.")
    notes.append("Floor = n sha256 calls on the entries + (n−1) on 65-byte inputs, same run.")
    for p in results["peers"]:
        if p["capped"]:
            notes.append(f"Peers at {p['n_requested']:,} ran on the first {p['n_used']:,} "
                         f"entries (--peer-max).")
    if results["peers"]:
        notes.append(f"pymerkle SqliteTree proofs: {args.sqlite_peer_proofs} samples; "
                     f"merkletools: {peers.MERKLETOOLS_NOTE}.")


def main(argv: list[str]) -> int:
    if argv[:1] == ["_append"]:
        return app.child_main(argv[1])
    args = parse_args(argv)
    stamp = datetime.now().astimezone()
    if args.rules:  # the rules-overhead section alone
        return rules_bench.only(args, stamp)
    if args.startup:  # the start-up section alone
        return startup.only(args, stamp)
    results: dict[str, Any] = {"meta": machine_info(args, stamp), "runs": [],
                               "checkpoint_scratch": [], "peers": [], "notes": []}
    anchoring = anchor_bench.wanted(args, DEFAULT_SIZES) and not args.verify
    verifying = verify_bench.wanted(args, DEFAULT_SIZES) and not args.anchor
    if verifying:
        results["verify"] = verify_bench.run(args, verify_bench.sizes_for(args, DEFAULT_SIZES))
    if not args.anchor and not args.verify:
        run_all(args, results)
        add_notes(args, results)
    if anchoring:
        results["anchor"] = anchor_bench.run(args)
    if rules_bench.wanted(args, DEFAULT_SIZES) and not args.anchor and not args.verify:
        results["rules"] = rules_bench.run(args)
    if startup.wanted(args, DEFAULT_SIZES) and not args.anchor and not args.verify:
        results["startup"] = startup.run(args)
    path = args.json or Path("bench-results") / f"bench-{stamp:%Y%m%d-%H%M%S}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    if not args.anchor and not args.verify:
        print(report.markdown(results))
    if verifying:
        print(verify_bench.markdown(results["verify"]))
    if anchoring:
        print(anchor_bench.markdown(results["anchor"]))
    if "rules" in results:
        print(rules_bench.markdown(results["rules"]))
    if "startup" in results:
        print(startup.markdown(results["startup"]))
    print(f"JSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
