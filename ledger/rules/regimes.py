"""Which law a finding cites: the basis of the project's own regime.

A works project (招标投标法 system, flag ``regime: "TB"``) is governed by 招标投标法, its
实施条例, and the NDRC measures made under them (评标委员会和评标方法暂行规定, 电子招标投标
办法, 发改法规规〔2022〕1117号); a government procurement of goods or services (``"GP"``)
by 政府采购法, its 实施条例 and 政府采购货物和服务招标投标管理办法 (87号令). 电子签名法,
公平竞争审查条例 and 民法典 hold in both. A rule's ``basis`` may list both systems (the
catalogue documents both); a finding cites only the citations of its project's regime,
unless the rule declares why the other system applies too (``cross``). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ledger.core.errors import WitnessError

REGIMES = ("TB", "GP")
LAW_REGIME: Mapping[str, str | None] = {
    "TB": "TB", "TBR": "TB", "EV": "TB", "EB": "TB", "OP": "TB",
    "GP": "GP", "GPR": "GP", "GP87": "GP",
    "ES": None, "FC": None, "CC": None,  # laws of both systems
}
_CODE = re.compile(r"^(TBR|TB|GP87|GPR|GP|EB|ES|EV|FC|OP|CC)\b")


# Why a procurement finding may cite the electronic-tendering measures: GP87 leaves the
# special matters of electronic procurement to the Ministry of Finance, so until it rules
# on them the platform's electronic steps follow the measures the trading center runs.
_GP_ELECTRONIC = ('GP87 第83条 "政府采购货物服务电子招标投标……有关特殊事宜，由财政部另行规定"')
GP_ELECTRONIC_REASON = ("政府采购电子交易的特殊事宜由财政部另行规定，交易平台的电子环节适用"
                        "电子招标投标办法的同一要求")
_NO_GP_RULE = "政府采购法律对此未作规定，交易中心对两类项目执行同一程序要求"

# The basis of a regime whose own law the catalogue basis of a rule does not name, for the
# rules that hold in both systems: (basis, reason when it cites the other system's law).
DECLARED: Mapping[str, Mapping[str, tuple[str, str]]] = {
    "R-CL-E-SAME-IP": {"GP": (
        'GP87 第37条(一) "不同投标人的投标文件由同一单位或者个人编制"; GPR 第74条', "")},
    "R-CL-TIMING-CLUSTER": {"GP": (
        'GP87 第37条(二) "不同投标人委托同一单位或者个人办理投标事宜"; GPR 第74条', "")},
    "R-EB-20-NO-REGISTRATION-GATE": {"GP": (
        'GPR 第20条(八) "以其他不合理条件限制或者排斥潜在供应商"', "")},
    "R-EB-22-CLARIFY-NOTIFY": {"GP": (
        'GPR 第31条 "以书面形式通知所有获取招标文件的潜在投标人"; GP87 第27条', "")},
    "R-EB-31-DECRYPT-FAILURE": {"GP": (f"{_GP_ELECTRONIC}; EB 第31条", GP_ELECTRONIC_REASON)},
    "R-EB-33-CONTROLLED-ENVIRONMENT": {"GP": (
        'GP87 第66条 "应当采取必要措施，保证评标在严格保密的情况下进行"', "")},
    "R-EB-49-OPERATION-LOG": {"GP": (f"{_GP_ELECTRONIC}; EB 第49条", GP_ELECTRONIC_REASON)},
    "R-EB-62-PAPER-VS-DATA": {"GP": (f"{_GP_ELECTRONIC}; EB 第62条", GP_ELECTRONIC_REASON)},
    "R-GP87-62-NEGOTIATED-SCORES": {"TB": (
        'TBR 第49条 "按照招标文件规定的评标标准和方法，客观、公正地对投标文件提出评审意见"', "")},
    "R-SITE-FAST-EVAL": {"GP": (
        'GPR 第41条 "根据采购文件规定的评审程序、评审方法和评审标准进行独立评审"', "")},
    "R-TB-37-EXPERT-QUALIFICATION": {"GP": (
        'GP87 第48条 "从省级以上财政部门设立的政府采购评审专家库中，通过随机方式抽取评审专家"',
        "")},
    "R-TB-45-NOTIFY-ALL": {"GP": (
        'GP87 第69条 "在公告中标结果的同时……应当向中标人发出中标通知书"', "")},
    "R-TBR-26-BOND-VALIDITY": {"GP": (
        'GP87 第23条 "投标有效期从提交投标文件的截止之日起算"; GPR 第33条', "")},
    "R-TBR-36-SEAL-ENCRYPT": {"GP": (
        'GP87 第33条 "未按照招标文件要求密封的投标文件，采购人、采购代理机构应当拒收"', "")},
    "R-TBR-37-CONSORTIUM-OVERLAP": {"GP": (
        'GPR 第22条 "联合体各方不得再单独参加或者与其他供应商另外组成联合体参加同一合同项下的'
        '政府采购活动"', "")},
    "R-TBR-39-GROUP-RELATED": {"GP": (
        'GPR 第18条 "存在直接控股、管理关系的不同供应商，不得参加同一合同项下的政府采购活动"; '
        'GP87 第37条', "")},
    "R-TBR-40-3-SAME-PM": {"GP": (
        'GP87 第37条(三) "不同投标人的投标文件载明的项目管理成员或者联系人员为同一人"', "")},
    "R-TBR-44-OPENING-OBJECTION": {"GP": (
        'GP87 第42条 "投标人代表对开标过程和开标记录有疑义……应当场提出询问或者回避申请"', "")},
    "R-TBR-46-SUPERVISOR-NOT-MEMBER": {"GP": (
        'GP87 第47条 "评标委员会由采购人代表和评审专家组成"', "")},
    "R-TBR-48-EVAL-TIME-EXTENSION": {"GP": ("TBR 第48条", _NO_GP_RULE)},
    "R-TBR-54-NO-AWARD-BEFORE-PUBLICITY-END": {"GP": ("TBR 第54条", _NO_GP_RULE)},
}


class BasisError(WitnessError):
    """A rule declares a basis that cites the other regime's law."""


