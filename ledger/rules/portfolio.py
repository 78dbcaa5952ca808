"""The portfolio registry: cross-project statistical leads of docs/rules.md §13.

A portfolio check reads MANY project trails (e.g. a rolling 24 months) and yields findings
that cite evidence events of several projects: ``def check(trails, ctx) -> Iterable[Finding]``.
It reuses ``RuleMeta`` and ``Finding``; the project id of a portfolio finding is
``PORTFOLIO_PROJECT`` and the projects involved are listed in ``computed["projects"]``.
Pure and deterministic. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.rules.context import RuleContext
from ledger.rules.model import Confidence, Finding, RuleMeta, Severity, Trail, TrailEvent

PortfolioCheck = Callable[[Sequence[Trail], RuleContext], Iterable[Finding]]
PORTFOLIO_PROJECT = "*portfolio*"
EVIDENCE_CAP = 100


@dataclass(frozen=True)
class PortfolioRule:
    meta: RuleMeta
    check: PortfolioCheck


PORTFOLIO: dict[str, PortfolioRule] = {}


def portfolio_rule(
    id: str, *, title_zh: str, title_en: str, basis: str, section: str = "13",
    reads: Sequence[str], severity: Severity = "warning", lead: bool = True,
    confidence: Confidence = "D", applies: str = "portfolio", version: int = 1,
) -> Callable[[PortfolioCheck], PortfolioCheck]:
    """Register a portfolio check under ``id`` (unique in PORTFOLIO)."""
    meta = RuleMeta(id, title_zh, title_en, basis, section, tuple(reads), severity, lead,
                    confidence, applies, version)

    def register(check: PortfolioCheck) -> PortfolioCheck:
        if id in PORTFOLIO:
            raise ValueError(f"portfolio rule {id} registered twice")
        PORTFOLIO[id] = PortfolioRule(meta, check)
        return check

    return register


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


def load_portfolio() -> dict[str, PortfolioRule]:
    """Import the portfolio rule module (registration at import) and return the registry."""
    import ledger.rules.portfolio_complaints
    import ledger.rules.portfolio_rules  # noqa: F401

    return PORTFOLIO


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
