"""``ledger.runtime``: the collector tuning of long-running processes, checked in a child
process (tuning is process-wide: the test runner keeps its own settings)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import gc, json
from ledger import runtime
out = {"hosted": runtime.long_running(), "threshold0": gc.get_threshold()[0]}
out["first"] = runtime.tune_gc()
out["frozen"] = gc.get_freeze_count()
out["second"] = runtime.tune_gc()
out["threshold"] = gc.get_threshold()[0]
print(json.dumps(out))
"""


def test_tuning_freezes_start_up_and_raises_the_young_threshold() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          check=True)
    out = json.loads(done.stdout)
    # a host calling the commands in-process (no ``own_process``) keeps its collector
    assert out["hosted"] is False and out["threshold0"] == 700
    assert out["first"] is True and out["second"] is False  # once per process
    assert out["frozen"] > 0 and out["threshold"] == 50_000
