"""Where a faster path stands in for a plain one, it gives the plain one's answers.

Trail indexes carried from the previous view of a growing trail, the per-bid document-view
check, the causal pairs found by key, the identifiers of an event read inline and the
receipt time riding beside the handed-over fields: each is compared with the plain code on
generated values (orders, types and odd values included).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.rules.catalogue import s12_records
from ledger.rules.catalogue.s06_collusion_b import _IDS, _attrs
from ledger.rules.catalogue.s06_common import device_ok, field, ip_ok
from ledger.rules.catalogue.s08_common import scores_by
from ledger.rules.catalogue.s09_views import _viewed, _views_by_pair, viewing
from ledger.rules.context import ReferenceData, RuleContext
from ledger.rules.engine import trail_event
from ledger.rules.model import Trail, TrailEvent
from ledger.rules.registry import load_all
from ledger.rules.trail_cache import LogRow, _Cached

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=8)))
_TYPES = ("A", "B", "C", "SCORE_SUBMITTED", "DOC_VIEWED")


def _event(i: int, index: int, etype: str, section: str | None, late: int,
           payload: dict[str, Any] | None = None) -> TrailEvent:
    return TrailEvent(index, f"e{i}", etype, "P", section, T0 + timedelta(minutes=i),
                      T0 + timedelta(minutes=late), {}, {}, payload or {})


_ROWS = st.lists(st.tuples(st.integers(0, 40), st.sampled_from(_TYPES),
                           st.sampled_from([None, "S1", "S2"]), st.integers(0, 9)),
                 min_size=1, max_size=30)


def _indexes(t: Trail) -> dict[str, Any]:
    return {"by_type": {k: list(v) for k, v in t._by_type.items()},
            "ordered": t.of_type("A", "B"), "sections": t.sections(),
            "latest": t.latest_received()}


@given(_ROWS, st.integers(1, 29), st.sets(st.sampled_from(["type", "multi", "sec", "now"])))
@settings(max_examples=300, deadline=None)
def test_inherited_indexes_are_the_ones_built_afresh(rows: list[tuple[int, str, str | None, int]],
                                                     cut: int, built: set[str]) -> None:
    events = tuple(_event(i, *r) for i, r in enumerate(rows))
    prior = Trail("P", events[:min(cut, len(events))])
    if "type" in built:
        prior.of_type("A")
    if "multi" in built:
        prior.of_type("A", "C")  # builds the order index as well
    if "sec" in built:
        prior.sections()
    if "now" in built:
        prior.latest_received()
    grown = Trail("P", events)
    grown.inherit(prior)
    assert set(grown._memo) <= set(prior._memo)
    assert _indexes(grown) == _indexes(Trail("P", events))
    assert all(a is b for a, b in zip(grown.of_type(*_TYPES), Trail("P", events).of_type(*_TYPES),
                                      strict=True))


def test_inherit_needs_the_same_events_first() -> None:
    a = tuple(_event(i, i, "A", None, 0) for i in range(4))
    b = tuple(_event(i, i, "A", None, 0) for i in range(4))  # equal, not the same objects
    prior = Trail("P", a[:2])
    prior.of_type("A")
    other = Trail("P", b)
    other.inherit(prior)
    assert not other._memo and other.of_type("A") == list(b)


def test_the_cache_view_carries_indexes_over() -> None:
    entry = _Cached([_event(i, i, _TYPES[i % 3], None, i) for i in range(5)], 4)
    first = entry.view("P")
    first.of_type("A", "B")
    first.sections()
    entry.events.extend(_event(i, i, _TYPES[i % 5], "S1", i) for i in range(5, 9))
    second = entry.view("P")
    assert second is not first and entry.view("P") is second
    assert _indexes(second) == _indexes(Trail("P", tuple(entry.events)))


# ---- the document-view check of R-SITE-FAST-EVAL ----

def _plain_viewing(sec: Trail, need: int) -> list[tuple[str, list[str], dict[str, int], list[int]]]:
    """The check as it was written first: every score of every expert walked in turn."""
    by_pair = _views_by_pair(sec)
    experts = sorted({str(s.payload.get("expert_id")) for s in sec.of_type("SCORE_SUBMITTED")})
    out = []
    for ex in experts:
        unseen: dict[str, TrailEvent] = {}
        brief: dict[str, int] = {}
        seen: dict[str, tuple[int | None, int]] = {}
        for s in scores_by(sec, ex):
            b = str(s.payload.get("bidder_org"))
            stats = seen.get(b)
            if stats is None:
                stats = seen[b] = _viewed(by_pair.get((ex, b), []))
                if stats[1] < need:
                    brief[b] = stats[1]
            first = stats[0]
            if (b not in unseen and s.payload.get("is_objective") is False
                    and (first is None or first >= s.index)):
                unseen[b] = s
        if unseen or brief:
            evidence = list(unseen.values()) or scores_by(sec, ex)[:1]
            out.append((ex, sorted(unseen), brief, sorted(e.index for e in evidence)))
    return out


_PEOPLE = st.sampled_from(["E1", "E2", "E3", 7, None])
_ORGS = st.sampled_from(["B1", "B2", "None", None, 3])


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 60), _PEOPLE, _ORGS,
                          st.sampled_from([False, True, None]), st.integers(0, 400)),
                min_size=1, max_size=40),
       st.sampled_from([0, 60, 300]))
@settings(max_examples=300, deadline=None)
def test_the_view_check_is_the_plain_walk(rows: list[tuple[bool, int, Any, Any, Any, int]],
                                          need: int) -> None:
    events = tuple(_event(i, index, "SCORE_SUBMITTED" if score else "DOC_VIEWED", None, 0, {
        "expert_id": ex, "bidder_org": org, "is_objective": objective, "duration_s": secs})
        for i, (score, index, ex, org, objective, secs) in enumerate(rows))
    if not any(not r[0] for r in rows):
        events += (_event(99, 99, "DOC_VIEWED", None, 0, {}),)
    sec = Trail("P", events)
    load_all()  # the findings name a registered rule
    base = RuleContext.default()
    ctx = RuleContext(base.calendar, base.thresholds.model_copy(
        update={"doc_view_min_seconds": need}), base.reference)
    got = [(f.computed["expert"], f.computed["scored_unviewed"], f.computed["view_seconds"],
            [i for i, _ in f.evidence]) for f in viewing(sec, sec, None, ctx)]
    assert got == _plain_viewing(sec, need)
    # the order of the bidders in "view_seconds" is kept too (it is stored as written)
    assert [list(g[2]) for g in got] == [list(w[2]) for w in _plain_viewing(sec, need)]


# ---- causal pairs by key ----

def _plain_pairs(trail: Trail) -> list[tuple[int, int]]:
    out = []
    for cause_t, effect_t, keys in s12_records._CAUSAL:
        for effect in trail.of_type(effect_t):
            cause = next((x for x in trail.of_type(cause_t) if x.index < effect.index
                          and x.section_id == effect.section_id
                          and all(x.get(k) == effect.get(k) for k in keys)), None)
            if cause is not None:
                out.append((cause.index, effect.index))
    return out


_CAUSE_TYPES = ("BID_SUBMITTED", "BID_DECRYPTED", "EVAL_STARTED", "EVAL_ENDED",
                "COMPLAINT_FILED", "COMPLAINT_ACCEPTED", "COMPLAINT_DECIDED")
_VALUES = st.sampled_from(["x", "y", None, 1, 1.0, True, "1", ["x"], float("nan")])


@given(st.lists(st.tuples(st.integers(0, 30), st.sampled_from(_CAUSE_TYPES),
                          st.sampled_from([None, "S1", "S2"]), _VALUES, _VALUES),
                min_size=1, max_size=30))
@settings(max_examples=300, deadline=None)
def test_causal_pairs_by_key_are_the_plain_search(
        rows: list[tuple[int, str, str | None, Any, Any]]) -> None:
    events = tuple(_event(i, index, etype, sec, 0, {
        "bidder_org": a, "session_id": a, "case_id": b})
        for i, (index, etype, sec, a, b) in enumerate(rows))
    trail = Trail("P", events)
    got = [(c.index, e.index) for c, e in s12_records._causal_pairs(trail)]
    assert got == _plain_pairs(trail)


# ---- identifiers read inline, receipt time beside the fields ----

@given(st.dictionaries(st.sampled_from(["ip", "mac", "device_fp", "tool_machine_code"]),
                       st.sampled_from(["1.2.3.4", "m1", "w", None, 5])),
       st.dictionaries(st.sampled_from(["client_ip", "client_mac", "device_fp"]),
                       st.sampled_from(["1.2.3.4", "m2", "w", None])))
@settings(max_examples=200, deadline=None)
def test_identifiers_read_inline_are_the_plain_ones(payload: dict[str, Any],
                                                    context: dict[str, Any]) -> None:
    ref = ReferenceData(ip_whitelist=frozenset({"1.2.3.4"}), device_whitelist=frozenset({"w"}))
    base = RuleContext.default()
    ctx = RuleContext(base.calendar, base.thresholds, ref)
    e = TrailEvent(1, "e", "BID_SUBMITTED", "P", None, T0, T0, {}, context, payload)
    plain = set()
    for name, ctx_name in _IDS:
        value = field(e, name, ctx_name)
        value = ip_ok(ctx, value) if name == "ip" else device_ok(ctx, value)
        if value is not None:
            plain.add((name, str(value)))
    assert _attrs(ctx, e) == plain


def test_handed_over_receipt_time_is_the_merged_envelope() -> None:
    fields = {"event_id": "e1", "type": "BID_SUBMITTED", "project_id": "P", "section_id": "S1",
              "occurred_at": "2026-03-02T09:00:00+08:00", "actor": {"id": "a"}, "context": {},
              "payload": {"bidder_org": "B1"}, "received_at": "stale"}
    row = LogRow(7, "P", "BID_SUBMITTED", b"", fields, "2026-03-02T09:00:05+08:00")
    merged = {**fields, "received_at": "2026-03-02T09:00:05+08:00"}
    assert row.decoded() == merged and fields["received_at"] == "stale"
    assert trail_event(7, fields, row.received_at) == trail_event(7, merged)
    assert LogRow(7, "P", "BID_SUBMITTED", b"", merged).decoded() is merged
