"""Payload models, phase "committee & evaluation" (评标委员会与评标).

Role: expert draw, committee formation, conflicts and recusals, evaluation sessions,
scoring, bid rejection and the evaluation report.
Pure schema code: it must not import the store, the API or the log.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from ledger.events.opening import AvSegment, SignatureRef
from ledger.events.types import (
    DEFAULT_LIST_MAX,
    MODEL_CONFIG,
    ClassName,
    DecimalStr,
    DocRef,
    Hash,
    Ident,
    IdList,
    IpOrHash,
    Money,
    Name,
    Payload,
    Text,
)

PHASE = "evaluation"

_Count = Annotated[int, Field(ge=0, le=10_000)]


class Declined(BaseModel):
    """A drawn expert who declined (or could not be reached), with the reason given."""

    model_config = MODEL_CONFIG

    person_id: Ident
    reason: Literal["unavailable", "conflict_of_interest", "health", "unreachable", "other"]
    note: Name | None = None


class ExpertDraw(Payload):
    """Experts are drawn from the pool (专家抽取).

    ``drawn_ids`` are the drawn experts who accepted; experts drawn but declining are not
    among them: they are in ``declined_ids``, and ``declined`` may give each one's reason.
    """

    EVENT_TYPE = "EXPERT_DRAW"
    EMITTED_BY = "expert-pool system"
    PHASE = PHASE

    pool_id: Ident
    specialties: Annotated[list[ClassName], Field(max_length=50)] = Field(
        description="Specialties drawn, as the pool names them: a code or the national "
        "classification name (评标专家专业分类, e.g. '房屋建筑工程/施工')."
    )
    required_count: Annotated[int, Field(ge=1, le=100)]
    method: Literal["random", "direct"]
    justification_ref: DocRef | None = Field(None, description="Approval for direct appointment.")
    drawn_ids: IdList = Field(description="Drawn experts who accepted.")
    declined_ids: IdList | None = Field(
        None, description="Drawn experts who declined; never also in drawn_ids."
    )
    declined: Annotated[list[Declined], Field(max_length=DEFAULT_LIST_MAX)] | None = Field(
        None, description="Reasons of the declines; each person must be in declined_ids."
    )
    operator: Ident
    supervisor: Ident | None = None

    @field_validator("declined_ids")
    @classmethod
    def _not_also_drawn(cls, ids: list[str] | None, info: ValidationInfo) -> list[str] | None:
        both = sorted(set(ids or ()) & set(info.data.get("drawn_ids") or ()))
        if both:
            raise ValueError(f"also in drawn_ids: {', '.join(both[:5])}")
        return ids

    @field_validator("declined")
    @classmethod
    def _reasons_of_declined(cls, items: list[Declined] | None, info: ValidationInfo
                             ) -> list[Declined] | None:
        known = set(info.data.get("declined_ids") or ())
        missing = sorted({d.person_id for d in items or ()} - known)
        if missing:
            raise ValueError(f"not in declined_ids: {', '.join(missing[:5])}")
        return items


class CommitteeMember(BaseModel):
    """One member of the evaluation committee."""

    model_config = MODEL_CONFIG

    person_id: Ident
    role: Literal["tenderer_rep", "expert"]
    specialty: ClassName | None = Field(
        None, description="Specialty, written as in EXPERT_DRAW.specialties."
    )
    employer_org: Ident | None = None
    senior_title: bool | None = Field(None, description="高级职称 or equivalent.")
    years_in_field: Annotated[int, Field(ge=0, le=80)] | None = None
    pool_id: Ident | None = None


class CommitteeFormed(Payload):
    """The evaluation committee (评标委员会/评审小组) is formed."""

    EVENT_TYPE = "COMMITTEE_FORMED"
    EMITTED_BY = "agent"
    PHASE = PHASE

    members: Annotated[list[CommitteeMember], Field(min_length=1, max_length=50)]
    chair_id: Ident | None = None
    is_complex: bool | None = Field(None, description="技术复杂、专业性强.")
    high_social_impact: bool | None = Field(None, description="社会影响较大.")


class DeclaredRelation(BaseModel):
    """A relation a member declares with a bidder or person."""

    model_config = MODEL_CONFIG

    relation: Literal["kinship", "employment", "shareholding", "business", "other"]
    counterpart_org: Ident | None = None
    counterpart_person: Ident | None = None
    note: Name | None = None


class ConflictDeclared(Payload):
    """A member signs the conflict-of-interest declaration (回避声明)."""

    EVENT_TYPE = "CONFLICT_DECLARED"
    EMITTED_BY = "member"
    PHASE = PHASE

    person_id: Ident
    declared_relations: Annotated[list[DeclaredRelation], Field(max_length=50)] = Field(
        description="Empty list = declares no relation."
    )


RecusalReason = Literal["recusal", "left_post", "health", "other"]


class Recusal(Payload):
    """A member leaves the committee (回避/擅离职守/健康/其他)."""

    EVENT_TYPE = "RECUSAL"
    EMITTED_BY = "member / agent"
    PHASE = PHASE

    person_id: Ident
    reason: RecusalReason
    note: Text | None = None


class MemberReplaced(Payload):
    """A member is replaced by a newly drawn one."""

    EVENT_TYPE = "MEMBER_REPLACED"
    EMITTED_BY = "agent"
    PHASE = PHASE

    person_id: Ident = Field(description="The member leaving.")
    replacement_id: Ident
    reason: RecusalReason
    replacement_draw_ref: Ident | None = Field(None, description="event_id of the EXPERT_DRAW.")


class _Session(Payload):
    """Common fields of evaluation session events."""

    session_id: Ident
    room: Ident | None = None
    members_present: IdList | None = None


class EvalStarted(_Session):
    """Evaluation starts (评标开始)."""

    EVENT_TYPE = "EVAL_STARTED"
    EMITTED_BY = "venue system"
    PHASE = PHASE


class EvalEnded(_Session):
    """Evaluation ends (评标结束)."""

    EVENT_TYPE = "EVAL_ENDED"
    EMITTED_BY = "venue system"
    PHASE = PHASE

    av_segments: Annotated[list[AvSegment], Field(max_length=1000)] | None = Field(
        None, description="Audio/video segments recorded during the evaluation (全程录音"
        "录像, 政府采购法实施条例 第39条)."
    )


class EvalPaused(_Session):
    """Evaluation is paused."""

    EVENT_TYPE = "EVAL_PAUSED"
    EMITTED_BY = "venue system"
    PHASE = PHASE

    reason: Text | None = None


class EvalResumed(_Session):
    """Evaluation resumes."""

    EVENT_TYPE = "EVAL_RESUMED"
    EMITTED_BY = "venue system"
    PHASE = PHASE


class EvalTimeInsufficientVote(Payload):
    """Members state the evaluation time is insufficient (评标时间不够)."""

    EVENT_TYPE = "EVAL_TIME_INSUFFICIENT_VOTE"
    EMITTED_BY = "members"
    PHASE = PHASE

    member_ids: IdList = Field(description="Members holding the time insufficient.")
    committee_size: Annotated[int, Field(ge=1, le=100)] | None = None


class EvalExtended(Payload):
    """The tenderer extends the evaluation time (延长评标时间)."""

    EVENT_TYPE = "EVAL_EXTENDED"
    EMITTED_BY = "tenderer"
    PHASE = PHASE

    extension_minutes: Annotated[int, Field(ge=1, le=100_000)]
    member_ids: IdList | None = None


class _BidderClarification(Payload):
    """Common fields of a clarification asked of / given by a bidder."""

    bidder_org: Ident
    initiated_by: Literal["committee", "bidder"]


class BidderClarificationRequested(_BidderClarification):
    """The committee asks a bidder to clarify its bid (澄清说明)."""

    EVENT_TYPE = "BIDDER_CLARIFICATION_REQUESTED"
    EMITTED_BY = "committee (via platform)"
    PHASE = PHASE

    question_hash: Hash


class BidderClarificationAnswered(_BidderClarification):
    """The bidder answers the clarification request."""

    EVENT_TYPE = "BIDDER_CLARIFICATION_ANSWERED"
    EMITTED_BY = "bidder (via platform)"
    PHASE = PHASE

    question_hash: Hash | None = None
    answer_hash: Hash


class DocViewed(Payload):
    """An expert views part of a bid on the evaluation terminal."""

    EVENT_TYPE = "DOC_VIEWED"
    EMITTED_BY = "evaluation terminal"
    PHASE = PHASE

    expert_id: Ident
    bidder_org: Ident
    section: Name = Field(description="Part of the bid viewed (e.g. 技术标/商务标 chapter).")
    duration_s: Annotated[int, Field(ge=0, le=1_000_000)]
    terminal_id: Ident | None = None
    ip: IpOrHash | None = None


class ScoreSubmitted(Payload):
    """An expert submits a score for one factor and one bidder."""

    EVENT_TYPE = "SCORE_SUBMITTED"
    EMITTED_BY = "evaluation terminal"
    PHASE = PHASE

    expert_id: Ident
    bidder_org: Ident
    factor_id: Ident
    score: DecimalStr
    factor_min: DecimalStr | None = None
    factor_max: DecimalStr | None = None
    is_objective: bool | None = None
    terminal_id: Ident | None = None
    ip: IpOrHash | None = None


class BidRejected(Payload):
    """The committee rejects a bid (否决投标 / 投标无效)."""

    EVENT_TYPE = "BID_REJECTED"
    EMITTED_BY = "committee"
    PHASE = PHASE

    bidder_org: Ident
    reason_code: Ident
    legal_basis: Name | None = None
    note: Text | None = None


class Candidate(BaseModel):
    """A ranked candidate in the evaluation report."""

    model_config = MODEL_CONFIG

    rank: Annotated[int, Field(ge=1, le=1000)]
    bidder_org: Ident
    price: Money | None = None
    score: DecimalStr | None = None


class Dissent(BaseModel):
    """A member's dissenting opinion (不同意见)."""

    model_config = MODEL_CONFIG

    person_id: Ident
    opinion_hash: Hash | None = None
    summary: Text | None = None


