"""Write docs/rules.md from the rule registry (``--check``: fail if the file is stale).

Role: the generated rule catalogue: id, title, catalogue section, legal basis,
severity, lead, confidence, applicability, the event types read, and the rules registered
as not implemented (``implemented=False``; the reason is the rule's docstring), which are
marked in their entry, listed at the end and not counted as implemented. Scripts may
import anything.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ledger.rules.calendar import OPERATOR_CALENDAR
from ledger.rules.helpers import CAP_TOLERANCE, ROUND_SCOPED_RULES
from ledger.rules.model import RuleMeta
from ledger.rules.registry import (
    UNIMPLEMENTED,
    PortfolioRule,
    Rule,
    load_all,
    load_portfolio,
    not_implemented_reason,
)

OUT = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def _entry(m: RuleMeta, doc: str | None, *, implemented: bool = True) -> list[str]:
    lines = [f"## {m.id} — {m.title_zh}", "", f"{m.title_en}", "",
             f"- **Section:** §{m.section} · **Version:** {m.version}",
             f"- **Basis:** {m.basis}",
             *_cited(m),
             f"- **Severity:** {m.severity} · **Lead:** {'yes' if m.lead else 'no'} · "
             f"**Confidence:** {m.confidence}",
             f"- **Applies:** {m.applies}",
             f"- **Reads:** {', '.join(f'`{t}`' for t in m.reads)}"]
    note = " ".join((doc or "").split())
    if note:
        lines.append(f"- **Check:** {note}" if implemented else f"- **{note}**")
    return [*lines, ""]


def _cited(m: RuleMeta) -> list[str]:
    """What a finding cites per regime, where that is not the whole basis."""
    names = {"TB": "works (招标投标法)", "GP": "procurement (政府采购)"}
    return [f"- **Cited for {names[r]}:** {b}" for r, b in m.basis_by_regime.items()
            if b and b != m.basis]


def _rounds_and_lots(registry: dict[str, Any]) -> list[str]:
    """The hand-written scope rules: tender rounds, lots and the tolerance of money caps."""
    scoped = ", ".join(f"`{r}`" for r in sorted(ROUND_SCOPED_RULES) if r in registry)
    return [
        "## Tender rounds, lots and money caps", "",
        "A lot that fails (for example fewer than three bids: 招标投标法 第28条, 实施条例 "
        "第44条) and is tendered again starts a new round at each `RETENDER_STARTED`. A round "
        "holds the events logged after the previous restart up to its own restart; "
        "`PROJECT_REGISTERED` and `METHOD_CHANGED` hold for every later round. A new round "
        "is measured against its own documents and deadline, so it needs a new `DOC_ISSUED` "
        "or `DEADLINE_CHANGED`. These rules check each round of each lot on its own "
        "(deadlines, the opening and its record, one price per bidder, notices to that "
        f"round's bidders, that round's document holders): {scoped}. The §6 collusion rules "
        "compare the bids of a lot's current round only.", "",
        "Rules that hold per lot (标段/包) or per contract read that lot's events plus the "
        "project-wide ones (no section id): a performance bond is set against the contracts "
        "of its own lot and winner (实施条例 第58条 \"中标合同金额的10%\"), a package's "
        "clarification is owed to the firms that obtained that package's documents, and a "
        "per-lot finding carries the lot's section id. The bid-bond cap is measured on the "
        "lot's own estimate or budget when `PROJECT_REGISTERED.lots` gives it, else on the "
        "project's.", "",
        f"A money cap (bond caps, the performance-bond cap, the 10 % top-up cap, the maximum "
        f"price) counts as exceeded only when the amount is above the cap by more than "
        f"{CAP_TOLERANCE} 元 (half a fen, below one fen): a cap computed from a percentage "
        "has more decimals than an amount paid to the fen.", ""]


def _calendar_years() -> list[str]:
    """The hand-written part on the working-day calendar: its format and adding a year."""
    return [
        "## Working-day calendar", "",
        "Periods in days follow 民法典 第201条—第203条 (the start day not counted; a last day "
        "on a statutory holiday moves to the next working day) and periods in working days "
        "skip weekends and statutory holidays but count make-up working days (调休). Which "
        "days those are comes from the State Council General Office's notice on holiday "
        "arrangements, published once a year, usually in November or December. The package "
        "ships the years it knows in `ledger/rules/data/calendar_cn.json`; the operator adds "
        f"a year in `<home>/{OPERATOR_CALENDAR}` (the witness home; a year given there "
        "replaces the shipped one). Both files have the same format: the dates of each "
        "year, as ISO dates in local (Beijing) time:", "",
        "```json",
        '{"years": {"2027": {"holidays": ["2027-01-01", "…"], "workdays": ["…"]}}}',
        "```", "",
        "`holidays` lists every statutory holiday day (including the weekend days inside a "
        "holiday), `workdays` every weekend day re-designated as a working day. A rule whose "
        "deadline needs a day of a year neither file covers does not compute it on a guess: "
        "it stops, and the project gets one `R-CAL-YEAR-MISSING` finding (info) naming the "
        "year, the rules concerned and how to load it; run the rules again once the year "
        "is added. From 1 November on, "
        "`witness status` and `witness rules run` warn on stderr when next year is not "
        "loaded yet (and all year when the current year is missing).", ""]


def _measures() -> list[str]:
    """The hand-written note on the rules that witness the trading center's own measures."""
    return [
        "## The trading center's measures", "",
        "Three measures of 辽宁省公共资源交易中心 leave their trace in the trail. Remote "
        "cross-region evaluation (远程异地评标) records the main and satellite venues "
        "(`REMOTE_EVAL_ARRANGED`), the venue each expert sat in (`EXPERT_SEATED`) and the link "
        "sessions (`REMOTE_LINK_OPENED` / `REMOTE_LINK_CLOSED`); `R-REMOTE-EXPERT-HOME-REGION` "
        "and `R-REMOTE-SAME-EMPLOYER-SEATED` warn of what the measure is meant to stop. Fast "
        "bond refunds (保证金智能快退) are held to the statutory periods of each regime, and "
        "`R-BOND-REFUND-DUE-SOON` warns (info) while a refund is outstanding with at most "
        "one day (one working day in procurement) left. Linked complaints (质疑投诉联动) "
        "read objections, challenges, complaints and 12345 tickets (`HOTLINE_TICKET_FILED`) "
        "across projects through the parties they name (`named`): "
        "`R-COMPLAINT-LINKED-PARTY`, with `Thresholds.extra[\"complaint_link_min_projects\"]` "
        "(default 3). Their legal basis is the law cited in each entry; the measures "
        "themselves are context.", ""]


