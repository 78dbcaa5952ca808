"""Start-up time of the command-line tools: what a user waits for before anything happens.

Each command runs as a fresh process, the way a user or a script starts it: one warm-up run
(so the figures are of a warm file cache, as on a machine in use), then ``runs`` timed runs,
wall clock from spawn to exit, median reported; with it the median CPU time (user + system)
of the process, which a busy machine inflates far less than the wall time and which is
close to the wall time on an idle one. ``python -c pass`` in the same run is the floor no
Python command can beat. ``witness status`` runs on a data directory made with
``witness init`` (embedded chain), since on an empty one it stops at once.

    python scripts/bench.py --startup [--startup-runs 15]   # this section alone
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
HELP_TARGET_S = 0.3
STATUS_TARGET_S = 0.6
COMMANDS: tuple[tuple[str, list[str], float | None], ...] = (
    ("python -c pass (floor)", [sys.executable, "-c", "pass"], None),
    ("witness --help", [str(BIN / "witness"), "--help"], HELP_TARGET_S),
    ("witness-verify --help", [str(BIN / "witness-verify"), "--help"], HELP_TARGET_S),
    ("witness status", [str(BIN / "witness"), "status"], STATUS_TARGET_S),
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("start-up (--startup)")
    g.add_argument("--startup", action="store_true", help="run only the start-up section")
    g.add_argument("--no-startup", action="store_true", help="skip the start-up section")
    g.add_argument("--startup-runs", type=int, default=15,
                   help="timed runs per command (after one warm-up)")


def wanted(args: argparse.Namespace, default_sizes: str) -> bool:
    """--startup; else part of the default run (no --sizes, or --quick) unless --no-startup."""
    return bool(args.startup or (not args.no_startup
                                 and (args.quick or args.sizes == default_sizes)))


def time_command(argv: list[str], runs: int, env: dict[str, str]) -> dict[str, Any]:
    """Wall and CPU time of ``runs`` fresh processes after one warm-up; fails on a non-zero
    exit."""
    seconds, cpu = [], []
    for attempt in range(runs + 1):
        cpu0 = _children_cpu()
        t0 = time.perf_counter()
        proc = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=120, check=False)
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: "
                               f"{proc.stderr.decode(errors='replace').strip()[-500:]}")
        if attempt:  # the first run only warms the file cache
            seconds.append(elapsed)
            cpu.append(_children_cpu() - cpu0)
    ordered = sorted(seconds)
    return {"median_s": statistics.median(seconds), "min_s": ordered[0], "max_s": ordered[-1],
            "cpu_median_s": statistics.median(cpu), "runs": runs}


def _children_cpu() -> float:
    """User + system CPU seconds of the child processes waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every command of ``COMMANDS``, timed in this order, with the machine's load."""
    home = Path(tempfile.mkdtemp(prefix="witness-startup-", dir=args.workdir))
    env = {**os.environ, "WITNESS_HOME": str(home / "witness-data")}
    try:
        subprocess.run([str(BIN / "witness"), "init"], env=env, capture_output=True,
                       timeout=300, check=True)
        load_before = os.getloadavg()
        rows = []
        for name, argv, target in COMMANDS:
            timed = time_command(argv, args.startup_runs, env)
            rows.append({"command": name, **timed, "target_s": target,
                         "met": None if target is None else timed["median_s"] <= target})
        floor = rows[0]["median_s"]
        for row in rows:
            row["over_floor_s"] = row["median_s"] - floor
        return {"runs": args.startup_runs, "warm_up_runs": 1, "commands": rows,
                "load_average_1m": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
                "cpu_count": os.cpu_count()}
    finally:
        shutil.rmtree(home, ignore_errors=True)


def markdown(res: dict[str, Any]) -> str:
    lo, hi = res["load_average_1m"]
    lines = [f"### Start-up (wall time of a fresh process; median of {res['runs']} runs after "
             f"{res['warm_up_runs']} warm-up; load average {lo:g} → {hi:g} on "
             f"{res['cpu_count']} CPUs)", "",
             "| command | median s | min / max s | CPU median s | over the floor s | target s "
             "| met |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for r in res["commands"]:
        target = "–" if r["target_s"] is None else f"≤ {r['target_s']:g}"
        met = "–" if r["met"] is None else ("yes" if r["met"] else "no")
        lines.append(f"| {r['command']} | {r['median_s']:.3f} | {r['min_s']:.3f} / "
                     f"{r['max_s']:.3f} | {r['cpu_median_s']:.3f} | {r['over_floor_s']:.3f} | "
                     f"{target} | {met} |")
    lines += ["", "Met = the median wall time is within the target."]
    return "\n".join(lines)


def only(args: argparse.Namespace, stamp: Any) -> int:
    """``bench.py --startup``: this section alone, printed and written to the JSON file."""
    result = {"meta": {"date": stamp.isoformat(timespec="seconds")}, "startup": run(args)}
    path = args.json or Path("bench-results") / f"bench-startup-{stamp:%Y%m%d-%H%M%S}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    print(markdown(result["startup"]))
    print(f"JSON: {path}")
    return 0
