"""Pydantic models of the API's JSON bodies, for validation and the OpenAPI document.

Events themselves are validated by ``ledger.events.parse_event`` (one schema per type) so
that every problem is reported with its field path; the request models here only frame them.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ledger.ingest import MAX_BATCH

Hex32 = str


class FastJSONResponse(JSONResponse):
    """``JSONResponse`` encoded with orjson (about 10x faster on a batch of receipts).

    Same JSON (compact, UTF-8, no NaN); anything orjson refuses (an integer beyond 64 bits,
    a non-string key) falls back to the standard encoder.
    """

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except TypeError:
            return super().render(content)


class Problem(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["urn:witness:problem:invalid-event"])
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = Field(
        None, description="Field problems: dotted path `loc` and message `msg`.")


class AnchoredProofOut(BaseModel):
    checkpoint: str = Field(description="The signed checkpoint (C2SP note) the proof leads to.")
    inclusion_proof: list[Hex32]
    anchor: dict[str, Any] | None = Field(None, description="Chain reference once anchored.")
    anchors: list[dict[str, Any]] | None = Field(
        None, description="References on the further chains the log is bound to (absent "
        "with one chain).")


class ReceiptOut(BaseModel):
    """A receipt file (docs/formats.md), byte-for-byte what `witness receipt` writes."""

    format: Literal["witness-receipt/v1", "witness-receipt/v2"] = Field(
        description="v2: the promise signs the whole committed batch and `batch_proof` places "
        "the event in it; v1 (events appended before v2): the promise signs this event alone.")
    origin: str
    index: int
    leaf_hash: Hex32
    canonical_event: str = Field(description="RFC 8785 canonical envelope (JSON text).")
    promise: str = Field(description="Signed note: the log promises inclusion within MMD "
                         "(v2: of the batch [first, first+count) with the given root; v1: of "
                         "this leaf at this index).")
    batch_proof: list[Hex32] | None = Field(
        None, max_length=64, description="v2 only (absent in v1): the RFC 9162 audit path of "
        "`leaf_hash` at offset index − first in the batch tree whose root the promise signs.")
    anchored: AnchoredProofOut | None


class AppendOut(BaseModel):
    """The outcome of appending one event."""

    status: Literal["created", "duplicate"]
    event_id: str
    index: int
    receipt: ReceiptOut
    warnings: list[str] = Field(default_factory=list,
                                description="e.g. occurred_at ahead of the ledger clock")


class BatchIn(BaseModel):
    """Up to ``MAX_BATCH`` events; each is validated on its own."""

    events: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH)


class BatchItemOut(BaseModel):
    position: int
    event_id: str | None
    status: Literal["created", "duplicate", "rejected"]
    index: int | None = None
    receipt: ReceiptOut | None = None
    problem: Problem | None = Field(None, description="Why the item was rejected.")
    warnings: list[str] = Field(default_factory=list)


class BatchOut(BaseModel):
    created: int
    duplicates: int
    rejected: int
    results: list[BatchItemOut]


class InclusionOut(BaseModel):
    index: int
    size: int
    leaf_hash: Hex32
    root: Hex32
    proof: list[Hex32]
    checkpoint: str | None = Field(description="Signed checkpoint of this size, if sealed.")


class ConsistencyOut(BaseModel):
    from_size: int = Field(alias="from")
    to_size: int = Field(alias="to")
    root_from: Hex32
    root_to: Hex32
    proof: list[Hex32]
    checkpoint_from: str | None
    checkpoint_to: str | None

    model_config = ConfigDict(populate_by_name=True)


class CheckpointOut(BaseModel):
    size: int
    root: Hex32
    created_at: str
    note: str = Field(description="C2SP tlog-checkpoint signed note.")


class LogOut(BaseModel):
    origin: str
    vkey: str = Field(description="Verifier key of the log (C2SP signed-note vkey).")
    size: int
    mmd_seconds: int


class TimelineEntry(BaseModel):
    index: int
    project_seq: int | None = Field(description="Place on the project's public chain; null "
                                    "for a bid-phase record that was sealed until the opening.")
    event_id: str | None = None
    type: str | None = None
    occurred_at: str | None = None
    received_at: str | None = None
    actor: dict[str, Any] | None = None
    section_id: str | None = None
    key_fields: dict[str, Any] | None = Field(
        None, description="Scalar payload fields (strings, numbers).")
    sealed_until: Literal["opening", "result"] | None = Field(
        None, description="Set on a chain entry closed to this role for now (its content "
        "is left out; only its place on the chain is shown).")


class SealedSection(BaseModel):
    section_id: str | None = Field(description="null: the project as a whole.")
    until: Literal["opening"]


class TimelineOut(BaseModel):
    project_id: str
    events: list[TimelineEntry]
    sealed: list[SealedSection] = Field(description="Sections whose bid-phase records are "
                                        "sealed until their opening (never a count).")
    next_after_index: int | None = Field(description="Pass as `after_index` for the next page.")
