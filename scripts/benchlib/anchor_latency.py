"""Anchoring latency through the real library: ``Anchorer.anchor_once`` and ``follow``.

A fresh witness home is initialised and bound to the chain (``bind_chain`` deploys the
registry and registers the log), events are appended through ``WitnessLog.append``, and:
- ``anchor_latency``: each ``anchor_once`` (reconcile, seal the checkpoint, consistency proof,
  simulate + estimate + sign, record the intent, send, wait for the receipt and the configured
  confirmations, record the anchor) is timed as a whole and per phase;
- ``follow_latency``: ``Anchorer.follow(interval, …)`` runs in a thread while events are
  appended one by one at a steady rate; a poller records when each anchor row appears (that
  is when ``log.receipt(i).anchored.anchor`` stops being None for every ``i`` below its size),
  so each event's latency is "append returned" → "first anchor covering it recorded".
The Hardhat node is started from ``hardhat-node/`` on a free loopback port when asked.
"""

from __future__ import annotations

import bisect
import itertools
import os
import random
import shutil
import signal
import statistics
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select

from benchlib.measure import summarize
from benchlib.workload import find_validator, make_event
from chain_access import ChainBackend
from chain_access.rpc import KEY_ENV
from ledger.anchoring import Anchorer, bind_chain, open_bound_chain
from ledger.anchoring.binding import anchorer_account
from ledger.anchoring.signer import load_checkpoint_key
from ledger.home import init_home, open_log
from ledger.log import Appended, WitnessLog
from ledger.settings import Settings
from ledger.store.schema import anchors

HARDHAT_DIR = Path(__file__).resolve().parents[2] / "hardhat-node"
# Hardhat's first well-known development account: public, test-only, never for real funds.
HARDHAT_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
PROJECTS = 50


# -- the Hardhat node -----------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    from web3 import Web3

    try:
        return Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 2})).eth.chain_id > 0
    except Exception:
        return False


def hardhat_unavailable() -> str | None:
    """Why a Hardhat node cannot be started here, or None."""
    if shutil.which("npx") is None:
        return "npx (Node.js) is not on PATH"
    if not (HARDHAT_DIR / "node_modules" / "hardhat").is_dir():
        return f"{HARDHAT_DIR}/node_modules is missing (run `make node`)"
    return None


@contextmanager
def hardhat_node(workdir: Path, timeout: float = 60.0) -> Iterator[str]:
    """``npx hardhat node`` on a free loopback port, in its own process group."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true", "NO_UPDATE_NOTIFIER": "1"}
    with (workdir / "hardhat-node.log").open("wb") as out:
        proc = subprocess.Popen(
            ["npx", "--no-install", "hardhat", "node", "--hostname", "127.0.0.1", "--port",
             str(port)], cwd=HARDHAT_DIR, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            while not _answers(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Hardhat node did not start (see {out.name})")
                time.sleep(0.25)
            yield url
        finally:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if proc.poll() is not None:
                    break
                try:
                    os.killpg(proc.pid, sig)  # the group of the node this function started
                    proc.wait(timeout=10)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    continue


@contextmanager
def chain_key_env(spec: str) -> Iterator[None]:
    """For a JSON-RPC chain: the Hardhat dev key in ``$WITNESS_CHAIN_PRIVATE_KEY`` (restored
    afterwards) and no ``$WITNESS_REGISTRY`` (always deploy a fresh registry)."""
    if spec.startswith("embedded"):
        yield
        return
    saved = {k: os.environ.get(k) for k in (KEY_ENV, "WITNESS_REGISTRY")}
    os.environ[KEY_ENV] = HARDHAT_DEV_KEY
    os.environ.pop("WITNESS_REGISTRY", None)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


# -- a bound home ---------------------------------------------------------------------


class Events:
    """The benchmark workload, validated through the event catalogue when it works here."""

    def __init__(self) -> None:
        self.validate, self.note = find_validator()
        self.next = 0

    def take(self, count: int) -> list[dict[str, Any]]:
        raw = [make_event(i, PROJECTS) for i in range(self.next, self.next + count)]
        self.next += count
        return [self.validate(e) for e in raw] if self.validate else raw


@contextmanager
def bound_home(root: Path, name: str, spec: str, interval: float = 5.0
               ) -> Iterator[tuple[Settings, Anchorer, ChainBackend]]:
    """A fresh home bound to ``spec``; yields its settings, an anchorer and the chain."""
    home = root / name
    settings = Settings(home=home, db_url=None, origin=f"bench.anchor/{name}-{os.getpid()}",
                        chain=spec, checkpoint_interval=interval, confirmations=0)
    with chain_key_env(spec):
        init_home(settings)
        log = open_log(settings)
        bind_chain(settings, log)
        chain, binding = open_bound_chain(settings, log)
        anchorer = Anchorer(log, chain, binding, anchorer_account(settings, create=False),
                            checkpoint_key=load_checkpoint_key(settings.home))
        try:
            yield settings, anchorer, chain
        finally:
            chain.close()
            log.db.dispose()
            shutil.rmtree(home, ignore_errors=True)


class Phases:
    """Time spent in named methods of objects, by wrapping them on the instance."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, obj: Any, method: str, phase: str) -> None:
        fn: Callable[..., Any] = getattr(obj, method)

        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - t0

        setattr(obj, method, timed)


