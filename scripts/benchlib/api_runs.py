"""The measured runs of ``scripts/bench_api.py``: the floor, ingestion, proofs.

Each run sends a prepared list of requests through ``benchlib.api_client``; the floor gets
the same bodies (the same events, the same batch sizes) and the same concurrency as the
service runs it stands under.
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from pathlib import Path
from typing import Any

from benchlib.api_client import Request, run_load
from benchlib.api_service import Server, make_events, serve, serve_floor, witness


def measure(server: Server, token: str, requests: list[Request], concurrency: int,
            expect: tuple[int, ...], timeout: float) -> dict[str, Any]:
    """A load run, with the CPU time the server's processes spent on it."""
    before = server.cpu_seconds()
    out = run_load(server.port, token, requests, concurrency, expect, timeout)
    cpu = server.cpu_seconds() - before
    out["server_cpu_s"] = round(cpu, 2)
    out["cpu_ms_per_req"] = round(1000 * cpu / max(out["requests"], 1), 3)
    if out["events_created"]:
        out["cpu_ms_per_event"] = round(1000 * cpu / out["events_created"], 4)
    return out


def _bodies(run: str, n: int) -> list[bytes]:
    return [json.dumps(e, ensure_ascii=False).encode() for e in make_events(run, 0, n)]


def _batches(run: str, n_batches: int, size: int) -> list[bytes]:
    return [json.dumps({"events": make_events(run, i * size, size)},
                       ensure_ascii=False).encode() for i in range(n_batches)]


def _proof_paths(prefix: str, size: int, n: int) -> list[Request]:
    rng = random.Random(7)
    return [("GET", f"{prefix}?index={rng.randrange(size)}&size={size}", None)
            for _ in range(n)]


def floor(args: argparse.Namespace, work: Path, proof_size: int) -> dict[str, Any]:
    """The bare app: GET (proof-like answer), POST (one event), POST (a batch)."""
    run = uuid.uuid4().hex[:8]
    out: dict[str, Any] = {}
    with serve_floor(args.workers, work / "floor.log") as server:
        warm: list[Request] = [("POST", "/floor/events", b) for b in _bodies(run + "w", 200)]
        run_load(server.port, "", warm, 8, (201,), 60)
        gets = _proof_paths("/floor/proof", max(proof_size, 1), args.proof_requests)
        out["get"] = measure(server, "", gets, args.concurrency, (200,), args.timeout)
        posts: list[Request] = [("POST", "/floor/events", b)
                                for b in _bodies(run, args.single_requests)]
        out["post"] = measure(server, "", posts, args.concurrency, (201,), args.timeout)
        batches: list[Request] = [("POST", "/floor/events/batch", b)
                                  for b in _batches(run, _n_batches(args), args.batch)]
        out["batch"] = measure(server, "", batches, args.batch_clients, (200,), args.timeout)
    print(f"  floor: GET {out['get']['req_per_s']} req/s, POST {out['post']['req_per_s']} "
          f"req/s, batch {out['batch']['events_per_s']} events/s", flush=True)
    return out


def _n_batches(args: argparse.Namespace) -> int:
    return max(1, int(args.batch_events) // int(args.batch))


def _token(env: dict[str, str], role: str) -> str:
    return str(json.loads(witness(env, "token", "create", "--role", role, "--json"))["token"])


def ingestion(kind: str, env: dict[str, str], args: argparse.Namespace, work: Path
              ) -> dict[str, Any]:
    """Batches then single events on a fresh log (warm-up first, not measured)."""
    witness(env, "init")
    token = _token(env, "ingest")
    run = uuid.uuid4().hex[:8]
    out: dict[str, Any] = {}
    with serve(env, args.workers, work / f"serve-{kind}.log") as server:
        warm: list[Request] = [("POST", "/v1/events", b) for b in _bodies(run + "w", 200)]
        run_load(server.port, token, warm, 8, (201,), 60)
        batches: list[Request] = [("POST", "/v1/events/batch", b)
                                  for b in _batches(run + "b", _n_batches(args), args.batch)]
        out["batch"] = measure(server, token, batches, args.batch_clients, (200,), args.timeout)
        out["batch"]["batch_size"] = args.batch
        print(f"  [{kind}] batch: {out['batch']}", flush=True)
        singles: list[Request] = [("POST", "/v1/events", b)
                                  for b in _bodies(run + "s", args.single_requests)]
        out["single"] = measure(server, token, singles, args.concurrency, (201,), args.timeout)
        print(f"  [{kind}] single: {out['single']}", flush=True)
    return out


def proofs(kind: str, env: dict[str, str], size: int, args: argparse.Namespace, work: Path
           ) -> dict[str, Any]:
    """Inclusion proofs at random indexes of the large log, at its full size."""
    # An ingest token reads proofs of the events it posted only, and the fill posted none:
    # an admin token asks (the auditors' path: no ownership lookup).
    token = _token(env, "admin")
    # The rule follower would spend the run catching up with the filled log from its first
    # event (its cursor starts at 0 in a log filled through the library): off here.
    env = {**env, "WITNESS_API_RULES": "0"}
    paths = _proof_paths("/v1/proofs/inclusion", size, args.proof_requests)
    with serve(env, args.workers, work / f"serve-proof-{kind}.log") as server:
        run_load(server.port, token, paths[:200], 8, (200,), 60)
        out = measure(server, token, paths, args.concurrency, (200,), args.timeout)
    out["log_size"] = size
    print(f"  [{kind}] proof: {out}", flush=True)
    return out