def render() -> str:
    registry = load_all()
    portfolio = load_portfolio()
    lines = ["# Rule catalogue", "",
             "Generated by `scripts/gen_rules_doc.py` from the rule registry — do not edit.",
             f"{len(registry)} trail rules (one project's trail) and {len(portfolio)} portfolio "
             "rules (section 13, across projects) implemented; "
             f"{len(UNIMPLEMENTED)} more are catalogued but not implemented (marked in their "
             "entry and listed at the end). A finding's severity is `info`, "
             "`warning` (an early warning, 预警) or `violation`; **Lead** says whether it raises "
             "a violation lead (违规线索). **Section** groups the rules by the phase of the "
             "trade they watch. A **Check** line says what the implementation reads where the "
             "events cannot carry everything the predicate names.", "",
             "A finding cites the basis of its project's regime only: a works project "
             "(招标投标法 system) the 招标投标法, its 实施条例 and the measures made under "
             "them, a government procurement the 政府采购法, its 实施条例 and 87号令; the "
             "电子签名法, 公平竞争审查条例 and 民法典 hold in both. **Cited for** lines give "
             "that basis where it is not the whole entry; where a finding cites the other "
             "system's law, the line says why.", "",
             "Findings print times in Beijing time (+08:00), amounts in 元 with two "
             "decimals and the percentage where a cap is involved, durations in days, hours "
             "and minutes, and lists in words (`ledger.rules.wording`).", "",
             "Rules that read the expert registry, enterprise relations, whitelists or the "
             "debarment list take them from the reference data (`--reference`); its format "
             "is in [reference-data.md](reference-data.md).", ""]
    lines += _rounds_and_lots(registry) + _calendar_years() + _measures()
    trail = {**registry, **{r: e for r, e in UNIMPLEMENTED.items() if isinstance(e, Rule)}}
    shelf = {**portfolio, **{r: e for r, e in UNIMPLEMENTED.items()
                             if isinstance(e, PortfolioRule)}}
    order = sorted(trail, key=lambda r: (int(trail[r].meta.section or 0), r))
    for rid in order:
        lines += _entry(trail[rid].meta, trail[rid].check.__doc__,
                        implemented=rid not in UNIMPLEMENTED)
    lines += ["# Portfolio rules (§13)", ""]
    for rid in sorted(shelf):
        lines += _entry(shelf[rid].meta, shelf[rid].check.__doc__,
                        implemented=rid not in UNIMPLEMENTED)
    gaps = [f"- {rid}: {not_implemented_reason(UNIMPLEMENTED[rid])}"
            for rid in [*order, *sorted(shelf)] if rid in UNIMPLEMENTED]
    lines += ["## Not implemented", ""] + (gaps or ["(none)"]) + [""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/rules.md is stale")
    ap.add_argument("-o", "--output", type=Path, default=OUT)
    args = ap.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run scripts/gen_rules_doc.py", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
