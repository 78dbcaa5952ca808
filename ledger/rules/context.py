"""What rules read besides the trail: calendar, thresholds and reference data (§2.3).

Thresholds are configuration (provincial rules often make national limits stricter), and
reference data (expert registry, enterprise relations, whitelists) load from JSON files.
Must not import the store, the API or the verifier.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ledger.rules.calendar import WorkCalendar


class Thresholds(BaseModel):
    """Tunable limits; defaults follow RULES.md (national minimums)."""

    model_config = ConfigDict(extra="forbid")

    count_mode: Literal["strict", "inclusive"] = "strict"
    opening_tolerance_minutes: int = Field(30, ge=0)
    fast_eval_minutes_per_bid: float = Field(10.0, ge=0)
    fast_eval_min_total_minutes: float = Field(30.0, ge=0)
    expert_absence_minutes: float = Field(15.0, ge=0)
    price_pattern_min_bids: int = Field(4, ge=3)
    price_pattern_cv: float = Field(0.01, ge=0)
    timing_cluster_seconds: float = Field(60.0, ge=0)
    bond_cap_ratio: str = "0.02"
    perf_bond_cap_ratio: str = "0.10"
    designated_media: tuple[str, ...] = ()
    extra: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class ReferenceData:
    """Reference data of RULES.md §2.3, keyed for the lookups rules make."""

    experts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    enterprises: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    relations: tuple[Mapping[str, Any], ...] = ()  # {a, b, kind, since?, until?}
    ip_whitelist: frozenset[str] = frozenset()  # center terminals / shared NAT egress
    device_whitelist: frozenset[str] = frozenset()
    debarred: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path) -> ReferenceData:
        """Load one JSON file with the optional keys of this class."""
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            experts={e["person_id"]: e for e in data.get("experts", [])},
            enterprises={e["org_id"]: e for e in data.get("enterprises", [])},
            relations=tuple(data.get("relations", [])),
            ip_whitelist=frozenset(data.get("ip_whitelist", [])),
            device_whitelist=frozenset(data.get("device_whitelist", [])),
            debarred=frozenset(data.get("debarred", [])),
        )

    def related(self, a: str, b: str) -> list[Mapping[str, Any]]:
        """Relations linking two parties (enterprises or persons), either direction."""
        return [r for r in self.relations if {r.get("a"), r.get("b")} == {a, b}]


@dataclass(frozen=True)
class RuleContext:
    calendar: WorkCalendar
    thresholds: Thresholds = field(default_factory=lambda: Thresholds())
    reference: ReferenceData = field(default_factory=ReferenceData)

    @classmethod
    def default(cls) -> RuleContext:
        return cls(WorkCalendar.load())
