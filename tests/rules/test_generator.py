"""The whole-generator test: schema-valid events, zero findings on lawful
projects, every planted class found by the rule ids of ``PLANTED_RULES``."""

from __future__ import annotations

from typing import Any

import pytest

from ledger.demo import PLANTED_CLASSES, GeneratedProject, expected_rules, generate_project
from ledger.demo.generator import generate_portfolio
from ledger.events import parse_event
from ledger.rules.context import ReferenceData, RuleContext
from ledger.rules.engine import evaluate, trail_event
from ledger.rules.model import Trail
from ledger.rules.registry import load_all

LAWFUL_SEEDS = range(12)


def as_trail(p: GeneratedProject) -> Trail:
    """The generated events as a trail (received_at = occurred_at, indexes in order)."""
    return Trail(p.project_id, tuple(
        trail_event(i, {**e, "received_at": e["occurred_at"]}) for i, e in enumerate(p.events)))


def context_for(p: GeneratedProject) -> RuleContext:
    base = RuleContext.default()
    r: dict[str, Any] = p.reference
    ref = ReferenceData(experts={x["person_id"]: x for x in r["experts"]},
                        enterprises={x["org_id"]: x for x in r["enterprises"]},
                        relations=tuple(r["relations"]))
    return RuleContext(base.calendar, base.thresholds, ref)


@pytest.mark.parametrize("kind", ["works", "goods"])
@pytest.mark.parametrize("seed", range(8))
def test_every_event_is_schema_valid(seed: int, kind: str) -> None:
    p = generate_project(seed, kind)  # type: ignore[arg-type]
    for ev in p.events:
        parse_event(ev)
    assert len({e["event_id"] for e in p.events}) == len(p.events)
    assert p.events[0]["type"] == "PROJECT_REGISTERED"
    assert all(e["occurred_at"].endswith("+08:00") for e in p.events)


def test_deterministic_from_seed() -> None:
    assert generate_project(7, "works").events == generate_project(7, "works").events
    assert generate_project(7, "works").events != generate_project(8, "works").events


@pytest.mark.parametrize("cls", PLANTED_CLASSES)
def test_planted_events_are_schema_valid(cls: str) -> None:
    for ev in generate_project(3, "works", {cls}).events:
        parse_event(ev)


@pytest.mark.parametrize("kind", ["works", "goods"])
@pytest.mark.parametrize("seed", LAWFUL_SEEDS)
def test_lawful_projects_raise_nothing(seed: int, kind: str) -> None:
    p = generate_project(seed, kind)  # type: ignore[arg-type]
    found = evaluate(as_trail(p), context_for(p))
    assert [(f.rule_id, f.severity, f.message_en) for f in found] == []


def _cases() -> list[tuple[str, str]]:
    return [(c, k) for c in PLANTED_CLASSES for k in ("works", "goods")
            if not (k == "goods" and c == "short_publicity")]


@pytest.mark.parametrize(("cls", "kind"), _cases())
@pytest.mark.parametrize("seed", [1, 2])
def test_each_planted_class_is_found(cls: str, kind: str, seed: int) -> None:
    registry = load_all()
    p = generate_project(seed, kind, {cls})  # type: ignore[arg-type]
    expected = expected_rules(cls, p.regime)
    missing = [r for r in expected if r not in registry]
    if missing:
        pytest.skip(f"rule(s) {missing} not registered yet")
    fired = {f.rule_id for f in evaluate(as_trail(p), context_for(p))}
    assert set(expected) <= fired, f"{cls}: expected {expected}, fired {sorted(fired)}"


def test_portfolio_plants_every_class_once_per_cycle() -> None:
    projects = generate_portfolio(1, 2 * len(PLANTED_CLASSES), plant_every=2)
    planted = [c for p in projects for c in p.planted]
    assert sorted(planted) == sorted(PLANTED_CLASSES)
    assert len({p.project_id for p in projects}) == len(projects)


def test_rejects_unknown_or_impossible_plants() -> None:
    with pytest.raises(ValueError):
        generate_project(1, "works", {"no_such_class"})
    with pytest.raises(ValueError):
        generate_project(1, "goods", {"short_publicity"})
