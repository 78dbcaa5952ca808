"""Payload models, phase "opening" (开标).

Role: start/end of the opening, the published opening record and on-the-spot objections.
Pure schema code: it must not import the store, the API or the log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from ledger.events.types import (
    MODEL_CONFIG,
    B64Signature,
    BigIdList,
    Hash,
    Ident,
    IdList,
    Money,
    Name,
    Payload,
    Text,
    Timestamp,
)

PHASE = "opening"


class _OpeningSession(Payload):
    """Common fields of the opening start / end."""

    place: Name
    host: Ident = Field(description="Person id of the host (主持人).")
    attendees: BigIdList | None = Field(None, description="Person or org ids present.")
    bid_count: Annotated[int, Field(ge=0, le=100_000)] | None = None
    av_recording_ids: IdList | None = None


class AvSegment(BaseModel):
    """One stored audio/video segment: which recording, the span it covers, its file hash.

    A full recording (全程录音录像, 政府采购法实施条例 第39条) is a set of segments whose
    spans cover the session without gaps.
    """

    model_config = MODEL_CONFIG

    recording_id: Ident = Field(description="Recording (camera / channel) id.")
    kind: Literal["audio", "video", "audio_video"] = "audio_video"
    start: Timestamp = Field(description="First instant the segment covers.")
    end: Timestamp = Field(description="Last instant the segment covers.")
    sha256: Hash = Field(description="SHA-256 of the stored segment file.")
    room: Ident | None = None

    @model_validator(mode="after")
    def _ordered(self) -> AvSegment:
        if datetime.fromisoformat(self.end) <= datetime.fromisoformat(self.start):
            raise ValueError("segment end is not after its start")
        return self


class OpeningStarted(_OpeningSession):
    """The bid opening starts (开标开始)."""

    EVENT_TYPE = "OPENING_STARTED"
    EMITTED_BY = "agent / venue system"
    PHASE = PHASE


class OpeningEnded(_OpeningSession):
    """The bid opening ends (开标结束)."""

    EVENT_TYPE = "OPENING_ENDED"
    EMITTED_BY = "agent / venue system"
    PHASE = PHASE

    av_segments: Annotated[list[AvSegment], Field(max_length=1000)] | None = Field(
        None, description="Audio/video segments recorded during the opening (全程录音录像, "
        "政府采购法实施条例 第39条)."
    )


class OpeningEntry(BaseModel):
    """One line of the opening record (唱标)."""

    model_config = MODEL_CONFIG

    bidder_org: Ident
    bid_price: Money | None = Field(
        None, description="Price read out at the opening (唱标价): what the opened bid states."
    )
    duration_days: Annotated[int, Field(ge=0, le=36500)] | None = None
    remarks: Name | None = None


class SignatureRef(BaseModel):
    """A signature over a record by one person."""

    model_config = MODEL_CONFIG

    signer_id: Ident
    ca_cert_serial: Ident | None = None
    signature: B64Signature | None = None


class OpeningRecordPublished(Payload):
    """The opening record (开标记录) is published."""

    EVENT_TYPE = "OPENING_RECORD_PUBLISHED"
    EMITTED_BY = "platform"
    PHASE = PHASE

    entries: Annotated[list[OpeningEntry], Field(max_length=2000)] = Field(
        description="Bidders and read-out prices (bidders[] / prices[] of docs/rules.md)."
    )
    record_hash: Hash
    signatures: Annotated[list[SignatureRef], Field(max_length=200)] | None = None


class OpeningObjection(Payload):
    """A bidder objects at the opening (开标异议) and the reply given on the spot."""

    EVENT_TYPE = "OPENING_OBJECTION"
    EMITTED_BY = "bidder"
    PHASE = PHASE

    bidder_org: Ident
    content: Text
    reply: Text | None = None
    replied_at: Timestamp | None = None
    record_ref: Ident | None = Field(None, description="event_id of the opening record entry.")


PAYLOADS: tuple[type[Payload], ...] = (
    OpeningStarted,
    OpeningEnded,
    OpeningRecordPublished,
    OpeningObjection,
)
