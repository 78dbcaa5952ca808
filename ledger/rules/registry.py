"""The rule registry: ``@rule(...)`` registers a check with its metadata, once, at import.

One decorator for every rule of the catalogue. A trail rule's check reads one project:
``def check(trail: Trail, ctx: RuleContext) -> Iterable[Finding]``; a portfolio rule's
(``portfolio=True``, docs/rules.md §13) reads many: ``def check(trails, ctx)``. Checks are
pure and deterministic. ``applies`` is a predicate (``ledger.rules.applicability``): the
engine runs a rule only on the projects it applies to. A rule the catalogue names but the
events cannot support is registered with ``implemented=False`` and a docstring saying
"Not implemented: why"; it is listed, never run, and never counted as implemented.

The views: ``REGISTRY`` (implemented trail rules: what the engine runs), ``PORTFOLIO``
(implemented portfolio rules) and ``UNIMPLEMENTED``. ``load_all`` imports the catalogue
once per process. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ledger.rules.applicability import ALL, PORTFOLIO_SCOPE, Applies
from ledger.rules.context import RuleContext
from ledger.rules.model import Confidence, Finding, RuleMeta, Severity, Trail, TrailEvent
from ledger.rules.regimes import applicable, basis_by_regime
from ledger.rules.wording import in_beijing_time

Check = Callable[[Trail, RuleContext], Iterable[Finding]]
PortfolioCheck = Callable[[Sequence[Trail], RuleContext], Iterable[Finding]]
AnyCheck = TypeVar("AnyCheck", bound=Callable[..., Iterable[Finding]])
NOT_IMPLEMENTED = "not implemented:"


@dataclass(frozen=True)
class Rule:
    """A trail rule: its metadata and its check."""

    meta: RuleMeta
    check: Check


@dataclass(frozen=True)
class PortfolioRule:
    """A portfolio rule (§13): its metadata and its check over many trails."""

    meta: RuleMeta
    check: PortfolioCheck


REGISTRY: dict[str, Rule] = {}
PORTFOLIO: dict[str, PortfolioRule] = {}
UNIMPLEMENTED: dict[str, Rule | PortfolioRule] = {}


def rule(
    id: str, *, title_zh: str, title_en: str, basis: str, section: str,
    reads: Sequence[str], severity: Severity, lead: bool, confidence: Confidence,
    applies: Applies = ALL, version: int = 1, basis_tb: str = "", basis_gp: str = "",
    cross: str = "", portfolio: bool = False, implemented: bool = True,
) -> Callable[[AnyCheck], AnyCheck]:
    """Register the decorated check under ``id``; ids are unique across the catalogue.

    ``basis`` is the whole catalogue entry; a trail finding cites the part of it that holds
    in its project's regime (``ledger.rules.regimes``), or ``basis_tb`` / ``basis_gp`` where
    the rule declares that regime's basis itself; ``cross`` says why both systems apply."""
    if portfolio:
        by_regime: Mapping[str, str] = {}
        applies = PORTFOLIO_SCOPE if applies is ALL else applies
    else:
        declared = {k: v for k, v in (("TB", basis_tb), ("GP", basis_gp)) if v}
        by_regime = basis_by_regime(id, basis, declared, cross)
    meta = RuleMeta(id, title_zh, title_en, basis, section, tuple(reads), severity, lead,
                    confidence, applies, version, by_regime)

    def register(check: AnyCheck) -> AnyCheck:
        if id in REGISTRY or id in PORTFOLIO or id in UNIMPLEMENTED:
            raise ValueError(f"rule {id} registered twice")
        _check_marking(id, check, implemented)
        entry: Any = (PortfolioRule if portfolio else Rule)(meta, check)
        target: dict[str, Any] = (
            UNIMPLEMENTED if not implemented else PORTFOLIO if portfolio else REGISTRY)
        target[id] = entry
        return check

    return register


def _check_marking(rule_id: str, check: Callable[..., Any], implemented: bool) -> None:
    """``implemented=False`` and a "Not implemented: why" docstring go together."""
    says = (check.__doc__ or "").strip().lower().startswith(NOT_IMPLEMENTED)
    if says == implemented:
        raise ValueError(f"rule {rule_id}: mark an unimplemented rule with implemented=False "
                         f"and a docstring starting 'Not implemented: why' (both or neither)")


def not_implemented_reason(entry: Rule | PortfolioRule) -> str:
    """Why a rule is not implemented: its check's docstring, on one line."""
    return " ".join((entry.check.__doc__ or "").split())


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


# The modules that register rules: the catalogue package (every module in it) and the
# portfolio rules of §13.
PORTFOLIO_MODULES = ("ledger.rules.portfolio_rules", "ledger.rules.portfolio_complaints")
_loaded = threading.Event()
_loading = threading.Lock()


def load_all() -> dict[str, Rule]:
    """Import every rule module, the first time only (registration happens at import), and
    return the implemented trail rules. Later calls cost one flag test: the engine calls
    this on every evaluation."""
    if not _loaded.is_set():
        with _loading:
            if not _loaded.is_set():
                import ledger.rules.catalogue as catalogue

                for mod in pkgutil.iter_modules(catalogue.__path__):
                    importlib.import_module(f"{catalogue.__name__}.{mod.name}")
                for name in PORTFOLIO_MODULES:
                    importlib.import_module(name)
                _loaded.set()
    return REGISTRY


def load_portfolio() -> dict[str, PortfolioRule]:
    """``load_all``, then the implemented portfolio rules."""
    load_all()
    return PORTFOLIO
