"""Payload models, phase "project & announcement" (项目登记与公告).

Role: PROJECT_REGISTERED with the applicability flags every rule reads (docs/rules.md §1.1),
announcements, invitations and the restart/termination/method-change events.
Pure schema code: it must not import the store, the API or the log.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from ledger.events.types import (
    MODEL_CONFIG,
    ClassName,
    DocRef,
    Hash,
    Ident,
    IdList,
    Money,
    Name,
    Payload,
    Round,
    Text,
    Timestamp,
    Url,
)

PHASE = "project"

Regime = Literal["TB", "GP"]
Method = Literal[
    "open",
    "invited",
    "competitive_negotiation",
    "inquiry",
    "single_source",
    "consultation",
    "framework_agreement",
    "other",
]
Subject = Literal["works", "goods", "services"]
AnnouncementKind = Literal[
    "prequal",
    "tender",
    "invitation",
    "clarification",
    "termination",
    "candidate_publicity",
    "result",
    "contract",
    "single_source",
]
SelectionMethod = Literal["random", "pool", "recommendation"]


class OrgRef(BaseModel):
    """An organisation: registry id (统一社会信用代码 or platform id) and its name."""

    model_config = MODEL_CONFIG

    org_id: Ident
    name: Name | None = None


class ApprovalRef(BaseModel):
    """An approval (审批/核准) of tender scope, method or organisation form."""

    model_config = MODEL_CONFIG

    ref: DocRef = Field(description="Approval document number (文号) or platform reference.")
    scope: Literal["scope", "method", "organisation", "non_open_method", "other"]
    issued_by: Name | None = None
    issued_at: Timestamp | None = None


class LotInfo(BaseModel):
    """One lot (标段/包) with its own amounts: caps that the law measures per lot (the bid
    bond's 2 % of the estimate, 招标投标法实施条例 第26条; the maximum price) use these."""

    model_config = MODEL_CONFIG

    section_id: Ident = Field(description="The lot's id (the events' section_id).")
    name: Name | None = Field(None, description="Lot name (标段/包名称).")
    estimate_amount: Money | None = Field(None, description="估算价 of the lot (CNY).")
    budget_amount: Money | None = Field(None, description="预算金额 of the lot (CNY).")
    max_price: Money | None = Field(None, description="最高投标限价 of the lot (CNY).")


class ProjectRegistered(Payload):
    """A project (招标项目/采购项目) is registered with its applicability flags."""

    EVENT_TYPE = "PROJECT_REGISTERED"
    EMITTED_BY = "tenderer / agent"
    PHASE = PHASE

    name: Name = Field(description="Project name (项目名称).")
    regime: Regime = Field(description="TB = 招标投标法 system, GP = 政府采购 goods/services.")
    must_tender: bool = Field(description="依法必须进行招标的项目.")
    state_funded_dominant: bool = Field(description="国有资金占控股或者主导地位.")
    method: Method
    subject: Subject
    electronic: bool = Field(description="全流程电子化 (the EB rules apply).")
    estimate_amount: Money | None = Field(None, description="估算价 (CNY).")
    budget_amount: Money | None = Field(None, description="预算金额 (CNY).")
    max_price: Money | None = Field(None, description="最高投标限价 / 最高限价 (CNY).")
    approval_refs: Annotated[list[ApprovalRef], Field(max_length=20)] | None = None
    fiscal_year: Annotated[int, Field(ge=2000, le=2100)] | None = None
    budget_item_code: Ident | None = None
    catalog_item: ClassName | None = Field(
        None, description="政府采购品目, by code (A02010104) or name (台式计算机)."
    )
    gp_above_open_threshold: bool | None = Field(None, description="Budget ≥ 公开招标数额标准.")
    tenderer_org: OrgRef = Field(description="招标人 / 采购人.")
    agent_org: OrgRef | None = Field(None, description="招标代理 / 采购代理机构.")
    supervisory_dept: Name | None = Field(None, description="行政监督部门.")
    region_code: Annotated[str, Field(pattern=r"^[1-9][0-9]{5}$")] | None = Field(
        None, description="Administrative division code (行政区划代码, GB/T 2260) of the "
        "project, e.g. 210100 for 沈阳市: scopes supervisor and regulator access.")
    sections: Annotated[list[Ident], Field(max_length=100)] | None = Field(
        None, description="Lot (标段/包) ids of the project."
    )
    lots: Annotated[list[LotInfo], Field(max_length=100)] | None = Field(
        None, description="Per-lot amounts, one entry per lot (its section_id). The "
        "project-level amounts remain the project's totals."
    )

    @field_validator("lots")
    @classmethod
    def _one_entry_per_lot(cls, lots: list[LotInfo] | None) -> list[LotInfo] | None:
        # Two entries for one lot would leave the lot's cap ambiguous. A lot missing from
        # `sections` is not refused: `sections` is optional and often filled later.
        ids = [lot.section_id for lot in lots or ()]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"section_id listed twice: {', '.join(twice[:5])}")
        return lots


class AnnouncementPublished(Payload):
    """An announcement (公告/公示) is published on a designated medium."""

    EVENT_TYPE = "ANNOUNCEMENT_PUBLISHED"
    EMITTED_BY = "agent / media feed"
    PHASE = PHASE

    kind: AnnouncementKind
    media_id: Ident = Field(description="Designated medium (指定媒介) id.")
    url: Url | None = None
    published_at: Timestamp
    period_start: Timestamp | None = None
    period_end: Timestamp | None = None
    content_hash: Hash


class Invitee(BaseModel):
    """One invited organisation (邀请对象)."""

    model_config = MODEL_CONFIG

    org_id: Ident
    name: Name | None = None


class InvitationSent(Payload):
    """Invitations to tender (投标邀请书) are sent (invited tendering)."""

    EVENT_TYPE = "INVITATION_SENT"
    EMITTED_BY = "agent"
    PHASE = PHASE

    invitees: Annotated[list[Invitee], Field(min_length=1, max_length=500)]
    selection_method: SelectionMethod
    pool_size: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    draw_witnesses: IdList | None = Field(None, description="Persons witnessing the draw.")


class _ProcessChange(Payload):
    """Common fields of restart / termination / method change."""

    reason: Text
    approval_ref: DocRef | None = Field(None, description="Approval document number (文号).")


class RetenderStarted(_ProcessChange):
    """The project is tendered again (重新招标)."""

    EVENT_TYPE = "RETENDER_STARTED"
    EMITTED_BY = "tenderer / agent"
    PHASE = PHASE

    cause: (
        Literal["too_few_bidders", "all_rejected", "winner_failed", "complaint", "other"] | None
    ) = None
    round: Round | None = Field(
        None, description="The round this starts (2 for the first re-tender); when given it "
        "must equal 1 + the number of RETENDER_STARTED before it in the section."
    )


class TenderTerminated(_ProcessChange):
    """The tender or procurement is terminated (终止招标/终止采购)."""

    EVENT_TYPE = "TENDER_TERMINATED"
    EMITTED_BY = "tenderer / agent"
    PHASE = PHASE


class MethodChanged(_ProcessChange):
    """The procurement method is changed (变更采购方式)."""

    EVENT_TYPE = "METHOD_CHANGED"
    EMITTED_BY = "tenderer / agent"
    PHASE = PHASE

    old_method: Method
    new_method: Method


PAYLOADS: tuple[type[Payload], ...] = (
    ProjectRegistered,
    AnnouncementPublished,
    InvitationSent,
    RetenderStarted,
    TenderTerminated,
    MethodChanged,
)
