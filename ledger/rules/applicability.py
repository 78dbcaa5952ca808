"""To which projects a rule applies: a predicate on the project's flags, and its words.

A rule declares ``applies=`` one of the predicates below, or one of them ``.where(words)``
when the words say more than the predicate tests (a method, a phase, what the events cannot
show): the predicate is the part the engine decides before running the check — a rule whose
predicate is false for a project is not run on it — and the words are what docs/rules.md
and a lead package print. A predicate never excludes a project on which the check could
find something (tests/rules/test_registry.py runs every check on projects it excludes).

Flags are the payload of the project's PROJECT_REGISTERED (``Trail.flags``): ``regime``
("TB": 招标投标法 system, "GP": 政府采购), ``must_tender``, ``electronic``. Pure; must not
import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Flags = Mapping[str, Any]


@dataclass(frozen=True)
class Applies:
    """A predicate on a project's flags (``holds``) and the words that describe it."""

    label: str
    holds: Callable[[Flags], bool]

    def where(self, label: str) -> Applies:
        """The same predicate, described by ``label`` (which may narrow it in words: the
        check decides those parts)."""
        return Applies(label, self.holds)

    def __str__(self) -> str:
        return self.label


def _always(_flags: Flags) -> bool:
    return True


def _works(flags: Flags) -> bool:
    return flags.get("regime") == "TB"


def _procurement(flags: Flags) -> bool:
    return flags.get("regime") == "GP"


def _works_must_tender(flags: Flags) -> bool:
    return _works(flags) and bool(flags.get("must_tender"))


def _not_optional_works(flags: Flags) -> bool:
    # "(TB ∧ must_tender) ∨ GP" as the checks test it: every project except works that need
    # not be tendered (a project without a regime flag is not excluded)
    return not (_works(flags) and not flags.get("must_tender"))


def _electronic(flags: Flags) -> bool:
    return bool(flags.get("electronic"))


ALL = Applies("all", _always)
TB = Applies("TB", _works)
GP = Applies("GP", _procurement)
TB_MUST = Applies("TB ∧ must_tender", _works_must_tender)
TB_MUST_OR_GP = Applies("(TB ∧ must_tender) ∨ GP", _not_optional_works)
ELECTRONIC = Applies("electronic", _electronic)
PORTFOLIO_SCOPE = Applies("portfolio", _always)  # cross-project: every project may contribute
