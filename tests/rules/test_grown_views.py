"""A trail view grown from the previous one finds what a fresh trail finds.

The trail cache makes a new view of a project at each evaluation; what the previous view
derived (lot sub-trails with their indexes, the latest scores, score facts, the score
integrity findings of unchanged (bidder, factor) groups) is carried over and extended with
the new events (``Trail.grown``, ``Trail.for_section``). Here each project of the frozen
snapshot grows view by view through the cache, with every rule or only the rules reading
the new events' types (so carried values also skip views that never asked for them), and
each evaluation must equal the one of a fresh trail of the same events.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace as dc_replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.rules.catalogue.s06_collusion_b import _more_staff_events, _staff_events
from ledger.rules.catalogue.s09_scoring import _more_facts, _score_facts, latest_scores
from ledger.rules.catalogue.s12_records import _scan, _scan_more
from ledger.rules.engine import evaluate, rules_reading
from ledger.rules.helpers import lots
from ledger.rules.model import Trail, TrailEvent
from ledger.rules.trail_cache import IndexedTrail, _Cached
from tests.rules import test_s06_collusion as s06
from tests.rules import test_s12_records as s12
from tests.rules.builders import LAWFUL_FLAGS_TB, ctx, make_trail
from tests.rules.test_eval_equivalence import (
    _cases,
    context_for,
    cuts,
    digest,
    events_of,
    projects,
    snapshot,
)
from tests.rules.test_s06_s09_scenario import find, scenario


@pytest.mark.parametrize("case", _cases())
def test_views_grown_prefix_by_prefix_match_the_snapshot(case: int) -> None:
    p, want = projects()[case], snapshot()["projects"][case]
    evs, ctx = events_of(p), context_for(p)
    entry = _Cached([], -1)
    for n in cuts(len(evs)):
        entry.events.extend(evs[len(entry.events):n])
        assert digest(evaluate(entry.view(p.project_id), ctx)) == want["prefixes"][str(n)], n


@pytest.mark.parametrize("case", _cases())
@pytest.mark.parametrize("seed", [1, 2])
def test_views_grown_in_random_steps_with_rule_subsets(case: int, seed: int) -> None:
    """As the service runs: random batch sizes, only the rules reading the batch's types."""
    p, rng = projects()[case], random.Random(seed * 1000 + case)
    evs, ctx = events_of(p), context_for(p)
    entry, done = _Cached([], -1), 0
    while done < len(evs):
        step = evs[done:done + rng.choice([1, 3, 17, 60])]
        done += len(step)
        entry.events.extend(step)
        ids = sorted({r for e in step for r in rules_reading(e.type)})
        fresh = IndexedTrail(p.project_id, tuple(evs[:done]))
        assert evaluate(entry.view(p.project_id), ctx, ids) == evaluate(fresh, ctx, ids), done


