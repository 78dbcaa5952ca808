"""Rule outputs are frozen: ``evaluate()`` over generated projects (planted classes and
lawful ones, fixed seeds) must give byte-identical findings to the snapshot taken before
the evaluation was optimised (``data/eval_snapshot.json``).

Checked: the whole trail (plain ``Trail`` and the service's ``IndexedTrail``), trail
prefixes (what incremental evaluation sees mid-project; due-date rules judge against the
prefix's own "now"), and rule subsets as the service runs them (only the rules reading the
new event types). Regenerate the snapshot only when a rule's findings are meant to change:
``PYTHONPATH=. python tests/rules/test_eval_equivalence.py``.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ledger.demo import PLANTED_CLASSES, GeneratedProject, generate_project
from ledger.demo.generator import generate_portfolio
from ledger.rules.context import ReferenceData, RuleContext
from ledger.rules.engine import evaluate, rules_reading, trail_event
from ledger.rules.model import Finding, Trail
from ledger.rules.trail_cache import IndexedTrail

SNAPSHOT = Path(__file__).parent / "data" / "eval_snapshot.json"
PORTFOLIO_SEED = 61
PREFIX_CUTS = 12  # prefixes per project (evenly spaced event counts)
MULTI_PLANTS = (  # projects with several classes at once
    (71, "works", ("late_bid", "same_mac", "expert_leaves", "late_contract")),
    (72, "goods", ("fast_evaluation", "same_ca", "late_bond_refund", "late_complaint_reply")),
    (73, "works", ("price_pattern", "unauthorized_badge", "short_publicity", "expert_conflict")),
)
LAWFUL = ((81, "works"), (82, "goods"), (83, "works"))


@cache
def projects() -> tuple[GeneratedProject, ...]:
    """20 projects each planting one class (every class once), multi-planted and lawful ones."""
    out = list(generate_portfolio(PORTFOLIO_SEED, len(PLANTED_CLASSES), plant_every=1))
    out += [generate_project(s, k, set(c)) for s, k, c in MULTI_PLANTS]  # type: ignore[arg-type]
    out += [generate_project(s, k) for s, k in LAWFUL]  # type: ignore[arg-type]
    return tuple(out)


def context_for(p: GeneratedProject) -> RuleContext:
    base = RuleContext.default()
    r: dict[str, Any] = p.reference
    ref = ReferenceData(experts={x["person_id"]: x for x in r["experts"]},
                        enterprises={x["org_id"]: x for x in r["enterprises"]},
                        relations=tuple(r["relations"]))
    return RuleContext(base.calendar, base.thresholds, ref)


def events_of(p: GeneratedProject) -> list[Any]:
    """Trail events as ingested: log order, receipt a little after occurrence."""
    return [trail_event(i, {**e, "received_at": e["occurred_at"]})
            for i, e in enumerate(p.events)]


def cuts(n: int) -> list[int]:
    return sorted({max(1, round(n * (k + 1) / PREFIX_CUTS)) for k in range(PREFIX_CUTS)})


def finding_json(f: Finding) -> str:
    return json.dumps({
        "rule_id": f.rule_id, "rule_version": f.rule_version, "severity": f.severity,
        "lead": f.lead, "project_id": f.project_id, "section_id": f.section_id,
        "evidence": [list(e) for e in f.evidence], "computed": f.computed,
        "message_zh": f.message_zh, "message_en": f.message_en, "subjects": list(f.subjects),
        "key": f.key,
    }, ensure_ascii=False, sort_keys=True, default=repr)


def digest(found: list[Finding]) -> str:
    return hashlib.sha256("\n".join(finding_json(f) for f in found).encode()).hexdigest()


def build_snapshot() -> dict[str, Any]:
    out: dict[str, Any] = {"projects": []}
    for p in projects():
        ctx = context_for(p)
        evs = events_of(p)
        whole = evaluate(Trail(p.project_id, tuple(evs)), ctx)
        out["projects"].append({
            "project_id": p.project_id, "planted": sorted(p.planted), "events": len(evs),
            "findings": [finding_json(f) for f in whole],
            "prefixes": {str(n): digest(evaluate(Trail(p.project_id, tuple(evs[:n])), ctx))
                         for n in cuts(len(evs))},
        })
    return out


@cache
def snapshot() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return data


def _cases() -> list[int]:
    return list(range(len(PLANTED_CLASSES) + len(MULTI_PLANTS) + len(LAWFUL)))


def test_snapshot_covers_the_generated_projects() -> None:
    snap = snapshot()["projects"]
    assert [s["project_id"] for s in snap] == [p.project_id for p in projects()]
    assert {c for s in snap for c in s["planted"]} == set(PLANTED_CLASSES)
    assert sum(len(s["findings"]) for s in snap) > len(PLANTED_CLASSES)


@pytest.mark.parametrize("case", _cases())
@pytest.mark.parametrize("kind", ["plain", "indexed"])
def test_whole_trail_findings_unchanged(case: int, kind: str) -> None:
    p, want = projects()[case], snapshot()["projects"][case]
    evs = tuple(events_of(p))
    assert len(evs) == want["events"]
    trail = Trail(p.project_id, evs) if kind == "plain" else IndexedTrail(p.project_id, evs)
    got = [finding_json(f) for f in evaluate(trail, context_for(p))]
    assert got == want["findings"]


@pytest.mark.parametrize("case", _cases())
def test_prefix_findings_unchanged(case: int) -> None:
    p, want = projects()[case], snapshot()["projects"][case]
    evs, ctx = events_of(p), context_for(p)
    for n in cuts(len(evs)):
        trail = IndexedTrail(p.project_id, tuple(evs[:n]))
        assert digest(evaluate(trail, ctx)) == want["prefixes"][str(n)], n


@pytest.mark.parametrize("case", _cases())
def test_rule_subsets_match_the_whole_run(case: int) -> None:
    """As the service runs them: only the rules reading one event type, on a fresh trail;
    the findings are those of the whole run restricted to these rules."""
    p, want = projects()[case], snapshot()["projects"][case]
    evs, ctx = tuple(events_of(p)), context_for(p)
    for etype in sorted({e.type for e in evs}):
        ids = rules_reading(etype)
        if not ids:
            continue
        got = [finding_json(f) for f in evaluate(IndexedTrail(p.project_id, evs), ctx, ids)]
        assert got == [j for j in want["findings"] if json.loads(j)["rule_id"] in ids], etype


if __name__ == "__main__":
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.write_text(json.dumps(build_snapshot(), ensure_ascii=False, indent=1) + "\n",
                        encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
