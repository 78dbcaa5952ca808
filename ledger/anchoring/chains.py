"""More than one anchor: the further chains a log's checkpoints are anchored on.

The first chain (``witness init --chain``) is the *primary* one, recorded under ``chain.``
in ``log_info``. ``witness chain bind --chain SPEC`` adds another: its own registry
(deployed, or attached with ``--registry``), the log registered there with the same
checkpoint signer, the facts recorded under ``chains.<n>.`` and a CHECKPOINT_SIGNER_BOUND
event naming that chain. A chain center runs (embedded, a local node) proves nothing
against its operator alone; one more, run by someone else, does. Every bound chain is
anchored by its own loop, so one that is down never holds the others back.
Must not import the API or the verifier.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from chain_access import ChainBackend, ChainError, ChainRevert, open_chain
from chain_access.errors import ChainMismatch, ChainReadOnly
from ledger.anchoring.anchorer import AnchorDivergence, Anchorer, AnchorOutcome, ForeignCheckpoint
from ledger.anchoring.binding import (
    ChainBinding,
    anchorer_account,
    append_signer_event,
    open_binding,
    record_binding,
    register_on,
)
from ledger.anchoring.bound import EXTRA_PREFIX as EXTRA_PREFIX  # their home: re-exported
from ledger.anchoring.bound import MAX_EXTRA_CHAINS as MAX_EXTRA_CHAINS
from ledger.anchoring.bound import BoundChain as BoundChain
from ledger.anchoring.bound import bound_chains as bound_chains
from ledger.anchoring.checkpointer import follow_checkpoints
from ledger.anchoring.signer import load_checkpoint_key
from ledger.core.errors import WitnessError
from ledger.log import WitnessLog
from ledger.loops import LoopMonitor
from ledger.settings import Settings

_log = logging.getLogger("witness.anchorer")


def open_bound(settings: Settings, bound: BoundChain, *, readonly: bool = False
               ) -> ChainBackend:
    """Open a bound chain, checked against its record. The primary chain is found where the
    settings say (its endpoint may move); a further chain at the spec it was bound with."""
    spec = settings.chain if bound.primary else bound.binding.spec
    return open_binding(settings, bound.binding, spec, readonly=readonly)


def bind_extra_chain(settings: Settings, log: WitnessLog, spec: str, *,
                     registry: str | None = None) -> BoundChain:
    """Bind ``spec`` as one more chain (idempotent for a chain already bound)."""
    chains = bound_chains(log)
    if not chains or not chains[0].primary:
        raise WitnessError("bind the first chain with `witness init` before adding others")
    identity = _identity(settings, spec)
    for known in chains:
        if (known.binding.chain_id, known.binding.genesis_hash.lower()) == identity:
            if known.binding.spec != spec and not known.primary:
                raise WitnessError(f"chain {identity[0]} is already bound as {known.binding.spec}")
            if known.primary and spec != settings.chain:
                raise WitnessError(f"chain {identity[0]} (genesis {identity[1]}) is the "
                                   "primary chain already")
            open_bound(settings, known).close()  # still the recorded one
            return known
    if len(chains) > MAX_EXTRA_CHAINS:
        raise WitnessError(f"a log may be bound to at most {MAX_EXTRA_CHAINS + 1} chains")
    binding = register_on(settings, log, spec, registry)
    taken = [c for c in chains if _key(c.binding) == _key(binding)]
    if taken:
        # anchors are told apart by (chain id, registry): two chains with both equal (two
        # development chains, the same deployer nonce) cannot be recorded side by side
        raise WitnessError(f"chain {binding.chain_id} with registry {binding.registry} is "
                           f"bound already (as {taken[0].binding.spec}): deploy or attach "
                           "another registry (--registry) on that chain")
    number = max(c.number for c in chains) + 1
    record_binding(log, binding, f"{EXTRA_PREFIX}{number}.")
    append_signer_event(log, binding)
    return BoundChain(number, binding)


def _key(binding: ChainBinding) -> tuple[int, str]:
    return binding.chain_id, binding.registry.lower()


def _identity(settings: Settings, spec: str) -> tuple[int, str]:
    chain = open_chain(spec, settings.home)  # read only, but an embedded chain starts here
    try:
        return chain.chain_id(), "0x" + chain.genesis_hash().hex()
    finally:
        chain.close()


def chain_anchorer(settings: Settings, log: WitnessLog, bound: BoundChain,
                   chain: ChainBackend, **observers: Any) -> Anchorer:
    """The Anchorer of one bound chain, with the log's checkpoint key and that chain's
    anchorer account."""
    spec = settings.chain if bound.primary else bound.binding.spec
    return Anchorer(log, chain, bound.binding,
                    anchorer_account(settings, create=False, spec=spec),
                    checkpoint_key=load_checkpoint_key(settings.home), **observers)


def anchor_all_once(settings: Settings, log: WitnessLog
                    ) -> list[tuple[BoundChain, AnchorOutcome | Exception]]:
    """One anchoring attempt on every bound chain; a chain that is down or refuses gives
    its error and the others are still anchored. ``ForeignCheckpoint`` is returned too
    (the caller reports it as the integrity failure it is)."""
    results: list[tuple[BoundChain, AnchorOutcome | Exception]] = []
    for bound in bound_chains(log):
        try:
            chain = open_bound(settings, bound)
        except ChainError as exc:
            results.append((bound, exc))
            continue
        try:
            results.append((bound, chain_anchorer(settings, log, bound, chain).anchor_once()))
        except (ChainError, ForeignCheckpoint) as exc:
            results.append((bound, exc))
        finally:
            chain.close()
    return results


def follow_all(settings: Settings, log: WitnessLog, stop: threading.Event,
               **observers: Any) -> list[tuple[BoundChain, Exception]]:
    """Anchor on every bound chain until ``stop``, one thread per chain: a chain that is
    down (even at start) is retried with backoff while the others keep anchoring. Beside
    them the checkpointer keeps the merge-delay promise while no chain can be reached.
    Returns why each chain that stopped by itself stopped (a foreign checkpoint, a frozen
    log)."""
    stopped: list[tuple[BoundChain, Exception]] = []
    threads = [threading.Thread(target=_follow_one, args=(settings, log, bound, stop, stopped),
                                kwargs=observers, name=f"witness-anchorer-{bound.number}",
                                daemon=True) for bound in bound_chains(log)]
    anchoring_ended = threading.Event()
    keeper = threading.Thread(target=follow_checkpoints, args=(settings, log, anchoring_ended),
                              name="witness-checkpointer", daemon=True)
    for thread in [*threads, keeper]:
        thread.start()
    for thread in threads:
        thread.join()
    anchoring_ended.set()
    keeper.join()
    return stopped


def loop_name(bound: BoundChain) -> str:
    """The name of a chain's anchoring loop in health records and metrics."""
    return "anchorer" if bound.primary else f"anchorer-{bound.number}"


