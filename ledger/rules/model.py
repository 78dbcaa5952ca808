"""The data the rules work on: trail events, project flags, rule metadata and findings.

Pure: no I/O, no clock. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Severity = Literal["info", "warning", "violation"]
Confidence = Literal["V", "V2", "M", "D"]


@dataclass(frozen=True)
class TrailEvent:
    """One event of a project trail, as the rules see it (decoded from the envelope)."""

    index: int
    event_id: str
    type: str
    project_id: str
    section_id: str | None
    occurred_at: datetime
    received_at: datetime
    actor: Mapping[str, Any]
    context: Mapping[str, Any]
    payload: Mapping[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.payload.get(key, default)

    @property
    def ref(self) -> tuple[int, str]:
        return (self.index, self.event_id)


@dataclass(frozen=True)
class Trail:
    """All events of one project in log order; ``flags`` come from PROJECT_REGISTERED."""

    project_id: str
    events: tuple[TrailEvent, ...]

    @property
    def flags(self) -> Mapping[str, Any]:
        reg = self.first("PROJECT_REGISTERED")
        return reg.payload if reg else {}

    def of_type(self, *types: str) -> list[TrailEvent]:
        return [e for e in self.events if e.type in types]

    def first(self, event_type: str) -> TrailEvent | None:
        return next((e for e in self.events if e.type == event_type), None)

    def last(self, event_type: str) -> TrailEvent | None:
        found = self.of_type(event_type)
        return found[-1] if found else None

    def sections(self) -> list[str | None]:
        """Section ids in first-seen order (None for project-wide events)."""
        seen: dict[str | None, None] = {}
        for e in self.events:
            seen.setdefault(e.section_id, None)
        return list(seen)

    def for_section(self, section_id: str | None) -> Trail:
        """Events of one section plus the project-wide ones (section_id None)."""
        evs = tuple(e for e in self.events if e.section_id in (section_id, None))
        return Trail(self.project_id, evs)

    def __iter__(self) -> Iterator[TrailEvent]:
        return iter(self.events)


@dataclass(frozen=True)
class RuleMeta:
    """What a rule is, where its legal basis is, and how serious a hit is."""

    id: str
    title_zh: str
    title_en: str
    basis: str  # law code + article + key phrase, e.g. 'TB 第24条 "…不得少于二十日"'
    section: str  # RULES.md section number, e.g. "3"
    reads: tuple[str, ...]  # event types it reads
    severity: Severity
    lead: bool
    confidence: Confidence
    applies: str = "all"  # human-readable applicability, e.g. "TB ∧ must_tender"
    version: int = 1


@dataclass(frozen=True)
class Finding:
    """One rule hit, reproducible from the evidence events and the rule version."""

    rule_id: str
    rule_version: int
    severity: Severity
    lead: bool
    project_id: str
    section_id: str | None
    evidence: tuple[tuple[int, str], ...]  # (log index, event id)
    computed: Mapping[str, Any]
    message_zh: str
    message_en: str
    subjects: tuple[str, ...] = field(default=())

    @property
    def key(self) -> str:
        """Identity for idempotency: the same hit on the same evidence is one finding."""
        ev = ",".join(str(i) for i, _ in sorted(self.evidence))
        return f"{self.rule_id}@{self.rule_version}|{self.project_id}|{self.section_id}|{ev}"
