"""docs/rules.md §13 (质疑投诉联动): the same party in the complaints of several projects.

Objections, inquiries, challenges, complaints and 12345 hotline tickets are linked across
projects by the parties they involve: the filer (a bidder, by its credit code) and the
parties a filing names (``named``: bidders, agents, experts). A party that appears in the
filings of at least ``complaint_link_min_projects`` projects (``Thresholds.extra``, default
3) becomes one portfolio warning citing every filing — a pointer for the regulator to read
the cases together, not a finding of wrongdoing. Must not import the store, the API or the
verifier.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from ledger.rules.context import RuleContext
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.portfolio import portfolio_hit
from ledger.rules.registry import rule
from ledger.rules.wording import listing

COMPLAINT_LINK = "R-COMPLAINT-LINKED-PARTY"
FILINGS = ("OBJECTION_FILED", "INQUIRY_FILED", "CHALLENGE_FILED", "COMPLAINT_FILED",
           "HOTLINE_TICKET_FILED")
_FILER = {"OBJECTION_FILED": "filer_org", "INQUIRY_FILED": "filer_org",
          "CHALLENGE_FILED": "filer_org", "COMPLAINT_FILED": "complainant_org",
          "HOTLINE_TICKET_FILED": "caller_org"}
_ROLE_ZH = {"bidder": "投标人", "agent": "招标代理机构", "expert": "评标专家",
            "tenderer": "招标人", "other": "其他主体", "filer": "提出人"}
_ROLE_EN = {"bidder": "bidder", "agent": "agent", "expert": "expert", "tenderer": "tenderer",
            "other": "party", "filer": "filer"}


def involved(e: TrailEvent) -> Iterator[tuple[str, str]]:
    """(role, party id) of each party a filing involves: its filer, then the named ones."""
    filer = e.get(_FILER[e.type])
    if filer:
        yield ("filer", str(filer))
    for n in e.get("named") or []:
        if n.get("party_id"):
            yield (str(n.get("role") or "other"), str(n["party_id"]))


@rule(COMPLAINT_LINK, portfolio=True, section="13",
      title_zh="同一主体出现在多个项目的质疑、投诉或12345工单中",
      title_en="One party in the complaints of several projects",
      basis='GP 第52条—第55条 (质疑与投诉); TB 第65条 "投标人和其他利害关系人认为'
            '招标投标活动不符合本法有关规定的，有权向招标人提出异议或者依法向有关行政'
            '监督部门投诉"; TBR 第60条',
      reads=FILINGS, severity="warning", lead=False, confidence="D")
def complaint_linked_party(trails: Sequence[Trail], ctx: RuleContext) -> Iterator[Finding]:
    least = int(ctx.thresholds.extra.get("complaint_link_min_projects", 3))
    seen: dict[str, list[TrailEvent]] = defaultdict(list)
    roles: dict[str, set[str]] = defaultdict(set)
    for trail in trails:
        for e in trail.of_type(*FILINGS):
            for role, party in dict.fromkeys(involved(e)):
                seen[party].append(e)
                roles[party].add(role)
    for party, filings in sorted(seen.items()):
        projects = sorted({e.project_id for e in filings})
        if len(projects) < least:
            continue
        as_zh = listing([_ROLE_ZH[r] for r in sorted(roles[party])])
        as_en = listing([_ROLE_EN[r] for r in sorted(roles[party])], "en")
        kinds = sorted({e.type for e in filings})
        yield portfolio_hit(
            COMPLAINT_LINK, filings,
            {"party": party, "roles": sorted(roles[party]), "filings": len(filings),
             "filing_types": kinds, "min_projects": least},
            f"{party}（{as_zh}）出现在 {len(projects)} 个项目的 {len(filings)} 件异议、质疑、投诉"
            f"或12345工单中，宜并案研判",
            f"{party} ({as_en}) appears in {len(filings)} objection(s), challenge(s), "
            f"complaint(s) or 12345 ticket(s) of {len(projects)} projects: read them together",
            subjects=[party])
