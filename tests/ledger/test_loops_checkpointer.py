"""The checkpointer keeps the merge-delay promise while the anchorer cannot even open its
chain (another writer holds it): the events are sealed within the maximum merge delay, the
anchorer's failures are on record, and once the chain is free the checkpoints are anchored.
Without it nothing would be sealed until the chain came back."""

from __future__ import annotations

from pathlib import Path

from chain_access import open_chain
from ledger.anchoring.readiness_checks import log_reader, merge_delay_check
from tests.ledger.anchoring.conftest import append_events
from tests.ledger.loops_kit import wait_for
from tests.ledger.test_loops_anchorer import Following, anchored_size, bound_settings, health_of


def test_sealed_within_the_merge_delay_while_the_chain_is_unreachable(tmp_path: Path) -> None:
    settings = bound_settings(tmp_path / "home", mmd_seconds=3)
    holder = open_chain(settings.chain, settings.home)
    try:
        with Following(settings) as run:
            append_events(settings, 0, 4)
            took = wait_for("every event in a checkpoint", lambda: (
                (cp := run.log.latest_checkpoint()) is not None and cp.size == run.log.size()),
                timeout=settings.mmd_seconds)
            assert took < settings.mmd_seconds
            assert merge_delay_check(settings, log_reader(run.log))[1] is True
            assert anchored_size(run.log) == 0
            assert health_of(settings, "anchorer").state == "retrying"
            assert health_of(settings, "checkpointer").failures == 0
            holder.close()
            wait_for("anchored once the chain is free",
                     lambda: anchored_size(run.log) == run.log.size(), timeout=40)
    finally:
        holder.close()