def anchor_latency(root: Path, name: str, spec: str, samples: int, per_anchor: int,
                   initial: int) -> dict[str, Any]:
    """``samples`` × (append ``per_anchor`` events untimed, then time one ``anchor_once``)."""
    events = Events()
    with bound_home(root, f"latency-{name}", spec) as (_, anchorer, chain):
        log = anchorer.log
        log.append(events.take(initial))
        anchorer.anchor_once()  # the first checkpoint (no proof), not counted
        phases = Phases()
        phases.wrap(log, "checkpoint", "seal")
        phases.wrap(log, "tree_hash", "prove")
        phases.wrap(log, "consistency_proof", "prove")
        phases.wrap(chain, "prepare_transact", "simulate_estimate_sign")
        phases.wrap(chain, "send_prepared", "send_confirm")
        totals, gases, per_phase = [], [], defaultdict(list)
        for _ in range(samples):
            log.append(events.take(per_anchor))
            phases.seconds.clear()
            t0 = time.perf_counter()
            outcome = anchorer.anchor_once()
            total = time.perf_counter() - t0
            if outcome.action != "anchored":
                raise RuntimeError(f"anchor_once did not anchor: {outcome}")
            totals.append(total)
            gases.append(outcome.gas_used or 0)
            for phase, s in phases.seconds.items():
                per_phase[phase].append(s)
            per_phase["other"].append(total - sum(phases.seconds.values()))
        return {"chain": name, "spec": chain.description, "chain_id": chain.chain_id(),
                "samples": samples, "events_per_anchor": per_anchor,
                "final_log_size": log.size(), "latency": summarize(totals),
                "phases_median_ms": {p: statistics.median(v) * 1000
                                     for p, v in per_phase.items()},
                "gas_median": statistics.median(gases), "validation": events.note}


def _poll_anchors(log: WitnessLog, seen: list[tuple[int, float]], stop: threading.Event,
                  period: float) -> None:
    last = -1
    while not stop.is_set():
        with log.db.read() as conn:
            sizes = conn.execute(select(anchors.c.checkpoint_size)
                                 .where(anchors.c.checkpoint_size > last)
                                 .order_by(anchors.c.checkpoint_size)).scalars().all()
        now = time.perf_counter()
        for s in sizes:
            seen.append((int(s), now))
            last = int(s)
        stop.wait(period)


