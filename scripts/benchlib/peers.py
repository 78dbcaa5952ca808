"""Peer Merkle libraries on the same entries: pymerkle (InmemoryTree, SqliteTree) and
merkletools, against our tree in memory (``append_leaf_hashes`` + stored-index proofs) and
through the stored log.

pymerkle 7 with its default ``security=True`` hashes leaves and nodes with the RFC 9162
prefixes, so its root over the same entries must equal ours (checked). merkletools is NOT
RFC 9162 (odd-node promotion, no domain separation): a speed peer only.
"""

from __future__ import annotations

import hashlib
import random
import time
import warnings
from pathlib import Path
from typing import Any

from benchlib.measure import summarize
from ledger.core import tree
from ledger.core.hashing import leaf_hash
from ledger.log import WitnessLog

MERKLETOOLS_NOTE = "not RFC 9162: odd-node promotion, no domain separation (speed peer only)"


def _sample(n: int, samples: int, seed: int) -> list[int]:
    rng = random.Random(seed + 7)
    return [rng.randrange(n) for _ in range(samples)]


def _latencies(fn: Any, idxs: list[int]) -> dict[str, float]:
    times = []
    for i in idxs:
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return summarize(times)


def ours(entries: list[bytes], log: WitnessLog, idxs: list[int]) -> dict[str, Any]:
    """Our tree built in memory (leaf + node hashes) and proofs from it and from the store."""
    n = len(entries)
    t0 = time.perf_counter()
    rows, frontier = tree.append_leaf_hashes(tree.EMPTY_FRONTIER, [leaf_hash(e) for e in entries])
    build = time.perf_counter() - t0

    def prove_memory(i: int) -> list[bytes]:
        plan = tree.inclusion_plan(i, n)
        return tree.compute_ranges(plan, [rows[j][1] for j in plan.indexes])

    return {"build_s": build, "root": frontier.root,
            "proof_memory": _latencies(prove_memory, idxs),
            "proof_stored": _latencies(lambda i: log.inclusion_proof(i, n), idxs)}


def pymerkle_inmemory(entries: list[bytes], idxs: list[int]) -> dict[str, Any]:
    from pymerkle import InmemoryTree

    t0 = time.perf_counter()
    mt = InmemoryTree(algorithm="sha256")
    for e in entries:
        mt.append_entry(e)
    build = time.perf_counter() - t0
    n = len(entries)
    return {"build_s": build, "root": mt.get_root(),
            "proof": _latencies(lambda i: mt.prove_inclusion(i + 1, n), idxs)}


def pymerkle_sqlite(entries: list[bytes], idxs: list[int], path: Path) -> dict[str, Any]:
    from pymerkle import SqliteTree

    path.unlink(missing_ok=True)
    t0 = time.perf_counter()
    mt = SqliteTree(str(path), algorithm="sha256")
    mt.append_entries(entries)
    build = time.perf_counter() - t0
    n = len(entries)
    try:
        return {"build_s": build, "proof": _latencies(lambda i: mt.prove_inclusion(i + 1, n), idxs)}
    finally:
        mt.close()
        path.unlink(missing_ok=True)


def merkletools_peer(entries: list[bytes], idxs: list[int]) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import merkletools
    t0 = time.perf_counter()
    mt = merkletools.MerkleTools(hash_type="sha256")
    mt.add_leaf([hashlib.sha256(e).hexdigest() for e in entries])
    mt.make_tree()
    build = time.perf_counter() - t0
    return {"build_s": build, "proof": _latencies(mt.get_proof, idxs), "note": MERKLETOOLS_NOTE}


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def run_peers(entries: list[bytes], log: WitnessLog, opts: dict[str, Any]) -> dict[str, Any]:
    """All peers on ``entries``; ratios are ours / peer (below 1: ours is faster)."""
    n = len(entries)
    idxs = _sample(n, opts["samples"], opts["seed"])
    sql_idxs = idxs[: opts["sqlite_samples"]]
    me = ours(entries, log, idxs)
    inmem = pymerkle_inmemory(entries, idxs)
    sqlite = pymerkle_sqlite(entries, sql_idxs, opts["workdir"] / "pymerkle.db")
    mtools = merkletools_peer(entries, idxs)
    ours_sql = _latencies(lambda i: log.inclusion_proof(i, n), sql_idxs)
    ratios = {
        "build_vs_pymerkle_inmemory": _ratio(me["build_s"], inmem["build_s"]),
        "build_vs_pymerkle_sqlite": _ratio(me["build_s"], sqlite["build_s"]),
        "build_vs_merkletools": _ratio(me["build_s"], mtools["build_s"]),
        "proof_memory_vs_pymerkle_inmemory": _ratio(
            me["proof_memory"]["median_ms"], inmem["proof"]["median_ms"]),
        "proof_stored_vs_pymerkle_sqlite": _ratio(
            ours_sql["median_ms"], sqlite["proof"]["median_ms"]),
        "proof_memory_vs_merkletools": _ratio(
            me["proof_memory"]["median_ms"], mtools["proof"]["median_ms"]),
    }
    root_ok = inmem.pop("root") == me["root"]
    me["root"] = me["root"].hex()
    return {"n_used": n, "ours": me, "pymerkle_inmemory": inmem, "pymerkle_sqlite": sqlite,
            "merkletools": mtools, "ratios": ratios, "pymerkle_root_matches_ours": root_ok,
            "ours_stored_on_sqlite_sample": ours_sql}
