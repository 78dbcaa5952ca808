"""Recording raised leads when several evaluators share a log or one stopped half-way: a lead
another evaluator already recorded is not raised again, one recorded meanwhile is left as
it is, and a LEAD_RAISED already in the log (witnessed before a crash) is not appended again:
the lead's row takes that event's index."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from ledger.demo import generate_project
from ledger.events import Pseudonymizer
from ledger.ingest import Ingestor
from ledger.log import WitnessLog
from ledger.rules import service
from ledger.rules.context import RuleContext
from ledger.rules.findings_store import lead_id_for
from ledger.rules.model import Finding
from ledger.rules.service import RuleService
from ledger.store.schema import events, findings, leads


def _appended(log: WitnessLog) -> list[Any]:
    """A project planting a late contract, ingested in one batch without evaluating it."""
    p = generate_project(2, "works", {"late_contract"})
    ing = Ingestor(log, Pseudonymizer(b"k" * 32), now=lambda: datetime.fromisoformat(
        "2026-11-01T00:00:00+08:00"))
    return list(ing.submit(p.events))


def _raised(log: WitnessLog) -> int:
    with log.db.read() as conn:
        return len(conn.execute(events.select()
                                .where(events.c.event_type == "LEAD_RAISED")).all())


def _lead_rows(log: WitnessLog) -> list[Any]:
    with log.db.read() as conn:
        return list(conn.execute(leads.select().order_by(leads.c.lead_id)).all())


def test_a_lead_recorded_by_another_evaluator_is_not_raised_again(log: WitnessLog) -> None:
    results = _appended(log)
    first = RuleService(log, RuleContext.default())
    raised = first.on_appended(results).new_leads
    assert raised and _raised(log) == len(raised)
    second = RuleService(log, RuleContext.default())  # its own memory of recorded leads
    assert second.on_appended(results).new_leads == ()
    assert _raised(log) == len(raised) and len(_lead_rows(log)) == len(raised)


def test_a_lead_recorded_meanwhile_keeps_its_row(log: WitnessLog, monkeypatch: Any) -> None:
    results = _appended(log)
    first, second = RuleService(log, RuleContext.default()), RuleService(log, RuleContext.default())
    append, own_raise = log.append, second._raise
    asked: list[Finding] = []
    raced: list[list[str]] = []

    def raising(lead_findings: list[Finding]) -> list[str]:
        asked.extend(lead_findings)
        return own_raise(lead_findings)

    def racing_append(batch: list[dict[str, Any]]) -> Any:
        # the other evaluator records the same leads between this one's check and its record
        monkeypatch.setattr(log, "append", append)
        raced.append(first._raise(asked))
        return append(batch)

    monkeypatch.setattr(second, "_raise", raising)
    monkeypatch.setattr(log, "append", racing_append)
    mine = second.on_appended(results).new_leads
    rows = _lead_rows(log)
    assert raced and raced[0] and set(mine) == set(raced[0])
    assert [r.lead_id for r in rows] == sorted(raced[0])
    assert _raised(log) == len(rows)  # the second LEAD_RAISED of each was a duplicate
    index = {lead_id_for(f): log.index_of(f"{lead_id_for(f)}:raised") for f in asked}
    assert {r.lead_id: r.raised_index for r in rows} == index


def test_a_lead_witnessed_before_a_crash_gets_that_index(log: WitnessLog,
                                                         monkeypatch: Any) -> None:
    """The findings were stored, the LEAD_RAISED appended, the lead rows not written: the
    next evaluation records the leads with the indexes already witnessed."""
    results = _appended(log)
    svc = RuleService(log, RuleContext.default())
    crashed: list[Finding] = []

    def crash(lid: str, f: Finding, *_: Any) -> dict[str, Any]:
        crashed.append(f)
        raise RuntimeError("stopped between the append and the lead rows")

    with monkeypatch.context() as patched:
        patched.setattr(service, "_lead_row", crash)
        with pytest.raises(RuntimeError):
            svc.on_appended(results)
    assert crashed and _lead_rows(log) == []
    witnessed = {lead_id_for(f): log.index_of(f"{lead_id_for(f)}:raised") for f in crashed}
    again = RuleService(log, RuleContext.default())
    assert set(again.run_project(crashed[0].project_id).new_leads) == set(witnessed)
    rows = _lead_rows(log)
    assert {r.lead_id: r.raised_index for r in rows} == witnessed
    assert _raised(log) == len(witnessed)


@pytest.mark.parametrize("evaluation", ["followed", "on demand"])
def test_leads_of_findings_stored_before_a_crash_are_raised_next_time(
        log: WitnessLog, monkeypatch: Any, evaluation: str) -> None:
    """Stopped after storing the findings, before witnessing their leads: the findings are
    no longer new next time, and their leads are raised all the same (a lost lead is a
    missed warning), once each."""
    results = _appended(log)
    svc = RuleService(log, RuleContext.default())
    with monkeypatch.context() as patched:
        patched.setattr(svc, "_raise", lambda _found: (_ for _ in ()).throw(
            RuntimeError("stopped after the findings")))
        with pytest.raises(RuntimeError):
            svc.on_appended(results)
    with log.db.read() as conn:
        stored = conn.execute(findings.select()).first()
    assert stored is not None and _raised(log) == 0 and _lead_rows(log) == []
    again = RuleService(log, RuleContext.default())
    run = (again.run_project(stored.project_id) if evaluation == "on demand"
           else again.on_appended(results))
    assert run.new_findings == () and run.new_leads
    assert sorted(r.lead_id for r in _lead_rows(log)) == sorted(run.new_leads)
    assert _raised(log) == len(run.new_leads)
    assert again.on_appended(results).new_leads == ()  # once each
    assert _raised(log) == len(run.new_leads)
