"""The ``witness`` command, killed at one step of an anchor: the crash tests' fault injection.

``python -m tests.ledger.anchoring.crash_launcher STEP ARGS…`` installs a hook in
``ledger.anchoring.anchorer.ANCHOR_STEP_HOOKS`` that ends the process at ``STEP``
("after_intent" or "after_send") with ``os._exit`` — no cleanup, no commit, as a power cut
or ``kill -9`` would — then runs ``witness ARGS…``. The hook lives here, under tests/: the
product has no switch that kills it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ledger.settings import Settings

KILLED = 137  # what a shell reports for a process killed by SIGKILL
STEPS = ("after_intent", "after_send")
ROOT = Path(__file__).resolve().parents[3]
MODULE = "tests.ledger.anchoring.crash_launcher"


def _kill_at(step: str) -> Any:
    def hook(point: str) -> None:
        if point == step:
            os._exit(KILLED)

    return hook


def run_killed_at(settings: Settings, step: str, *args: str,
                  env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``witness ARGS`` on ``settings``, killed when an anchor reaches ``step``."""
    assert step in STEPS
    full_env: dict[str, Any] = {**os.environ, "WITNESS_HOME": str(settings.home),
                                "WITNESS_CHAIN": settings.chain, **(env or {})}
    if settings.db_url:
        full_env["WITNESS_DB_URL"] = settings.db_url
    return subprocess.run([sys.executable, "-m", MODULE, step, *args], cwd=ROOT,
                          env=full_env, capture_output=True, text=True, timeout=300)


def main(argv: list[str]) -> None:
    from ledger.anchoring.anchorer import ANCHOR_STEP_HOOKS
    from ledger.cli.app import main as witness

    step, *args = argv
    assert step in STEPS, f"unknown step {step!r}: one of {STEPS}"
    ANCHOR_STEP_HOOKS.append(_kill_at(step))
    witness(args)


if __name__ == "__main__":
    main(sys.argv[1:])
