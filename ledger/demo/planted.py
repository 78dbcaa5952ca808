"""The violation classes the demo generator can plant, and the rule ids expected to fire.

Role: the single table shared by the generator, its CLI and the whole-generator test.
Pure data. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

PLANTED_RULES: Final = MappingProxyType({
    "short_deadline": ("R-TB-24-DEADLINE", "R-GP-35-DEADLINE"),
    "late_bid": ("R-TB-28-LATE-BID",),
    "few_bidders": ("R-TB-28-MIN3-BIDDERS",),
    "late_opening": ("R-TB-34-OPENING-TIME-PLACE",),
    "committee_of_4": ("R-TB-37-COMPOSITION",),
    "few_experts": ("R-TB-37-COMPOSITION",),
    "expert_conflict": ("R-TBR-46-CONFLICT",),
    "same_mac": ("R-CL-E-SAME-MACHINE",),
    "same_machine_code": ("R-CL-E-SAME-MACHINE",),
    "same_ca": ("R-CL-E-SAME-CA",),
    "same_file_hash": ("R-CL-E-SAME-FILE-HASH",),
    "same_bond_account": ("R-TBR-40-6-SAME-BOND-ACCOUNT",),
    "price_pattern": ("R-TBR-40-4-PRICE-PATTERN",),
    "expert_leaves": ("R-SITE-EXPERT-LEAVES",),
    "fast_evaluation": ("R-SITE-FAST-EVAL",),
    "unauthorized_badge": ("R-SITE-UNAUTHORIZED-BADGE",),
    "short_publicity": ("R-TBR-54-PUBLICITY-PERIOD",),
    "late_contract": ("R-TB-46-CONTRACT-30D",),
    "late_bond_refund": ("R-TBR-57-BOND-REFUND-5D", "R-GPR-33-BOND-REFUND-GP"),
    "late_complaint_reply": ("R-TBR-22-DOC-OBJECTION", "R-GP-53-CHALLENGE-REPLY-7WD"),
})
"""Planted class → rule ids of which (for the project's regime) one is expected to fire.

Where a class lists a TB and a GP rule, the one matching the project's regime applies:
see ``expected_rules``."""

PLANTED_CLASSES: Final[tuple[str, ...]] = tuple(PLANTED_RULES)

TB_ONLY: Final = frozenset({"short_publicity"})
"""Classes that only exist in the TB regime (candidate publicity is TBR 第54条)."""

MIN_BIDDERS: Final = MappingProxyType({"price_pattern": 4})
"""Classes needing more bidders in the planted section than the lawful minimum of 3."""

_GP_RULES: Final = frozenset({"R-GP-35-DEADLINE", "R-GPR-33-BOND-REFUND-GP",
                              "R-GP-53-CHALLENGE-REPLY-7WD"})
_TB_RULES: Final = frozenset({"R-TB-24-DEADLINE", "R-TBR-57-BOND-REFUND-5D",
                              "R-TBR-22-DOC-OBJECTION"})


def expected_rules(planted_class: str, regime: str) -> tuple[str, ...]:
    """The rule ids that must fire for ``planted_class`` in a project of ``regime``."""
    other = _TB_RULES if regime == "GP" else _GP_RULES
    return tuple(r for r in PLANTED_RULES[planted_class] if r not in other)
