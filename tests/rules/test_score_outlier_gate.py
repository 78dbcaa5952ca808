"""R-GP87-64's outlier test skips a (bidder, factor) whose scores lie too close together
for any to be an outlier (``_too_close``); on generated score groups, the skip never hides
a finding the one-by-one comparison makes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.rules.catalogue.s09_scoring import _fact, _outliers, _score_facts, _too_close
from ledger.rules.model import Trail, TrailEvent

T0 = datetime(2026, 3, 1, tzinfo=UTC)
_SCORE = st.one_of(
    st.decimals(min_value=0, max_value=100, places=2).map(str),
    st.sampled_from(["8", "8.0", "8.00", "0", "1E+1", "12345678.123456", "NaN", "x", ""]))


def _trail(scores: list[tuple[str, str, bool]]) -> Trail:
    evs = tuple(TrailEvent(i, f"s{i}", "SCORE_SUBMITTED", "P", None, T0, T0, {}, {}, {
        "expert_id": f"E{i}", "bidder_org": "B", "factor_id": "F", "score": score,
        "factor_min": "0", "factor_max": high, "is_objective": objective})
        for i, (score, high, objective) in enumerate(scores))
    return Trail("P", evs)


@given(st.lists(st.tuples(_SCORE, st.sampled_from(["10", "40", "100", "3.5"]), st.booleans()),
                min_size=3, max_size=7),
       st.sampled_from(["0.3", "0.05", "0", "-0.1"]))
@settings(max_examples=400, deadline=None)
def test_the_gate_never_hides_an_outlier(scores: list[tuple[str, str, bool]],
                                         ratio_text: str) -> None:
    trail = _trail(scores)
    by_expert = {e.payload["expert_id"]: e for e in trail.events}
    ratio = Decimal(ratio_text)
    try:
        facts = _score_facts(trail)
        found = list(_outliers(trail, None, "B", "F", by_expert, ratio, facts))
    except ArithmeticError:
        return  # NaN scores trip the comparisons, as they always did (the gate lets them by)
    rows = [facts[id(e)] for e in by_expert.values()]
    if _too_close(rows, ratio):
        assert found == []


@given(st.lists(st.tuples(st.sampled_from(["8", "8.0", 8, 8.0, True, None, "x", [1]]),
                          st.sampled_from(["10", 10, 10.0, None]), st.booleans()),
                min_size=1, max_size=8))
@settings(max_examples=200, deadline=None)
def test_shared_facts_are_each_scores_own(scores: list[tuple[object, object, bool]]) -> None:
    evs = tuple(TrailEvent(i, f"s{i}", "SCORE_SUBMITTED", "P", None, T0, T0, {}, {}, {
        "expert_id": f"E{i}", "bidder_org": "B", "factor_id": "F", "score": score,
        "factor_min": "0", "factor_max": high, "is_objective": objective})
        for i, (score, high, objective) in enumerate(scores))
    trail = Trail("P", evs)
    facts = _score_facts(trail)
    for e in evs:
        got, want = facts[id(e)], _fact(e)
        assert got == want and [str(x) for x in got] == [str(x) for x in want]
