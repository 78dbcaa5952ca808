"""What the rules add to the append: incremental evaluation (``ledger.rules.follower``) vs.
the append itself, on generated realistic tendering projects (``ledger.demo``).

Each scenario appends the same portfolio through ``Ingestor.submit`` in batches of
``batch`` events into a fresh SQLite log and measures the CPU time (``process_time``) of
the appends and, separately, of the rule evaluation:

- ``append only``: no rules (the reference append cost);
- ``follower, every batch``: ``RuleFollower.catch_up`` after each batch (a flag is at most
  one batch late) — the worst case;
- ``follower, 0.5 s polls``: ``catch_up`` after as many batches as the benchmark appends
  in one polling interval at its measured rate (what the service's follower sees);
- ``every batch, read back``: as after every batch, without the hand-off (events another
  worker appended);
- ``before (re-read)``: the evaluation as it was before the trail cache: after each batch,
  each touched project's whole trail re-read, decoded and evaluated.

The follower takes the events the benchmark appends through the ingestion's hand-off
(``RuleFollower.attach``), as the service's elected follower does for its own worker's
appends (``handoff=False``: every event read back from the store, as for another worker's).
The process's collector is tuned as the product's long-running processes tune it
(``ledger.runtime.tune_gc``, after the portfolio is generated).

Two orders of the same events: ``project`` (each project's events consecutive, as a
back-fill sends them; receipt time = now) and ``time`` (all projects interleaved by
``occurred_at`` with the receipt time following them, as a live center would send them).
Overhead = rule CPU / append CPU of the same run.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ledger.demo import generate_portfolio
from ledger.events import Pseudonymizer
from ledger.home import init_home, open_log
from ledger.ingest import Ingestor
from ledger.log import WitnessLog
from ledger.rules.context import RuleContext
from ledger.rules.engine import evaluate, rules_reading
from ledger.rules.follower import RuleFollower
from ledger.rules.service import INTERNAL_TYPES, RuleService
from ledger.runtime import tune_gc
from ledger.settings import Settings
from ledger.store.schema import events

Event = dict[str, Any]


def portfolio_events(projects: int, seed: int, order: str) -> list[Event]:
    """The events of ``projects`` generated projects, in ``project`` or ``time`` order."""
    ps = generate_portfolio(seed, projects)
    evs = [e for p in ps for e in p.events]
    if order == "time":
        evs.sort(key=lambda e: e["occurred_at"])
    return evs


def _legacy(svc: RuleService) -> Callable[[list[Any]], None]:
    """The pre-cache ``on_appended``: re-read and decode each touched project's trail."""
    from sqlalchemy import select

    def run(results: list[Any]) -> None:
        idx = [r.appended.index for r in results if r.appended and not r.appended.duplicate]
        with svc.log.db.read() as conn:
            rows = conn.execute(select(events.c.project_id, events.c.event_type)
                                .where(events.c.idx.in_(idx))).all()
        touched: dict[str, set[str]] = {}
        for pid, etype in rows:
            if etype not in INTERNAL_TYPES:
                touched.setdefault(str(pid), set()).add(str(etype))
        new = []
        for pid, types in sorted(touched.items()):
            ids = sorted({r for t in types for r in rules_reading(t)})
            if ids:
                new.extend(svc._store(evaluate(svc.trail(pid), svc.ctx, ids)))
        svc._raise([f for f in new if f.lead])

    return run


def run_scenario(evs: list[Event], batch: int, mode: str, every: int, root: Path,
                 live: bool = False, handoff: bool = True) -> dict[str, Any]:
    """One fresh log; ``mode`` in none / follower / legacy; follower catches up every
    ``every`` batches; ``live``: the log's receipt time is the batch's latest occurred_at;
    ``handoff``: the follower takes the appended events from the ingestion."""
    # the previous scenario's garbage is collected here, untimed: else a collection lands
    # in whichever timed part (append or rules) of this scenario happens to trigger it
    gc.collect()
    home = Path(tempfile.mkdtemp(prefix=f"rules-{mode}-", dir=root))
    settings = Settings(home=home)
    init_home(settings)
    log: WitnessLog = open_log(settings)
    stamp = [evs[0]["occurred_at"]]
    if live:  # receipt time follows the events, as when a center sends them as they happen
        log.clock = lambda: stamp[0]
    try:
        ing = Ingestor(log, Pseudonymizer(b"b" * 32), max_clock_skew_seconds=10**9)
        svc = RuleService(log, RuleContext.default())
        follower = RuleFollower(svc, chunk=max(batch * every, 1))
        if mode == "follower" and handoff:
            follower.attach(ing)
        legacy = _legacy(svc)
        t_append = t_rules = 0.0
        n_batches = math.ceil(len(evs) / batch)
        for b in range(n_batches):
            chunk = evs[b * batch:(b + 1) * batch]
            stamp[0] = max(e["occurred_at"] for e in chunk)
            t0 = time.process_time()
            results = ing.submit(chunk)
            t1 = time.process_time()
            t_append += t1 - t0
            if mode == "follower" and ((b + 1) % every == 0 or b == n_batches - 1):
                follower.catch_up()
            elif mode == "legacy":
                legacy(results)
            t_rules += time.process_time() - t1
        leads = len(svc.leads())
        return {"mode": mode, "every": every, "events": len(evs), "append_cpu_s": t_append,
                "rules_cpu_s": t_rules, "overhead_pct": 100 * t_rules / t_append,
                "append_events_per_cpu_s": len(evs) / t_append, "leads": leads,
                "cache_loads": svc.cache.loads, "handed_over": follower.handoff.taken}
    finally:
        log.db.dispose()
        shutil.rmtree(home, ignore_errors=True)


