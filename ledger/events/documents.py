"""Payload models, phase "documents & clarifications" (招标文件与澄清).

Role: DOC_ISSUED with the structured tender terms of docs/rules.md §2.3, downloads,
site visits / pre-bid meetings, clarifications and deadline changes.
Pure schema code: it must not import the store, the API or the log.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from ledger.events.types import (
    MODEL_CONFIG,
    BigIdList,
    ClassName,
    DecimalStr,
    Hash,
    Ident,
    IpOrHash,
    MacOrHash,
    Money,
    Name,
    OpaqueOrHash,
    Payload,
    Round,
    Text,
    Timestamp,
)

PHASE = "documents"

QualificationType = Literal[
    "registered_capital",
    "total_assets",
    "revenue",
    "employees",
    "profit",
    "tax_paid",
    "location",
    "local_branch",
    "local_tax_social_security",
    "ownership",
    "org_form",
    "performance",
    "award",
    "manufacturer_authorization",
    "market_share",
    "certification",
    "license",
    "qualification_grade",
    "other",
]
Scope = ClassName
BondForm = Literal[
    "transfer",
    "cash",
    "cheque",
    "draft",
    "promissory",
    "bank_guarantee",
    "insurance_guarantee",
]


class QualificationReq(BaseModel):
    """One qualification requirement (资格条件)."""

    model_config = MODEL_CONFIG

    type: QualificationType
    value: Name | None = Field(
        None, description="Threshold or required value as written (e.g. '5000' or '一级')."
    )
    unit: Annotated[ClassName, Field(max_length=20)] | None = Field(
        None, description="Unit as written (e.g. '万元', '人')."
    )
    region_scope: Scope | None = Field(None, description="Region the requirement is tied to.")
    industry_scope: Scope | None = Field(None, description="Industry / ownership restriction.")
    mandatory_cert: Name | None = Field(None, description="Certificate demanded, if any.")


class ScoreBand(BaseModel):
    """One band (档次/区间) of a scoring factor: the points an expert may give for it.

    A discrete level is a band with ``min`` equal to ``max``.
    """

    model_config = MODEL_CONFIG

    label: Name | None = Field(None, description="The band as written (e.g. '优', '良').")
    min: DecimalStr = Field(description="Lowest points of the band.")
    max: DecimalStr = Field(description="Highest points of the band.")

    @model_validator(mode="after")
    def _ordered(self) -> ScoreBand:
        if Decimal(self.min) > Decimal(self.max):
            raise ValueError("band min is greater than band max")
        return self


class ScoringFactor(BaseModel):
    """One scoring factor (评分因素) of the evaluation method."""

    model_config = MODEL_CONFIG

    id: Ident = Field(
        description="Factor id within the document; SCORE_SUBMITTED.factor_id refers to it."
    )
    name: Name | None = Field(None, description="The factor as written (e.g. '施工组织设计').")
    category: Literal["price", "technical", "commercial", "qualification_like"]
    points: DecimalStr = Field(description="Full points of the factor (分值).")
    is_objective: bool
    bands: Annotated[list[ScoreBand], Field(max_length=50)] | None = Field(
        None, description="Bands a subjective factor is quantified into (政府采购货物和服务"
        "招标投标管理办法 第55条); a score in none of them is outside the method."
    )

    @field_validator("bands")
    @classmethod
    def _bands_within_points(cls, bands: list[ScoreBand] | None, info: ValidationInfo
                             ) -> list[ScoreBand] | None:
        # A band above the factor's full points could never be given lawfully.
        points = info.data.get("points")
        if points is not None and any(Decimal(b.max) > Decimal(points) for b in bands or ()):
            raise ValueError("a band's max is greater than the factor's points")
        return bands
    type: QualificationType | None = Field(
        None, description="Set when the factor scores a qualification-like item."
    )
    region_scope: Scope | None = None
    industry_scope: Scope | None = None


class BrandRef(BaseModel):
    """A reference to a brand, patent, trademark, origin or supplier (指定品牌等)."""

    model_config = MODEL_CONFIG

    kind: Literal["brand", "patent", "trademark", "origin", "supplier"]
    value: Name
    equivalent_allowed: bool = Field(description="'或相当于' wording present.")


class StructuredTerms(BaseModel):
    """Structured tender terms (docs/rules.md §2.3) extracted from the document."""

    model_config = MODEL_CONFIG

    qualification_reqs: Annotated[list[QualificationReq], Field(max_length=100)] | None = None
    scoring_factors: Annotated[list[ScoringFactor], Field(max_length=200)] | None = None
    price_weight: DecimalStr | None = Field(
        None, description="Price share of the total score, percent."
    )
    price_formula: Literal["low_price_first", "other"] | None = None
    trims_extremes: bool | None = Field(None, description="Highest/lowest scores are trimmed.")
    brand_refs: Annotated[list[BrandRef], Field(max_length=100)] | None = None
    min_price: Money | None = Field(None, description="最低投标限价, if any.")
    max_price: Money | None = Field(
        None, description="最高投标限价 of this document's lot (the event's section)."
    )
    max_price_disclosed: bool | None = None
    budget_disclosed: bool | None = None
    bond_amount: Money | None = None
    bond_forms_allowed: Annotated[list[BondForm], Field(max_length=7)] | None = None
    perf_bond_ratio: DecimalStr | None = Field(
        None, description="履约保证金 as percent of the contract price."
    )
    bid_validity_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    consortium_statement: Literal["accepted", "not_accepted", "unspecified"] | None = None
    registration_gate: bool | None = Field(
        None, description="Bidders must register before obtaining documents."
    )
    samples_required: bool | None = None
    core_product: Name | None = Field(None, description="核心产品 (GP goods).")


class DocIssued(Payload):
    """The tender (or prequalification) document is issued (招标文件/资格预审文件发出)."""

    EVENT_TYPE = "DOC_ISSUED"
    EMITTED_BY = "agent"
    PHASE = PHASE

    doc_kind: Literal["tender_doc", "prequal_doc"]
    version: Annotated[int, Field(ge=1, le=1000)]
    doc_hash: Hash
    doc_size: Annotated[int, Field(ge=0, le=10**12)] | None = None
    doc_name: Name | None = None
    available_from: Timestamp = Field(description="开始发出 / 发售 / 提供.")
    available_until: Timestamp
    fee: Money | None = None
    bid_deadline: Timestamp = Field(
        description="投标截止时间 (or application deadline for prequal)."
    )
    opening_time: Timestamp | None = None
    opening_place: Name | None = None
    bid_validity_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    structured_terms: StructuredTerms | None = None
    standard_template_id: Ident | None = Field(None, description="标准招标文件 template used.")
    round: Round | None = Field(None, description="Tender round the document belongs to.")


class DocDownloaded(Payload):
    """A prospective bidder downloads the document (招标文件获取)."""

    EVENT_TYPE = "DOC_DOWNLOADED"
    EMITTED_BY = "platform"
    PHASE = PHASE

    downloader_org: Ident
    user_id: Ident
    doc_hash: Hash
    ip: IpOrHash | None = None
    mac: MacOrHash | None = None
    device_fp: OpaqueOrHash | None = None
    round: Round | None = Field(None, description="Tender round of the document obtained.")


class _Meeting(Payload):
    """Common fields of a site visit or pre-bid meeting."""

    invitees: BigIdList | None = Field(None, description="Org ids invited.")
    attendees: BigIdList = Field(description="Org ids that attended.")
    place: Name | None = None
    minutes_hash: Hash | None = None


class SiteVisitHeld(_Meeting):
    """A site visit (踏勘现场) takes place; occurred_at is its time."""

    EVENT_TYPE = "SITE_VISIT_HELD"
    EMITTED_BY = "agent"
    PHASE = PHASE


class PrebidMeetingHeld(_Meeting):
    """A pre-bid meeting (投标预备会) takes place; occurred_at is its time."""

    EVENT_TYPE = "PREBID_MEETING_HELD"
    EMITTED_BY = "agent"
    PHASE = PHASE


class ClarificationIssued(Payload):
    """A clarification or modification of the document (澄清/修改) is sent."""

    EVENT_TYPE = "CLARIFICATION_ISSUED"
    EMITTED_BY = "agent"
    PHASE = PHASE

    affects_bid_prep: bool = Field(
        description="May affect the preparation of bids (影响投标文件编制)."
    )
    changed_fields: Annotated[list[Name], Field(max_length=100)]
    new_bid_deadline: Timestamp | None = None
    recipients: BigIdList = Field(description="Org ids of all who obtained the document.")
    published_media: Ident | None = None
    doc_hash_after: Hash | None = None
    content_hash: Hash | None = None


class DeadlineChanged(Payload):
    """The bid deadline (and usually opening time) is moved."""

    EVENT_TYPE = "DEADLINE_CHANGED"
    EMITTED_BY = "agent"
    PHASE = PHASE

    old_deadline: Timestamp
    new_deadline: Timestamp
    reason: Text
    linked_clarification: Ident | None = Field(None, description="event_id of the clarification.")


PAYLOADS: tuple[type[Payload], ...] = (
    DocIssued,
    DocDownloaded,
    SiteVisitHeld,
    PrebidMeetingHeld,
    ClarificationIssued,
    DeadlineChanged,
)
