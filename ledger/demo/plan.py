"""The plan of one demo project: regime, amounts, parties and the key dates of its timeline.

Role: decide every date once (working days from ``WorkCalendar``, statutory minimums met
with margin unless a violation is planted) so the phase writers only read the plan.
Pure. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from ledger.demo.builder import Builder, at
from ledger.demo.parties import Parties
from ledger.rules.calendar import cd


@dataclass
class Plan:
    kind: str  # "works" | "goods"
    planted: frozenset[str]
    parties: Parties
    amount: Decimal  # estimate (TB) or budget (GP)
    registered: datetime
    announced: datetime
    doc_until: datetime
    deadline: datetime
    eval_day: date
    with_complaint: bool

    @property
    def regime(self) -> str:
        return "TB" if self.kind == "works" else "GP"

    @property
    def tb(self) -> bool:
        return self.kind == "works"

    @property
    def supervisory_dept(self) -> str:
        """行政监督部门 in the project's city: housing and construction (TB), finance (GP)."""
        city = self.parties.city
        return f"{city}市住房和城乡建设局" if self.tb else f"{city}市财政局"

    def has(self, planted_class: str) -> bool:
        return planted_class in self.planted


def first_day(b: Builder) -> date:
    """A start date in 2025-01..2026-05 (the calendar file covers 2024–2026)."""
    day = date(2025, 1, 6) + timedelta(days=b.rng.randrange(0, 500))
    return b.workday(day)


def schedule(b: Builder, kind: str, planted: frozenset[str], parties: Parties,
             amount: Decimal) -> Plan:
    """Key dates: registration, announcement, sale end, bid deadline, evaluation day."""
    d0 = first_day(b)
    d1 = b.plus_days(d0, b.rng.randint(1, 3))
    announced = at(d1, 10, b.rng.choice((0, 30)))
    if kind == "works":
        until_day = b.plus_days(d1, b.rng.randint(7, 10))
    else:
        until_day = b.plus_wd(d1, b.rng.randint(7, 9))
    if "short_deadline" in planted:
        deadline_day = _short_deadline(b, d1)
        until_day = min(until_day, deadline_day - timedelta(days=1))
    else:
        deadline_day = b.plus_days(d1, b.rng.randint(24, 32))
    deadline = at(deadline_day, 9, 30)
    eval_day = b.plus_days(deadline_day, 1)
    return Plan(kind, planted, parties, amount, at(d0, 9, b.rng.randint(0, 50)), announced,
                at(until_day, 17, 0), deadline, eval_day, b.rng.random() < 0.3)


def _short_deadline(b: Builder, d1: date) -> date:
    for n in range(15, 5, -1):
        day = b.plus_days(d1, n)
        if cd(at(d1, 10), at(day, 9, 30)) < 20:
            return day
    raise AssertionError("no short deadline found")  # pragma: no cover
