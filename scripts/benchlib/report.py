"""Markdown tables of the benchmark results (the JSON file holds every figure)."""

from __future__ import annotations

from typing import Any


def _f(x: float | None, digits: int = 2) -> str:
    if x is None:
        return "–"
    return f"{x:,.{digits}f}"


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def append_table(runs: list[dict[str, Any]]) -> str:
    """Append rate with and without validation, beside the floor of the same process
    (``json.dumps`` sorted + one SHA-256 per event) and the load average at the time."""
    rows = []
    for r in runs:
        a = r["append"]
        rows.append([r["db"], f"{r['n']:,}", _f(a["events_per_s"], 0),
                     _f(a.get("events_per_s_unvalidated"), 0), _f(a.get("x_floor"), 1) + "×",
                     _f(a["seconds"]), _f(a["validate_s"]), _f(a["append_s"]),
                     _f(a["peak_rss_mb"], 1), _f(a["bytes_per_event"], 0),
                     _f(a.get("load_average"))])
    return _table(["db", "events", "events/s", "without validation", "÷ floor", "total s",
                   "validate s", "append s", "peak RSS MB", "bytes/event", "load"], rows)


def checkpoint_table(scratch: list[dict[str, Any]], runs: list[dict[str, Any]]) -> str:
    stored = {(r["n"], r["db"]): r["checkpoint"] for r in runs}
    rows = []
    for c in scratch:
        sc = [f"{db}: {_f(cp['checkpoint_ms'])} / {_f(cp['tree_hash']['median_ms'], 3)}"
              for (n, db), cp in stored.items() if n == c["n"]]
        rows.append([f"{c['n']:,}", _f(c["tree_s"], 3), _f(c["hashlib_floor_s"], 3),
                     _f(c["ratio_to_floor"]), "yes" if c["root_matches_stored"] else "NO",
                     "; ".join(sc)])
    return _table(["leaves", "full tree s", "hashlib floor s", "ratio", "root = stored",
                   "log.checkpoint() ms / tree_hash median ms"], rows)


def proof_table(runs: list[dict[str, Any]]) -> str:
    rows = []
    for r in runs:
        inc, con = r["inclusion"], r["consistency"]
        rows.append([r["db"], f"{r['n']:,}", _f(inc["prove"]["median_ms"], 3),
                     _f(inc["prove"]["p99_ms"], 3), _f(con["prove"]["median_ms"], 3),
                     _f(con["prove"]["p99_ms"], 3), _f(inc["verify"]["median_ms"] * 1000, 1),
                     _f(con["verify"]["median_ms"] * 1000, 1), str(inc["prove"]["samples"])])
    return _table(["db", "size", "inclusion median ms", "inclusion p99 ms",
                   "consistency median ms", "consistency p99 ms", "verify incl µs",
                   "verify cons µs", "samples"], rows)


def peer_table(peers: list[dict[str, Any]]) -> str:
    rows = []
    for p in peers:
        n, ra, o = f"{p['n_used']:,}", p["ratios"], p["ours"]
        rows += [
            [n, "ours (memory / stored)", _f(o["build_s"], 3),
             f"{_f(o['proof_memory']['median_ms'], 4)} / {_f(o['proof_stored']['median_ms'], 3)}",
             "1", "1"],
            [n, "pymerkle InmemoryTree", _f(p["pymerkle_inmemory"]["build_s"], 3),
             _f(p["pymerkle_inmemory"]["proof"]["median_ms"], 4),
             _f(ra["build_vs_pymerkle_inmemory"], 3),
             _f(ra["proof_memory_vs_pymerkle_inmemory"], 3)],
            [n, "pymerkle SqliteTree", _f(p["pymerkle_sqlite"]["build_s"], 3),
             _f(p["pymerkle_sqlite"]["proof"]["median_ms"], 3),
             _f(ra["build_vs_pymerkle_sqlite"], 3), _f(ra["proof_stored_vs_pymerkle_sqlite"], 3)],
            [n, "merkletools (not RFC 9162)", _f(p["merkletools"]["build_s"], 3),
             _f(p["merkletools"]["proof"]["median_ms"], 4), _f(ra["build_vs_merkletools"], 3),
             _f(ra["proof_memory_vs_merkletools"], 3)],
        ]
    return _table(["leaves", "implementation", "build s", "proof median ms",
                   "build ours/peer", "proof ours/peer"], rows)


def markdown(results: dict[str, Any]) -> str:
    """The whole report: machine, what was run, then one table per measurement."""
    m = results["meta"]
    parts = [
        "# Witness log benchmark",
        f"{m['date']} · Python {m['python']} · {m['cpu_count']} CPUs · {m['platform']}",
        f"Command: `{m['command']}`",
        f"Append pipeline: {m['validation']}; batches of {m['batch']}; "
        f"{m['projects']} projects; collector {m.get('collector', 'CPython defaults')}.",
        "## Append (WitnessLog.append: one transaction and one signed promise per batch)",
        append_table(results["runs"]),
        "## Checkpoint: full tree from scratch vs hashlib floor; stored checkpoint",
        checkpoint_table(results["checkpoint_scratch"], results["runs"]),
        "## Proofs through the stored log (+ verification with ledger.core.verify)",
        proof_table(results["runs"]),
    ]
    if results["peers"]:
        parts += ["## Peers on the same entries (ratios ours/peer: < 1 means ours is faster)",
                  peer_table(results["peers"])]
    parts += [f"- {s}" for s in results["notes"]]
    return "\n\n".join(parts) + "\n"
