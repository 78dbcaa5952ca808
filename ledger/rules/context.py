"""What rules read besides the trail: calendar, thresholds and reference data (§2.3).

Thresholds are configuration (provincial rules often make national limits stricter), and
reference data (expert registry, enterprise relations, whitelists) load from JSON files.
Must not import the store, the API or the verifier.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ledger.rules.calendar import WorkCalendar


class Thresholds(BaseModel):
    """Tunable limits; defaults follow docs/rules.md (national minimums)."""

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

    # §6/§8/§9 (collusion, committee, on-site) tunables, all D unless docs/rules.md says otherwise.
    generic_metadata_values: tuple[str, ...] = (
        "administrator", "admin", "user", "微软用户", "微软中国", "microsoft", "用户", "owner",
    )  # file_meta values too common to link bidders (compared case-insensitively)
    same_ip_upload_window_minutes: float = Field(10.0, ge=0)  # same IP + uploads this close
    file_created_cluster_minutes: float = Field(10.0, ge=0)  # file created_at this close
    price_grid_min_step: str = "0.005"  # percent-of-ceiling grid step (0.5 %)
    tenderer_access_window_hours: float = Field(24.0, ge=0)  # access → bid change window
    conflict_lookback_years: int = Field(3, ge=0)  # employment / office within N years
    draw_lead_hours: float = Field(24.0, ge=0)  # draw earlier than t_dl − N h → warning
    max_redraw_rounds: int = Field(3, ge=0)
    expert_min_years: int = Field(8, ge=0)
    expert_absence_violation_minutes: float = Field(45.0, ge=0)
    escort_seconds: float = Field(60.0, ge=0)  # organiser leaving with the member
    onsite_staff_roles: tuple[str, ...] = ("supervisor", "center_staff", "agent")
    proximity_max_m: str = "2"
    proximity_violation_s: int = Field(30, ge=0)
    proximity_warning_s: int = Field(5, ge=0)
    supervised_public_zones: tuple[str, ...] = ("opening_hall", "supervision_room")
    identity_min_match: str = "0.80"
    evaluation_terminals: tuple[str, ...] = ()  # registered terminal ids; empty = not checked
    doc_view_min_seconds: int = Field(180, ge=0)
    score_burst_seconds: float = Field(60.0, ge=0)  # all final scores this close → warning
    score_outlier_ratio: str = "0.3"
    abnormally_low_ratio: str = "0.80"

    # §10–§13 (award, contract, bonds, complaints, records, portfolio) tunables.
    platform_media: tuple[str, ...] = ()  # media ids of the trading platform (EB 第35条)
    contract_amend_warn_ratio: str = "0.10"  # §10 CONTRACT-CONSISTENT: top-up share → warning
    contract_amend_window_days: int = Field(180, ge=0)  # … when amended within N days
    gp_additional_ratio: str = "0.10"  # GP 第49条 top-up cap (statutory 10 %)
    gp_overdue_fee_base_rate: str = "0.0435"  # PBOC loan benchmark (annual) for GP87 第38条
    gp_overdue_fee_markup: str = "0.20"  # "上浮20％"
    oplog_missing_share: float = Field(0.01, ge=0)  # §12 share of platform ops lacking IP/actor
    clock_order_tolerance_seconds: float = Field(5.0, ge=0)  # §12 causal order tolerance
    cover_min_bids: int = Field(20, ge=1)  # §13 陪标专业户: bids at least
    cover_max_win_rate: float = Field(0.02, ge=0)  # … win rate at most
    cover_colocated_share: float = Field(0.5, ge=0)  # … share of bids under the same winners
    cover_top_winners: int = Field(3, ge=1)  # … counting the top N winners
    king_min_bids: int = Field(10, ge=1)  # §13 标王: bids at least (one category and region)
    king_win_rate: float = Field(0.5, ge=0)
    king_value_share: float = Field(0.30, ge=0)  # … or share of the awarded value
    king_value_min_sections: int = Field(10, ge=1)  # … among at least N awarded sections
    clique_min_size: int = Field(3, ge=2)  # §13 抱团: bidders in the set
    clique_min_sections: int = Field(5, ge=1)  # … co-bidding in at least N sections
    clique_min_distinct_winners: int = Field(2, ge=1)  # "rotating": distinct winners in the set
    clique_max_bidders_per_section: int = Field(12, ge=3)  # enumeration cap per section
    affinity_mad_k: float = Field(1.5, ge=0)  # §13 expert affinity: ≥ k·MAD above the median
    affinity_mad_floor: str = "1"  # MAD floor (score points) when the others agree
    affinity_min_projects: int = Field(3, ge=1)
    affinity_win_ratio: float = Field(3.0, ge=1)  # win rate with e ≥ ratio × base rate
    affinity_min_sittings: int = Field(3, ge=1)  # … over at least N sections with e sitting
    draw_alpha: float = Field(0.001, gt=0)  # §13 draw frequency: binomial upper-tail bound
    agent_min_sections: int = Field(10, ge=1)  # §13 agent–winner concentration
    agent_winner_share: float = Field(0.40, ge=0)
    retender_min_failures: int = Field(2, ge=1)  # §13 retender loop


@dataclass(frozen=True)
class ReferenceData:
    """Reference data of docs/rules.md §2.3, keyed for the lookups rules make."""

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
        if not self.relations:
            return []
        return list(self._by_pair.get(frozenset((a, b)), ()))

    @functools.cached_property
    def _by_pair(self) -> dict[frozenset[Any], list[Mapping[str, Any]]]:
        """The relations by their pair of parties, built on the first question (not at
        load, see ``_pairs``): the conflict rules ask about every member and bidder of every
        section, and a scan of all relations per question grows with both. Not a field: the
        reference data's fields are what its file holds."""
        return _pairs(self.relations)


def _pairs(relations: tuple[Mapping[str, Any], ...]
           ) -> dict[frozenset[Any], list[Mapping[str, Any]]]:
    """Relations by the set of their two parties, in file order (what ``related`` matched by
    comparing each relation's {a, b} with the asked pair; a party that cannot be in a set
    fails here as it failed there, at the first question)."""
    out: dict[frozenset[Any], list[Mapping[str, Any]]] = {}
    for r in relations:
        out.setdefault(frozenset((r.get("a"), r.get("b"))), []).append(r)
    return out


@dataclass(frozen=True)
class RuleContext:
    calendar: WorkCalendar
    thresholds: Thresholds = field(default_factory=lambda: Thresholds())
    reference: ReferenceData = field(default_factory=ReferenceData)

    @classmethod
    def default(cls) -> RuleContext:
        return cls(WorkCalendar.load())
