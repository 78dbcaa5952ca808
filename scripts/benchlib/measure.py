"""Measurements on a stored log: checkpoint from scratch vs the hashlib floor, the stored
checkpoint, and proof latencies (inclusion, consistency) with their verification.
"""

from __future__ import annotations

import hashlib
import random
import statistics
import time
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from ledger.core import tree
from ledger.core.hashing import leaf_hash
from ledger.core.verify import verify_consistency, verify_inclusion
from ledger.log import WitnessLog
from ledger.store.schema import events

CHUNK = 20_000


def summarize(seconds: list[float]) -> dict[str, float]:
    """Median, p99 and mean of latencies, in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    return {"median_ms": statistics.median(ms), "p99_ms": p99,
            "mean_ms": statistics.fmean(ms), "samples": len(ms)}


def read_canonical(log: WitnessLog, lo: int, hi: int) -> Iterator[list[bytes]]:
    """Canonical event bytes of indexes [lo, hi), in chunks, in index order; a sealed row
    is opened with the log's seal key first (the leaf commits to the envelope, not to the
    stored ciphertext)."""
    for start in range(lo, hi, CHUNK):
        with log.db.read() as conn:
            rows = conn.execute(
                select(events.c.project_id, events.c.canonical, events.c.leaf_hash)
                .where(events.c.idx >= start, events.c.idx < min(hi, start + CHUNK))
                .order_by(events.c.idx)
            ).all()
            chunk = [log.open_stored(conn, pid, bytes(data), bytes(leaf))
                     for pid, data, leaf in rows]
        yield chunk


def read_leaves(log: WitnessLog, indexes: list[int]) -> dict[int, bytes]:
    with log.db.read() as conn:
        rows = conn.execute(
            select(events.c.idx, events.c.leaf_hash).where(events.c.idx.in_(set(indexes)))
        ).all()
    return {int(i): bytes(h) for i, h in rows}


def checkpoint_from_scratch(log: WitnessLog, n: int) -> dict[str, Any]:
    """Root of the n-leaf log from its entries in memory vs n + (n−1) raw sha256 calls."""
    sha = hashlib.sha256
    leaves: list[bytes] = []
    t_leaf = t_floor = 0.0
    for chunk in read_canonical(log, 0, n):  # reading is not timed
        t0 = time.perf_counter()
        hashed = [leaf_hash(d) for d in chunk]
        t1 = time.perf_counter()
        for d in chunk:
            sha(d).digest()
        t_floor += time.perf_counter() - t1
        t_leaf += t1 - t0
        leaves.extend(hashed)
    t0 = time.perf_counter()
    root = tree.root_of_leaf_hashes(leaves)  # level by level, the RFC 9162 tree
    t1 = time.perf_counter()
    node_input = b"\x01" + bytes(64)
    for _ in range(n - 1):
        sha(node_input).digest()
    t_floor += time.perf_counter() - t1
    ours = t_leaf + (t1 - t0)
    return {"n": n, "tree_s": ours, "leaf_hashing_s": t_leaf, "node_hashing_s": t1 - t0,
            "hashlib_floor_s": t_floor, "ratio_to_floor": ours / t_floor if t_floor else None,
            "root_matches_stored": root == log.tree_hash(n)}


def stored_checkpoint(log: WitnessLog, repeats: int = 100) -> dict[str, Any]:
    """``log.checkpoint()`` once (read O(log n) hashes, sign, insert) + ``tree_hash`` median."""
    t0 = time.perf_counter()
    record = log.checkpoint()
    once = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        log.tree_hash(record.size)
        times.append(time.perf_counter() - t0)
    return {"size": record.size, "checkpoint_ms": once * 1000,
            "tree_hash": summarize(times), "root": record.root.hex()}


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def inclusion_latency(log: WitnessLog, n: int, samples: int, seed: int) -> dict[str, Any]:
    """Inclusion proofs of random indexes in the n-leaf log, and their verification."""
    rng = random.Random(seed)
    idxs = [rng.randrange(n) for _ in range(samples)]
    leaves = read_leaves(log, idxs)
    root = log.tree_hash(n)
    prove, check = [], []
    for i in idxs:
        proof, dt = _timed(log.inclusion_proof, i, n)
        prove.append(dt)
        _, dt = _timed(verify_inclusion, i, n, leaves[i], proof, root)
        check.append(dt)
    return {"prove": summarize(prove), "verify": summarize(check)}


def consistency_latency(log: WitnessLog, n: int, samples: int, seed: int) -> dict[str, Any]:
    """Consistency proofs from random sizes m < n to n, and their verification."""
    if n < 2:
        return {}
    rng = random.Random(seed + 1)
    sizes = [rng.randrange(1, n) for _ in range(samples)]
    root = log.tree_hash(n)
    roots = {m: log.tree_hash(m) for m in set(sizes)}  # not timed
    prove, check = [], []
    for m in sizes:
        proof, dt = _timed(log.consistency_proof, m, n)
        prove.append(dt)
        _, dt = _timed(verify_consistency, m, n, roots[m], root, proof)
        check.append(dt)
    return {"prove": summarize(prove), "verify": summarize(check)}
