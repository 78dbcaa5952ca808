"""docs/rules.md §1.2: a deadline in a year the working-day calendar does not cover.

The engine, not this check, raises the finding: a rule computing a due date asks the
calendar for a day of a year it does not have (``CalendarMissingError``), and the engine
turns that into one info finding per project and year (``calendar_missing``) instead of a
verdict on a guessed calendar. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ledger.rules.calendar import CalendarMissingError, how_to_load
from ledger.rules.context import RuleContext
from ledger.rules.model import Finding, Trail
from ledger.rules.registry import hit, rule

CALENDAR_MISSING = "R-CAL-YEAR-MISSING"


@rule(CALENDAR_MISSING, title_zh="期限所在年度的节假日安排未载入，期限未计算",
      title_en="Deadline not computed: the year's holiday calendar is not loaded",
      basis='CC 第203条 "期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日"',
      section="1", reads=(), severity="info", lead=False, confidence="V")
def calendar_year_missing(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    """Raised by the engine (``calendar_missing``); nothing to check on its own."""
    return iter(())


def calendar_missing(trail: Trail, year: int, errors: Sequence[tuple[str, CalendarMissingError]]
                     ) -> Finding:
    """The info finding for the rules whose deadlines fell in ``year`` (not loaded)."""
    rules = sorted({rid for rid, _ in errors})
    reg = trail.first("PROJECT_REGISTERED")
    first = min(e.day for _, e in errors)
    return hit(CALENDAR_MISSING, trail, [reg] if reg else [],
               {"year": year, "first_day": first.isoformat(), "rules": rules,
                "how_to_load": how_to_load(year)},
               f"{year} 年的法定节假日和调休安排尚未载入工作日历，{len(rules)} 条规则的期限"
               f"（自 {first.isoformat()} 起）未计算；请按国务院办公厅当年节假日安排通知补入该年后重新运行规则",
               f"the working-day calendar has no {year}: deadlines of {len(rules)} rule(s) "
               f"from {first.isoformat()} on were not computed; {how_to_load(year)}",
               subjects=rules)
