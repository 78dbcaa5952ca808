"""Payload models, phase "on-site order" (现场秩序: 智能胸卡, 身份核验, 通讯设备).

Role: identity checks, smart-badge zone entries/exits/proximity, device deposit, signal
detection, and access to sensitive resources (ACCESS_LOG).
Pure schema code: it must not import the store, the API or the log.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ledger.events.types import DecimalStr, Ident, IpOrHash, Payload, ZoneKind

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


PAYLOADS: tuple[type[Payload], ...] = (
    IdentityVerified,
    BadgeEnter,
    BadgeExit,
    BadgeProximity,
    DeviceDeposited,
    SignalDetected,
    AccessLog,
)
