"""Helpers shared by the docs/rules.md §8 and §9 rules: committee membership (after
replacements), expert draws, the active evaluation session and its pauses.

Registers no rule. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.rules.helpers import trail_now
from ledger.rules.model import Trail, TrailEvent

COMMITTEE_EVENTS = ("COMMITTEE_FORMED", "MEMBER_REPLACED")
SMALL_TEAM_METHODS = ("competitive_negotiation", "inquiry", "consultation")

now = trail_now  # the trail's "now" (see ledger.rules.helpers)


@dataclass(frozen=True)
class Committee:
    formed: TrailEvent
    members: dict[str, Mapping[str, Any]]  # person_id → member (current, after replacements)
    replaced: dict[str, TrailEvent]  # person_id of a replaced member → MEMBER_REPLACED

    @property
    def experts(self) -> list[str]:
        return [p for p, m in self.members.items() if m.get("role") == "expert"]


def committee(trail: Trail, *, replacements: bool = True) -> Committee | None:
    """The last COMMITTEE_FORMED with the later MEMBER_REPLACED applied (replacement = expert).

    Memoised per trail: callers read the result, never change it."""
    if replacements:
        return trail.memo(_committee_replaced, _committee_replaced)
    return trail.memo(_committee_formed, _committee_formed)


def _committee_replaced(trail: Trail) -> Committee | None:
    return _committee(trail, True)


def _committee_formed(trail: Trail) -> Committee | None:
    return _committee(trail, False)


def _committee(trail: Trail, replacements: bool) -> Committee | None:
    formed = trail.last("COMMITTEE_FORMED")
    if formed is None:
        return None
    members = {m["person_id"]: m for m in formed.payload.get("members", [])}
    replaced: dict[str, TrailEvent] = {}
    for r in trail.of_type("MEMBER_REPLACED") if replacements else []:
        if r.index < formed.index:
            continue
        old = members.pop(r.payload["person_id"], {})
        replaced[r.payload["person_id"]] = r
        members[r.payload["replacement_id"]] = {
            "person_id": r.payload["replacement_id"], "role": old.get("role", "expert")}
    return Committee(formed, members, replaced)


def all_member_ids(trail: Trail) -> set[str]:
    """Everyone who was a member of the section's committee at any time."""
    com = committee(trail)
    return set(com.members) | set(com.replaced) if com else set()


def random_draws(trail: Trail) -> list[TrailEvent]:
    return [e for e in trail.of_type("EXPERT_DRAW") if e.get("method") == "random"]


def scores_by(trail: Trail, person: str) -> list[TrailEvent]:
    """SCORE_SUBMITTED of ``person`` in trail order (a new list)."""
    if isinstance(person, str):
        return list(trail.memo(_scores_by_expert, _scores_by_expert).get(person, ()))
    return [e for e in trail.of_type("SCORE_SUBMITTED") if e.get("expert_id") == person]


def _scores_by_expert(trail: Trail) -> dict[str, list[TrailEvent]]:
    """SCORE_SUBMITTED by string ``expert_id`` (no other value equals a string id)."""
    out: dict[str, list[TrailEvent]] = {}
    for e in trail.of_type("SCORE_SUBMITTED"):
        ex = e.payload.get("expert_id")
        if isinstance(ex, str):
            out.setdefault(ex, []).append(e)
    return out


@dataclass(frozen=True)
class Session:
    start: TrailEvent
    end: TrailEvent | None  # EVAL_REPORT_SIGNED (else EVAL_ENDED), None while running
    room: str | None
    pauses: list[tuple[datetime, datetime]]
    until: datetime  # end time, or the trail's "now" (max received_at)

    def active(self, t: datetime) -> bool:
        """Inside [start, end] and not inside a recorded pause."""
        if not self.start.occurred_at <= t <= self.until:
            return False
        return not any(a <= t < b for a, b in self.pauses)

    def minutes(self) -> float:
        paused = sum((min(b, self.until) - a).total_seconds() for a, b in self.pauses)
        return ((self.until - self.start.occurred_at).total_seconds() - paused) / 60




def session(trail: Trail) -> Session | None:
    """The evaluation session of one section: first EVAL_STARTED to the report (memoised per
    trail; callers read it, never change it)."""
    return trail.memo(_session, _session)


def _session(trail: Trail) -> Session | None:
    start = trail.first("EVAL_STARTED")
    if start is None:
        return None
    later = [e for e in trail.of_type("EVAL_REPORT_SIGNED", "EVAL_ENDED") if e.index > start.index]
    signed = [e for e in later if e.type == "EVAL_REPORT_SIGNED"]
    end = signed[0] if signed else (later[0] if later else None)
    until = end.occurred_at if end is not None else now(trail)
    pauses: list[tuple[datetime, datetime]] = []
    for p in trail.of_type("EVAL_PAUSED"):
        if start.occurred_at <= p.occurred_at <= until:
            resume = next((r.occurred_at for r in trail.of_type("EVAL_RESUMED")
                           if r.occurred_at >= p.occurred_at), until)
            pauses.append((p.occurred_at, resume))
    return Session(start, end, start.get("room"), pauses, until)


def in_room(badge: TrailEvent, sess: Session) -> bool:
    """A badge event in the evaluation room of this session (room ids compared if both set)."""
    if badge.get("zone") != "evaluation_room":
        return False
    room = badge.get("room")
    return room is None or sess.room is None or room == sess.room