def citations(basis: str) -> list[str]:
    """``basis`` split at the top-level '; ' (never inside a quoted phrase)."""
    parts, depth, start = [], False, 0
    for i, ch in enumerate(basis):
        if ch in "\"“”":
            depth = not depth
        elif ch == ";" and not depth:
            parts.append(basis[start:i].strip())
            start = i + 1
    parts.append(basis[start:].strip())
    return [p for p in parts if p]


def law_codes(basis: str) -> list[str]:
    """The law code of each citation (a citation without one continues the previous law)."""
    out: list[str] = []
    for cite in citations(basis):
        m = _CODE.match(cite)
        out.append(m.group(1) if m else (out[-1] if out else ""))
    return out


def for_regime(basis: str, regime: str) -> str:
    """The citations of ``basis`` that hold in ``regime`` (its own laws and the common ones)."""
    keep = [c for c, code in zip(citations(basis), law_codes(basis), strict=True)
            if LAW_REGIME.get(code, None) in (regime, None)]
    return "; ".join(keep)


def cites_regime(basis: str, regime: str) -> bool:
    """``basis`` cites at least one law of ``regime`` itself."""
    return any(LAW_REGIME.get(code) == regime for code in law_codes(basis))


def basis_by_regime(rule_id: str, basis: str, declared: Mapping[str, str], cross: str = ""
                    ) -> dict[str, str]:
    """Per regime: the basis declared by the rule or in ``DECLARED``, else the citations of
    ``basis`` holding in it; with ``cross`` (why the other system applies as well) the whole
    basis and that reason. A basis citing the other regime's law without a reason is
    refused (raised at registration, so the catalogue cannot load with it)."""
    out: dict[str, str] = {}
    for regime in REGIMES:
        text, reason = DECLARED.get(rule_id, {}).get(regime, (declared.get(regime, ""), cross))
        text = text or for_regime(basis, regime)
        if cross:
            text, reason = basis, cross
        other = next(r for r in REGIMES if r != regime)
        if cites_regime(text, other) and not reason:
            raise BasisError(f"{rule_id}: the {regime} basis cites {other} law without saying "
                             f"why: {text}")
        out[regime] = f"{text} （{reason}）" if reason else text
    return out


def applicable(basis: str, by_regime: Mapping[str, str], regime: object) -> str:
    """The basis a finding of a project of ``regime`` cites (the whole basis when the
    project's regime is unknown, e.g. a trail without PROJECT_REGISTERED)."""
    return by_regime.get(str(regime), basis) if regime in REGIMES else basis
