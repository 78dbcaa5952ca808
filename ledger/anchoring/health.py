"""Readiness of the anchoring side: chains reachable, anchoring lag (for ``/readyz``).

Must not import the API or the verifier.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from chain_access import ChainError
from ledger.anchoring.anchorer import Anchorer, ForeignCheckpoint
from ledger.anchoring.chains import BoundChain, bound_chains, open_bound
from ledger.home import open_log
from ledger.log import WitnessLog
from ledger.settings import Settings
from ledger.store.schema import anchors, events


def readiness(settings: Settings) -> tuple[str, bool, str]:
    """("chain", ok, detail): every bound chain answers and its latest checkpoint is one the
    log signed (else not ready: an integrity failure); lag = events not yet anchored there.
    A further chain that is down is named with its lag but does not make the service unready
    (the primary chain and the others still anchor); the primary chain being down does."""
    log = open_log(settings)
    try:
        chains = bound_chains(log)
        if not chains:
            return "chain", True, "not bound to a chain (witness init --no-chain)"
        ok, details = True, []
        for bound in chains:
            chain_ok, detail = _one(settings, log, bound)
            ok = ok and (chain_ok or (not bound.primary and "unreachable" in detail))
            details.append(detail)
        return "chain", ok, "; ".join(details)
    finally:
        log.db.dispose()


def _one(settings: Settings, log: WitnessLog, bound: BoundChain) -> tuple[bool, str]:
    with log.db.read() as conn:
        anchored = conn.execute(select(func.max(anchors.c.checkpoint_size)).where(
            (anchors.c.chain_id == bound.binding.chain_id)
            & (anchors.c.registry == bound.binding.registry))).scalar() or 0
    lag = f"anchored size {anchored}, lag {log.size() - int(anchored)} events"
    overdue = _overdue(log, int(anchored), settings.mmd_seconds) if bound.primary else None
    try:
        chain = open_bound(settings, bound, readonly=True)
    except ChainError as exc:
        return False, f"chain {bound.binding.chain_id} unreachable ({lag}): {exc}"
    try:
        block = chain.block_number()
        Anchorer(log, chain, bound.binding, account=None).check_chain()  # type: ignore[arg-type]
    except ForeignCheckpoint as exc:
        return False, str(exc)
    except ChainError as exc:
        return False, f"chain {bound.binding.chain_id} unreachable ({lag}): {exc}"
    finally:
        chain.close()
    if overdue is not None:  # anchoring has stalled (the chain refuses, the disk is full)
        return False, f"chain {bound.binding.chain_id} at block {block}; {lag}; {overdue}"
    return True, f"chain {bound.binding.chain_id} at block {block}; {lag}"


def _overdue(log: WitnessLog, anchored: int, mmd_seconds: int) -> str | None:
    """Why anchoring breaks the merge-delay promise: the oldest event not anchored yet was
    received more than twice the MMD ago (one MMD to checkpoint, one to anchor); None: it
    keeps it."""
    with log.db.read() as conn:
        oldest = conn.execute(select(events.c.received_at).where(events.c.idx == anchored)
                              ).scalar()
    if oldest is None:
        return None
    age = (datetime.fromisoformat(log.clock()) - datetime.fromisoformat(str(oldest))
           ).total_seconds()
    if age <= 2 * mmd_seconds:
        return None
    return (f"anchoring behind: event {anchored} was received {age:.0f} s ago, more than "
            f"twice the maximum merge delay ({mmd_seconds} s)")
