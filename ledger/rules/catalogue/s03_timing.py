"""docs/rules.md §3: announcement, procurement method and tender-document timing.

Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ledger.rules.applicability import GP, TB_MUST
from ledger.rules.calendar import cd
from ledger.rules.context import RuleContext
from ledger.rules.helpers import lot_rounds
from ledger.rules.helpers import lots as lots  # re-exported to the section modules
from ledger.rules.helpers import ts as ts
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import bj_date

TENDER_KINDS = ("tender_doc", "tender")  # schema value; "tender" kept for older trails
PREQUAL_KINDS = ("prequal_doc", "prequal")


def is_tender_doc(e: TrailEvent) -> bool:
    return bool(e.get("doc_kind", "tender_doc") in TENDER_KINDS)




def now(trail: Trail) -> datetime | None:
    """The trail's "now": the latest received_at (for "nothing happened by" rules)."""
    return trail.latest_received()


def first_tender_issue(trail: Trail) -> TrailEvent | None:
    """The first DOC_ISSUED of the tender documents (t_issue)."""
    return trail.memo(_first_tender_issue, _first_tender_issue)


def _first_tender_issue(trail: Trail) -> TrailEvent | None:
    docs = [e for e in trail.of_type("DOC_ISSUED") if is_tender_doc(e)]
    return min(docs, key=lambda e: ts(e.payload["available_from"]), default=None)


def effective_deadline(trail: Trail) -> tuple[datetime, TrailEvent] | None:
    """t_dl: the last DEADLINE_CHANGED.new_deadline, else the tender DOC_ISSUED.bid_deadline."""
    return trail.memo(_effective_deadline, _effective_deadline)


def _effective_deadline(trail: Trail) -> tuple[datetime, TrailEvent] | None:
    changed = trail.last("DEADLINE_CHANGED")
    if changed is not None and changed.get("new_deadline"):
        return ts(changed.payload["new_deadline"]), changed
    doc = first_tender_issue(trail)
    if doc is None or not doc.get("bid_deadline"):
        return None
    return ts(doc.payload["bid_deadline"]), doc


def _deadline_days(trail: Trail) -> tuple[int, TrailEvent, TrailEvent, datetime] | None:
    issue = first_tender_issue(trail)
    deadline = effective_deadline(trail)
    if issue is None or deadline is None:
        return None
    t_issue = ts(issue.payload["available_from"])
    return cd(t_issue, deadline[0]), issue, deadline[1], deadline[0]


def _round_deadline_days(trail: Trail) -> Iterator[tuple[int, TrailEvent, TrailEvent, datetime]]:
    """``_deadline_days`` of every lot's every tender round that is shorter than twenty days:
    a re-tendered round counts from its own documents to its own deadline."""
    for _sid, rnd in lot_rounds(trail):
        found = _deadline_days(rnd)
        if found is not None and found[0] < 20:
            yield found


@rule("R-TB-24-DEADLINE", title_zh="招标文件发出至投标截止不少于二十日",
      title_en="At least 20 days from first issue of tender documents to the bid deadline",
      basis='TB 第24条 "自招标文件开始发出之日起至投标人提交投标文件截止之日止，最短不得少于二十日"',
      section="3", reads=("PROJECT_REGISTERED", "DOC_ISSUED", "DEADLINE_CHANGED"),
      severity="violation", lead=True, confidence="V", applies=TB_MUST)
def tb_24_deadline(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    flags = trail.flags
    if flags.get("regime") != "TB" or not flags.get("must_tender"):
        return
    for found in _round_deadline_days(trail):
        days, issue, dl_event, t_dl = found
        t_issue = issue.payload["available_from"]
        yield hit("R-TB-24-DEADLINE", trail, [issue, dl_event],
                  {"days": days, "minimum": 20, "issued": t_issue, "deadline": t_dl.isoformat()},
                  f"招标文件 {bj_date(ts(t_issue))} 发出至投标截止 {bj_date(t_dl)} 仅 {days} 日，少于二十日",
                  f"{days} days between {bj_date(ts(t_issue))} and {bj_date(t_dl)} < 20")


@rule("R-GP-35-DEADLINE", title_zh="政府采购招标文件发出至投标截止不少于二十日",
      title_en="At least 20 days for GP tendering (open and invited)",
      basis='GP 第35条 "自招标文件开始发出之日起至投标人提交投标文件截止之日止，不得少于二十日"; '
            "GP87 第85条; GP87 第78条(十二)",
      section="3", reads=("PROJECT_REGISTERED", "DOC_ISSUED", "DEADLINE_CHANGED"),
      severity="violation", lead=True, confidence="V", applies=GP.where("GP ∧ method∈{open, invited}"))
def gp_35_deadline(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    flags = trail.flags
    if flags.get("regime") != "GP" or flags.get("method") not in ("open", "invited"):
        return
    for found in _round_deadline_days(trail):
        days, issue, dl_event, t_dl = found
        t_issue = issue.payload["available_from"]
        yield hit("R-GP-35-DEADLINE", trail, [issue, dl_event],
                  {"days": days, "minimum": 20, "issued": t_issue, "deadline": t_dl.isoformat()},
                  f"招标文件 {bj_date(ts(t_issue))} 发出至投标截止 {bj_date(t_dl)} 仅 {days} 日，少于二十日",
                  f"{days} days between {bj_date(ts(t_issue))} and {bj_date(t_dl)} < 20")
