"""HTTP benchmark of ``witness serve`` on SQLite and PostgreSQL (targets: docs/benchmarks.md).

Starts the real service (``witness serve --workers N``) on 127.0.0.1, creates an ingest
token with ``witness token create``, and measures, per database:

- batch ingestion: events/s posting batches of ``--batch`` events (each event durable and
  signed: the answer carries one receipt per event);
- single-event ingestion: requests/s and p50/p99 latency at ``--concurrency`` clients;
- proof fetch: inclusion proofs/s at ``--concurrency`` clients on a log filled to
  ``--proof-size`` events through the library (default 1M; ``--quick`` uses 100k).

The load generator is a small keep-alive HTTP/1.1 client on asyncio streams (cheaper per
request than a full client library, so that on a 2-core machine more CPU is left to the
server); it runs in its own process. PostgreSQL: a unique database is created on
``--pg-url`` (as user postgres) and dropped afterwards. Prints a table and writes
``bench-results/bench-api-<ts>.json``; the exact command line is printed and recorded.

    .venv/bin/python scripts/bench_api.py --quick
    .venv/bin/python scripts/bench_api.py --db sqlite --db postgres --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import hashlib
import json
import os
import random
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WITNESS = str(Path(sys.executable).with_name("witness"))

# -- workload ------------------------------------------------------------------------------


def make_events(run: str, start: int, n: int, projects: int = 500) -> list[dict[str, Any]]:
    """``n`` valid BID_SUBMITTED events with unique ids (the catalogue's example, varied)."""
    from ledger.events import example_event

    base = example_event("BID_SUBMITTED")
    base.pop("section_id", None)
    out = []
    for i in range(start, start + n):
        ev = copy.deepcopy(base)
        ev["event_id"] = f"EV-{run}-{i:09d}"
        ev["project_id"] = f"ZJ-BENCH-{run}-{i % projects:05d}"
        ev["payload"]["file_hash"] = hashlib.sha256(f"{run}/{i}".encode()).hexdigest()
        out.append(ev)
    return out


# -- a minimal keep-alive HTTP/1.1 client ----------------------------------------------------


class Conn:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, token: str,
                      body: bytes | None = None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
                f"Authorization: Bearer {token}\r\n")
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + (body or b""))
        assert self.reader is not None
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        data = await self.reader.readexactly(length)
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _pct(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def _run_load(port: int, token: str, requests: Sequence[tuple[str, str, bytes | None]],
                    concurrency: int, expect: tuple[int, ...], deadline_s: float
                    ) -> dict[str, Any]:
    queue = list(reversed(requests))
    latencies: list[float] = []
    errors: dict[str, int] = {}
    stop = time.perf_counter() + deadline_s
    events = {"n": 0}

    async def worker() -> None:
        conn = Conn("127.0.0.1", port)
        try:
            while queue and time.perf_counter() < stop:
                method, path, body = queue.pop()
                t0 = time.perf_counter()
                try:
                    status, data = await conn.request(method, path, token, body)
                except (ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    conn.close()
                    conn = Conn("127.0.0.1", port)
                    continue
                latencies.append(time.perf_counter() - t0)
                if status not in expect:
                    key = f"http {status}"
                    errors[key] = errors.get(key, 0) + 1
                    if errors[key] <= 2:
                        print(f"  unexpected {status}: {data[:300]!r}", file=sys.stderr)
                elif path.endswith("/batch"):
                    events["n"] += json.loads(data)["created"]
        finally:
            conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - t0
    lat = sorted(latencies)
    return {"requests": len(lat), "seconds": round(wall, 3),
            "req_per_s": round(len(lat) / wall, 1),
            "events_created": events["n"], "events_per_s": round(events["n"] / wall, 1),
            "p50_ms": round(_pct(lat, 0.50) * 1000, 2), "p99_ms": round(_pct(lat, 0.99) * 1000, 2),
            "max_ms": round(lat[-1] * 1000, 2) if lat else None, "errors": errors}


def run_load(port: int, token: str, requests: Sequence[tuple[str, str, bytes | None]],
             concurrency: int, expect: tuple[int, ...], deadline_s: float) -> dict[str, Any]:
    """The load run in a child process (the client must not share the server's GIL)."""
    with ProcessPoolExecutor(1) as pool:
        return pool.submit(_load_child, port, token, requests, concurrency, expect,
                           deadline_s).result()


def _load_child(*args: Any) -> dict[str, Any]:
    return asyncio.run(_run_load(*args))


# -- the service -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def witness(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([WITNESS, *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"witness {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


@contextmanager
def serve(env: dict[str, str], workers: int, log_path: Path) -> Iterator[int]:
    port = free_port()
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([WITNESS, "serve", "--port", str(port), "--workers",
                                 str(workers), "--log-level", "warning"],
                                env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    if s.recv(100).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"witness serve did not start; see {log_path}")
            time.sleep(0.2)
        time.sleep(1.0 if workers > 1 else 0.2)  # let every worker come up
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# -- PostgreSQL --------------------------------------------------------------------------------


@contextmanager
def pg_database(admin_url: str) -> Iterator[str]:
    import psycopg

    name = f"witness_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        base = admin_url.rsplit("/", 1)[0]
        yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- filling a log through the library -----------------------------------------------------------


def fill_log(env: dict[str, str], target: int, batch: int = 2000) -> dict[str, Any]:
    """Append events (validated, unsigned: receipts are derived on demand) up to ``target``."""
    from ledger.events import Pseudonymizer, event_to_json, parse_event
    from ledger.home import open_log
    from ledger.keys import load_secret
    from ledger.settings import Settings

    settings = Settings(home=Path(env["WITNESS_HOME"]), db_url=env.get("WITNESS_DB_URL"))
    log = open_log(settings)
    pseudo = Pseudonymizer(load_secret(settings.pseudonym_key_path))
    start = log.size()
    t0 = time.perf_counter()
    done = start
    while done < target:
        n = min(batch, target - done)
        valid = [pseudo.apply(event_to_json(parse_event(e)))
                 for e in make_events("fill", done, n, projects=5000)]
        log.commit(valid)
        done += n
        if done % 100_000 < batch:
            print(f"  filled {done:,} events ({time.perf_counter() - t0:.0f} s)", flush=True)
    cp = log.checkpoint()
    log.db.dispose()
    return {"size": cp.size, "seconds": round(time.perf_counter() - t0, 1)}


# -- one database ----------------------------------------------------------------------------------


def bench_db(kind: str, db_url: str | None, args: argparse.Namespace, work: Path
             ) -> dict[str, Any]:
    home = work / f"home-{kind}"
    env = {**os.environ, "WITNESS_HOME": str(home),
           "WITNESS_API_ACCESS_LOG": "false" if args.no_access_log else "true",
           "WITNESS_API_RULES": "0" if args.no_rules else "1"}
    if db_url:
        env["WITNESS_DB_URL"] = db_url
    else:
        env.pop("WITNESS_DB_URL", None)
    witness(env, "init")
    token = json.loads(witness(env, "token", "create", "--role", "ingest", "--json"))["token"]
    out: dict[str, Any] = {"db": kind, "workers": args.workers,
                           "access_log": not args.no_access_log, "rules": not args.no_rules}
    run = uuid.uuid4().hex[:8]
    log_path = work / f"serve-{kind}.log"
    with serve(env, args.workers, log_path) as port:
        # warm-up (compile validators, open pools) — not measured
        warm = [("POST", "/v1/events", json.dumps(e).encode())
                for e in make_events(run + "w", 0, 200)]
        run_load(port, token, warm, 8, (201,), 60)

        n_batches = max(1, args.batch_events // args.batch)
        batches = [("POST", "/v1/events/batch",
                    json.dumps({"events": make_events(run + "b", i * args.batch, args.batch)},
                               ensure_ascii=False).encode())
                   for i in range(n_batches)]
        out["batch"] = run_load(port, token, batches, args.batch_clients, (200,), args.timeout)
        out["batch"]["batch_size"] = args.batch
        out["batch"]["clients"] = args.batch_clients
        print(f"  [{kind}] batch: {out['batch']}", flush=True)

        singles = [("POST", "/v1/events", json.dumps(e, ensure_ascii=False).encode())
                   for e in make_events(run + "s", 0, args.single_requests)]
        out["single"] = run_load(port, token, singles, args.concurrency, (201,), args.timeout)
        out["single"]["clients"] = args.concurrency
        print(f"  [{kind}] single: {out['single']}", flush=True)

    if args.proof_size > 0:
        out["fill"] = fill_log(env, args.proof_size)
        size = out["fill"]["size"]
        print(f"  [{kind}] log filled to {size:,} events in {out['fill']['seconds']} s",
              flush=True)
        rng = random.Random(7)
        proofs = [("GET", f"/v1/proofs/inclusion?index={rng.randrange(size)}&size={size}", None)
                  for _ in range(args.proof_requests)]
        with serve(env, args.workers, log_path) as port:
            run_load(port, token, proofs[:200], 8, (200,), 60)
            out["proof"] = run_load(port, token, proofs, args.concurrency, (200,), args.timeout)
            out["proof"]["log_size"] = size
            out["proof"]["clients"] = args.concurrency
        print(f"  [{kind}] proof: {out['proof']}", flush=True)
    return out


def table(results: list[dict[str, Any]]) -> str:
    rows = [("measure", *[f"{r['db']} ({r['workers']} workers)" for r in results])]

    def get(r: dict[str, Any], *path: str) -> Any:
        for p in path:
            r = r.get(p, {}) if isinstance(r, dict) else {}
        return r if r != {} else "-"

    rows += [
        ("batch ingest events/s (target ≥ 10,000)", *[get(r, "batch", "events_per_s")
                                                     for r in results]),
        ("batch p50 / p99 ms", *[f"{get(r, 'batch', 'p50_ms')} / {get(r, 'batch', 'p99_ms')}"
                                 for r in results]),
        ("single-event req/s (target ≥ 1,500)", *[get(r, "single", "req_per_s")
                                                  for r in results]),
        ("single p50 / p99 ms (target p99 ≤ 50)",
         *[f"{get(r, 'single', 'p50_ms')} / {get(r, 'single', 'p99_ms')}" for r in results]),
        ("proof fetch req/s (target ≥ 3,000)", *[get(r, "proof", "req_per_s") for r in results]),
        ("proof p50 / p99 ms", *[f"{get(r, 'proof', 'p50_ms')} / {get(r, 'proof', 'p99_ms')}"
                                 for r in results]),
        ("proof log size", *[get(r, "proof", "log_size") for r in results]),
        ("errors", *[json.dumps({k: get(r, k, "errors") for k in ("batch", "single", "proof")})
                     for r in results]),
    ]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
                     for row in rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--db", action="append", choices=("sqlite", "postgres"),
                   help="database(s) to run on (repeatable; default both)")
    p.add_argument("--pg-url", default=os.environ.get(
        "WITNESS_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="admin URL (user postgres); a unique database is created and dropped")
    p.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    p.add_argument("--batch", type=int, default=500, help="events per batch request")
    p.add_argument("--batch-events", type=int, default=20_000, help="events posted in batches")
    p.add_argument("--batch-clients", type=int, default=4, help="concurrent batch clients")
    p.add_argument("--single-requests", type=int, default=10_000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--proof-size", type=int, default=1_000_000,
                   help="fill the log to this many events for the proof test (0: skip)")
    p.add_argument("--proof-requests", type=int, default=20_000)
    p.add_argument("--quick", action="store_true",
                   help="100k-event proof log, fewer requests")
    p.add_argument("--no-access-log", action="store_true",
                   help="run the service without its access log (default: as deployed, on)")
    p.add_argument("--no-rules", action="store_true",
                   help="without the rule follower thread (default: as deployed, on)")
    p.add_argument("--timeout", type=float, default=120.0, help="max seconds per load run")
    p.add_argument("--workdir", type=Path, default=None, help="scratch dir (default: a temp dir)")
    p.add_argument("--out", type=Path, default=ROOT / "bench-results")
    args = p.parse_args(argv)
    if args.quick:
        args.proof_size = min(args.proof_size, 100_000)
        args.batch_events = min(args.batch_events, 10_000)
        args.single_requests = min(args.single_requests, 5_000)
        args.proof_requests = min(args.proof_requests, 10_000)
    dbs = args.db or ["sqlite", "postgres"]
    command = shlex.join([sys.executable, *sys.argv[:1],
                          *(argv if argv is not None else sys.argv[1:])])
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-api-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"$ {command}\n  scratch: {work}", flush=True)
    results = []
    for kind in dbs:
        if kind == "postgres":
            with pg_database(args.pg_url) as url:
                results.append(bench_db(kind, url, args, work))
        else:
            results.append(bench_db(kind, None, args, work))
    text = table(results)
    print("\n" + text)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"bench-api-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"command": command, "cpus": os.cpu_count(),
                                "load_avg_at_end": os.getloadavg(), "results": results},
                               indent=2) + "\n")
    print(f"\nwrote {path}\nreproduce with:\n  {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
