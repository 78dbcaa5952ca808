"""Readiness of the anchoring side: chain reachable, anchoring lag (for ``/readyz``).

Must not import the API or the verifier.
"""

from __future__ import annotations

from sqlalchemy import func, select

from chain_access import ChainError
from ledger.anchoring.anchorer import Anchorer, ForeignCheckpoint
from ledger.anchoring.binding import open_bound_chain, read_binding
from ledger.home import open_log
from ledger.settings import Settings
from ledger.store.schema import anchors


def readiness(settings: Settings) -> tuple[str, bool, str]:
    """("chain", ok, detail): the bound chain answers and its latest checkpoint is one the
    log signed (else not ready: an integrity failure); lag = events not yet anchored."""
    log = open_log(settings)
    try:
        if read_binding(log) is None:
            return "chain", True, "not bound to a chain (witness init --no-chain)"
        try:
            chain, binding = open_bound_chain(settings, log, readonly=True)
        except ChainError as exc:
            return "chain", False, str(exc)
        try:
            block = chain.block_number()
            Anchorer(log, chain, binding, account=None).check_chain()  # type: ignore[arg-type]
        except ForeignCheckpoint as exc:
            return "chain", False, str(exc)
        finally:
            chain.close()
        with log.db.read() as conn:
            anchored = conn.execute(select(func.max(anchors.c.checkpoint_size))).scalar() or 0
        lag = log.size() - int(anchored)
        return "chain", True, (f"chain {binding.chain_id} at block {block}; "
                               f"anchored size {anchored}, lag {lag} events")
    finally:
        log.db.dispose()
