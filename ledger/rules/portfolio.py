"""Portfolio rules: cross-project statistical leads of docs/rules.md §13.

A portfolio check (registered with ``@rule(..., portfolio=True)``, ``ledger.rules.registry``)
reads MANY project trails (e.g. a rolling 24 months) and yields findings that cite evidence
events of several projects: ``def check(trails, ctx) -> Iterable[Finding]``.
It reuses ``RuleMeta`` and ``Finding``; the project id of a portfolio finding is
``PORTFOLIO_PROJECT`` and the projects involved are listed in ``computed["projects"]``.
Pure and deterministic. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ledger.rules.context import RuleContext
from ledger.rules.model import Finding, Severity, Trail, TrailEvent
from ledger.rules.registry import PORTFOLIO, PortfolioCheck, PortfolioRule, load_portfolio

__all__ = ["EVIDENCE_CAP", "PORTFOLIO", "PORTFOLIO_PROJECT", "PortfolioCheck", "PortfolioRule",
           "evaluate_portfolio", "load_portfolio", "portfolio_hit"]

PORTFOLIO_PROJECT = "*portfolio*"
EVIDENCE_CAP = 100


def portfolio_hit(
    rule_id: str, evidence: Iterable[TrailEvent], computed: Mapping[str, Any], zh: str,
    en: str, *, subjects: Sequence[str] = (), severity: Severity | None = None,
) -> Finding:
    """A finding of a registered portfolio rule; evidence is capped at EVIDENCE_CAP events."""
    meta = PORTFOLIO[rule_id].meta
    evs = sorted({e.ref for e in evidence})
    projects = sorted({e.project_id for e in evidence})
    values = {"projects": projects, "evidence_total": len(evs), **computed}
    return Finding(
        rule_id=meta.id, rule_version=meta.version, severity=severity or meta.severity,
        lead=meta.lead, project_id=PORTFOLIO_PROJECT, section_id=None,
        evidence=tuple(evs[:EVIDENCE_CAP]), computed=values, message_zh=zh, message_en=en,
        subjects=tuple(subjects),
    )


def evaluate_portfolio(trails: Sequence[Trail], ctx: RuleContext,
                       rule_ids: Sequence[str] | None = None) -> list[Finding]:
    """All findings of the given (default: all) portfolio rules, deduplicated by key."""
    load_portfolio()
    ordered = sorted(trails, key=lambda t: t.project_id)
    found: dict[str, Finding] = {}
    for rid in sorted(rule_ids or PORTFOLIO):
        for finding in PORTFOLIO[rid].check(ordered, ctx):
            found.setdefault(finding.key, finding)
    return sorted(found.values(), key=lambda f: (f.rule_id, f.key))