#: Errors no retry cures: the loop of that chain stops (the others go on) and says why.
FINAL_ERRORS = (AnchorDivergence, ChainMismatch, ChainReadOnly, ChainRevert)


def _follow_one(settings: Settings, log: WitnessLog, bound: BoundChain,
                stop: threading.Event, stopped: list[tuple[BoundChain, Exception]],
                **observers: Any) -> None:
    monitor = LoopMonitor.named(loop_name(bound), settings.home, logger=_log)
    while not stop.is_set():
        try:  # the chain, the anchorer account and the checkpoint key
            chain = open_bound(settings, bound)
        except ChainMismatch as exc:  # another chain than the one bound: never retried
            monitor.stopped(exc)
            stopped.append((bound, exc))
            return
        except Exception as exc:  # down, or a store or OS error: retried with backoff
            stop.wait(monitor.failed(exc))
            continue
        try:
            anchorer = chain_anchorer(settings, log, bound, chain, **observers)
        except Exception as exc:  # e.g. a key file unreadable for now
            chain.close()
            stop.wait(monitor.failed(exc))
            continue
        try:  # returns once ``stop`` is set; raises only what no retry cures
            anchorer.follow(settings.checkpoint_interval, settings.checkpoint_max_events,
                            stop, monitor)
            monitor.stopped()
        except FINAL_ERRORS as exc:  # recorded and logged by the monitor
            stopped.append((bound, exc))
        finally:
            chain.close()
        return
