"""Day counting of docs/rules.md §1.2 over a working-day calendar (holidays + make-up days).

Dates are local dates in Asia/Shanghai. The calendar is a data file operators update each
year from the State Council General Office notice. Pure apart from loading that file.
Must not import the store, the API or the verifier.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ledger.core.errors import WitnessError

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_CALENDAR = Path(__file__).with_name("data") / "calendar_cn.json"
OPERATOR_CALENDAR = "calendar.json"  # in the witness home; its years add to the bundled ones
# From this month on, the operator is warned when next year's calendar is not loaded yet
# (the State Council notice usually comes out in November or December).
WARN_FROM_MONTH = 11


class CalendarMissingError(WitnessError):
    """A day was needed from a year the working-day calendar does not cover: a deadline
    there is not computed on a guess (a weekday may be a holiday, a Sunday a make-up day)."""

    def __init__(self, year: int, day: date) -> None:
        super().__init__(f"the working-day calendar has no {year}: {how_to_load(year)}")
        self.year, self.day = year, day


def how_to_load(year: int) -> str:
    """What the operator does to load ``year`` (docs/rules.md, "Working-day calendar")."""
    return (f"add \"{year}\" (holidays and make-up workdays from the State Council notice) "
            f"to <home>/{OPERATOR_CALENDAR} and run the rules again")


def local_date(ts: datetime) -> date:
    """D(ts): the local calendar date of a timestamp in Asia/Shanghai."""
    return ts.astimezone(SHANGHAI).date()


def cd(a: datetime, b: datetime) -> int:
    """Days from a to b, start day excluded, end day included (民法典 第201条)."""
    return (local_date(b) - local_date(a)).days


@dataclass(frozen=True)
class WorkCalendar:
    """Statutory holidays and make-up working days (调休) of the years it covers."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    makeup_workdays: frozenset[date] = field(default_factory=frozenset)
    years: frozenset[int] = field(default_factory=frozenset)
    # Answers already computed (the calendar never changes; a day of a year it does not
    # cover raises before anything is kept, so these hold covered days only, a few
    # hundred per year). Every evaluation asks the same deadlines again.
    _rest: dict[date, bool] = field(default_factory=dict, init=False, repr=False,
                                    compare=False, hash=False)
    _due: dict[tuple[str, date, int], date] = field(default_factory=dict, init=False,
                                                     repr=False, compare=False, hash=False)
    _counts: dict[tuple[date, date], int] = field(default_factory=dict, init=False,
                                                  repr=False, compare=False, hash=False)

    @classmethod
    def load(cls, path: Path = DEFAULT_CALENDAR, *extra: Path) -> WorkCalendar:
        """The years of ``path`` and of each ``extra`` file that exists (a year given again
        replaces the earlier one, so an operator file can correct the bundled one)."""
        years: dict[str, dict[str, list[str]]] = {}
        for p in (path, *extra):
            if p == path or p.is_file():
                years.update(json.loads(p.read_text(encoding="utf-8"))["years"])
        holidays = {date.fromisoformat(d) for y in years.values() for d in y["holidays"]}
        makeup = {date.fromisoformat(d) for y in years.values() for d in y["workdays"]}
        return cls(frozenset(holidays), frozenset(makeup), frozenset(int(y) for y in years))

    def is_rest(self, day: date) -> bool:
        """A statutory holiday, or a weekend day not re-designated as a working day.

        Raises CalendarMissingError for a year the calendar does not cover."""
        try:
            return self._rest[day]
        except KeyError:
            pass
        if not self.covers(day):
            raise CalendarMissingError(day.year, day)
        rest = day in self.holidays or (day.weekday() >= 5 and day not in self.makeup_workdays)
        self._rest[day] = rest
        return rest

    def roll(self, day: date) -> date:
        while self.is_rest(day):
            day += timedelta(days=1)
        return day

    def due(self, a: datetime, n: int) -> date:
        """Last permitted date for an act "within n days of a" (rolls past rest days)."""
        start = local_date(a)
        key = ("d", start, n)
        found = self._due.get(key)
        if found is None:
            found = self._due[key] = self.roll(start + timedelta(days=n))
        return found

    def met(self, act: datetime, a: datetime, n: int) -> bool:
        return local_date(act) <= self.due(a, n)

    def wd(self, a: datetime, b: datetime) -> int:
        """Working days d with D(a) < d <= D(b)."""
        return self.working_days(local_date(a), local_date(b))

    def working_days(self, start: date, end: date) -> int:
        """Working days d with start < d <= end (local dates)."""
        found = self._counts.get((start, end))
        if found is None:
            found = self._counts[start, end] = sum(
                1 for k in range(1, (end - start).days + 1)
                if not self.is_rest(start + timedelta(days=k)))
        return found

    def due_wd(self, a: datetime, n: int) -> date:
        """The n-th working day after D(a)."""
        start = local_date(a)
        key = ("wd", start, n)
        found = self._due.get(key)
        if found is None:
            found = self._due[key] = self._nth_working_day(start, n)
        return found

    def _nth_working_day(self, day: date, n: int) -> date:
        left = n
        while left > 0:
            day += timedelta(days=1)
            if not self.is_rest(day):
                left -= 1
        return day

    def met_wd(self, act: datetime, a: datetime, n: int) -> bool:
        return local_date(act) <= self.due_wd(a, n)

    def covers(self, day: date) -> bool:
        return day.year in self.years

    def missing_next_year(self, today: date) -> int | None:
        """Next year, from November on, when it is not loaded yet (the operator is warned)."""
        nxt = today.year + 1
        return nxt if today.month >= WARN_FROM_MONTH and nxt not in self.years else None

    def warning(self, today: date) -> str | None:
        """The operator's warning ahead of a year not loaded (or of the current one)."""
        year = today.year if today.year not in self.years else self.missing_next_year(today)
        if year is None:
            return None
        return (f"the working-day calendar has no {year}: deadlines falling in it are not "
                f"computed (findings say the calendar is missing); {how_to_load(year)}")


def period_tier(start: datetime, end: datetime, minimum: int) -> str | None:
    """Two-tier reading of "…期不得少于N日" (§1.2): 'violation' when short under any reading,
    'warning' when short only under the strict (start day excluded) reading, else None."""
    days = cd(start, end)
    if days + 1 < minimum:
        return "violation"
    if days < minimum:
        return "warning"
    return None
