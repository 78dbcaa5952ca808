"""RULES.md §3: announcement, procurement method and tender-document timing.

Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ledger.rules.calendar import cd
from ledger.rules.context import RuleContext
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.registry import hit, rule


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def first_tender_issue(trail: Trail) -> TrailEvent | None:
    """The first DOC_ISSUED of the tender documents (t_issue)."""
    docs = [e for e in trail.of_type("DOC_ISSUED") if e.get("doc_kind", "tender") == "tender"]
    return min(docs, key=lambda e: _ts(e.payload["available_from"]), default=None)


def effective_deadline(trail: Trail) -> tuple[datetime, TrailEvent] | None:
    """t_dl: the last DEADLINE_CHANGED.new_deadline, else the tender DOC_ISSUED.bid_deadline."""
    changed = trail.last("DEADLINE_CHANGED")
    if changed is not None and changed.get("new_deadline"):
        return _ts(changed.payload["new_deadline"]), changed
    doc = first_tender_issue(trail)
    if doc is None or not doc.get("bid_deadline"):
        return None
    return _ts(doc.payload["bid_deadline"]), doc


def _deadline_days(trail: Trail) -> tuple[int, TrailEvent, TrailEvent, datetime] | None:
    issue = first_tender_issue(trail)
    deadline = effective_deadline(trail)
    if issue is None or deadline is None:
        return None
    t_issue = _ts(issue.payload["available_from"])
    return cd(t_issue, deadline[0]), issue, deadline[1], deadline[0]


@rule("R-TB-24-DEADLINE", title_zh="招标文件发出至投标截止不少于二十日",
      title_en="At least 20 days from first issue of tender documents to the bid deadline",
      basis='TB 第24条 "自招标文件开始发出之日起至投标人提交投标文件截止之日止，最短不得少于二十日"',
      section="3", reads=("PROJECT_REGISTERED", "DOC_ISSUED", "DEADLINE_CHANGED"),
      severity="violation", lead=True, confidence="V", applies="TB ∧ must_tender")
def tb_24_deadline(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    flags = trail.flags
    if flags.get("regime") != "TB" or not flags.get("must_tender"):
        return
    found = _deadline_days(trail)
    if found is None or found[0] >= 20:
        return
    days, issue, dl_event, t_dl = found
    t_issue = issue.payload["available_from"]
    yield hit("R-TB-24-DEADLINE", trail, [issue, dl_event],
              {"days": days, "minimum": 20, "issued": t_issue, "deadline": t_dl.isoformat()},
              f"招标文件 {t_issue[:10]} 发出至投标截止 {t_dl.date()} 仅 {days} 日，少于二十日",
              f"{days} days between {t_issue[:10]} and {t_dl.date()} < 20")
