"""A lead as the 违规线索 pages and the 移送函 print it: each rule with the legal basis of the
project's regime and the cited articles' text, the findings with their computed values, and
the evidence events with their proof status.

The rule metadata, the regime's basis and the article texts are those the signed lead
package carries (``ledger.rules.package``: ``project_regime``, ``applicable``,
``legal_excerpts``), so the letter quotes exactly what the package proves.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ledger.errors import NotFoundError
from ledger.rules.package import legal_excerpts, project_regime
from ledger.rules.regimes import applicable
from ledger.rules.registry import REGISTRY, load_all
from witness_api.deps import Services
from witness_api.portal.proof_status import ProofBook
from witness_api.tokens import Principal
from witness_api.visibility import visible_record

LAW_NAMES: dict[str, tuple[str, str]] = {
    "TB": ("中华人民共和国招标投标法", "Tendering and Bidding Law"),
    "TBR": ("中华人民共和国招标投标法实施条例", "Regulation on the Tendering and Bidding Law"),
    "GP": ("中华人民共和国政府采购法", "Government Procurement Law"),
    "GPR": ("中华人民共和国政府采购法实施条例", "Regulation on the Government Procurement Law"),
    "GP87": ("政府采购货物和服务招标投标管理办法", "Measures on Tendering for Goods and Services"),
    "EB": ("电子招标投标办法", "Measures on Electronic Tendering"),
    "ES": ("中华人民共和国电子签名法", "Electronic Signature Law"),
    "EV": ("评标委员会和评标方法暂行规定", "Provisions on Evaluation Committees"),
    "FC": ("公平竞争审查条例", "Regulation on Fair Competition Review"),
    "OP": ("关于规范招标投标主体行为的若干意见", "Opinions on the Conduct of Tendering Parties"),
    "CC": ("中华人民共和国民法典", "Civil Code"),
}
"""Law code (as the rule catalogue cites it) → (Chinese, English) name."""


def rules_of(services: Services, lead: dict[str, Any]) -> list[dict[str, Any]]:
    """Each rule of the lead with its basis for the project's regime and the article texts."""
    load_all()
    regime = project_regime(services.log, lead["project_id"])
    out = []
    for rule_id in lead.get("rule_ids", []):
        rule = REGISTRY.get(rule_id)
        if rule is None:
            out.append({"id": rule_id, "title_zh": rule_id, "title_en": rule_id, "basis": "",
                        "articles": [], "severity": lead.get("severity")})
            continue
        meta = rule.meta
        basis = applicable(meta.basis, meta.basis_by_regime, regime)
        articles = [{**a, "law_zh": LAW_NAMES.get(a["law"], (a["law"], a["law"]))[0],
                     "law_en": LAW_NAMES.get(a["law"], (a["law"], a["law"]))[1]}
                    for a in legal_excerpts(basis)]
        out.append({"id": meta.id, "title_zh": meta.title_zh, "title_en": meta.title_en,
                    "basis": basis, "articles": articles, "severity": meta.severity})
    return out


def evidence_rows(services: Services, who: Principal, lead: dict[str, Any],
                  book: ProofBook) -> list[dict[str, Any]]:
    """The evidence events of the lead's findings, in log order, as ``who`` may see them
    (a record still sealed for this role is listed by index and proof status only)."""
    indexes = sorted({int(i) for f in lead.get("findings", []) for i, _ in f["evidence"]})
    rows = []
    for index in indexes:
        row: dict[str, Any] = {"index": index, "proof": book.of(index), "event": None}
        with contextlib.suppress(NotFoundError):  # not for this role: index and status only
            row["event"] = visible_record(services, who, index).envelope
        rows.append(row)
    return rows
