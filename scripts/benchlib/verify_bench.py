"""The verifier's benchmark (its targets: docs/benchmarks.md), a section of ``scripts/bench.py``.

- ``witness-verify ledger`` (fsck) on SQLite and PostgreSQL, in one process and with one
  worker per CPU: events/s at each size, beside the hashlib floor (the same number of raw
  SHA-256 calls — n leaves + n−1 interior nodes — in one process, just before each run), and
  the fsck's peak memory (its own child process, ``VmHWM``, and its workers');
- receipt verification offline per second, each receipt a file of its own as a bidder
  keeps it (read + parsed + verified): v2 receipts (one promise per batch of 1,000, its
  signature checked once per batch) and, in the same run, v1 receipts of the same events
  (one promise per event), beside Ed25519 verify alone (the floor);
- receipt verification with the chain lookup on the embedded chain (median / p99 ms).

``python scripts/bench.py --verify [--sizes 10000,100000,1000000]``; the default run includes
it at 10k and 100k (``--no-verify`` skips it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib.receipt_bench import RECEIPT_ROUNDS, receipt_rows, receipts_offline

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SIZES = (10_000, 100_000)
CHECKPOINT_EVERY = 10_000
CHAIN_RECEIPTS = 200
CHAIN_EVENTS = 2000


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("verifier (--verify)")
    g.add_argument("--verify", action="store_true", help="run only the verifier section")
    g.add_argument("--no-verify", action="store_true", help="skip the verifier section")
    g.add_argument("--receipts-only", action="store_true",
                   help="with --verify: only the offline receipts (no fsck, no chain)")


def wanted(args: argparse.Namespace, default_sizes: str) -> bool:
    """--verify; else part of the default run (no --sizes, or --quick) unless --no-verify."""
    return bool(args.verify or (not args.no_verify
                                and (args.quick or args.sizes == default_sizes)))


def sizes_for(args: argparse.Namespace, default_sizes: str) -> list[int]:
    if args.quick:
        return [10_000]
    if args.sizes == default_sizes:
        return list(DEFAULT_SIZES)
    return list(args.size_list)


# -- building a ledger -------------------------------------------------------------------------

def build_ledger(home: Path, n: int, projects: int = 200, every: int = CHECKPOINT_EVERY
                 ) -> dict[str, str]:
    """A SQLite ledger of ``n`` workload events with a checkpoint every ``every`` events."""
    from benchlib.workload import batches
    from ledger.home import init_home, open_log
    from ledger.settings import Settings

    settings = Settings(home=home)
    info = init_home(settings)
    log = open_log(settings)
    try:
        done = 0
        for raw in batches(n, 1000, projects):
            log.append(raw)
            done += len(raw)
            if done % every == 0 or done == n:
                log.checkpoint()
    finally:
        log.db.dispose()
    return {"vkey": info["vkey"], "origin": info["origin"], "db": str(home / "witness.db")}


# -- fsck ------------------------------------------------------------------------------------

def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def fsck_child(spec: dict[str, Any]) -> dict[str, Any]:
    """In a child process: one fsck, timed, with the process's peak RSS before and after
    and its workers' (the largest ``ru_maxrss`` of its finished children), and the CPU
    time of the process and of its workers (which the load disturbs less than the wall)."""
    import resource

    from verifier import check_ledger
    from verifier.policy import build

    def children_cpu() -> float:
        use = resource.getrusage(resource.RUSAGE_CHILDREN)
        return use.ru_utime + use.ru_stime

    policy = build(key=spec["vkey"], origin=spec["origin"])
    base = _peak_rss_mb()
    c0, w0, t0 = time.process_time(), children_cpu(), time.perf_counter()
    report = check_ledger(spec["db"], policy, jobs=spec.get("jobs"))
    seconds = time.perf_counter() - t0
    cpu, workers_cpu = time.process_time() - c0, children_cpu() - w0
    n = report.counts.get("events", 0)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"ok": report.ok, "outcome": report.outcome, "events": n, "seconds": seconds,
            "cpu_s": cpu, "workers_cpu_s": workers_cpu,
            "cpu_us_per_event": (cpu + workers_cpu) / n * 1e6 if n else None,
            "events_per_s": n / seconds if seconds else 0.0,
            "jobs": report.subject.get("jobs", 1),
            "tree_hashes": report.counts.get("tree_hashes", 0),
            "checkpoints": report.counts.get("checkpoints", 0),
            "peak_rss_mb": _peak_rss_mb(), "rss_before_fsck_mb": base,
            "workers_peak_rss_mb": workers or None, "load_1min": os.getloadavg()[0]}


def copy_to_postgres(db: str, url: str) -> None:
    """The SQLite ledger's log (events, tree hashes, checkpoints, receipt batches, log_info)
    copied into the PostgreSQL database ``url``, whose schema the ledger creates: the same
    log on both."""
    import psycopg

    from ledger.home import init_home
    from ledger.settings import Settings

    with tempfile.TemporaryDirectory(prefix="witness-pg-home-") as tmp:
        init_home(Settings(home=Path(tmp) / "home", db_url=url))
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as dst:
        dst.execute("ALTER TABLE log_info DISABLE TRIGGER USER")  # replaced, not appended
        dst.execute("DELETE FROM log_info")
        dst.execute("ALTER TABLE log_info ENABLE TRIGGER USER")
        for table in ("log_info", "events", "tree_hashes", "checkpoints", "receipt_batches"):
            cur = src.execute(f"SELECT * FROM {table}")
            cols = ", ".join(d[0] for d in cur.description)
            with dst.cursor().copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                while rows := cur.fetchmany(5000):
                    for row in rows:
                        copy.write_row(row)
        dst.execute("ANALYZE")  # as autovacuum leaves a live database: planner statistics
    src.close()


def run_fsck(spec: dict[str, str]) -> dict[str, Any]:
    code = ("import json, sys; sys.path[:0] = [sys.argv[1], sys.argv[1] + '/scripts']\n"
            "from benchlib.verify_bench import fsck_child\n"
            "print(json.dumps(fsck_child(json.loads(sys.argv[2]))))")
    proc = subprocess.run([sys.executable, "-c", code, str(REPO_ROOT), json.dumps(spec)],
                          capture_output=True, text=True, check=False, cwd=REPO_ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"fsck child failed: {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def hashlib_floor(db: str, n: int) -> dict[str, Any]:
    """n SHA-256 over 0x00‖canonical + (n−1) over 65-byte nodes; reading is not timed."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    sha, spent, cpu, size = hashlib.sha256, 0.0, 0.0, 0
    try:
        cur = con.execute("SELECT canonical FROM events ORDER BY idx")
        while rows := cur.fetchmany(5000):
            datas = [b"\x00" + bytes(r[0]) for r in rows]
            node = b"\x01" + b"\x00" * 64
            t0, c0 = time.perf_counter(), time.process_time()
            for d in datas:
                sha(d).digest()
            for _ in range(len(datas)):
                sha(node).digest()
            spent += time.perf_counter() - t0
            cpu += time.process_time() - c0
            size += sum(len(d) for d in datas)
    finally:
        con.close()
    return {"seconds": spent, "events_per_s": n / spent if spent else 0.0,
            "cpu_us_per_event": cpu / n * 1e6 if n else None,
            "sha256_calls": 2 * n - 1, "mean_event_bytes": size / max(n, 1)}


