"""Import rules: chain_access never pulls in the ledger service, the verifier or FastAPI, and
the read-only JSON-RPC path (what the verifier uses) never loads py-evm or eth-tester. It
does load ``ledger.core`` (its errors are part of the one error hierarchy), and with it the
``ledger`` package itself, whose ``__init__`` imports nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from chain_access import open_chain
chain = open_chain("http://127.0.0.1:1", readonly=True)
import chain_access.identity, chain_access.rpc
bad = sorted(m for m in sys.modules
             if m.split(".")[0] in {"eth", "eth_tester", "fastapi", "verifier", "witness_api"}
             or (m.startswith("ledger.") and not m.startswith("ledger.core")))
print(",".join(bad))
"""


def test_rpc_path_is_light_and_layered() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""
