"""Calendar years: a deadline in a year whose holiday calendar is not loaded is not computed
on a guess — one info finding names the year and how to load it — and the operator is
warned from 1 November when next year's calendar is still missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from ledger.cli import commands, rules_commands  # noqa: F401  (registers the commands)
from ledger.cli.app import cli
from ledger.rules.calendar import DEFAULT_CALENDAR, CalendarMissingError, WorkCalendar
from ledger.rules.catalogue.s01_calendar import CALENDAR_MISSING
from ledger.rules.context import RuleContext
from ledger.rules.engine import evaluate
from tests.rules.measures_kit import found, now_at, project

# The 2027 notice as an operator would add it (the first days of the year suffice here).
Y2027 = {"years": {"2027": {"holidays": ["2027-01-01", "2027-01-02", "2027-01-03"],
                            "workdays": []}}}


def _late_december(regime: str) -> object:
    """Award 2026-12-10, contract Tue 12-29 (bond refunds due 5 days later: in 2027)."""
    return project(regime, [now_at("2027-01-05")], award_day="2026-12-10",
                   contract_day="2026-12-29", refunded=False)


def test_the_bundled_calendar_does_not_guess_2027() -> None:
    cal = WorkCalendar.load()
    assert 2027 not in cal.years
    with pytest.raises(CalendarMissingError) as info:
        cal.due(_dt("2026-12-29"), 5)
    assert info.value.year == 2027 and "calendar.json" in str(info.value)


@pytest.mark.parametrize(("regime", "refund_rule"), [
    ("TB", "R-TBR-57-BOND-REFUND-5D"), ("GP", "R-GPR-33-BOND-REFUND-GP")])
def test_a_2027_deadline_gives_the_missing_calendar_finding_not_a_verdict(
        regime: str, refund_rule: str) -> None:
    trail = _late_december(regime)
    (f,) = found(trail, CALENDAR_MISSING)
    assert (f.severity, f.lead) == ("info", False)
    assert f.computed["year"] == 2027 and refund_rule in f.computed["rules"]
    assert "2027 年" in f.message_zh and "calendar.json" in f.computed["how_to_load"]
    assert "calendar.json" in f.message_en
    assert found(trail, refund_rule) == []  # no verdict on a guessed calendar
    assert found(trail, "R-BOND-REFUND-DUE-SOON") == []


def test_once_the_year_is_loaded_the_deadline_is_computed(tmp_path: Path) -> None:
    extra = tmp_path / "calendar.json"
    extra.write_text(json.dumps(Y2027), encoding="utf-8")
    cal = WorkCalendar.load(DEFAULT_CALENDAR, extra)
    assert 2027 in cal.years and cal.due(_dt("2026-12-29"), 5).isoformat() == "2027-01-04"
    found_ = evaluate(_late_december("TB"), RuleContext(cal))  # type: ignore[arg-type]
    assert not [f for f in found_ if f.rule_id == CALENDAR_MISSING]
    late = [f for f in found_ if f.rule_id == "R-TBR-57-BOND-REFUND-5D"]
    assert len(late) == 3 and all(f.computed["due"] == "2027-01-04" for f in late)


@pytest.mark.parametrize(("today", "warned"), [
    (date(2026, 10, 31), None), (date(2026, 11, 1), 2027), (date(2026, 12, 31), 2027),
    (date(2027, 3, 1), 2027)])  # a year already running without its calendar: warned too
def test_the_operator_is_warned_from_1_november(today: date, warned: int | None) -> None:
    text = WorkCalendar.load().warning(today)
    assert (text is not None) == (warned is not None)
    if text:
        assert f"has no {warned}" in text and "<home>/calendar.json" in text


def test_rules_run_and_status_print_the_warning(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    runner = CliRunner()
    assert runner.invoke(cli, ["--home", str(home), "init", "--no-chain"]).exit_code == 0
    monkeypatch.setattr(rules_commands, "_today", lambda: date(2026, 11, 2))
    for args in (["status"], ["rules", "run"]):
        res = runner.invoke(cli, ["--home", str(home), *args])
        assert res.exit_code == 0, res.output
        assert "warning: the working-day calendar has no 2027" in res.stderr
    (home / "calendar.json").write_text(json.dumps(Y2027), encoding="utf-8")
    for args in (["status"], ["rules", "run"]):
        assert "working-day calendar" not in runner.invoke(cli, ["--home", str(home),
                                                                 *args]).stderr


def test_a_real_witness_process_is_quiet_once_the_years_are_loaded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "WITNESS_HOME": str(home)}

    def witness(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ledger.cli", "--home", str(home), *args],
                              capture_output=True, text=True, env=env, timeout=120)

    assert witness("init", "--no-chain").returncode == 0
    year = date.today().year
    years = {str(y): {"holidays": [], "workdays": []} for y in (year, year + 1)}
    (home / "calendar.json").write_text(json.dumps({"years": years}), encoding="utf-8")
    res = witness("status")
    assert res.returncode == 0 and "working-day calendar" not in res.stderr


def _dt(day: str) -> object:
    from datetime import datetime

    return datetime.fromisoformat(f"{day}T10:00:00+08:00")
