"""Payload models, phase "objections & complaints" (异议、询问、质疑与投诉).

Role: TB objections, GP inquiries and challenges, their replies, suspension/resumption of
the activity, administrative complaints with their excluded periods, and 12345 hotline
tickets; a filing may name the bidders, agents or experts it is about.
Pure schema code: it must not import the store, the API or the log.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ledger.events.types import (
    MODEL_CONFIG,
    BigIdList,
    DocRef,
    Hash,
    Ident,
    Name,
    Payload,
    Text,
    Timestamp,
)

PHASE = "complaints"

ObjectionSubject = Literal[
    "prequal_doc", "tender_doc", "opening", "evaluation_result", "process", "result"
]
Outcome = Literal["upheld", "partially_upheld", "dismissed", "not_accepted", "withdrawn"]


class NamedParty(BaseModel):
    """A party a filing is about (被质疑、被投诉或被反映的主体), so filings link across projects."""

    model_config = MODEL_CONFIG

    role: Literal["bidder", "agent", "expert", "tenderer", "other"]
    party_id: Ident = Field(description="Unified social credit code, or the expert's id.")


class _Filed(Payload):
    """Common fields of an objection / inquiry / challenge."""

    subject: ObjectionSubject
    filer_org: Ident
    received_at: Timestamp
    may_affect_result: bool | None = None
    content_hash: Hash | None = None
    case_id: DocRef | None = Field(None, description="Case number (案号) as issued.")
    named: Annotated[list[NamedParty], Field(max_length=50)] | None = None


class ObjectionFiled(_Filed):
    """An objection (异议, TB) is filed with the tenderer."""

    EVENT_TYPE = "OBJECTION_FILED"
    EMITTED_BY = "bidder / interested party"
    PHASE = PHASE


class InquiryFiled(_Filed):
    """An inquiry (询问, GP) is made."""

    EVENT_TYPE = "INQUIRY_FILED"
    EMITTED_BY = "bidder / interested party"
    PHASE = PHASE


class ChallengeFiled(_Filed):
    """A challenge (质疑, GP) is filed with the purchaser / agent."""

    EVENT_TYPE = "CHALLENGE_FILED"
    EMITTED_BY = "bidder / interested party"
    PHASE = PHASE


class _Replied(Payload):
    """Common fields of a reply to an objection or challenge."""

    replied_at: Timestamp
    outcome: Outcome
    notified_parties: BigIdList
    linked_filing: Ident | None = Field(None, description="event_id of the filing answered.")
    reply_hash: Hash | None = None


class ObjectionReplied(_Replied):
    """The tenderer replies to an objection."""

    EVENT_TYPE = "OBJECTION_REPLIED"
    EMITTED_BY = "tenderer / agent"
    PHASE = PHASE


class ChallengeReplied(_Replied):
    """The purchaser / agent replies to a challenge."""

    EVENT_TYPE = "CHALLENGE_REPLIED"
    EMITTED_BY = "tenderer / agent"
    PHASE = PHASE


class _Suspension(Payload):
    """Common fields of suspension / resumption."""

    reason: Text
    linked_objection_or_complaint: Ident | None = Field(None, description="event_id of the filing.")


class ActivitySuspended(_Suspension):
    """The tendering activity is suspended (暂停招标投标活动)."""

    EVENT_TYPE = "ACTIVITY_SUSPENDED"
    EMITTED_BY = "tenderer / agent / regulator"
    PHASE = PHASE


class ActivityResumed(_Suspension):
    """The tendering activity resumes."""

    EVENT_TYPE = "ACTIVITY_RESUMED"
    EMITTED_BY = "tenderer / agent / regulator"
    PHASE = PHASE


class ExcludedPeriod(BaseModel):
    """A period not counted in the complaint handling time (检验、检测、鉴定、专家评审, 补正)."""

    model_config = MODEL_CONFIG

    kind: Literal["inspection", "testing", "appraisal", "expert_review", "supplement", "other"]
    start: Timestamp
    end: Timestamp | None = None


class ComplaintFiled(Payload):
    """A complaint (投诉) reaches the regulator."""

    EVENT_TYPE = "COMPLAINT_FILED"
    EMITTED_BY = "regulator"
    PHASE = PHASE

    case_id: DocRef
    complainant_org: Ident
    subject: ObjectionSubject
    received_at: Timestamp
    department: Name | None = None
    content_hash: Hash | None = None
    named: Annotated[list[NamedParty], Field(max_length=50)] | None = None


class HotlineTicketFiled(Payload):
    """A 12345 hotline ticket (12345政务服务便民热线工单) about the project reaches the center."""

    EVENT_TYPE = "HOTLINE_TICKET_FILED"
    EMITTED_BY = "12345 hotline"
    PHASE = PHASE

    ticket_id: Ident
    received_at: Timestamp
    subject: ObjectionSubject
    caller_org: Ident | None = Field(None, description="The caller's organisation, if given.")
    named: Annotated[list[NamedParty], Field(max_length=50)] | None = None
    assigned_to: Name | None = Field(None, description="The department the ticket went to.")
    content_hash: Hash | None = None


class ComplaintAccepted(Payload):
    """The regulator accepts the complaint (受理)."""

    EVENT_TYPE = "COMPLAINT_ACCEPTED"
    EMITTED_BY = "regulator"
    PHASE = PHASE

    case_id: DocRef
    accepted_at: Timestamp


class ComplaintDecided(Payload):
    """The regulator decides the complaint (处理决定)."""

    EVENT_TYPE = "COMPLAINT_DECIDED"
    EMITTED_BY = "regulator"
    PHASE = PHASE

    case_id: DocRef
    decided_at: Timestamp
    outcome: Outcome
    excluded_periods: Annotated[list[ExcludedPeriod], Field(max_length=50)] | None = None
    decision_hash: Hash | None = None


PAYLOADS: tuple[type[Payload], ...] = (
    ObjectionFiled,
    InquiryFiled,
    ChallengeFiled,
    ObjectionReplied,
    ChallengeReplied,
    ActivitySuspended,
    ActivityResumed,
    ComplaintFiled,
    ComplaintAccepted,
    ComplaintDecided,
    HotlineTicketFiled,
)
