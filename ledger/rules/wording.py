"""How findings print values: the one home for times, amounts, percentages, durations and
lists in ``message_zh`` / ``message_en``.

A finding is read by a regulator: a time is Beijing time (the local dates the periods are
counted in, never a UTC date beside a local count), an amount is in 元 with two decimals,
a duration is in days / hours / minutes, and a list is written as prose, never as a Python
repr. Every rule formats through these helpers so one test can hold the whole catalogue to
them. Pure: no I/O, no clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Literal, TypeGuard

from ledger.events.labels import FIELD_LABELS
from ledger.rules.calendar import SHANGHAI

Lang = Literal["zh", "en"]
FEN = Decimal("0.01")


def bj(moment: datetime) -> datetime:
    """``moment`` in Beijing time (UTC+8), whatever offset it was recorded with."""
    return moment.astimezone(SHANGHAI)


_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")


def is_instant(value: object) -> TypeGuard[str]:
    """Whether ``value`` is an RFC 3339 instant (date, time and offset), as computed values
    and payloads record times; a date alone or free text is not."""
    return isinstance(value, str) and _INSTANT.fullmatch(value) is not None


def in_beijing_time(value: object) -> object:
    """``value`` (a finding's computed values) with every RFC 3339 instant restated in
    Beijing time: the same instant, the offset the counts are made in (+08:00)."""
    if is_instant(value):
        return bj(datetime.fromisoformat(value)).isoformat()
    if isinstance(value, Mapping):
        return {k: in_beijing_time(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [in_beijing_time(v) for v in value]
    return value


def bj_time(moment: datetime) -> str:
    """'2026-03-11 09:00:00+08:00': the instant in Beijing time, offset written out."""
    return bj(moment).strftime("%Y-%m-%d %H:%M:%S+08:00")


def bj_date(moment: datetime | date) -> str:
    """'2026-03-11': the Beijing calendar day periods are counted from."""
    day = bj(moment).date() if isinstance(moment, datetime) else moment
    return day.isoformat()


def money(amount: Decimal) -> str:
    """'572,000.00': an amount rounded to the fen, thousands separated."""
    return f"{amount.quantize(FEN, rounding=ROUND_HALF_UP):,.2f}"


def money_str(amount: Decimal) -> str:
    """'572000.00': an amount to the fen, as computed values and payloads write it."""
    return str(amount.quantize(FEN, rounding=ROUND_HALF_UP))


def yuan(amount: Decimal, lang: Lang = "zh") -> str:
    """'572,000.00 元' (zh) or 'CNY 572,000.00' (en)."""
    return f"{money(amount)} 元" if lang == "zh" else f"CNY {money(amount)}"


def pct(ratio: Decimal | float, places: int = 2) -> str:
    """'2%', '2.13%': a ratio as a percentage with at most ``places`` decimals."""
    value = (Decimal(str(ratio)) * 100).quantize(Decimal(1).scaleb(-places),
                                                 rounding=ROUND_HALF_UP)
    text = f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"
    return f"{text}%"


def share(part: Decimal, whole: Decimal, against: Decimal | None = None) -> str:
    """``part`` as a percentage of ``whole`` ('2.13%'); '—' when ``whole`` is zero. With
    ``against`` (the cap it is compared with), as many decimals (up to six) as it takes not
    to print the cap itself for a share that is not the cap: "2.0001%, above 2%", never
    "2%, above 2%"."""
    if not whole:
        return "—"
    ratio = part / whole
    places = 2
    while (against is not None and ratio != against and places < 6
           and pct(ratio, places) == pct(against, places)):
        places += 1
    return pct(ratio, places)


def duration(seconds: float | timedelta, lang: Lang = "zh") -> str:
    """'22天1小时6分钟' / '22 d 1 h 6 min': seconds shown only under one hour."""
    total = int(abs(seconds.total_seconds() if isinstance(seconds, timedelta) else seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    units = (("天", " d"), ("小时", " h"), ("分钟", " min"), ("秒", " s"))
    parts = [(days, units[0]), (hours, units[1]), (minutes, units[2])]
    if total < 3600:
        parts.append((secs, units[3]))
    shown = [(n, u) for n, u in parts if n] or [(0, units[3] if total < 60 else units[2])]
    if lang == "zh":
        return "".join(f"{n}{u[0]}" for n, u in shown)
    return " ".join(f"{n}{u[1]}" for n, u in shown)


def minutes_words(value: float, lang: Lang = "zh") -> str:
    """A count of minutes as a duration ('1小时5分钟')."""
    return duration(value * 60, lang)


def listing(items: Iterable[object], lang: Lang = "zh") -> str:
    """'甲、乙、丙' (zh) or 'a, b, c' (en); '无' / 'none' when empty."""
    texts = [str(x) for x in items]
    if not texts:
        return "无" if lang == "zh" else "none"
    return ("、" if lang == "zh" else ", ").join(texts)


# The platform's codes (event schema enumerations) as a Chinese reader knows them.
TERMS: Mapping[str, str] = {
    # qualification and scoring terms (QualificationType)
    "registered_capital": "注册资本", "total_assets": "资产总额", "revenue": "营业收入",
    "employees": "从业人员", "profit": "利润", "tax_paid": "纳税额", "location": "所在地",
    "local_branch": "本地分支机构", "local_tax_social_security": "本地纳税或社保",
    "ownership": "所有制形式", "org_form": "组织形式", "performance": "业绩", "award": "奖项",
    "manufacturer_authorization": "生产厂家授权", "market_share": "市场占有率",
    "certification": "认证", "license": "许可", "qualification_grade": "资质等级",
    # bond forms, methods, announcement kinds
    "transfer": "转账", "cash": "现金", "cheque": "支票", "draft": "汇票", "promissory": "本票",
    "bank_guarantee": "银行保函", "insurance_guarantee": "保证保险",
    "open": "公开招标", "invited": "邀请招标", "competitive_negotiation": "竞争性谈判",
    "inquiry": "询价", "single_source": "单一来源采购", "consultation": "竞争性磋商",
    "framework_agreement": "框架协议采购", "prequal": "资格预审", "tender": "招标",
    "invitation": "投标邀请", "clarification": "澄清", "termination": "终止",
    "candidate_publicity": "中标候选人公示", "result": "结果", "contract": "合同",
    # people, places, devices, resources and actions on site
    "expert": "评标专家", "tenderer_rep": "招标人代表", "supervisor": "监督人员",
    "center_staff": "交易中心工作人员", "agent": "招标代理", "bidder": "投标人",
    "tenderer": "招标人", "visitor": "访客", "platform_operator": "平台运维人员",
    "regulator": "监管人员", "system": "系统", "opening_hall": "开标厅",
    "evaluation_room": "评标室", "isolation_corridor": "隔离通道",
    "bidder_waiting_area": "投标人等候区", "supervision_room": "监督室",
    "deposit_point": "物品存放处", "phone": "手机", "tablet": "平板电脑",
    "laptop": "笔记本电脑", "smartwatch": "智能手表", "storage": "存储设备",
    "cellular": "移动网络", "wifi": "无线网络", "bluetooth": "蓝牙",
    "downloader_list": "潜在投标人名单", "committee_list": "评标委员会名单",
    "bid_files": "投标文件", "base_price": "标底", "view": "查看", "download": "下载",
    "export": "导出", "modify": "修改",
    # relations, reasons, outcomes
    "kinship": "亲属关系", "employment": "劳动关系", "shareholding": "持股关系",
    "business": "业务往来", "same_group": "同一集团", "recusal": "回避",
    "left_post": "离岗", "health": "健康原因", "pass": "通过", "fail": "未通过",
    "random": "随机抽取", "pool": "从库中选取", "recommendation": "推荐",
    # identifiers and file metadata compared between bidders (collusion rules)
    "ip": "IP地址", "client_ip": "IP地址", "mac": "MAC地址", "client_mac": "MAC地址",
    "device_fp": "设备指纹", "tool_machine_code": "投标工具机器码", "author": "作者",
    "last_modified_by": "最后修改人", "company": "单位", "app_license_serial": "软件授权序列号",
    "authorized_rep_id": "授权代表", "contact_phone": "联系电话", "contact_email": "联系邮箱",
    "project_manager_id": "项目经理", "project_manager_cert_no": "项目经理证书编号",
    "same_registered_address": "注册地址相同", "same_phone": "联系电话相同",
    "shared_legal_rep": "法定代表人相同", "shared_directors": "董事交叉任职",
    "shared_supervisors": "监事交叉任职", "shared_senior_managers": "高级管理人员交叉任职",
    "waived": "放弃中标", "force_majeure": "不可抗力", "no_performance_bond": "未提交履约保证金",
    "illegal_conduct": "存在违法行为",
    "upheld": "成立", "partially_upheld": "部分成立", "dismissed": "驳回",
    "not_accepted": "不予受理", "withdrawn": "撤回", "other": "其他",
}


# A finding's computed values are recorded under the rule's own names (``days``, ``due``,
# ``overdue``…); the lead pages and the 移送函 show each under its label here. A value
# that carries an event field under that field's own name (``bidder_org``, ``bid_price``)
# is shown under the field's label (``ledger.events.labels``), so one name reads one way
# wherever it appears; the rules' own names, and field names a rule uses in another sense
# (``members`` as a count), have their own. tests/rules/test_value_labels.py holds the
# table to every value name the rules emit.
_FIELD_VALUES: tuple[str, ...] = (
    "action", "actor", "affects_bid_prep", "agent_org", "amount", "av_recording_ids",
    "bid_price", "bid_validity_days", "bidder_org", "brand_refs", "ca_cert_serial",
    "ca_subject_id", "candidates", "consortium_statement", "content_hash", "device_type",
    "distance_m", "doc_hash", "doc_kind", "duration_s", "end", "equivalent_allowed",
    "event_id", "evidence_ref", "expert_list_included", "fee", "file_hash", "form",
    "initiated_by", "interest", "invitees", "ip", "item_price_vector_hash", "kind",
    "match_score", "media", "method", "new_method", "payer_account_hash", "payer_name",
    "period_end", "person_id", "place", "platform_signed", "rank_of_winner", "reason",
    "received_at", "region_code", "registration_gate", "replied_at", "resource", "result",
    "role", "room", "samples_required", "score", "selection_method", "standard_template_id",
    "start", "subject", "supervisory_dept", "tenderer_org", "valid_until", "value", "zone",
)
_OWN_VALUES: dict[str, tuple[str, str]] = {
    # parties, people and places
    "a": ("投标人甲", "Bidder A"), "b": ("投标人乙", "Bidder B"),
    "bidder": ("投标人", "Bidder"), "bidders": ("涉及投标人", "Bidders"),
    "agent": ("招标代理机构", "Agent"), "org": ("单位", "Organisation"),
    "party": ("相关方", "Party"), "pair": ("相关双方", "Pair"),
    "complainant": ("投诉人", "Complainant"), "employer": ("工作单位", "Employer"),
    "expert": ("评标专家", "Expert"), "experts": ("涉及专家", "Experts"),
    "member": ("评标委员会成员", "Member"), "members": ("成员人数", "Members"),
    "other": ("另一人员", "Other person"), "person": ("人员", "Person"),
    "persons": ("涉及人员", "Persons"), "staff": ("工作人员", "Staff"),
    "replaced": ("被替换人员", "Replaced"), "replacement": ("替换人员", "Replacement"),
    "acting_as_supervisor": ("以监督人员身份操作者", "Acting as supervisor"),
    "unqualified": ("不符合条件的专家", "Unqualified experts"),
    "suspended": ("暂停", "Suspended"),
    "not_deposited": ("未存放通讯工具者", "Devices not deposited"),
    "not_invited": ("未受邀单位", "Not invited"), "not_notified": ("未获通知单位", "Not notified"),
    "not_signed": ("未签字成员", "Not signed"), "not_signed_by": ("未签名者", "Not signed by"),
    "winner": ("中标人", "Winner"), "winners": ("中标人名单", "Winners"),
    "top_winners": ("主要中标人", "Top winners"), "first": ("原通知的中标人", "First notified"),
    "later": ("后通知的中标人", "Later notified"), "rank1": ("排名第一的投标人", "Ranked first"),
    "rank1_before": ("此前排名第一", "Ranked first before"),
    "rank1_after": ("此后排名第一", "Ranked first after"),
    "skipped": ("被跳过的候选人", "Skipped"), "dropped": ("退出的投标人", "Dropped out"),
    "related_pairs": ("存在关联的投标人", "Related pairs"), "relations": ("关联关系", "Relations"),
    "links": ("关联", "Links"), "with": ("关联对象", "Related to"),
    "same_legal_rep": ("法定代表人相同", "Same legal representative"),
    "company_is_agent_or_other_bidder": ("文件单位为代理机构或其他投标人",
                                         "Company is the agent or another bidder"),
    "file_company": ("文件单位", "File company"), "venue": ("评标场所", "Venue"),
    "region": ("地区", "Region"), "terminal": ("终端", "Terminal"),
    "pool": ("专家库", "Pool"), "roles": ("身份", "Roles"),
    "terminals": ("涉及终端", "Terminals"),
    "announced_place": ("公告的开标地点", "Announced place"),
    "seen_outside": ("到过的区域", "Zones visited"), "escorted": ("有人陪同", "Escorted"),
    # times and dates
    "accepted": ("受理日期", "Accepted on"), "accessed": ("访问时间", "Accessed at"),
    "as_of": ("统计日", "As of"), "at": ("发生时间", "At"), "award_at": ("定标时间", "Awarded at"),
    "clarified": ("澄清时间", "Clarified at"), "deadline": ("截止时间", "Deadline"),
    "decided": ("决定日期", "Decided on"), "delivered": ("提交日期", "Delivered on"),
    "determined": ("定标日期", "Determined on"), "due": ("期限", "Due"),
    "filed": ("提出日期", "Filed on"), "first_day": ("首日", "First day"),
    "first_issue": ("文件首次发出时间", "First issued"), "from": ("起算", "From"),
    "issued": ("发出时间", "Issued"), "know_date": ("知道之日", "Known on"),
    "notice": ("中标通知书发出", "Award notice"), "notice_day": ("通知日期", "Notice day"),
    "objection_at": ("异议时间", "Objection at"), "on": ("发生日期", "On"),
    "opening": ("开标时间", "Opening"), "opening_ended": ("开标结束时间", "Opening ended"),
    "publicity_end": ("公示截止时间", "Publicity end"), "published": ("发布时间", "Published"),
    "received": ("收到日期", "Received"), "reference": ("起算日", "Reference date"),
    "refunded": ("退还时间", "Refunded"), "replied": ("答复时间", "Replied"),
    "resumed": ("恢复日期", "Resumed"), "sale_end": ("文件发售截止", "Sale end"),
    "signed": ("签订时间", "Signed"), "until": ("截止", "Until"),
    "validity_end": ("有效期届满", "Validity end"), "visit": ("踏勘时间", "Site visit"),
    "year": ("年份", "Year"),
    # counts, durations and limits
    "absent_minutes": ("离开时长（分钟）", "Minutes away"), "bids": ("投标", "Bids"),
    "bids_without_tsa": ("无可信时间戳的投标数", "Bids without a trusted timestamp"),
    "contracts": ("合同数", "Contracts"), "count": ("数量", "Count"),
    "dates_covered": ("覆盖天数", "Days covered"), "days": ("天数", "Days"),
    "days_after_reply": ("答复后天数", "Days after the reply"),
    "days_before_deadline": ("距截止天数", "Days before the deadline"),
    "days_inclusive": ("天数（含首尾）", "Days (inclusive)"),
    "delta_minutes": ("相差（分钟）", "Difference (minutes)"),
    "downloaders": ("获取文件人数", "Downloaders"), "draws": ("抽取次数", "Draws"),
    "evidence_total": ("证据事件总数", "Evidence events"),
    "excluded_working_days": ("不计入的工作日", "Excluded working days"),
    "factors": ("评分因素数", "Factors"), "failures": ("失败次数", "Failures"),
    "filings": ("提出次数", "Filings"),
    "final_scores_within_s": ("最终评分间隔（秒）", "Final scores within (s)"),
    "gap_hours": ("相隔（小时）", "Gap (hours)"), "gap_seconds": ("相隔（秒）", "Gap (seconds)"),
    "hours_after_access": ("访问后（小时）", "Hours after access"),
    "hours_before_deadline": ("距投标截止（小时）", "Hours before the deadline"),
    "late_seconds": ("逾期（秒）", "Late by (s)"), "left": ("剩余期限", "Left"),
    "limit": ("限值", "Limit"), "limit_hours": ("时限（小时）", "Limit (hours)"),
    "maximum": ("上限", "Maximum"), "min_projects": ("最少项目数", "Minimum projects"),
    "min_view_seconds": ("最短查阅时长（秒）", "Minimum viewing (s)"),
    "min_years": ("最低从业年限", "Minimum years"), "minimum": ("最低要求", "Minimum"),
    "minutes": ("用时（分钟）", "Minutes"), "missing_count": ("缺失数量", "Missing count"),
    "non_bidder_failures": ("非投标人原因的失败", "Failures not caused by bidders"),
    "operations": ("操作次数", "Operations"), "passed": ("通过数", "Passed"),
    "projects_high": ("评分偏高的项目数", "Projects scored high"),
    "qualified_bids": ("合格投标数", "Qualified bids"), "rejected": ("被否决数", "Rejected"),
    "required_minutes": ("应需时长（分钟）", "Required minutes"),
    "rounds_with_declines": ("有专家拒绝的抽取轮次", "Rounds with declines"),
    "scores_after_replacement": ("替换后评分数", "Scores after replacement"),
    "scores_after_report": ("报告后评分数", "Scores after the report"),
    "scores_while_absent": ("离开期间评分数", "Scores while away"),
    "seconds_earlier": ("提前（秒）", "Seconds earlier"), "sections": ("标段数", "Lots"),
    "sittings": ("同场评标次数", "Sittings"), "times_drawn": ("被抽中次数", "Times drawn"),
    "tolerance_minutes": ("容差（分钟）", "Tolerance (minutes)"),
    "unsigned": ("未签名数", "Unsigned"),
    "uploads_within_window": ("时间窗内上传", "Uploads within the window"),
    "valid_bids": ("有效投标数", "Valid bids"), "view_seconds": ("查阅时长（秒）", "Viewing (s)"),
    "votes": ("票数", "Votes"), "window_days": ("时间窗（日）", "Window (days)"),
    "wins": ("中标次数", "Wins"), "wins_with": ("同场时中标次数", "Wins with"),
    "won": ("中标数", "Won"), "working_days": ("工作日数", "Working days"),
    "working_days_inclusive": ("工作日数（含首尾）", "Working days (inclusive)"),
    "working_days_left": ("剩余工作日", "Working days left"),
    "bid_duration_days": ("投标工期（日）", "Bid duration (days)"),
    "contract_duration_days": ("合同工期（日）", "Contract duration (days)"),
    # amounts, prices, shares and scores
    "added": ("增加金额", "Amount added"), "base": ("计算基准", "Base"),
    "budget": ("预算金额", "Budget"), "cap": ("上限", "Cap"),
    "cash": ("以现金缴纳", "Paid in cash"), "ceiling": ("最高投标限价", "Ceiling price"),
    "contract_amount": ("合同金额", "Contract amount"), "difference": ("差额", "Difference"),
    "differences": ("报价差", "Differences"), "expected_fee": ("应收费用", "Expected fee"),
    "mean_others": ("其他投标人均值", "Mean of the others"),
    "median_others": ("其他成员中位数", "Median of the others"),
    "original": ("原合同金额", "Original amount"), "paid": ("已缴金额", "Paid"),
    "prices": ("报价", "Prices"), "ratio": ("比例", "Ratio"), "share": ("占比", "Share"),
    "threshold": ("限额标准", "Threshold"), "tolerance": ("容差", "Tolerance"),
    "total": ("合计", "Total"), "totals": ("总分", "Totals"),
    "winning_price": ("中标价", "Winning price"), "base_rate": ("基准中标率", "Base win rate"),
    "colocated_share": ("陪标比例", "Share alongside the winners"),
    "value_share": ("中标金额占比", "Value share"), "win_rate": ("中标率", "Win rate"),
    "p": ("单次抽中概率", "Chance per draw"), "tail": ("尾概率", "Tail probability"),
    "mad_k": ("偏离阈值（MAD倍数）", "MAD multiple"),
    "min_match": ("最低比对相似度", "Minimum match"),
    "range": ("分值范围", "Range"), "scores": ("各项评分", "Scores"),
    "factor": ("评分因素", "Scoring factor"),
    "unknown_factors": ("未知评分因素", "Unknown factors"),
    "varying_maxima": ("满分不一致的因素", "Factors with varying maxima"),
    # what was found, and how
    "approval": ("事先批准", "Prior approval"), "before": ("保密至", "Secret until"),
    "branch": ("判定方式", "Test"), "by_rate": ("按中标率判定", "By win rate"),
    "by_value": ("按中标金额判定", "By value share"), "category": ("项目类别", "Category"),
    "cause": ("前因事件", "Cause"), "checked": ("已核验身份", "Identity checked"),
    "collusion_rules": ("涉及的串标规则", "Collusion rules"),
    "continued_with": ("后续环节", "Continued with"), "cross_kind": ("跨环节共用", "Across kinds"),
    "delivered_hash": ("提交文件哈希", "Delivered hash"),
    "doc_version": ("文件版本", "Document version"),
    "effect": ("后果事件", "Effect"), "event": ("事件", "Event"),
    "false_declaration": ("虚假声明", "False declaration"),
    "fields": ("相同的信息", "Shared fields"),
    "files_created_close": ("文件创建时间接近", "Files created close together"),
    "filing_types": ("提出类型", "Filing types"),
    "forbidden_changes": ("不得修改的内容", "Forbidden changes"),
    "guarantee_client_ip": ("办理保函的IP地址", "Guarantee client IP"),
    "guarantee_device_fp": ("办理保函的设备指纹", "Guarantee device fingerprint"),
    "how_to_load": ("载入方法", "How to load"), "identifier": ("标识类型", "Identifier"),
    "identifiers": ("相同标识", "Identifiers"), "in_signed_report": ("已写入签署的评标报告",
                                                                      "In the signed report"),
    "index": ("记录序号", "Index"), "kinds": ("类别", "Kinds"),
    "late_or_missing": ("逾期或缺失", "Late or missing"),
    "media_missing": ("未发布的媒介", "Media missing"), "missing": ("缺失", "Missing"),
    "no_e_signature": ("无电子签名", "No electronic signature"), "overdue": ("已逾期", "Overdue"),
    "part": ("情形", "Part"), "pattern": ("模式", "Pattern"), "patterns": ("报价规律", "Patterns"),
    "previous": ("前一条记录", "Previous"), "price_mismatch": ("报价不一致", "Price mismatch"),
    "priority": ("优先级", "Priority"), "problem": ("问题", "Problem"),
    "problems": ("问题清单", "Problems"), "project": ("项目", "Project"),
    "projects": ("涉及项目", "Projects"), "ranks": ("排名", "Ranks"),
    "reasons": ("理由", "Reasons"), "rejected_below_cost": ("因低于成本被否决",
                                                           "Rejected as below cost"),
    "requested": ("经要求澄清", "Requested"), "rules": ("规则", "Rules"),
    "scored": ("已评分", "Scored"), "scored_unviewed": ("未查阅即评分", "Scored without viewing"),
    "shared": ("相同内容", "Shared"), "signed_hash": ("签署文件哈希", "Signed hash"),
    "step": ("环节", "Step"), "terms": ("条款", "Terms"), "tier": ("档次", "Tier"),
    "types": ("事件类型", "Types"), "unit": ("计算单位", "Unit"),
    "until_after_deadline": ("延至截止后", "Until after the deadline"), "via": ("经由", "Via"),
    "winner_in_every_round": ("每轮中标人", "Winner in every round"),
}
VALUE_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {**{name: FIELD_LABELS[name] for name in _FIELD_VALUES}, **_OWN_VALUES})
"""Computed value name → (Chinese, English) label: every name a rule's findings carry."""


def quoted(items: object, lang: Lang = "zh") -> str:
    """Recorded text (names, changed fields) listed as written: in the English message each
    item stands in quotation marks, so Chinese data reads as data, not as the message."""
    texts = [str(x) for x in items] if isinstance(items, (list, tuple, set)) else [str(items)]
    return listing(texts if lang == "zh" else (f"“{t}”" for t in texts), lang)


def label(code: object, lang: Lang = "zh", names: Mapping[str, str] = TERMS) -> str:
    """A platform code in words: Chinese from ``names`` (an unknown code reads '其他'
    rather than put an English word in a Chinese message); English keeps the code with
    spaces for underscores."""
    key = str(code)
    if lang == "en":
        return key.replace("_", " ")
    return names.get(key, "其他")


def labels(codes: Iterable[object], lang: Lang = "zh", names: Mapping[str, str] = TERMS) -> str:
    return listing((label(c, lang, names) for c in codes), lang)
