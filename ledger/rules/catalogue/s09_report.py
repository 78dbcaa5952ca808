"""docs/rules.md §9 (part c): the evaluation report, thin competition and GP re-evaluation.

Evaluated per section (lot). Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator

from ledger.rules.applicability import ALL, GP
from ledger.rules.catalogue.s06_common import bidder_orgs, per_section
from ledger.rules.catalogue.s08_common import committee
from ledger.rules.context import RuleContext
from ledger.rules.model import Finding, Severity, Trail
from ledger.rules.registry import hit, rule
from ledger.rules.wording import listing


@rule("R-TBR-53-REPORT", title_zh="评标报告的候选人、签字与不同意见",
      title_en="Candidates, signatures and dissent in the evaluation report",
      basis='TBR 第53条 "中标候选人应当不超过3个，并标明排序。评标报告应当由评标委员会全体成员签字"; '
            'GP87 第58条; EB 第34条', section="9",
      reads=("EVAL_REPORT_SIGNED", "COMMITTEE_FORMED", "MEMBER_REPLACED"),
      severity="violation", lead=True, confidence="V",
      applies=ALL.where("candidate limit: TB; signatures: all; signed data message: electronic"))
def report(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    tb = trail.flags.get("regime") == "TB"
    for sid, sec in per_section(trail):
        signed = sec.last("EVAL_REPORT_SIGNED")
        if signed is None:
            continue
        cands = signed.get("candidates", [])
        ranks = sorted(c.get("rank") for c in cands)
        problems: dict[str, object] = {}
        if tb and (len(cands) > 3 or ranks != list(range(1, len(cands) + 1))):
            problems["candidates"] = {"count": len(cands), "ranks": ranks, "maximum": 3}
        sigs = signed.get("signatures", [])
        signers = {s.get("signer_id") for s in sigs}
        dissenters = {d.get("person_id") for d in signed.get("dissents") or []}
        com = committee(sec)
        silent = sorted(set(com.members) - signers - dissenters) if com else []
        if silent:
            problems["not_signed"] = silent  # deemed consent (TBR 第53条): info
        if trail.flags.get("electronic") and sigs and not any(
                s.get("signature") or s.get("ca_cert_serial") for s in sigs):
            problems["no_e_signature"] = True
        if not problems:
            continue
        sev: Severity = ("violation" if "candidates" in problems
                         else "warning" if "no_e_signature" in problems else "info")
        yield hit("R-TBR-53-REPORT", trail, [signed], problems, *_report_words(problems),
                  section_id=sid, severity=sev, lead=sev == "violation")


def _report_words(problems: dict[str, object]) -> tuple[str, str]:
    """A report's problems in words: candidates beyond three or unranked, members who
    neither signed nor dissented (deemed consent), no electronic signature."""
    zh, en = [], []
    cands = problems.get("candidates")
    if isinstance(cands, dict):
        ranks = listing(cands["ranks"])
        zh.append(f"推荐中标候选人 {cands['count']} 个（排序 {ranks}），须不超过 3 个并标明排序")
        en.append(f"{cands['count']} candidates (ranks {listing(cands['ranks'], 'en')}); at "
                  "most 3, ranked")
    if isinstance(silent := problems.get("not_signed"), list):
        zh.append(f"成员 {listing(silent)} 未签字也未写明不同意见（视为同意）")
        en.append(f"members {listing(silent, 'en')} neither signed nor dissented (deemed "
                  "consent)")
    if problems.get("no_e_signature"):
        zh.append("评标报告无电子签名")
        en.append("the report carries no electronic signature")
    return f"评标报告：{'；'.join(zh)}", f"evaluation report: {'; '.join(en)}"


@rule("R-EV-27-THIN-COMPETITION", title_zh="有效投标不足三个", title_en="Fewer than 3 valid bids "
      "after rejections", basis='EV 第27条; OP (十三) "有效投标不足三个的，应当对投标是否明显缺乏竞争'
      '……进行充分论证"; GP87 第44条 "合格投标人不足3家的，不得评标"', section="9",
      reads=("BID_SUBMITTED", "BID_REJECTED", "EVAL_REPORT_SIGNED"), severity="warning",
      lead=True, confidence="V",
      applies=ALL.where("TB: warning (no competition-assessment field in the report); GP open/invited: "
              "violation"))
def thin_competition(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    flags = trail.flags
    gp = flags.get("regime") == "GP" and flags.get("method") in ("open", "invited")
    if not gp and flags.get("regime") != "TB":
        return
    for sid, sec in per_section(trail):
        signed = sec.last("EVAL_REPORT_SIGNED")
        if signed is None or not signed.get("candidates"):
            continue
        rejected = {e.get("bidder_org") for e in sec.of_type("BID_REJECTED")}
        valid = [o for o in bidder_orgs(sec) if o not in rejected]
        if len(valid) < 3:
            yield hit("R-EV-27-THIN-COMPETITION", trail, [signed, *sec.of_type("BID_REJECTED")],
                      {"valid_bids": len(valid), "rejected": len(rejected), "minimum": 3},
                      f"有效投标仅 {len(valid)} 个（少于 3 个）仍推荐候选人",
                      f"only {len(valid)} valid bids (< 3) yet candidates were recommended",
                      section_id=sid, severity="violation" if gp else None)


@rule("R-GPR-44-NO-REEVALUATION", title_zh="政府采购不得组织重新评审或改变评审结果",
      title_en="No re-evaluation and no change of result (GP)",
      basis='GPR 第44条 "采购人、采购代理机构不得以任何理由组织重新评审……不得通过对样品进行检测、'
            '对供应商进行考察等方式改变评审结果"; GP87 第64条', section="9",
      reads=("EVAL_REPORT_SIGNED", "SCORE_SUBMITTED"), severity="violation", lead=True,
      confidence="V", applies=GP.where("GP (the reason of a re-scoring is not in the events: warning)"))
def no_reevaluation(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if trail.flags.get("regime") != "GP":
        return
    for sid, sec in per_section(trail):
        reports = sec.of_type("EVAL_REPORT_SIGNED")
        if not reports:
            continue

        def rank1(r: object) -> object:
            cands = getattr(r, "payload", {}).get("candidates", [])
            return next((c.get("bidder_org") for c in cands if c.get("rank") == 1), None)
        first, last = reports[0], reports[-1]
        if len(reports) >= 2 and rank1(first) != rank1(last):
            yield hit("R-GPR-44-NO-REEVALUATION", trail, [first, last],
                      {"rank1_before": rank1(first), "rank1_after": rank1(last)},
                      f"重新评审后第一名由 {rank1(first)} 变为 {rank1(last)}",
                      f"re-evaluation changed rank 1 from {rank1(first)} to {rank1(last)}",
                      section_id=sid)
        later = [s for s in sec.of_type("SCORE_SUBMITTED") if s.index > first.index]
        if later:
            yield hit("R-GPR-44-NO-REEVALUATION", trail, [first, later[0]],
                      {"scores_after_report": len(later)},
                      f"评标报告签署后又提交 {len(later)} 项评分",
                      f"{len(later)} scores submitted after the report was signed",
                      section_id=sid, severity="warning")
