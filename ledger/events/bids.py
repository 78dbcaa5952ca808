"""Payload models, phase "bids & bonds" (投标与保证金).

Role: bid bonds, bid submission with file metadata and device identifiers, modification,
withdrawal, decryption / extraction (where the bid price enters the trail), and bond refunds.
Pure schema code: it must not import the store, the API or the log.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from ledger.events.documents import BondForm
from ledger.events.types import (
    MODEL_CONFIG,
    AccountOrHash,
    DocRef,
    EmailOrHash,
    Hash,
    Ident,
    IpOrHash,
    MacOrHash,
    Money,
    Name,
    OpaqueOrHash,
    Payload,
    PhoneOrHash,
    Round,
    Text,
    Timestamp,
)

PHASE = "bids"

_Meta = Name
_ROUND = "Tender round (1-based; RETENDER_STARTED starts the next)."


class BondPaid(Payload):
    """A bid bond (投标保证金) is paid or a guarantee is issued."""

    EVENT_TYPE = "BOND_PAID"
    EMITTED_BY = "bank / guarantee platform"
    PHASE = PHASE

    bidder_org: Ident
    amount: Money
    form: BondForm
    payer_name: Name | None = None
    payer_account_hash: AccountOrHash | None = Field(
        None, description="Payer account; keyed-hashed (hk1:) before it enters the log."
    )
    payer_is_basic_account: bool | None = Field(
        None, description="Paid from the bidder's 基本账户."
    )
    issuer: Name | None = Field(None, description="Bank or insurer of a guarantee.")
    guarantee_no: Ident | None = None
    valid_until: Timestamp | None = None
    round: Round | None = Field(None, description=_ROUND)


class FileMeta(BaseModel):
    """Metadata read from the bid file (document properties, authoring tool)."""

    model_config = MODEL_CONFIG

    author: _Meta | None = None
    last_modified_by: _Meta | None = None
    company: _Meta | None = None
    app_name: _Meta | None = None
    app_license_serial: _Meta | None = None
    created_at: Timestamp | None = None
    modified_at: Timestamp | None = None


class BidSubmitted(Payload):
    """A bid file is uploaded / handed in (投标文件递交).

    The submission carries no price: it commits to the encrypted (or sealed) bid file by
    its hash. An electronic bid is encrypted and no one may decrypt it before the deadline
    (电子招标投标办法 第26条、第27条), and 招标投标法 第22条 forbids disclosing, before the
    opening, anything that may affect fair competition: a price in the witness log at this
    point would be such a disclosure. The price enters the trail when the bid is opened, in
    ``BID_DECRYPTED`` / ``BID_EXTRACTED`` and in the opening record
    (``OPENING_RECORD_PUBLISHED``, 电子招标投标办法 第30条).
    """

    EVENT_TYPE = "BID_SUBMITTED"
    EMITTED_BY = "platform / reception desk"
    PHASE = PHASE

    bidder_org: Ident
    bidder_name: Name | None = None
    received_at: Timestamp = Field(description="Time the data entered the platform (ES 第11条).")
    accepted: bool
    reject_reason: Text | None = None
    encrypted: bool | None = None
    sealed: bool | None = Field(None, description="Paper bid: envelope sealed.")
    file_hash: Hash = Field(
        description="SHA-256 of the bid file as submitted (encrypted when `encrypted`)."
    )
    file_size: Annotated[int, Field(ge=0, le=10**12)] | None = None
    file_name: Name | None = None
    file_meta: FileMeta | None = None
    tool_machine_code: OpaqueOrHash | None = None
    ip: IpOrHash | None = None
    mac: MacOrHash | None = None
    device_fp: OpaqueOrHash | None = None
    ca_cert_serial: Ident | None = None
    ca_subject_id: Ident | None = None
    project_manager_id: Ident | None = None
    project_manager_cert_no: Ident | None = None
    contact_phone: PhoneOrHash | None = None
    contact_email: EmailOrHash | None = None
    authorized_rep_id: Ident | None = None
    consortium_members: Annotated[list[Ident], Field(max_length=20)] | None = None
    round: Round | None = Field(None, description=_ROUND)


class _BidChange(Payload):
    """Common fields of bid modification / withdrawal."""

    bidder_org: Ident
    written_notice_ref: DocRef | None = None
    round: Round | None = Field(None, description=_ROUND)


class BidModified(_BidChange):
    """A bid is modified before the deadline (修改投标文件)."""

    EVENT_TYPE = "BID_MODIFIED"
    EMITTED_BY = "platform"
    PHASE = PHASE

    file_hash: Hash | None = Field(None, description="Hash of the new bid file.")


class BidWithdrawn(_BidChange):
    """A bid is withdrawn (撤回投标文件)."""

    EVENT_TYPE = "BID_WITHDRAWN"
    EMITTED_BY = "platform"
    PHASE = PHASE


class _BidOpenStep(Payload):
    """Common fields of decryption / extraction of a bid: the step that opens the bid, and
    so the first at which its price may enter the trail (see ``BidSubmitted``)."""

    bidder_org: Ident
    round: Round | None = Field(None, description=_ROUND)
    success: bool
    failure_cause: Literal["bidder", "non_bidder"] | None = None
    failure_note: Text | None = None
    ip: IpOrHash | None = None
    mac: MacOrHash | None = None
    bid_price: Money | None = Field(
        None, description="Total bid price (投标报价) read from the bid this step opened "
        "(the decrypted file, or the unsealed paper bid); only with `success` true."
    )
    item_price_vector_hash: Hash | None = Field(
        None, description="SHA-256 of the bid's line-item price list (分项报价) read from the "
        "opened bid; only with `success` true."
    )

    @field_validator("bid_price", "item_price_vector_hash")
    @classmethod
    def _only_when_opened(cls, value: str | None, info: ValidationInfo) -> str | None:
        # A failed step opened nothing, so nothing can have been read from the bid; a price
        # here would come from elsewhere and could not be witnessed as the bid's content.
        if value is not None and info.data.get("success") is False:
            raise ValueError("a price can only be read from a bid that was opened: "
                             "not allowed when success is false")
        return value


class BidDecrypted(_BidOpenStep):
    """A bid is decrypted at opening (解密): for a successful step, the price it reveals.

    Decryption is where an electronic bid's price first enters the trail; the submission
    holds only the encrypted file's hash (招标投标法 第22条; see ``BID_SUBMITTED``).
    """

    EVENT_TYPE = "BID_DECRYPTED"
    EMITTED_BY = "platform"
    PHASE = PHASE


class BidExtracted(_BidOpenStep):
    """A bid file is extracted / unsealed for opening (提取/开启): the price read out."""

    EVENT_TYPE = "BID_EXTRACTED"
    EMITTED_BY = "platform"
    PHASE = PHASE


class BondRefunded(Payload):
    """A bid bond is refunded with its interest (退还投标保证金)."""

    EVENT_TYPE = "BOND_REFUNDED"
    EMITTED_BY = "agent / bank"
    PHASE = PHASE

    bidder_org: Ident
    amount: Money
    interest: Money | None = None
    cause: Literal["withdrawal", "not_won", "won", "termination", "retender"] = Field(
        description="Why the bond is refunded: the bid was withdrawn, did not win, won, the "
        "tender was terminated, or its round failed and the lot is tendered again (retender)."
    )
    round: Round | None = Field(None, description="Round of the bond refunded.")


PAYLOADS: tuple[type[Payload], ...] = (
    BondPaid,
    BidSubmitted,
    BidModified,
    BidWithdrawn,
    BidDecrypted,
    BidExtracted,
    BondRefunded,
)
