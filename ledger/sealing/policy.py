"""Who may see which event, when: the one place the visibility table is decided.

docs/sealing.md gives the same table with the article behind each cell. Every view — API
routes, pages, exports — asks ``may_see`` (per event) and ``in_scope`` (per project);
nothing else decides. A denied event is answered exactly as a missing one (404), so an
answer never tells a sealed record from an absent one.

Must not import the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ledger.sealing.classes import event_class

AUDITOR_ROLES: Final = frozenset({"supervisor", "regulator"})
"""The committee's supervision: they may read evaluation records before the result."""

OWNER_FIELDS: Final = ("bidder_org", "downloader_org", "filer_org", "complainant_org")
"""Payload fields naming the bidder an event is about (besides the actor's organisation)."""

NEVER_TO_BIDDERS: Final = frozenset({"DOC_VIEWED", "SCORE_SUBMITTED"})
"""Per-expert material: no bidder sees it, not even about its own bid (第44条)."""

BIDDER_EVALUATION: Final = frozenset({"BIDDER_CLARIFICATION_REQUESTED",
                                      "BIDDER_CLARIFICATION_ANSWERED"})
"""Evaluation records a bidder takes part in: its own clarification, at any time."""


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a role, and what binds it (bidder id, token, oversight scope)."""

    role: str  # ingest | bidder | supervisor | regulator | admin | operator
    bidder_id: str | None = None
    token_id: str | None = None
    projects: frozenset[str] = field(default_factory=frozenset)
    regions: tuple[str, ...] = ()
    departments: frozenset[str] = field(default_factory=frozenset)


OPERATOR = Viewer("operator")
"""The center's operator at the command line (holding the data directory): as admin."""


@dataclass(frozen=True)
class ProjectFacts:
    """What a project's registration says about who oversees it."""

    region_code: str | None = None
    supervisory_dept: str | None = None


@dataclass(frozen=True)
class Seen:
    """One stored event as the policy needs it."""

    envelope: Mapping[str, Any] | None  # None: sealed and not readable in this view
    sealed: bool  # stored as a sealed record
    released: bool  # its section's key is published in the log (BIDS_UNSEALED)
    submitter: str | None  # the ingest token that posted it
    phase: str  # bidding | evaluation | public, of its section


def in_scope(viewer: Viewer, project_id: str, facts: ProjectFacts) -> bool:
    """Whether a supervisor or regulator oversees the project (others: always True; their
    limits are per event)."""
    if viewer.role not in AUDITOR_ROLES:
        return True
    if project_id in viewer.projects:
        return True
    region = facts.region_code
    if region and any(region.startswith(prefix) for prefix in viewer.regions):
        return True
    return facts.supervisory_dept is not None and facts.supervisory_dept in viewer.departments


def may_see(viewer: Viewer, seen: Seen) -> bool:
    """The visibility table of docs/sealing.md, for one event."""
    if viewer.role == "ingest":
        return seen.submitter is not None and seen.submitter == viewer.token_id
    env = seen.envelope
    if env is None:
        return False
    if viewer.role == "bidder":
        return _owned(viewer, env, seen.phase)
    if viewer.role not in AUDITOR_ROLES | {"admin", "operator"}:
        return False
    if seen.sealed and not seen.released:
        return False
    kind = event_class(env)
    if kind == "bidding" and seen.phase == "bidding":
        return False  # a record stored before sealing existed: still closed until opening
    if kind == "evaluation" and seen.phase != "public":
        return viewer.role in AUDITOR_ROLES
    return True


def owner_of(envelope: Mapping[str, Any]) -> set[str]:
    """The organisations an event belongs to: its actor's and the bidder it is about."""
    out: set[str] = set()
    actor = envelope.get("actor")
    if isinstance(actor, dict) and isinstance(actor.get("org_id"), str):
        out.add(actor["org_id"])
    payload = envelope.get("payload")
    if isinstance(payload, dict):
        out.update(v for k in OWNER_FIELDS if isinstance(v := payload.get(k), str))
    return out


def _owned(viewer: Viewer, env: Mapping[str, Any], phase: str) -> bool:
    if viewer.bidder_id is None or viewer.bidder_id not in owner_of(env):
        return False
    etype = env.get("type")
    if etype in NEVER_TO_BIDDERS:
        return False
    if event_class(env) == "evaluation" and etype not in BIDDER_EVALUATION:
        return etype == "BID_REJECTED" and phase == "public"
    return True
