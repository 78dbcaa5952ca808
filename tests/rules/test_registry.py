"""The rule registry: loaded once, one decorator for trail and portfolio rules, "applies to"
a predicate that never hides a finding, unimplemented rules marked and never run."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from ledger.rules import portfolio, registry
from ledger.rules.applicability import ALL, PORTFOLIO_SCOPE, TB_MUST_OR_GP
from ledger.rules.calendar import CalendarMissingError
from ledger.rules.engine import evaluate, rules_reading
from ledger.rules.model import Trail, TrailEvent
from ledger.rules.registry import PORTFOLIO, REGISTRY, UNIMPLEMENTED, Rule, load_all, rule
from tests.rules.test_eval_equivalence import context_for, events_of, projects

STUBS = {"R-FC-REVIEW", "R-EB-27-RECEIPT", "R-TBR-40-4-TEXT-SIMILARITY", "R-TBR-40-5-MIXED",
         "R-EB-62-PAPER-VS-DATA"}
# Every combination of the flags the predicates read (None: the flag absent).
VARIANTS = list(itertools.product(("TB", "GP", None), (True, False), (True, False)))


def test_the_catalogue_is_imported_once(monkeypatch: pytest.MonkeyPatch) -> None:
    load_all()

    def rescan(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the catalogue was scanned again")

    monkeypatch.setattr(registry.pkgutil, "iter_modules", rescan)
    monkeypatch.setattr(registry.importlib, "import_module", rescan)
    p = projects()[0]
    assert evaluate(Trail(p.project_id, tuple(events_of(p))), context_for(p)) is not None
    assert rules_reading("BID_SUBMITTED")


def test_portfolio_rules_come_from_the_one_decorator() -> None:
    load_all()
    assert not hasattr(portfolio, "portfolio_rule")
    assert len(PORTFOLIO) == 8 and not set(PORTFOLIO) & set(REGISTRY)
    assert all(r.meta.applies is PORTFOLIO_SCOPE and r.meta.section == "13"
               for r in PORTFOLIO.values())
    with pytest.raises(ValueError, match="registered twice"):
        rule(next(iter(PORTFOLIO)), title_zh="x", title_en="x", basis="x", section="13",
             reads=(), severity="warning", lead=True, confidence="D", portfolio=True
             )(lambda trails, ctx: [])


def test_unimplemented_rules_are_marked_listed_and_never_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    load_all()
    assert set(UNIMPLEMENTED) == STUBS and not STUBS & set(REGISTRY)
    assert all(registry.not_implemented_reason(r).startswith("Not implemented: ")
               for r in UNIMPLEMENTED.values())
    for rid, entry in list(UNIMPLEMENTED.items()):
        def explode(*_args: Any) -> Iterator[Any]:
            raise AssertionError("an unimplemented rule was run")

        monkeypatch.setitem(UNIMPLEMENTED, rid, dataclasses.replace(entry, check=explode))
    p = projects()[0]
    trail = Trail(p.project_id, tuple(events_of(p)))
    assert evaluate(trail, context_for(p), sorted(STUBS)) == []
    assert all(STUBS.isdisjoint(rules_reading(t)) for t in ("BID_SUBMITTED", "DOC_ISSUED"))


@pytest.mark.parametrize(("implemented", "doc"), [(True, "Not implemented: no data."),
                                                  (False, "Checks something.")])
def test_the_marking_and_the_docstring_must_agree(implemented: bool, doc: str) -> None:
    def check(trail: Trail, ctx: Any) -> Iterator[Any]:
        return iter(())

    check.__doc__ = doc
    with pytest.raises(ValueError, match="implemented=False"):
        rule("R-TEST-MARKING", title_zh="x", title_en="x", basis="TB 第1条", section="1",
             reads=(), severity="info", lead=False, confidence="D",
             implemented=implemented)(check)
    assert "R-TEST-MARKING" not in REGISTRY and "R-TEST-MARKING" not in UNIMPLEMENTED


def _with_flags(events: list[TrailEvent], regime: str | None, must: bool, electronic: bool
                ) -> tuple[TrailEvent, ...]:
    """The trail with PROJECT_REGISTERED saying these flags instead of its own."""
    out = []
    for e in events:
        if e.type == "PROJECT_REGISTERED":
            payload = {k: v for k, v in e.payload.items() if k != "regime"}
            payload.update(must_tender=must, electronic=electronic)
            if regime is not None:
                payload["regime"] = regime
            e = dataclasses.replace(e, payload=payload)
        out.append(e)
    return tuple(out)


def _findings(entry: Rule, trail: Trail, ctx: Any) -> list[Any]:
    try:
        return list(entry.check(trail, ctx))
    except CalendarMissingError:
        return []


@pytest.mark.parametrize("case", range(0, len(projects()), 2))
def test_a_rule_skipped_by_its_predicate_would_have_found_nothing(case: int) -> None:
    """Run every check on every project its predicate excludes, under each flag variant."""
    load_all()
    p = projects()[case]
    events, ctx = events_of(p), context_for(p)
    for regime, must, electronic in VARIANTS:
        trail = Trail(p.project_id, _with_flags(events, regime, must, electronic))
        for rid, entry in REGISTRY.items():
            if entry.meta.applies.holds(trail.flags):
                continue
            assert _findings(entry, trail, ctx) == [], (rid, entry.meta.applies.label,
                                                        regime, must, electronic)


def test_predicates_in_words() -> None:
    assert ALL.holds({}) and str(ALL) == "all"
    assert TB_MUST_OR_GP.holds({"regime": "GP"}) and TB_MUST_OR_GP.holds({})
    assert not TB_MUST_OR_GP.holds({"regime": "TB", "must_tender": False})
    narrowed = TB_MUST_OR_GP.where("(TB ∧ must_tender) ∨ GP; open tendering only")
    assert narrowed.holds is TB_MUST_OR_GP.holds and narrowed.label.endswith("only")


def test_a_paper_flag_does_not_hide_a_recorded_decryption_failure() -> None:
    """R-EB-31 reads BID_DECRYPTED wherever it is recorded: its words say "electronic", its
    predicate is every project (the generated projects above plant no failed decryption)."""
    from tests.rules.builders import LAWFUL_FLAGS_TB, ctx, ev, make_trail
    from tests.rules.test_s07_opening import lawful

    failed = [ev("BID_DECRYPTED", "2026-03-23T09:41:00+08:00", section="S1", bidder_org=o,
                 success=False, failure_cause="non_bidder") for o in "BC"]
    trail = make_trail({**LAWFUL_FLAGS_TB, "electronic": False}, [*lawful(), *failed])
    found = evaluate(trail, ctx(), ["R-EB-31-DECRYPT-FAILURE"])
    assert [f.rule_id for f in found] == ["R-EB-31-DECRYPT-FAILURE"]
