"""`witness anchor` while another process (a running `witness serve`) holds the embedded
chain: one line saying so, exit 3 (a source that cannot be used now), no internal error."""

from __future__ import annotations

from chain_access import open_chain
from ledger.settings import Settings
from tests.ledger.anchoring.conftest import append_events, run_witness


def test_anchor_while_the_embedded_chain_is_held_says_who_holds_it(
        embedded_settings: Settings) -> None:
    append_events(embedded_settings, 0, 3)
    holder = open_chain(embedded_settings.chain, embedded_settings.home)  # as the service does
    try:
        proc = run_witness(embedded_settings, "anchor", check=False)
    finally:
        holder.close()
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.count("\n") == 1 and "internal error" not in proc.stderr
    assert proc.stderr.startswith("witness: cannot reach the chain: embedded chain ")
    assert "in use by another process" in proc.stderr
    assert run_witness(embedded_settings, "anchor").returncode == 0  # free again