def run_rules_bench(projects: int = 30, batch: int = 500, seed: int = 1,
                    poll_seconds: float = 0.5, workdir: Path | None = None,
                    orders: tuple[str, ...] = ("project", "time")) -> dict[str, Any]:
    """Every scenario for each order; figures as a JSON-ready dict."""
    root = Path(tempfile.mkdtemp(prefix="witness-rules-bench-", dir=workdir))
    out: dict[str, Any] = {"projects": projects, "batch": batch, "seed": seed,
                           "poll_seconds": poll_seconds, "runs": []}
    try:
        for order in orders:
            evs = portfolio_events(projects, seed, order)
            tune_gc()  # once per process, as the service and the CLI do after start-up
            live = order == "time"
            base = run_scenario(evs, batch, "none", 1, root, live)
            rate = base["append_events_per_cpu_s"]
            every = max(1, round(rate * poll_seconds / batch))
            for mode, k, hand, label in (
                    ("none", 1, True, "append only"),
                    ("follower", 1, True, "follower, every batch"),
                    ("follower", every, True, f"follower, {poll_seconds:g} s polls"),
                    ("follower", 1, False, "every batch, read back"),
                    ("legacy", 1, True, "before (re-read)")):
                run = (base if mode == "none"
                       else run_scenario(evs, batch, mode, k, root, live, hand))
                out["runs"].append({"order": order, "scenario": label, **run})
    finally:
        shutil.rmtree(root, ignore_errors=True)
    # the whole benchmark's peak (kB on Linux): the tuned collector must keep it bounded
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def markdown(res: dict[str, Any]) -> str:
    lines = [f"### Rules overhead ({res['projects']} generated projects, batches of "
             f"{res['batch']}, SQLite)", "",
             "| order | scenario | events | append CPU s | rules CPU s | overhead | leads |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in res["runs"]:
        lines.append(f"| {r['order']} | {r['scenario']} | {r['events']:,} | "
                     f"{r['append_cpu_s']:.2f} | {r['rules_cpu_s']:.2f} | "
                     f"{r['overhead_pct']:.0f}% | {r['leads']} |")
    lines.append("")
    lines.append("Overhead = CPU time of the rule evaluation / CPU time of "
                 "`Ingestor.submit` in the same run (target ≤ 20%). Peak RSS of the "
                 f"benchmark process: {res.get('peak_rss_mb', 0):.0f} MB.")
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rules", action="store_true",
                   help="only the rules-overhead section (rule follower vs append)")
    p.add_argument("--no-rules", action="store_true", help="skip the rules-overhead section")
    p.add_argument("--rules-projects", type=int, default=30,
                   help="generated projects appended in the rules section")


def wanted(args: argparse.Namespace, default_sizes: str) -> bool:
    """--rules; else part of the default run (no --sizes, or --quick) unless --no-rules."""
    return bool(args.rules) or (not args.no_rules
                                and (args.quick or args.sizes == default_sizes))


def run(args: argparse.Namespace) -> dict[str, Any]:
    projects = 10 if args.quick else args.rules_projects
    return run_rules_bench(projects, seed=args.seed, workdir=args.workdir)


def only(args: argparse.Namespace, stamp: Any) -> int:
    """``bench.py --rules``: this section alone, printed and written to the JSON file."""
    result = {"meta": {"date": stamp.isoformat(timespec="seconds")}, "rules": run(args)}
    path = args.json or Path("bench-results") / f"bench-rules-{stamp:%Y%m%d-%H%M%S}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    print(markdown(result["rules"]))
    print(f"JSON: {path}")
    return 0