def test_a_grown_lot_is_the_lot_built_afresh() -> None:
    p = projects()[0]
    evs = events_of(p)
    entry = _Cached(list(evs[: len(evs) // 2]), -1)
    first = entry.view(p.project_id)
    before = dict(lots(first))
    entry.events.extend(evs[len(evs) // 2:])
    grown, fresh = entry.view(p.project_id), Trail(p.project_id, tuple(evs))
    assert [s for s, _ in lots(grown)] == [s for s, _ in lots(fresh)]
    for (sid, lot), (_, plain) in zip(lots(grown), lots(fresh), strict=True):
        assert lot.events == plain.events and lot.sections() == plain.sections()
        if sid in before:  # carried: the earlier events are the previous lot's own objects
            assert all(a is b for a, b in zip(lot.events, before[sid].events, strict=False))


# ---- rules whose kept state the snapshot's projects never make find anything ----

def _scored(change: Callable[[list[dict[str, Any]]], object]) -> Callable[[], Trail]:
    def make() -> Trail:
        events = scenario()
        change(events)
        return make_trail(LAWFUL_FLAGS_TB, events)
    return make


def _score(events: list[dict[str, Any]], expert: str, bidder: str, factor: str,
           value: str) -> None:
    find(events, "SCORE_SUBMITTED", where=lambda e: e["payload"]["expert_id"] == expert
         and e["payload"]["bidder_org"] == bidder
         and e["payload"]["factor_id"] == factor)["payload"]["score"] = value


def _tampered(swap: bool) -> Trail:
    trail = s12.trail_of(*s12.lawful_events())
    evs = list(trail.events)
    if swap:
        evs[2], evs[3] = evs[3], evs[2]
    else:
        evs[2] = dc_replace(evs[2], event_id=evs[1].event_id)
    return Trail(trail.project_id, tuple(evs))


def _early_decryption() -> Trail:
    events = s12.lawful_events()
    events[3] = {**events[3], "at": "2026-03-20T09:59:00"}
    return s12.trail_of(*events, {**events[3], "event_id": "late-copy"})


KEPT_CASES: dict[str, tuple[str, Callable[[], Trail]]] = {
    "score_out_of_range": ("R-GP87-64-SCORE-INTEGRITY",
                           _scored(lambda ev: _score(ev, "E1", "B5", "F2", "-1"))),
    "score_objective": ("R-GP87-64-SCORE-INTEGRITY",
                        _scored(lambda ev: _score(ev, "E2", "B5", "F1", "45"))),
    "score_outlier": ("R-GP87-64-SCORE-INTEGRITY",
                      _scored(lambda ev: _score(ev, "E1", "B4", "F2", "34"))),
    "staff_shares_ip": ("R-TBR-41-TENDERER-BIDDER", _scored(s06.staff_shares_ip)),
    "access_then_change": ("R-TBR-41-TENDERER-BIDDER", _scored(s06.access_then_change(12))),
    "causal_order": ("R-ES-11-TRUSTED-TIME", lambda: _early_decryption()),
    "duplicate_id": ("R-EB-49-NO-TAMPER", lambda: _tampered(False)),
    "index_order": ("R-EB-49-NO-TAMPER", lambda: _tampered(True)),
}


@pytest.mark.parametrize("case", sorted(KEPT_CASES))
@pytest.mark.parametrize("seed", range(4))
def test_kept_state_finds_what_a_fresh_trail_finds(case: str, seed: int) -> None:
    """The trail grown view by view (random steps, the rule run at each, sometimes skipped)
    finds at each step what a fresh trail of the same events finds, and in the end finds."""
    rule_id, make = KEPT_CASES[case]
    whole, rng, context = make(), random.Random(seed), ctx()
    entry, done, last = _Cached([], -1), 0, []
    while done < len(whole.events):
        done += rng.choice([1, 2, 5, 11])
        entry.events.extend(whole.events[len(entry.events):done])
        view = entry.view(whole.project_id)
        if rng.random() < 0.3 and done < len(whole.events):
            continue  # a view the rule does not run on: its kept state is carried unasked
        fresh = Trail(whole.project_id, whole.events[:done])
        last = evaluate(view, context, [rule_id])
        assert last == evaluate(fresh, context, [rule_id]), done
    assert last, "the case must make the rule find something"


# ---- the carried sub-trails and grown memos, on generated trails ----

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=8)))
_ROWS = st.lists(st.tuples(st.integers(0, 60), st.sampled_from(["A", "B", "SCORE_SUBMITTED"]),
                           st.sampled_from([None, "S1", "S2", "S3"]),
                           st.sampled_from(["x", "y"]), st.sampled_from(["agent", "bidder"])),
                 min_size=1, max_size=40)


def _generated(rows: list[tuple[int, str, str | None, str, str]]) -> list[TrailEvent]:
    return [TrailEvent(index, f"e{i % 7}", etype, "P", section, T0 + timedelta(minutes=i), T0,
                       {"role": role}, {}, {"bidder_org": key, "factor_id": "F",
                                        "expert_id": f"X{i % 3}", "score": str(i % 5)})
            for i, (index, etype, section, key, role) in enumerate(rows)]


def _derived(t: Trail) -> list[Any]:
    subs = [t.for_section(s) for s in t.sections()]
    return [[(s.events, s._by_type, latest_scores(s),
              s.grown(_score_facts, _score_facts, _more_facts)) for s in subs],
        t.grown(_staff_events, _staff_events, _more_staff_events),
        t.grown(_scan, _scan, _scan_more)[1:]]


@given(_ROWS, st.lists(st.tuples(st.integers(1, 40), st.booleans()), min_size=1, max_size=4))
@settings(max_examples=200, deadline=None)
def test_carried_values_are_the_ones_built_afresh(rows: list[tuple[int, str, str | None, str, str]],
                                                  views: list[tuple[int, bool]]) -> None:
    """Views of a growing trail (indexes in any order, ids repeated), each asked for its
    derived values or not: what a view gives equals what a fresh trail gives."""
    events = _generated(rows)
    entry = _Cached([], -1)
    for cut, ask in [*sorted(views), (len(events), True)]:
        entry.events.extend(events[len(entry.events):cut])
        view = entry.view("P")
        if ask and view.events:
            assert _derived(view) == _derived(Trail("P", view.events))


@given(_ROWS, st.sampled_from([None, "S1", "S2", "S3", "S9"]))
@settings(max_examples=200, deadline=None)
def test_a_section_trail_is_its_events_and_the_project_wide_ones(
        rows: list[tuple[int, str, str | None, str, str]], asked: str | None) -> None:
    """``for_section`` (every section sorted out in one pass) gives the events of the
    section and the project-wide ones in trail order, asked first or after another section;
    a section without events of its own gets the project-wide ones."""
    events = _generated(rows)
    want = tuple(e for e in events if e.section_id in (asked, None))
    assert Trail("P", tuple(events)).for_section(asked).events == want
    t = Trail("P", tuple(events))
    for sid in t.sections():
        t.for_section(sid)
    assert t.for_section(asked).events == want
