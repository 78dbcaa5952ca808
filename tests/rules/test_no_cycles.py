"""An evaluated trail is freed as soon as the last reference to it goes, without the cyclic
collector: nothing a rule memoises on a trail may hold the trail itself.

The rule service replaces each touched project's trail view every poll; a view caught in a
reference cycle (say a one-round lot whose ``rounds`` memo held the lot) would stay, with its
indexes and sub-trails, until a collection found it, and that collection, paid by whatever
code runs then, grows with the trails left over (70 ms once the benchmark's 30 projects were
dropped).
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from ledger.rules.engine import evaluate
from ledger.rules.helpers import lot_rounds, lots, round_holding, rounds
from ledger.rules.model import Trail
from ledger.rules.trail_cache import IndexedTrail, _Cached
from tests.rules.builders import ctx
from tests.rules.test_eval_equivalence import context_for, events_of, projects
from tests.rules.test_rounds import retendered


@contextmanager
def collector_off() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _freed_without_collector(make: Callable[[], Trail]) -> bool:
    """Whether the trail ``make`` returns, its lots and their rounds all go with it."""
    with collector_off():
        trail = make()
        parts = [trail, *(lot for _, lot in lots(trail)), *(r for _, r in lot_rounds(trail))]
        refs = [weakref.ref(t) for t in parts]
        del trail, parts
        return all(ref() is None for ref in refs)


@pytest.mark.parametrize("case", range(len(projects())))
def test_an_evaluated_trail_is_no_cycle(case: int) -> None:
    p = projects()[case]
    context = context_for(p)

    def make() -> Trail:
        trail = IndexedTrail(p.project_id, tuple(events_of(p)))
        evaluate(trail, context)  # every rule runs and memoises on it
        return trail

    assert _freed_without_collector(make)


@pytest.mark.parametrize("regime", ["TB", "GP"])
def test_a_retendered_trail_is_no_cycle(regime: str) -> None:
    def make() -> Trail:
        trail = retendered(regime)
        evaluate(trail, ctx())
        for _sid, lot in lots(trail):
            assert len(rounds(lot)) == 2
        return trail

    assert _freed_without_collector(make)


def test_rounds_answers_are_unchanged_by_the_memo() -> None:
    """One round is the trail itself on every call; several are the same trails each time."""
    one = IndexedTrail(projects()[0].project_id, tuple(events_of(projects()[0])))
    assert len(rounds(one)) == 1 and rounds(one)[0] is one
    for (sid, rnd), (sid2, rnd2) in zip(lot_rounds(one), lot_rounds(one), strict=True):
        assert sid == sid2 and rnd is rnd2
        assert sid is not None or rnd is one
    two = retendered("TB")
    (lot,) = [t for _, t in lots(two)]
    first, again = rounds(lot), rounds(lot)
    assert first == again and all(a is b for a, b in zip(first, again, strict=True))
    assert all(a is b for (_, a), (_, b) in zip(lot_rounds(two), lot_rounds(two), strict=True))
    last = lot.events[-1]
    assert round_holding(lot, last) is first[-1]


def test_a_replaced_cache_view_is_freed_at_once() -> None:
    """The cache's previous view of a project goes when the next one is made."""
    p = projects()[0]
    context = context_for(p)
    evs = events_of(p)
    half = len(evs) // 2
    with collector_off():
        entry = _Cached(list(evs[:half]), evs[half - 1].index)
        view = entry.view(p.project_id)
        evaluate(view, context)
        refs = [weakref.ref(t) for t in (view, *(r for _, r in lot_rounds(view)))]
        del view
        entry.events.extend(evs[half:])
        evaluate(entry.view(p.project_id), context)
        assert all(ref() is None for ref in refs)
