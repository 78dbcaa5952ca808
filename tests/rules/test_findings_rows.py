"""The findings rows the service stores: ``finding_rows`` (one lookup of which evidence is
sealed, then a scope query only for findings resting on some) gives the rows that
``finding_row`` gives one by one, for findings on sealed records and on public ones."""

from __future__ import annotations

from sqlalchemy import select

from ledger.demo import generate_project
from ledger.events import Pseudonymizer
from ledger.ingest import Ingestor
from ledger.log import WitnessLog
from ledger.rules.context import RuleContext
from ledger.rules.engine import evaluate
from ledger.rules.findings_store import finding_row, finding_rows
from ledger.rules.service import RuleService
from ledger.sealing.classes import OPENING_TRIGGERS
from ledger.store.schema import section_phases

NOW = "2030-01-01T00:00:00+00:00"


def test_rows_in_one_go_are_the_rows_one_by_one(log: WitnessLog) -> None:
    project = generate_project(3, "works", {"same_mac"}, sections=1)
    public = generate_project(4, "works", {"late_bid", "expert_leaves"}, sections=1)
    cut = next(i for i, e in enumerate(project.events) if e["type"] in OPENING_TRIGGERS)
    ing = Ingestor(log, Pseudonymizer(b"k" * 32), max_clock_skew_seconds=10**9)
    ing.submit(project.events[:cut])  # before the opening: the bids are still sealed
    ing.submit(public.events)  # opened: nothing of it is sealed any more
    svc = RuleService(log, RuleContext.default())
    found = [f for p in (project, public) for f in evaluate(svc.trail(p.project_id), svc.ctx)]
    with log.db.read() as conn:
        batched = finding_rows(log, conn, found, NOW)
        single = [finding_row(log, conn, f, NOW) for f in found]
    sealed = [r["seal_scope"] for r in single if r["seal_scope"] is not None]
    assert sealed and len(sealed) < len(single)  # both kinds are compared
    assert [r["seal_scope"] for r in batched] == [r["seal_scope"] for r in single]
    for got, want in zip(batched, single, strict=True):
        if want["seal_scope"] is None:
            assert got == want
        else:  # the sealed text is encrypted afresh: compared opened
            assert {k: v for k, v in got.items() if k != "computed"} == {
                k: v for k, v in want.items() if k != "computed"}
            assert _opened(log, got) == _opened(log, want)


def _opened(log: WitnessLog, row: dict[str, object]) -> str:
    assert log.sealer is not None
    with log.db.read() as conn:
        sections = [str(s) for s in conn.execute(
            select(section_phases.c.section_key)
            .where(section_phases.c.project_id == row["project_id"])).scalars()]
    return log.sealer.open_text(str(row["project_id"]), str(row["computed"]),
                                str(row["finding_id"]), sections)