def follow_latency(root: Path, name: str, spec: str, interval: float, duration: float,
                   rate: float, poll: float = 0.01) -> dict[str, Any]:
    """Event accepted → anchored proof available, with the real ``Anchorer.follow``."""
    events = Events()
    with bound_home(root, f"follow-{name}-{interval:g}", spec, interval) as (
            settings, anchorer, _):
        appender, watcher = open_log(settings), open_log(settings)
        seen: list[tuple[int, float]] = []
        stop, stop_poll = threading.Event(), threading.Event()
        failure: list[BaseException] = []

        def run_follow() -> None:
            try:
                anchorer.follow(interval, settings.checkpoint_max_events, stop)
            except BaseException as exc:
                failure.append(exc)

        threads = [threading.Thread(target=run_follow, daemon=True),
                   threading.Thread(target=_poll_anchors, args=(watcher, seen, stop_poll, poll),
                                    daemon=True)]
        for t in threads:
            t.start()
        appended: list[tuple[int, float]] = []
        t_start, k = time.perf_counter(), 0
        try:
            while time.perf_counter() - t_start < duration and not failure:
                time.sleep(max(0.0, t_start + k / rate - time.perf_counter()))
                (res,) = appender.append(events.take(1))
                assert isinstance(res, Appended)
                appended.append((res.index, time.perf_counter()))
                k += 1
            deadline = time.perf_counter() + 3 * interval + 30
            # the log may hold more than the k events appended (an opening appends the
            # ledger's BIDS_UNSEALED after it): wait for the last appended index
            last = appended[-1][0] + 1 if appended else 0
            while (not seen or seen[-1][0] < last) and time.perf_counter() < deadline \
                    and not failure:
                time.sleep(0.05)
        finally:
            stop.set()
            threads[0].join(timeout=60)
            stop_poll.set()
            threads[1].join(timeout=10)
        if failure:
            raise RuntimeError(f"Anchorer.follow failed: {failure[0]!r}") from failure[0]
        sizes = [s for s, _ in seen]
        lat, missing = [], 0
        for index, t_done in appended:
            pos = bisect.bisect_right(sizes, index)
            if pos == len(sizes):
                missing += 1
            else:
                lat.append(max(0.0, seen[pos][1] - t_done))
        checked = _check_receipts(appender, appended, sizes)
        gases = [g for (g,) in _rows(watcher, anchors.c.gas_used)]
        appender.db.dispose()
        watcher.db.dispose()
    gaps = [b[1] - a[1] for a, b in itertools.pairwise(seen)]
    target = 2 * interval
    lat_s = summarize(lat) if lat else {}
    return {"chain": name, "interval_s": interval, "duration_s": duration,
            "rate_per_s": rate, "events": len(appended), "events_not_anchored": missing,
            "anchors": len(seen), "events_per_anchor_median": statistics.median(
                [b - a for a, b in itertools.pairwise([0, *sizes])]) if sizes else 0,
            "anchor_gap_median_s": statistics.median(gaps) if gaps else None,
            "latency": lat_s, "max_ms": max(lat) * 1000 if lat else None,
            "target_ms": target * 1000,
            "meets_target": bool(lat) and missing == 0 and lat_s["p99_ms"] <= target * 1000,
            "receipts_checked": checked, "gas_median": statistics.median(gases) if gases
            else None, "poll_period_s": poll, "validation": events.note}


def _rows(log: WitnessLog, column: Any) -> list[tuple[Any, ...]]:
    with log.db.read() as conn:
        return [tuple(r) for r in conn.execute(select(column)).all()]


def _check_receipts(log: WitnessLog, appended: list[tuple[int, float]], sizes: list[int],
                    samples: int = 25) -> dict[str, int]:
    """Receipts of sampled events carry the anchor of the first checkpoint covering them."""
    rng = random.Random(7)
    picked = rng.sample(appended, min(samples, len(appended)))
    ok = 0
    for index, _ in picked:
        proof = log.receipt(index).anchored
        pos = bisect.bisect_right(sizes, index)
        want = sizes[pos] if pos < len(sizes) else None
        if proof is not None and proof.anchor is not None \
                and proof.anchor["tree_size"] == want:
            ok += 1
    return {"sampled": len(picked), "anchored_as_expected": ok}
