"""Event classes for sealing, and the events that end a section's phases.

A section (标段/包; the project itself for events without ``section_id``) goes through three
phases: *bidding* until the witnessed opening, *evaluation* until the result is determined,
then *public*. Bid-phase records name those who obtained the documents, paid a bond or bid
(招标投标法 第22条): recorded before the opening, they are sealed — encrypted at rest and
outside the public project chain. Evaluation records name the committee and its scores
(第37条, 第44条; 实施条例 第49条): they stay closed to bidders and to anyone outside the
committee's supervision until the result. Pure data; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

EventClass = Literal["bidding", "evaluation", "public"]

BIDDING_TYPES: Final = frozenset({
    "INVITATION_SENT", "DOC_DOWNLOADED", "SITE_VISIT_HELD", "PREBID_MEETING_HELD",
    "CLARIFICATION_ISSUED", "BOND_PAID", "BID_SUBMITTED", "BID_MODIFIED", "BID_WITHDRAWN",
    "BOND_REFUNDED", "OBJECTION_FILED", "INQUIRY_FILED", "CHALLENGE_FILED",
    "OBJECTION_REPLIED", "CHALLENGE_REPLIED", "COMPLAINT_FILED", "HOTLINE_TICKET_FILED",
})
"""Types that name potential bidders or bid content: sealed when recorded before the opening."""

EVALUATION_TYPES: Final = frozenset({
    "EXPERT_DRAW", "COMMITTEE_FORMED", "CONFLICT_DECLARED", "RECUSAL", "MEMBER_REPLACED",
    "EVAL_STARTED", "EVAL_ENDED", "EVAL_PAUSED", "EVAL_RESUMED",
    "EVAL_TIME_INSUFFICIENT_VOTE", "EVAL_EXTENDED", "BIDDER_CLARIFICATION_REQUESTED",
    "BIDDER_CLARIFICATION_ANSWERED", "DOC_VIEWED", "SCORE_SUBMITTED", "BID_REJECTED",
    "EVAL_REPORT_SIGNED", "EVAL_REPORT_DELIVERED",
    "IDENTITY_VERIFIED", "BADGE_ENTER", "BADGE_EXIT", "BADGE_PROXIMITY", "DEVICE_DEPOSITED",
    "SIGNAL_DETECTED", "REMOTE_EVAL_ARRANGED", "EXPERT_SEATED", "REMOTE_LINK_OPENED",
    "REMOTE_LINK_CLOSED",
})
"""Committee, scoring and venue records (expert identities): closed until the result."""

OPENING_TRIGGERS: Final = frozenset({
    "OPENING_STARTED", "OPENING_ENDED", "OPENING_RECORD_PUBLISHED", "BID_DECRYPTED",
    "BID_EXTRACTED", "TENDER_TERMINATED",
})
"""Any of these, recorded for a section, witnesses that its bids are open (or will never be
opened: a terminated tender has no competition left to protect)."""

RESULT_TRIGGERS: Final = frozenset({
    "WINNER_DETERMINED", "RESULT_ANNOUNCED", "AWARD_NOTICE_ISSUED", "RESULT_NOTICE_ISSUED",
    "CONTRACT_SIGNED", "TENDER_TERMINATED",
})
"""Any of these ends the evaluation secrecy of a section (中标结果确定, 第37条)."""

LEAD_TYPES: Final = frozenset({"LEAD_RAISED", "LEAD_TRANSFERRED", "LEAD_ACKNOWLEDGED"})
RELEASE_TYPE: Final = "BIDS_UNSEALED"

# Roles whose presence before the opening reveals a (potential) bidder.
_BIDDER_ROLES: Final = frozenset({"bidder"})


def event_class(event: Mapping[str, Any]) -> EventClass:
    """The class of a submitted or decoded event (by type, actor and subject role)."""
    etype = event.get("type")
    if etype in EVALUATION_TYPES:
        return "evaluation"
    if etype in BIDDING_TYPES or _names_a_bidder(event):
        return "bidding"
    return "public"


def sealed_before_opening(event: Mapping[str, Any]) -> bool:
    """Whether the event, recorded before its section's opening, must be sealed: it names a
    (potential) bidder — by type, by its actor's role or by the role of its subject."""
    return event.get("type") in BIDDING_TYPES or _names_a_bidder(event)


def _names_a_bidder(event: Mapping[str, Any]) -> bool:
    actor = event.get("actor")
    if isinstance(actor, dict) and actor.get("role") in _BIDDER_ROLES:
        return True
    payload = event.get("payload")
    if not isinstance(payload, dict):
        return False
    return payload.get("role") in _BIDDER_ROLES or payload.get("other_role") in _BIDDER_ROLES


def scope_of(event: Mapping[str, Any]) -> tuple[str, str]:
    """(project id, section key): the section id, or "" for a project-wide event."""
    section = event.get("section_id")
    return str(event["project_id"]), section if isinstance(section, str) else ""
