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
from typing import Literal

from ledger.rules.calendar import SHANGHAI

Lang = Literal["zh", "en"]
FEN = Decimal("0.01")


def bj(moment: datetime) -> datetime:
    """``moment`` in Beijing time (UTC+8), whatever offset it was recorded with."""
    return moment.astimezone(SHANGHAI)


_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")


def in_beijing_time(value: object) -> object:
    """``value`` (a finding's computed values) with every RFC 3339 instant restated in
    Beijing time: the same instant, the offset the counts are made in (+08:00)."""
    if isinstance(value, str) and _INSTANT.fullmatch(value):
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
