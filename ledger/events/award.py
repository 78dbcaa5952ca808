"""Payload models, phase "award & contract" (定标、中标与合同).

Role: candidate publicity, winner determination, notices, result announcement, the
written report, performance bond and the contract life cycle.
Pure schema code: it must not import the store, the API or the log.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ledger.events.documents import BondForm
from ledger.events.types import (
    BigIdList,
    Hash,
    Ident,
    Money,
    Name,
    Payload,
    Text,
    Timestamp,
    Url,
)

PHASE = "award"


class CandidatePublicity(Payload):
    """The winning candidates are publicised (中标候选人公示)."""

    EVENT_TYPE = "CANDIDATE_PUBLICITY"
    EMITTED_BY = "agent / media"
    PHASE = PHASE

    start: Timestamp
    end: Timestamp
    media: Ident
    url: Url | None = None
    content_hash: Hash
    candidates: Annotated[list[Ident], Field(max_length=100)] | None = None


class WinnerDetermined(Payload):
    """The tenderer / purchaser determines the winner (定标 / 确定中标人)."""

    EVENT_TYPE = "WINNER_DETERMINED"
    EMITTED_BY = "tenderer / purchaser"
    PHASE = PHASE

    winner_org: Ident
    rank_of_winner: Annotated[int, Field(ge=1, le=1000)]
    reason_if_not_rank1: (
        Literal["waived", "force_majeure", "no_performance_bond", "illegal_conduct", "other"] | None
    ) = None
    evidence_ref: Ident | None = None
    award_price: Money | None = None


class _Notice(Payload):
    """Common fields of the award / result notices."""

    recipients: BigIdList
    notice_hash: Hash | None = None


class AwardNoticeIssued(_Notice):
    """The award notice (中标/成交通知书) is issued to the winner."""

    EVENT_TYPE = "AWARD_NOTICE_ISSUED"
    EMITTED_BY = "tenderer / agent"
    PHASE = PHASE


class ResultNoticeIssued(_Notice):
    """The result is notified to the other bidders (中标结果通知)."""

    EVENT_TYPE = "RESULT_NOTICE_ISSUED"
    EMITTED_BY = "tenderer / agent"
    PHASE = PHASE


class ResultAnnounced(Payload):
    """The award result is announced (中标/成交结果公告)."""

    EVENT_TYPE = "RESULT_ANNOUNCED"
    EMITTED_BY = "agent / media"
    PHASE = PHASE

    published_at: Timestamp
    period_end: Timestamp | None = None
    expert_list_included: bool
    media: Ident | None = None
    url: Url | None = None
    content_hash: Hash | None = None


class TenderReportFiled(Payload):
    """The written report on the tender (招标投标情况书面报告) is filed."""

    EVENT_TYPE = "TENDER_REPORT_FILED"
    EMITTED_BY = "tenderer"
    PHASE = PHASE

    filed_at: Timestamp
    to_department: Name
    report_hash: Hash | None = None


class PerformanceBondPaid(Payload):
    """The winner pays the performance bond (履约保证金)."""

    EVENT_TYPE = "PERFORMANCE_BOND_PAID"
    EMITTED_BY = "winner"
    PHASE = PHASE

    bidder_org: Ident
    amount: Money
    form: BondForm


class ContractSigned(Payload):
    """The contract is signed (签订合同)."""

    EVENT_TYPE = "CONTRACT_SIGNED"
    EMITTED_BY = "tenderer & winner"
    PHASE = PHASE

    contract_id: Ident
    winner_org: Ident
    signed_at: Timestamp
    amount: Money
    duration_days: Annotated[int, Field(ge=0, le=36500)] | None = Field(
        None, description="Contract duration (工期/服务期) in calendar days."
    )
    quality_terms_hash: Hash | None = None
    key_terms_hash: Hash | None = None
    contract_hash: Hash | None = None
    platform_signed: bool


class ContractPublished(Payload):
    """The contract is published (合同公告)."""

    EVENT_TYPE = "CONTRACT_PUBLISHED"
    EMITTED_BY = "purchaser"
    PHASE = PHASE

    contract_id: Ident
    media: Ident
    url: Url | None = None
    content_hash: Hash | None = None


class ContractFiled(Payload):
    """The contract is filed with the department (合同备案)."""

    EVENT_TYPE = "CONTRACT_FILED"
    EMITTED_BY = "purchaser"
    PHASE = PHASE

    contract_id: Ident
    department: Name


class ContractAmended(Payload):
    """A supplementary contract (补充合同) is signed."""

    EVENT_TYPE = "CONTRACT_AMENDED"
    EMITTED_BY = "purchaser"
    PHASE = PHASE

    contract_id: Ident
    added_amount: Money
    same_subject: bool = Field(description="Same subject matter as the original contract.")
    reason: Text | None = None
    amendment_hash: Hash | None = None


PAYLOADS: tuple[type[Payload], ...] = (
    CandidatePublicity,
    WinnerDetermined,
    AwardNoticeIssued,
    ResultNoticeIssued,
    ResultAnnounced,
    TenderReportFiled,
    PerformanceBondPaid,
    ContractSigned,
    ContractPublished,
    ContractFiled,
    ContractAmended,
)
