"""The receipts as the log issued and the verifier checked them when the receipt target was
set: the peer of ``receipt_bench`` for "receipts verified 3× faster than then".

That code (commit ``BASELINE``: one Ed25519 promise per event, receipt v1 only; its
benchmark then gave 2,342 receipts/s offline) is taken out of the repository's history into
a scratch directory and run in child processes of its own: one builds a log of the same
workload with it and writes its receipts, each a file; each round then reads, parses and
verifies them with that code, as ``receipt_bench`` does with today's (its rounds alternate
with today's v1 and v2 rounds, so all three meet the same load). Without git or the commit
(a shallow clone), the peer is left out and the report says why.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

BASELINE = "7ef05c123e20519cd3b1f71a29c30b2961967a80"
REPO = Path(__file__).resolve().parents[2]
_TREES = ("ledger", "verifier", "chain_access", "scripts/benchlib")

# Run with the old tree first on the path: build its log and write its receipts.
_BUILD = """
import json, random, sys
from pathlib import Path
from benchlib.verify_bench import build_ledger
from ledger.home import open_log
from ledger.settings import Settings
home, out, n, samples = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
info = build_ledger(home, n)
log = open_log(Settings(home=home))
top = log.latest_checkpoint().size
for i in sorted(random.Random(7).sample(range(top), min(samples, top))):
    (out / f"old-{i}.json").write_text(log.receipt(i).dumps(), encoding="utf-8")
log.db.dispose()
print(json.dumps(info))
"""

# One round: each file read, parsed and verified, as today's rounds do (CPU and wall time);
# then the parsed receipts verified again alone (what that day's benchmark reported).
_ROUND = """
import json, sys, time
from pathlib import Path
from ledger.core.receipt import Receipt
from verifier import check_receipt
from verifier.policy import build
info = json.loads(sys.argv[2])
policy = build(key=info["vkey"], origin=info["origin"])
paths = sorted(Path(sys.argv[1]).glob("old-*.json"))
t0, c0 = time.perf_counter(), time.process_time()
parsed = [Receipt.loads(p.read_bytes()) for p in paths]
outcomes = [check_receipt(r, policy).outcome for r in parsed]
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
t0 = time.perf_counter()
for r in parsed:
    check_receipt(r, policy)
only = time.perf_counter() - t0
print(json.dumps({"per_s_with_parse": len(paths) / wall, "cpu_per_s_with_parse": len(paths) / cpu,
                  "per_s": len(paths) / only,
                  "outcomes": {o: outcomes.count(o) for o in set(outcomes)}}))
"""


class Baseline:
    """The receipts of the baseline code in ``work``; ``round()`` measures them once."""

    def __init__(self, work: Path, n: int, samples: int) -> None:
        self.work, self.tree = work, work / "tree"
        _extract(self.tree)
        self.files = work / "receipts"
        self.files.mkdir()
        out = self._run(_BUILD, str(work / "home"), str(self.files), str(n), str(samples))
        self.info = out.strip().splitlines()[-1]

    def round(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self._run(_ROUND, str(self.files), self.info))
        return result

    def close(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)

    def _run(self, code: str, *args: str) -> str:
        paths = [str(self.tree), str(self.tree / "scripts")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "PYTHONHASHSEED": "0"}
        done = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=self.work,
                              capture_output=True, text=True, timeout=900, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"baseline child failed: {done.stderr.strip()[-800:]}")
        return done.stdout


def open_baseline(n: int, samples: int) -> tuple[Baseline | None, str]:
    """The baseline ready to measure, or None and the reason it is not available."""
    work = Path(tempfile.mkdtemp(prefix="witness-receipt-baseline-"))
    try:
        return Baseline(work, n, samples), f"code of commit {BASELINE[:12]}"
    except (OSError, RuntimeError, subprocess.SubprocessError, tarfile.TarError) as exc:
        shutil.rmtree(work, ignore_errors=True)
        return None, f"baseline unavailable: {(str(exc).splitlines() or [''])[0][:200]}"


def _extract(dest: Path) -> None:
    """The baseline's packages (``git archive``: no checkout, the working tree untouched)."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", BASELINE, *_TREES],
                             capture_output=True, timeout=120, check=False)
    if archive.returncode != 0:
        raise RuntimeError(archive.stderr.decode(errors="replace").strip() or "git archive")
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")