def receipts_on_chain(root: Path, events: int = CHAIN_EVENTS,
                      samples: int = CHAIN_RECEIPTS) -> dict[str, Any]:
    """A ledger bound to the embedded chain, anchored twice; receipt checks with lookups."""
    from benchlib.workload import batches
    from ledger.anchoring import bind_chain
    from ledger.anchoring.anchorer import Anchorer
    from ledger.anchoring.binding import anchorer_account, open_bound_chain
    from ledger.anchoring.signer import load_checkpoint_key
    from ledger.core.receipt import Receipt
    from ledger.home import init_home, open_log
    from ledger.settings import Settings
    from verifier import check_receipt
    from verifier.policy import build
    from verifier.readers.chain import open_registry

    home = root / "chain-home"
    settings = Settings(home=home, chain="embedded")
    info = init_home(settings)
    log = open_log(settings)
    try:
        binding = bind_chain(settings, log)
        chain, binding = open_bound_chain(settings, log)
        try:
            anchorer = Anchorer(log, chain, binding, anchorer_account(settings, create=False),
                                checkpoint_key=load_checkpoint_key(settings.home))
            for k, raw in enumerate(batches(events, events // 2, 50)):
                log.append(raw)
                anchorer.anchor_once()
                del k
        finally:
            chain.close()
        rng = random.Random(11)
        texts = [log.receipt(rng.randrange(events)).dumps() for _ in range(samples)]
    finally:
        log.db.dispose()
    policy = build(key=info["vkey"], origin=info["origin"], chain_id=binding.chain_id,
                   registry=binding.registry)
    t0 = time.perf_counter()
    reader = open_registry(f"embedded:{home / 'chain'}", binding.chain_id, binding.registry,
                           binding.genesis_hash)
    open_ms = (time.perf_counter() - t0) * 1000
    times, outcomes = [], []
    try:
        for t in texts:
            r = Receipt.loads(t.encode())
            t0 = time.perf_counter()
            outcomes.append(check_receipt(r, policy, reader).outcome)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        reader.close()
    times.sort()
    return {"samples": samples, "events": events, "open_chain_ms": open_ms,
            "median_ms": statistics.median(times),
            "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))],
            "outcomes": {o: outcomes.count(o) for o in set(outcomes)}}


# -- the section -------------------------------------------------------------------------------

def run(args: argparse.Namespace, sizes: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {"fsck": [], "receipts": None, "chain": None, "notes": []}
    receipts_only = getattr(args, "receipts_only", False)
    if receipts_only:  # the receipts need one ledger only: the largest size asked for
        sizes = sizes[-1:]
    args.workdir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="witness-verify-bench-", dir=args.workdir))
    try:
        for n in sizes:
            home = root / f"ledger-{n}"
            t0 = time.perf_counter()
            spec = build_ledger(home, n, args.projects)
            built = time.perf_counter() - t0
            print(f"  verify: built {n:,} events in {built:.1f} s", file=sys.stderr)
            if not receipts_only:
                out["fsck"] += fsck_runs(args, spec, n, built)
            if n == sizes[-1]:
                out["receipts"] = receipts_offline(home, n)
            shutil.rmtree(home, ignore_errors=True)
        if not receipts_only:
            out["chain"] = receipts_on_chain(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    out["notes"].append(f"fsck: SQLite and the same log copied to PostgreSQL, warm cache, "
                        f"checkpoint every {CHECKPOINT_EVERY:,} events, a fresh child process "
                        "per run (peak RSS = its VmHWM; workers: their largest ru_maxrss); "
                        "jobs 1 = one process, else one worker per CPU; the floor is measured "
                        "just before each run, load = 1-minute load average after it.")
    out["notes"].append("Receipts offline: each a file of its own, read + parsed + verified "
                        "in one process; v2 = batches of 1,000 under one promise, v1 = the "
                        "same events with one promise each; fastest of "
                        f"{RECEIPT_ROUNDS} alternating rounds; floor = Ed25519 verify alone.")
    out["notes"].append("Targets: fsck ≥ 200,000 events/s; receipts offline ≥ "
                        "3,000/s (v2 ≥ 3× v1); with the chain lookup ≤ 50 ms (embedded chain).")
    return out


def fsck_runs(args: argparse.Namespace, spec: dict[str, str], n: int, built: float
              ) -> list[dict[str, Any]]:
    """fsck of one ledger on each database, in one process and with a worker per CPU."""
    runs = []
    for db_name, db in _fsck_databases(args, spec["db"]):
        for jobs in (1, os.cpu_count() or 1):
            floor = hashlib_floor(spec["db"], n)  # beside each run: the load varies
            fsck = run_fsck({**spec, "db": db, "jobs": jobs})
            runs.append({"n": n, "db": db_name, "build_s": built, **fsck, "floor": floor,
                         "ratio_to_floor": floor["events_per_s"] / fsck["events_per_s"]
                         if fsck["events_per_s"] else None})
            print(f"  verify: fsck {n:,} {db_name} jobs {fsck['jobs']}: "
                  f"{fsck['events_per_s']:,.0f} events/s (floor {floor['events_per_s']:,.0f}, "
                  f"load {fsck['load_1min']:.1f}); CPU per event {_f(fsck['cpu_us_per_event'], 2)}"
                  f" µs (floor {_f(floor['cpu_us_per_event'], 2)})", file=sys.stderr)
    return runs


def _fsck_databases(args: argparse.Namespace, sqlite_db: str) -> Any:
    """(name, database) to fsck: the SQLite file, then (``--db`` with postgres) a copy of it
    in a fresh PostgreSQL database, dropped afterwards."""
    yield "sqlite", sqlite_db
    if "postgres" not in getattr(args, "db_list", ["sqlite", "postgres"]):
        return
    from benchlib.append import create_pg_database, drop_pg_database, sqlalchemy_pg_url

    try:
        name = create_pg_database(args.pg_url)
    except Exception as exc:  # no server on this machine: say so, keep the SQLite figures
        print(f"  verify: PostgreSQL not reachable ({exc.__class__.__name__})", file=sys.stderr)
        return
    try:
        url = sqlalchemy_pg_url(args.pg_url, name)
        copy_to_postgres(sqlite_db, url)
        yield "postgres", url
    finally:
        drop_pg_database(args.pg_url, name)


def _f(x: float | None, digits: int = 0) -> str:
    return "–" if x is None else f"{x:,.{digits}f}"


def markdown(res: dict[str, Any]) -> str:
    lines = ["# Verifier benchmark (witness-verify)", "",
             "| events | database | jobs | fsck events/s | fsck s | hashlib floor events/s | "
             "floor/fsck | CPU µs/event fsck (all processes) / floor | "
             "peak RSS MB (parent / each worker) | load | outcome |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in res["fsck"]:
        lines.append(f"| {r['n']:,} | {r.get('db', 'sqlite')} | {r.get('jobs', 1)} | "
                     f"{_f(r['events_per_s'])} | {_f(r['seconds'], 2)} | "
                     f"{_f(r['floor']['events_per_s'])} | {_f(r['ratio_to_floor'], 2)} | "
                     f"{_f(r.get('cpu_us_per_event'), 2)} / "
                     f"{_f(r['floor'].get('cpu_us_per_event'), 2)} | "
                     f"{_f(r['peak_rss_mb'], 1)} / {_f(r.get('workers_peak_rss_mb'), 1)} | "
                     f"{_f(r.get('load_1min'), 1)} | {r['outcome']} |")
    rc, ch = res.get("receipts"), res.get("chain")
    if rc or ch:
        lines += ["", *receipt_rows(rc)]
    if ch:
        lines.append(f"| embedded chain ({ch['events']:,} events) | {_f(1000 / ch['median_ms'])} "
                     f"| – | – | – | {_f(ch['median_ms'], 2)} | {_f(ch['p99_ms'], 2)} |")
    lines += ["", *res["notes"]]
    return "\n".join(lines)