class EvalReportSigned(Payload):
    """The committee signs the evaluation report (评标报告)."""

    EVENT_TYPE = "EVAL_REPORT_SIGNED"
    EMITTED_BY = "committee"
    PHASE = PHASE

    candidates: Annotated[list[Candidate], Field(max_length=100)]
    signatures: Annotated[list[SignatureRef], Field(max_length=100)]
    dissents: Annotated[list[Dissent], Field(max_length=100)] | None = None
    report_hash: Hash
    rejected_count: _Count | None = None


class EvalReportDelivered(Payload):
    """The agent delivers the report to the tenderer / purchaser."""

    EVENT_TYPE = "EVAL_REPORT_DELIVERED"
    EMITTED_BY = "agent"
    PHASE = PHASE

    to: Literal["tenderer", "purchaser"]
    recipient_id: Ident | None = None
    report_hash: Hash | None = None
    recipient_name: Name | None = None


PAYLOADS: tuple[type[Payload], ...] = (
    ExpertDraw,
    CommitteeFormed,
    ConflictDeclared,
    Recusal,
    MemberReplaced,
    EvalStarted,
    EvalEnded,
    EvalPaused,
    EvalResumed,
    EvalTimeInsufficientVote,
    EvalExtended,
    BidderClarificationRequested,
    BidderClarificationAnswered,
    DocViewed,
    ScoreSubmitted,
    BidRejected,
    EvalReportSigned,
    EvalReportDelivered,
)
