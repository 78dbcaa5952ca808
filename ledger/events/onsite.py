"""Payload models, phase "on-site order" (现场秩序: 智能胸卡, 身份核验, 通讯设备).

Role: identity checks, smart-badge zone entries/exits/proximity, device deposit, signal
detection, access to sensitive resources (ACCESS_LOG), and the venues, seats and link
sessions of a remote cross-region evaluation (远程异地评标).
Pure schema code: it must not import the store, the API or the log.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ledger.events.types import (
    MODEL_CONFIG,
    DecimalStr,
    Ident,
    IdList,
    IpOrHash,
    Name,
    Payload,
    ZoneKind,
)

PHASE = "onsite"

PersonRole = Literal[
    "expert",
    "tenderer_rep",
    "supervisor",
    "center_staff",
    "agent",
    "bidder",
    "visitor",
    "other",
]


class IdentityVerified(Payload):
    """A person's identity is checked at the venue (身份核验)."""

    EVENT_TYPE = "IDENTITY_VERIFIED"
    EMITTED_BY = "venue system"
    PHASE = PHASE

    person_id: Ident
    method: Literal["id_card", "face", "id_card_and_face"]
    match_score: DecimalStr | None = Field(
        None, description="Similarity score as a decimal string."
    )
    result: Literal["pass", "fail"]


class _Badge(Payload):
    """Common fields of smart-badge events."""

    badge_id: Ident
    person_id: Ident
    role: PersonRole
    zone: ZoneKind
    room: Ident | None = None
    reader_id: Ident | None = None


class BadgeEnter(_Badge):
    """A badge enters a zone."""

    EVENT_TYPE = "BADGE_ENTER"
    EMITTED_BY = "smart badge system"
    PHASE = PHASE


class BadgeExit(_Badge):
    """A badge leaves a zone."""

    EVENT_TYPE = "BADGE_EXIT"
    EMITTED_BY = "smart badge system"
    PHASE = PHASE

    duration_s: Annotated[int, Field(ge=0, le=10_000_000)] | None = Field(
        None, description="Time spent in the zone."
    )


class BadgeProximity(_Badge):
    """Two badges were close to each other for some time (e.g. expert ↔ bidder)."""

    EVENT_TYPE = "BADGE_PROXIMITY"
    EMITTED_BY = "smart badge system"
    PHASE = PHASE

    other_badge_id: Ident
    other_person_id: Ident | None = None
    other_role: PersonRole | None = None
    distance_m: DecimalStr
    duration_s: Annotated[int, Field(ge=0, le=10_000_000)]


DeviceType = Literal["phone", "tablet", "laptop", "smartwatch", "storage", "other"]


class DeviceDeposited(Payload):
    """A person deposits a communication device before entering (通讯工具存放)."""

    EVENT_TYPE = "DEVICE_DEPOSITED"
    EMITTED_BY = "venue system"
    PHASE = PHASE

    person_id: Ident
    device_type: DeviceType
    locker_id: Ident | None = None
    room: Ident | None = None


class SignalDetected(Payload):
    """A wireless signal / device is detected inside a shielded room."""

    EVENT_TYPE = "SIGNAL_DETECTED"
    EMITTED_BY = "venue system"
    PHASE = PHASE

    room: Ident
    device_type: DeviceType
    signal_kind: Literal["cellular", "wifi", "bluetooth", "other"] | None = None
    person_id: Ident | None = Field(None, description="Person located, if any.")
    detector_id: Ident | None = None


class AccessLog(Payload):
    """Someone accessed a confidential resource (downloader list, committee list, …)."""

    EVENT_TYPE = "ACCESS_LOG"
    EMITTED_BY = "platform"
    PHASE = PHASE

    resource: Literal["downloader_list", "committee_list", "bid_files", "base_price", "other"]
    resource_id: Ident | None = None
    action: Literal["view", "download", "export", "modify"] = "view"
    ip: IpOrHash | None = None
    success: bool | None = None


# Remote cross-region evaluation (远程异地评标): one evaluation held at a main venue and
# satellite venues of other cities, joined by audio/video links; each expert sits in one.
RegionCode = Annotated[str, Field(
    pattern=r"^[1-9][0-9]{5}$",
    description="Administrative division code (GB/T 2260) of the venue's city or county.")]


class RemoteVenue(BaseModel):
    """One venue of a remote evaluation."""

    model_config = MODEL_CONFIG

    venue_id: Ident
    name: Name
    region_code: RegionCode
    platform: Name | None = Field(None, description="The trading platform running the venue.")


class RemoteEvalArranged(Payload):
    """A remote cross-region evaluation is arranged: its main and satellite venues."""

    EVENT_TYPE = "REMOTE_EVAL_ARRANGED"
    EMITTED_BY = "trading center"
    PHASE = PHASE

    session_id: Ident
    main_venue: RemoteVenue
    satellite_venues: Annotated[list[RemoteVenue], Field(min_length=1, max_length=30)]
    remote_seats: Annotated[int, Field(ge=0, le=100)] | None = Field(
        None, description="Expert seats reserved at the satellite venues.")


class ExpertSeated(Payload):
    """An expert takes a seat at one venue of a remote evaluation (the venue they sat in)."""

    EVENT_TYPE = "EXPERT_SEATED"
    EMITTED_BY = "venue system"
    PHASE = PHASE

    session_id: Ident
    person_id: Ident
    venue_id: Ident
    region_code: RegionCode
    seat_id: Ident | None = None
    remote: bool = Field(description="Seated at a satellite venue, not the main one.")


class _Link(Payload):
    """Common fields of a main–satellite audio/video link session."""

    session_id: Ident
    link_id: Ident
    main_venue_id: Ident
    satellite_venue_id: Ident


class RemoteLinkOpened(_Link):
    """A link session between the main and a satellite venue opens."""

    EVENT_TYPE = "REMOTE_LINK_OPENED"
    EMITTED_BY = "remote evaluation system"
    PHASE = PHASE


class RemoteLinkClosed(_Link):
    """A link session closes, at the end of the evaluation or on a failure."""

    EVENT_TYPE = "REMOTE_LINK_CLOSED"
    EMITTED_BY = "remote evaluation system"
    PHASE = PHASE

    cause: Literal["finished", "failure", "other"]
    av_recording_ids: IdList | None = None


PAYLOADS: tuple[type[Payload], ...] = (
    IdentityVerified,
    BadgeEnter,
    BadgeExit,
    BadgeProximity,
    DeviceDeposited,
    SignalDetected,
    AccessLog,
    RemoteEvalArranged,
    ExpertSeated,
    RemoteLinkOpened,
    RemoteLinkClosed,
)
