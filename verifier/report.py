"""The result of a verification: problems, what was not checked, counts, a timeline.

Role: one result model for every check (receipt, bundle, ledger), rendered as human text or
as JSON (schema in docs/verifier.md), and mapped to the exit code.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledger.core.exit_codes import EXIT_FAILURE, EXIT_OK, EXIT_UNREACHABLE

REPORT_FORMAT = "witness-verify-report/v1"
MAX_PROBLEMS = 1000
# Codes whose later occurrences are consequences of the first (a changed leaf changes every
# node above it and every later root): only the first is listed, the rest are counted.
FIRST_ONLY = frozenset({"leaf", "node", "root"})


@dataclass(frozen=True)
class Problem:
    """One integrity failure, located as precisely as the check allows."""

    code: str
    detail: str
    index: int | None = None
    event_id: str | None = None
    project_id: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "index": self.index, "event_id": self.event_id,
                "project_id": self.project_id, "detail": self.detail,
                "evidence": self.evidence}


@dataclass
class Report:
    """What a check established. ``outcome`` is derived, never set by hand."""

    kind: str
    subject: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    unchecked: list[dict[str, str]] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)  # readable lines (text output only)
    suppressed: int = 0
    unreachable: bool = False

    def add(self, problem: Problem) -> None:
        seen = sum(1 for p in self.problems if p.code == problem.code)
        if len(self.problems) >= MAX_PROBLEMS or (problem.code in FIRST_ONLY and seen):
            self.suppressed += 1
            return
        self.problems.append(problem)

    def fail(self, code: str, detail: str, **where: Any) -> None:
        self.add(Problem(code, detail, **where))

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def skip(self, what: str, reason: str, *, unreachable: bool = False) -> None:
        """Record something not checked; ``unreachable`` when a source could not be read."""
        self.unchecked.append({"what": what, "reason": reason})
        self.unreachable = self.unreachable or unreachable

    @property
    def outcome(self) -> str:
        if self.problems or self.suppressed:
            return "failed"
        if self.unreachable:
            return "unreachable"
        return "pending" if self.pending else "intact"

    @property
    def ok(self) -> bool:
        """True when nothing was found wrong and every requested source answered."""
        return self.outcome in ("intact", "pending")

    @property
    def exit_code(self) -> int:
        return {"failed": EXIT_FAILURE, "unreachable": EXIT_UNREACHABLE}.get(self.outcome, EXIT_OK)

    @property
    def first_divergence(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": REPORT_FORMAT, "kind": self.kind, "ok": self.ok, "outcome": self.outcome,
            "subject": self.subject, "counts": self.counts,
            "problems": [p.to_json() for p in self.problems],
            "problems_suppressed": self.suppressed,
            "first_divergence": None if not self.problems else self.problems[0].to_json(),
            "unchecked": self.unchecked, "pending": self.pending, "timeline": self.timeline,
        }

    def to_text(self) -> str:
        lines = [f"{self.kind}: {_OUTCOME_TEXT[self.outcome]}"]
        lines += [f"  {k}: {v}" for k, v in self.subject.items() if k != "lead"]
        if self.counts:
            lines.append("  checked: " + ", ".join(f"{k} {v}" for k, v in self.counts.items()))
        lines += ["  " + s for s in self.summary]
        lines += [_timeline_line(t) for t in self.timeline]
        for p in self.problems:
            lines.append("  FAIL " + _problem_line(p))
        if self.suppressed:
            lines.append(f"  ... and {self.suppressed} consequent problem(s) not listed")
        lines += [f"  pending: {p}" for p in self.pending]
        lines += [f"  not checked: {u['what']} ({u['reason']})" for u in self.unchecked]
        return "\n".join(lines)


_OUTCOME_TEXT = {
    "intact": "INTACT — everything checked is consistent",
    "pending": "PENDING — valid so far, not yet anchored on chain",
    "failed": "FAILED — integrity problem found",
    "unreachable": "INCOMPLETE — a source could not be reached",
}


def _problem_line(p: Problem) -> str:
    where = []
    if p.index is not None:
        where.append(f"index {p.index}")
    if p.event_id:
        where.append(f"event {p.event_id}")
    if p.project_id:
        where.append(f"project {p.project_id}")
    loc = f" at {', '.join(where)}" if where else ""
    return f"[{p.code}]{loc}: {p.detail}"


def _timeline_line(t: dict[str, Any]) -> str:
    keys = " ".join(f"{k}={v}" for k, v in t.get("key_fields", {}).items())
    actor = t.get("actor") or "-"
    role = f" [{t['role']}]" if t.get("role") else ""
    seq = "sealed" if t.get("seal") else t.get("project_seq")
    return (f"  {'' if seq is None else seq:>6} {t.get('occurred_at', '')[:25]:25} "
            f"{t.get('type', ''):28} {actor:24} {t.get('result', '')}{role}  {keys}").rstrip()
