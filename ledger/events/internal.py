"""Payload models, phase "ledger-internal" (线索).

Role: the events the ledger writes into the log itself: raising a violation lead (违规线索),
transferring it to a regulator (移送), and unsealing a section's bid-phase records at its
opening (开标解封).
Pure schema code: it must not import the store, the API or the log.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ledger.events.types import Hash, Ident, IdList, Name, Payload, Text

PHASE = "internal"

Severity = Literal["info", "warning", "violation"]


class _Lead(Payload):
    """Common fields of lead events."""

    lead_id: Ident
    rule_ids: Annotated[list[Ident], Field(min_length=1, max_length=50)]
    finding_ids: IdList | None = None
    evidence_event_ids: Annotated[list[Ident], Field(max_length=1000)]
    evidence_indexes: (
        Annotated[list[Annotated[int, Field(ge=0)]], Field(max_length=1000)] | None
    ) = Field(None, description="Log indexes of the evidence events.")
    severity: Severity
    note: Text | None = None


class LeadRaised(_Lead):
    """The rules engine raises a lead from one or more findings."""

    EVENT_TYPE = "LEAD_RAISED"
    EMITTED_BY = "ledger rules engine (system)"
    PHASE = PHASE

    regulator: Name | None = Field(None, description="Regulator / department the lead is for.")


class LeadTransferred(_Lead):
    """A lead is transferred (移送) to a regulator with its evidence package."""

    EVENT_TYPE = "LEAD_TRANSFERRED"
    EMITTED_BY = "ledger (center staff or system)"
    PHASE = PHASE

    regulator: Name = Field(description="Receiving regulator / department (行政监督部门).")
    package_hash: Hash | None = Field(None, description="SHA-256 of the signed lead package.")


class BidsUnsealed(Payload):
    """The ledger unseals a section's bid-phase records at its opening (开标解封).

    Appended by the ledger itself, right after the event that witnessed the opening
    (``trigger_index``): it publishes the section's scope key, so the sealed records can be
    decrypted by anyone holding the database, and lists every sealed record of the section,
    so a bundle or fsck can prove that none was left out. Format: docs/formats.md.
    """

    EVENT_TYPE = "BIDS_UNSEALED"
    EMITTED_BY = "ledger (system)"
    PHASE = PHASE

    scope_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")] = Field(
        description="SHA-256(\"witness-seal-scope/v1\" ‖ key)[:16], hex.")
    key: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]{43}=$")] = Field(
        description="The section's AES-256-GCM scope key, base64.")
    sealed_indexes: Annotated[list[Annotated[int, Field(ge=0)]], Field(max_length=20_000)] = (
        Field(description="Log indexes of every record sealed in this section, ascending."))
    sealed_count: Annotated[int, Field(ge=0, le=20_000)]
    trigger_index: Annotated[int, Field(ge=0)] = Field(
        description="Log index of the event that witnessed the opening.")
    trigger_type: Ident = Field(description="Its type (OPENING_STARTED, BID_DECRYPTED, …).")


PAYLOADS: tuple[type[Payload], ...] = (LeadRaised, LeadTransferred, BidsUnsealed)
