"""One event as the caller may see it (receipts, proofs): the policy, the scope, the 404.

A record the caller may not see is answered exactly as a missing one, so the answer never
tells a sealed record, another bidder's record or another project's record from a gap.
"""

from __future__ import annotations

from ledger.errors import NotFoundError
from ledger.sealing.policy import in_scope, may_see
from ledger.sealing.views import Record, load_record, project_facts
from witness_api.deps import Services
from witness_api.tokens import SCOPED_ROLES, Principal

OWN_ONLY_ROLES = ("bidder", "ingest")
"""Roles that see only their own events (a bidder's, or what an ingest token posted)."""


def visible_record(services: Services, who: Principal, index: int) -> Record:
    """The record at ``index`` if ``who`` may see it, else the same 404 as a missing one."""
    try:
        record = load_record(services.log, index, who.viewer)
    except NotFoundError:
        raise NotFoundError(f"no event at index {index}") from None
    allowed = may_see(who.viewer, record.seen)
    if allowed and who.role in SCOPED_ROLES:
        facts = project_facts(services.log, record.project_id)
        allowed = in_scope(who.viewer, record.project_id, facts)
    if not allowed:
        raise NotFoundError(f"no event at index {index}")
    return record
