"""Payload models, phase "ledger-internal" (线索).

Role: the events the ledger writes into the log itself: raising a violation lead (违规线索),
transferring it to a regulator (移送), the regulator's acknowledgement (签收), and
unsealing a section's bid-phase records at its opening (开标解封), binding the log's
checkpoint key for the on-chain registry, and handing the log key over to a new one
(密钥轮换).
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
    package_hash: Hash | None = Field(
        None, description="SHA-256 of the lead package file the regulator downloads "
        "(its exact bytes; docs/leads.md).")
    by: Name | None = Field(None, description="Who transferred it: the operator or token "
                            "label; absent when the ledger routed a sealed lead itself.")
    cosigners: Annotated[list[Name], Field(max_length=64)] | None = Field(
        None, description="The witnesses whose cosignatures of the package's checkpoint the "
        "package carries (so every later export is the same file); absent: none.")


class LeadAcknowledged(_Lead):
    """A regulator acknowledges receipt (签收) of a transferred lead and its package.

    Appended once per lead (event id ``<lead_id>:acknowledged``); it names the
    LEAD_TRANSFERRED event it answers and the package hash that event recorded."""

    EVENT_TYPE = "LEAD_ACKNOWLEDGED"
    EMITTED_BY = "ledger (on the regulator's acknowledgement)"
    PHASE = PHASE

    regulator: Name = Field(description="The department the lead was transferred to.")
    package_hash: Hash | None = Field(
        None, description="SHA-256 of the lead package acknowledged (as LEAD_TRANSFERRED "
        "recorded it).")
    transferred_index: Annotated[int, Field(ge=0)] = Field(
        description="Log index of the LEAD_TRANSFERRED event acknowledged.")
    by: Name = Field(description="Who acknowledged: the regulator token's label or id.")


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


Address = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]


class CheckpointSignerBound(Payload):
    """The log binds its secp256k1 checkpoint key to its Ed25519 log key (one per registry).

    The registry accepts only checkpoints this signer signed. ``statement`` is a signed note
    by the log key naming the same origin, chain, registry, log id and signer, so anyone
    holding the log's public key can check that the signer the registry trusts is the
    log's own. Format: docs/formats.md.
    """

    EVENT_TYPE = "CHECKPOINT_SIGNER_BOUND"
    EMITTED_BY = "ledger (system, when it binds to a registry)"
    PHASE = PHASE

    signer: Address = Field(description="Address of the checkpoint key (EIP-55).")
    chain_id: Annotated[int, Field(ge=1, lt=2**64)]
    registry: Address = Field(description="The WitnessRegistry contract (EIP-55).")
    log_id: Hash = Field(description="The log's id in the registry: SHA-256 of its origin.")
    statement: Annotated[str, Field(pattern=r"^[^\x00-\x09\x0b-\x1f\x7f]*$",
                                    min_length=1, max_length=2000)] = Field(
        description="Signed note (C2SP) by the log key binding the signer, see formats.md.")


VerifierKey = Annotated[str, Field(pattern=r"^[^\s+]{1,200}\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$")]


class LogKeyRotated(Payload):
    """The log hands its signing key over to a new one (密钥轮换).

    ``statement`` is a ``witness-log-key-rotation/v1`` note signed by the old key and by the
    new one; the new key signs only checkpoints of sizes above ``after``. The ledger seals a
    checkpoint over this event with the old key before switching, and verifiers follow the
    chain of these statements from the key they pinned. Format: docs/formats.md.
    """

    EVENT_TYPE = "LOG_KEY_ROTATED"
    EMITTED_BY = "ledger (system, `witness keys rotate-log-key`)"
    PHASE = PHASE

    old_key: VerifierKey = Field(description="The outgoing log key (C2SP verifier key).")
    new_key: VerifierKey = Field(description="The incoming log key (C2SP verifier key).")
    after: Annotated[int, Field(ge=0, lt=2**63)] = Field(
        description="The new key signs checkpoints of tree sizes above this one.")
    statement: Annotated[str, Field(pattern=r"^[^\x00-\x09\x0b-\x1f\x7f]*$",
                                    min_length=1, max_length=2000)] = Field(
        description="Signed note (C2SP) by the old and the new key, see formats.md.")


PAYLOADS: tuple[type[Payload], ...] = (LeadRaised, LeadTransferred, LeadAcknowledged,
                                       BidsUnsealed, CheckpointSignerBound, LogKeyRotated)
