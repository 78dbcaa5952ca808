"""`witness-verify --help` loads no check, no database layer and no chain library; the
public names of the package still resolve (on first use)."""

from __future__ import annotations

import json
import subprocess
import sys

import verifier

HEAVY = ("sqlalchemy", "web3", "eth_utils", "eth_abi", "verifier.bundle_check",
         "verifier.ledger_check", "verifier.receipt_check", "verifier.readers.chain")
PROBE = """
import json, sys
from verifier.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def test_help_loads_nothing_heavy() -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=120, check=True)
    modules = json.loads(proc.stdout.splitlines()[-1])
    assert [m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY] == []
    assert "receipt" in proc.stdout and "ledger" in proc.stdout


def test_the_public_names_resolve() -> None:
    for name in verifier.__all__:
        assert getattr(verifier, name).__name__ == name
