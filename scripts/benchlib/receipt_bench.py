"""Receipts verified offline, a part of the verifier's benchmark (``verify_bench``).

Each receipt is a file of its own, as a bidder keeps it, read + parsed + verified in one
process: v2 receipts (one promise per batch of 1,000, its signature checked once per batch)
and, in the same run, v1 receipts of the same events (one promise each, as a log made them
before receipt v2), beside Ed25519 verify alone (the floor). v1 and v2 alternate for
``RECEIPT_ROUNDS`` rounds and each keeps its fastest; CPU time is recorded beside wall time,
being the steadier of the two on a shared machine. A third contender takes its turn in each
round: the code as it was when the receipt target was set (``receipt_baseline``), on a log
of the same workload that it built itself.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib.receipt_baseline import open_baseline

RECEIPTS = 1000
RECEIPT_ROUNDS = 3


def _f(x: float | None, digits: int = 0) -> str:
    return "–" if x is None else f"{x:,.{digits}f}"


def _ed25519_floor(samples: int) -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    msg = b"witness.ggzy.example/log\n123456\n" + b"A" * 44 + b"\n"
    sig, pub = key.sign(msg), key.public_key()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(samples):
        pub.verify(sig, msg)
    cpu = time.process_time() - c0
    per_s = samples / (time.perf_counter() - t0)
    return {"verifies_per_s": per_s, "receipt_floor_per_s": per_s / 2,
            "cpu_verifies_per_s": samples / cpu if cpu else 0.0}


def _as_v1(receipt: Any, log: Any) -> Any:
    """The same event's receipt as a log before receipt v2 issued it: its own promise."""
    from ledger.core.canonical import decode_envelope
    from ledger.core.receipt import Promise, Receipt, sign_promise

    received_at = decode_envelope(receipt.canonical_event)["received_at"]
    promise = Promise(log.origin, receipt.index, receipt.leaf_hash, received_at,
                      log.mmd_seconds)
    return Receipt(receipt.origin, receipt.index, receipt.leaf_hash, receipt.canonical_event,
                   sign_promise(log.signer, promise), receipt.anchored)


def _verify_files(paths: list[Path], policy: Any) -> dict[str, Any]:
    """Each file read, parsed and verified, as ``witness-verify receipt`` does, in one
    process (the signature caches start empty); then the same receipts verified only."""
    from ledger.core import receipt as core_receipt
    from verifier import check_receipt

    clear = core_receipt.clear_caches
    clear()
    t0, c0 = time.perf_counter(), time.process_time()
    parsed = [core_receipt.Receipt.loads(p.read_bytes()) for p in paths]
    outcomes = [check_receipt(r, policy).outcome for r in parsed]
    with_parse, cpu = time.perf_counter() - t0, time.process_time() - c0
    clear()
    t0 = time.perf_counter()
    for r in parsed:
        check_receipt(r, policy)
    seconds = time.perf_counter() - t0
    # CPU time beside wall time: on a shared machine it is the steadier of the two
    return {"per_s": len(paths) / seconds, "per_s_with_parse": len(paths) / with_parse,
            "cpu_per_s_with_parse": len(paths) / cpu if cpu else 0.0,
            "outcomes": {o: outcomes.count(o) for o in set(outcomes)}}


def receipts_offline(home: Path, n: int, samples: int = RECEIPTS) -> dict[str, Any]:
    from ledger.core.batch import BatchPromise
    from ledger.core.note import split_note
    from ledger.home import open_log
    from ledger.settings import Settings
    from verifier.policy import build

    log = open_log(Settings(home=home))
    try:
        rng = random.Random(7)
        covered = log.latest_checkpoint()
        top = covered.size if covered else n
        v2 = [log.receipt(i) for i in sorted(rng.sample(range(top), min(samples, top)))]
        v1 = [_as_v1(r, log) for r in v2]
        policy = build(key=log.signer.verifier.vkey(), origin=log.origin)
    finally:
        log.db.dispose()
    batches = {BatchPromise.parse(split_note(r.promise_note)[0]).first for r in v2}
    with tempfile.TemporaryDirectory(prefix="witness-receipts-") as tmp:
        files = {}
        for name, receipts in (("v1", v1), ("v2", v2)):
            files[name] = [Path(tmp) / f"{name}-{r.index}.json" for r in receipts]
            for path, r in zip(files[name], receipts, strict=True):
                path.write_text(r.dumps(), encoding="utf-8")
        runs, baseline_note = _alternate(files, policy, n, len(v2))
    return {"samples": len(v2), "log_size": n, "batches": len(batches),
            "v1": runs["v1"], "v2": runs["v2"],
            "per_s": runs["v2"]["per_s"], "per_s_with_parse": runs["v2"]["per_s_with_parse"],
            "v2_over_v1": runs["v2"]["per_s_with_parse"] / runs["v1"]["per_s_with_parse"],
            "v2_over_v1_cpu": (runs["v2"]["cpu_per_s_with_parse"]
                               / runs["v1"]["cpu_per_s_with_parse"]),
            "outcomes": runs["v2"]["outcomes"], "floor": _ed25519_floor(samples * 4),
            "baseline": runs.get("baseline"), "baseline_note": baseline_note,
            **_over_baseline(runs)}


