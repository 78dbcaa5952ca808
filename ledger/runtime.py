"""Process-wide tuning of long-running ledger processes (service workers, ``witness ingest``,
the rule follower).

The cyclic garbage collector is the one knob here. These processes hold many long-lived
objects (imported modules, the rule catalogue, decoded trails in the rule service's cache)
and allocate many short-lived ones per event; with CPython's default thresholds a young
collection runs every 700 allocations and every tenth of those also walks the middle
generation, and the full collections walk every cached trail — half of the rule
follower's reading cost was the collector. Freezing what start-up built takes it out of
every later collection, and a larger young generation makes collections rarer while
bounding the cyclic garbage waiting for one (reference counting frees everything else at
once, so memory stays bounded by the threshold, not by the uptime).
"""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 50_000
"""Allocations (net of deallocations) between young collections; CPython's default is 700."""

_tuned = False
_own_process = False


def own_process() -> None:
    """Mark the process as a command line's own (the ``witness`` program, not a test or a
    program calling the commands in-process): ``long_running`` tunes it then."""
    global _own_process
    _own_process = True


def long_running() -> bool:
    """``tune_gc`` if the process is a command line's own (``own_process``): called by the
    commands that keep running (``witness ingest``, ``rules follow``, ``anchor --follow``).
    A host calling them in-process keeps its own collector settings."""
    return tune_gc() if _own_process else False


def tune_gc(gen0: int = GEN0_THRESHOLD) -> bool:
    """Collect once, freeze the survivors (start-up's modules, tables, catalogue) out of
    later collections, and raise the young generation's threshold. Idempotent: only the
    first call in a process acts (False afterwards); call it once start-up is done."""
    global _tuned
    if _tuned:
        return False
    _tuned = True
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(gen0, 1), gen1, gen2)
    return True
