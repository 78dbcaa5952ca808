"""The rule registry: ``@rule(...)`` registers a check function with its metadata.

A check is ``def check(trail: Trail, ctx: RuleContext) -> Iterable[Finding]``; it is pure
and deterministic. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.rules.context import RuleContext
from ledger.rules.model import Confidence, Finding, RuleMeta, Severity, Trail, TrailEvent
from ledger.rules.regimes import applicable, basis_by_regime
from ledger.rules.wording import in_beijing_time

Check = Callable[[Trail, RuleContext], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    meta: RuleMeta
    check: Check


REGISTRY: dict[str, Rule] = {}


def rule(
    id: str, *, title_zh: str, title_en: str, basis: str, section: str,
    reads: Sequence[str], severity: Severity, lead: bool, confidence: Confidence,
    applies: str = "all", version: int = 1, basis_tb: str = "", basis_gp: str = "",
    cross: str = "",
) -> Callable[[Check], Check]:
    """Register ``check`` under ``id``; ids are unique across the catalogue.

    ``basis`` is the whole catalogue entry; a finding cites the part of it that holds in its
    project's regime (``ledger.rules.regimes``), or ``basis_tb`` / ``basis_gp`` where the
    rule declares that regime's basis itself; ``cross`` says why both systems apply."""
    declared = {k: v for k, v in (("TB", basis_tb), ("GP", basis_gp)) if v}
    meta = RuleMeta(id, title_zh, title_en, basis, section, tuple(reads), severity, lead,
                    confidence, applies, version,
                    basis_by_regime(id, basis, declared, cross))

    def register(check: Check) -> Check:
        if id in REGISTRY:
            raise ValueError(f"rule {id} registered twice")
        REGISTRY[id] = Rule(meta, check)
        return check

    return register


def hit(
    meta_id: str, trail: Trail, evidence: Iterable[TrailEvent], computed: Mapping[str, Any],
    zh: str, en: str, *, severity: Severity | None = None, section_id: str | None = None,
    subjects: Sequence[str] = (), lead: bool | None = None,
) -> Finding:
    """Build a finding of a registered rule (severity and lead default to the rule's)."""
    meta = REGISTRY[meta_id].meta
    evs = tuple(sorted({e.ref for e in evidence}))
    sec = section_id if section_id is not None else _common_section(evidence)
    return Finding(
        rule_id=meta.id, rule_version=meta.version, severity=severity or meta.severity,
        lead=meta.lead if lead is None else lead, project_id=trail.project_id,
        section_id=sec, evidence=evs, computed=_beijing(computed), message_zh=zh, message_en=en,
        subjects=tuple(subjects),
        basis=applicable(meta.basis, meta.basis_by_regime, trail.flags.get("regime")),
    )


def _beijing(computed: Mapping[str, Any]) -> dict[str, Any]:
    """Computed values with their instants in Beijing time (``wording.in_beijing_time``)."""
    return {k: in_beijing_time(v) for k, v in computed.items()}


def _common_section(evidence: Iterable[TrailEvent]) -> str | None:
    sections = {e.section_id for e in evidence} - {None}
    return next(iter(sections)) if len(sections) == 1 else None


def load_all() -> dict[str, Rule]:
    """Import every rule module (registration happens at import) and return the registry."""
    import importlib
    import pkgutil

    import ledger.rules.catalogue as catalogue

    for mod in pkgutil.iter_modules(catalogue.__path__):
        importlib.import_module(f"{catalogue.__name__}.{mod.name}")
    return REGISTRY