def _alternate(files: dict[str, list[Path]], policy: Any, n: int, samples: int
               ) -> tuple[dict[str, dict[str, Any]], str]:
    """``RECEIPT_ROUNDS`` rounds of the baseline, v1 and v2 in turn; each one's fastest."""
    baseline, note = open_baseline(n, samples)
    rounds: dict[str, list[dict[str, Any]]] = {"v1": [], "v2": [], "baseline": []}
    try:
        for _ in range(RECEIPT_ROUNDS):
            if baseline is not None:
                rounds["baseline"].append(baseline.round())
            for name in ("v1", "v2"):
                rounds[name].append(_verify_files(files[name], policy))
    finally:
        if baseline is not None:
            baseline.close()
    return {name: max(rs, key=lambda r: r["cpu_per_s_with_parse"])
            for name, rs in rounds.items() if rs}, note


def _over_baseline(runs: dict[str, dict[str, Any]]) -> dict[str, float]:
    """v2 ÷ the baseline (the code when the target was set), wall and CPU, if it ran."""
    old = runs.get("baseline")
    if old is None:
        return {}
    return {"v2_over_baseline": runs["v2"]["per_s_with_parse"] / old["per_s_with_parse"],
            "v2_over_baseline_cpu": (runs["v2"]["cpu_per_s_with_parse"]
                                     / old["cpu_per_s_with_parse"]),
            "v2_over_baseline_verify": runs["v2"]["per_s"] / old["per_s"]}


def receipt_rows(rc: dict[str, Any] | None) -> list[str]:
    """The receipts table: header and offline rows (``verify_bench.markdown`` adds the
    chain's row)."""
    lines = ["| receipts | per s (files: read + parse + verify) | per CPU s | verify only "
             "per s | floor: Ed25519 verifies/s (per CPU s) | chain median ms | chain p99 ms |",
             "|---|---|---|---|---|---|---|"]
    if rc is None:
        return lines
    fl = rc["floor"]
    for name in ("v1", "v2"):
        run = rc[name]
        lines.append(f"| offline {name}, {rc['samples']:,} of a {rc['log_size']:,} log "
                     f"({rc['batches']} batches) | {_f(run['per_s_with_parse'])} | "
                     f"{_f(run['cpu_per_s_with_parse'])} | {_f(run['per_s'])} | "
                     f"{_f(fl['verifies_per_s'])} ({_f(fl['cpu_verifies_per_s'])}) | – | – |")
    old = rc.get("baseline")
    if old is not None:
        lines.append(f"| offline, the code when the target was set ({rc['baseline_note']}; "
                     f"its own log and receipts) | {_f(old['per_s_with_parse'])} | "
                     f"{_f(old['cpu_per_s_with_parse'])} | {_f(old.get('per_s'))} | | – | – |")
    lines.append(f"| v2 ÷ v1 | {_f(rc['v2_over_v1'], 2)}× | {_f(rc['v2_over_v1_cpu'], 2)}× "
                 f"| {_f(rc['v2']['per_s'] / rc['v1']['per_s'], 2)}× | | | |")
    if old is not None:
        lines.append(f"| v2 ÷ then | {_f(rc['v2_over_baseline'], 2)}× | "
                     f"{_f(rc['v2_over_baseline_cpu'], 2)}× | "
                     f"{_f(rc.get('v2_over_baseline_verify'), 2)}× | | | |")
    elif rc.get("baseline_note"):
        lines.append(f"| then | {rc['baseline_note']} | | | | | |")
    return lines
