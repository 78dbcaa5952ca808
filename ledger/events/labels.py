"""What people call each event type and actor role: the one label table (Chinese, English).

Role: the names the portal's pages, printed receipts, audit reports and transfer letters
show for an event type (``BID_SUBMITTED`` → 投标文件递交) and for an actor's role. Every type
of ``EVENT_TYPES`` has exactly one entry (tests/portal/test_pages_labels.py holds the two
tables to each other). Pure data: it must not import the store, the API or the log.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final, Literal

Lang = Literal["zh", "en"]

_TYPES: Final[dict[str, tuple[str, str]]] = {
    "PROJECT_REGISTERED": ("项目登记", "Project registered"),
    "ANNOUNCEMENT_PUBLISHED": ("公告发布", "Announcement published"),
    "INVITATION_SENT": ("投标邀请书发出", "Invitations sent"),
    "RETENDER_STARTED": ("重新招标", "Re-tender started"),
    "TENDER_TERMINATED": ("终止招标（采购）", "Tender terminated"),
    "METHOD_CHANGED": ("变更采购方式", "Procurement method changed"),
    "DOC_ISSUED": ("招标文件发出", "Tender document issued"),
    "DOC_DOWNLOADED": ("招标文件获取", "Tender document obtained"),
    "SITE_VISIT_HELD": ("踏勘现场", "Site visit held"),
    "PREBID_MEETING_HELD": ("投标预备会", "Pre-bid meeting held"),
    "CLARIFICATION_ISSUED": ("招标文件澄清或修改", "Clarification issued"),
    "DEADLINE_CHANGED": ("投标截止时间变更", "Bid deadline changed"),
    "BOND_PAID": ("投标保证金缴纳", "Bid bond paid"),
    "BID_SUBMITTED": ("投标文件递交", "Bid submitted"),
    "BID_MODIFIED": ("投标文件修改", "Bid modified"),
    "BID_WITHDRAWN": ("投标文件撤回", "Bid withdrawn"),
    "BID_DECRYPTED": ("投标文件解密", "Bid decrypted"),
    "BID_EXTRACTED": ("投标文件提取", "Bid extracted"),
    "BOND_REFUNDED": ("投标保证金退还", "Bid bond refunded"),
    "OPENING_STARTED": ("开标开始", "Opening started"),
    "OPENING_ENDED": ("开标结束", "Opening ended"),
    "OPENING_RECORD_PUBLISHED": ("开标记录公布", "Opening record published"),
    "OPENING_OBJECTION": ("开标异议", "Objection at the opening"),
    "EXPERT_DRAW": ("评标专家抽取", "Experts drawn"),
    "COMMITTEE_FORMED": ("评标委员会组建", "Evaluation committee formed"),
    "CONFLICT_DECLARED": ("回避声明签署", "Conflict-of-interest declaration"),
    "RECUSAL": ("评标成员回避或离开", "Member left the committee"),
    "MEMBER_REPLACED": ("评标成员替换", "Member replaced"),
    "EVAL_STARTED": ("评标开始", "Evaluation started"),
    "EVAL_ENDED": ("评标结束", "Evaluation ended"),
    "EVAL_PAUSED": ("评标暂停", "Evaluation paused"),
    "EVAL_RESUMED": ("评标恢复", "Evaluation resumed"),
    "EVAL_TIME_INSUFFICIENT_VOTE": ("评标时间不够表决", "Evaluation time found insufficient"),
    "EVAL_EXTENDED": ("延长评标时间", "Evaluation time extended"),
    "BIDDER_CLARIFICATION_REQUESTED": ("要求投标人澄清", "Bidder asked to clarify"),
    "BIDDER_CLARIFICATION_ANSWERED": ("投标人澄清答复", "Bidder clarification answered"),
    "DOC_VIEWED": ("评标终端查阅投标文件", "Bid viewed at the evaluation terminal"),
    "SCORE_SUBMITTED": ("专家评分提交", "Score submitted"),
    "BID_REJECTED": ("否决投标", "Bid rejected"),
    "EVAL_REPORT_SIGNED": ("评标报告签署", "Evaluation report signed"),
    "EVAL_REPORT_DELIVERED": ("评标报告提交", "Evaluation report delivered"),
    "IDENTITY_VERIFIED": ("现场身份核验", "Identity verified on site"),
    "BADGE_ENTER": ("进入区域", "Badge entered a zone"),
    "BADGE_EXIT": ("离开区域", "Badge left a zone"),
    "BADGE_PROXIMITY": ("人员近距离接触", "Badges close together"),
    "DEVICE_DEPOSITED": ("通讯工具存放", "Device deposited"),
    "SIGNAL_DETECTED": ("屏蔽区域内检测到信号", "Signal detected in a shielded room"),
    "ACCESS_LOG": ("保密资料访问", "Confidential record accessed"),
    "REMOTE_EVAL_ARRANGED": ("远程异地评标安排", "Remote evaluation arranged"),
    "EXPERT_SEATED": ("专家入座", "Expert seated"),
    "REMOTE_LINK_OPENED": ("远程连线开始", "Remote link opened"),
    "REMOTE_LINK_CLOSED": ("远程连线结束", "Remote link closed"),
    "CANDIDATE_PUBLICITY": ("中标候选人公示", "Candidates publicised"),
    "WINNER_DETERMINED": ("确定中标人", "Winner determined"),
    "AWARD_NOTICE_ISSUED": ("中标（成交）通知书发出", "Award notice issued"),
    "RESULT_NOTICE_ISSUED": ("中标结果通知", "Result notified to bidders"),
    "RESULT_ANNOUNCED": ("中标（成交）结果公告", "Result announced"),
    "TENDER_REPORT_FILED": ("招标投标情况书面报告", "Tender report filed"),
    "PERFORMANCE_BOND_PAID": ("履约保证金缴纳", "Performance bond paid"),
    "CONTRACT_SIGNED": ("合同签订", "Contract signed"),
    "CONTRACT_PUBLISHED": ("合同公告", "Contract published"),
    "CONTRACT_FILED": ("合同备案", "Contract filed"),
    "CONTRACT_AMENDED": ("补充合同签订", "Supplementary contract signed"),
    "OBJECTION_FILED": ("异议提出", "Objection filed"),
    "INQUIRY_FILED": ("询问提出", "Inquiry filed"),
    "CHALLENGE_FILED": ("质疑提出", "Challenge filed"),
    "OBJECTION_REPLIED": ("异议答复", "Objection answered"),
    "CHALLENGE_REPLIED": ("质疑答复", "Challenge answered"),
    "ACTIVITY_SUSPENDED": ("暂停招标投标活动", "Tendering suspended"),
    "ACTIVITY_RESUMED": ("恢复招标投标活动", "Tendering resumed"),
    "COMPLAINT_FILED": ("投诉提出", "Complaint filed"),
    "COMPLAINT_ACCEPTED": ("投诉受理", "Complaint accepted"),
    "COMPLAINT_DECIDED": ("投诉处理决定", "Complaint decided"),
    "HOTLINE_TICKET_FILED": ("12345热线工单", "12345 hotline ticket"),
    "LEAD_RAISED": ("违规线索生成", "Violation lead raised"),
    "LEAD_TRANSFERRED": ("违规线索移送", "Violation lead transferred"),
    "LEAD_ACKNOWLEDGED": ("违规线索签收", "Violation lead acknowledged"),
    "BIDS_UNSEALED": ("开标解封", "Bids unsealed at the opening"),
    "CHECKPOINT_SIGNER_BOUND": ("检查点签名密钥绑定", "Checkpoint signer bound"),
    "LOG_KEY_ROTATED": ("日志签名密钥轮换", "Log key rotated"),
}

EVENT_LABELS: Final = MappingProxyType(_TYPES)
"""Event type → (Chinese, English) label."""

ACTOR_ROLE_LABELS: Final = MappingProxyType({
    "tenderer": ("招标人（采购人）", "Tenderer"),
    "agent": ("招标代理机构", "Agent"),
    "bidder": ("投标人", "Bidder"),
    "expert": ("评标专家", "Expert"),
    "tenderer_rep": ("招标人代表", "Tenderer's representative"),
    "center_staff": ("交易中心工作人员", "Center staff"),
    "supervisor": ("监督人员", "Supervisor"),
    "platform_operator": ("交易平台运营方", "Platform operator"),
    "regulator": ("行政监督部门", "Regulator"),
    "system": ("系统", "System"),
})
"""Actor role (envelope ``actor.role``) → (Chinese, English) label."""


def event_label(event_type: str, lang: Lang = "zh") -> str:
    """The label of ``event_type``; an unknown type is shown as it is written."""
    pair = _TYPES.get(event_type)
    if pair is None:
        return event_type
    return pair[0] if lang == "zh" else pair[1]


def actor_role_label(role: str, lang: Lang = "zh") -> str:
    """The label of an actor role; an unknown role is shown as it is written."""
    pair = ACTOR_ROLE_LABELS.get(role)
    if pair is None:
        return role
    return pair[0] if lang == "zh" else pair[1]
