"""Incremental evaluation: the rule follower (cursor, idempotence, flag latency), the trail
cache behind it and ``RuleService.on_appended`` (extend, fill gaps, LRU bound), and the
indexed trails giving the same findings as plain ones."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ledger.anchoring.election import LeaderLock
from ledger.demo import generate_portfolio, generate_project
from ledger.events import Pseudonymizer
from ledger.ingest import Ingestor
from ledger.log import WitnessLog
from ledger.rules.context import RuleContext
from ledger.rules.engine import evaluate
from ledger.rules.follower import (
    RULES_LOCK_FILE,
    RULES_LOCK_ID,
    RuleFollower,
    rule_context,
    run_elected_follower,
)
from ledger.rules.registry import load_all
from ledger.rules.service import RuleService
from ledger.rules.trail_cache import IndexedTrail
from ledger.settings import Settings
from ledger.store.schema import events, findings

CTX = RuleContext.default()


def _ingestor(log: WitnessLog) -> Ingestor:
    return Ingestor(log, Pseudonymizer(b"k" * 32),
                    now=lambda: datetime.fromisoformat("2026-11-01T00:00:00+08:00"))


def _count(log: WitnessLog, etype: str) -> int:
    with log.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(events)
                                .where(events.c.event_type == etype)).scalar() or 0)


def _finding_keys(log: WitnessLog) -> set[str]:
    with log.db.read() as conn:
        return {r[0] for r in conn.execute(select(findings.c.finding_key))}


def test_follower_finds_what_a_whole_run_finds(log: WitnessLog) -> None:
    portfolio = generate_portfolio(3, 6, plant_every=2)
    ing = _ingestor(log)
    for p in portfolio:  # each project whole, as the demo ingests them
        assert all(r.ok for r in ing.submit(p.events))
    follower = RuleFollower(RuleService(log, CTX), chunk=700)
    taken = follower.catch_up()
    assert taken >= sum(len(p.events) for p in portfolio)
    assert follower.position() == log.size()
    assert follower.stats.leads >= 3
    keys = _finding_keys(log)
    fresh = RuleService(log, CTX)
    expected = set()
    for p in portfolio:
        assert fresh.run_project(p.project_id).new_findings == ()  # nothing the follower missed
        expected |= {f.key for f in evaluate(fresh.trail(p.project_id), CTX)}
    assert keys == expected
    assert _count(log, "LEAD_RAISED") == follower.stats.leads


def test_cursor_persists_and_rerun_stores_nothing_twice(log: WitnessLog) -> None:
    p = generate_project(2, "works", {"late_contract"})
    _ingestor(log).submit(p.events)
    first = RuleFollower(RuleService(log, CTX))
    first.catch_up()
    raised, keys, pos = _count(log, "LEAD_RAISED"), _finding_keys(log), first.position()
    assert raised >= 1 and pos == log.size()
    again = RuleFollower(RuleService(log, CTX))  # a restart: empty cache, persisted cursor
    assert again.position() == pos and again.catch_up() == 0
    again.reset(0)  # re-evaluate the whole log
    again.catch_up()
    assert _count(log, "LEAD_RAISED") == raised and _finding_keys(log) == keys
    assert again.stats.findings == 0 and again.stats.leads == 0


def test_follower_picks_up_later_batches(log: WitnessLog) -> None:
    p = generate_project(5, "works", {"short_deadline"})
    ing, follower = _ingestor(log), RuleFollower(RuleService(log, CTX), chunk=50)
    for k in range(0, len(p.events), 40):
        ing.submit(p.events[k:k + 40])
        follower.catch_up()
    # never read back whole: the follower took in every event from index 0 (sealed records
    # included), so a project first seen has nothing earlier; then only extended
    assert follower.service.cache.loads == 0 and follower.service.cache.whole_below is not None
    assert any("R-TB-24-DEADLINE" in x["rule_ids"] for x in follower.service.leads())
    assert follower.position() == log.size()


def test_on_appended_extends_the_cache_and_fills_gaps(log: WitnessLog) -> None:
    svc = RuleService(log, CTX)
    p = generate_project(4, "goods")
    ing = _ingestor(log)
    svc.on_appended(ing.submit(p.events[:30]))
    ing.submit(p.events[30:60])  # appended behind the service's back
    svc.on_appended(ing.submit(p.events[60:]))
    entry = svc.cache.get(p.project_id)
    assert entry is not None and svc.cache.fills == 1 and svc.cache.loads == 1
    assert entry.view(p.project_id).events == svc.trail(p.project_id).events


def test_cache_is_bounded_and_still_correct(log: WitnessLog) -> None:
    svc = RuleService(log, CTX, cache_projects=2)
    portfolio = generate_portfolio(9, 5, plant_every=1)
    ing = _ingestor(log)
    # interleave the projects (40 events of each in turn) so batches touch evicted ones
    rows = [e for k in range(0, 700, 40) for p in portfolio for e in p.events[k:k + 40]]
    for k in range(0, len(rows), 200):
        svc.on_appended(ing.submit(rows[k:k + 200]))
        assert len(svc.cache) <= 2
    assert svc.cache.loads > 0
    for p in portfolio:
        entry = svc.trails.entry(p.project_id)
        assert entry.view(p.project_id).events == svc.trail(p.project_id).events


@pytest.mark.parametrize("seed", range(4))
def test_indexed_trail_answers_like_a_trail(log: WitnessLog, seed: int) -> None:
    load_all()
    p = generate_project(seed, "works" if seed % 2 else "goods",
                         {"same_ca"} if seed % 2 else set(), sections=2)
    _ingestor(log).submit(p.events)
    plain = RuleService(log, CTX).trail(p.project_id)
    indexed = IndexedTrail(plain.project_id, plain.events)
    assert evaluate(indexed, CTX) == evaluate(plain, CTX)
    assert indexed.sections() == plain.sections()
    for sid in plain.sections():
        assert indexed.for_section(sid).events == plain.for_section(sid).events
    types = sorted({e.type for e in plain.events})
    for t in types:
        assert indexed.of_type(t) == plain.of_type(t)
        assert indexed.first(t) == plain.first(t) and indexed.last(t) == plain.last(t)
    assert indexed.of_type(*types[:3], types[0]) == plain.of_type(*types[:3])
    assert indexed.of_type("NO_SUCH_TYPE") == [] and indexed.first("NO_SUCH_TYPE") is None


def test_a_late_bid_is_flagged_within_a_second(log: WitnessLog, settings: Settings) -> None:
    svc = RuleService(log, CTX)
    RuleFollower(svc).catch_up()
    stop = threading.Event()
    thread = threading.Thread(target=run_elected_follower, args=(svc, settings, stop, 0.5))
    thread.start()
    try:
        p = generate_project(6, "works", {"late_bid"})
        t0 = time.monotonic()
        _ingestor(log).submit(p.events)
        flagged: list[dict[str, Any]] = []
        while time.monotonic() - t0 < 10 and not flagged:
            flagged = [x for x in svc.leads(p.project_id) if "R-TB-28-LATE-BID" in x["rule_ids"]]
            time.sleep(0.05)
        elapsed = time.monotonic() - t0
    finally:
        stop.set()
        thread.join(10)
    assert flagged, "the late bid was not flagged"
    assert elapsed < 1.5 or elapsed < 3  # ≈ one poll (0.5 s) + one evaluation; slack for CI
    assert not thread.is_alive()


def test_follower_lock_is_its_own(log: WitnessLog, settings: Settings) -> None:
    rules_a = LeaderLock(log, settings, lock_id=RULES_LOCK_ID, filename=RULES_LOCK_FILE)
    rules_b = LeaderLock(log, settings, lock_id=RULES_LOCK_ID, filename=RULES_LOCK_FILE)
    anchorer = LeaderLock(log, settings)  # the default office is still the anchorer's
    try:
        assert rules_a.try_acquire()
        assert not rules_b.try_acquire()
        assert anchorer.try_acquire()
    finally:
        for lock in (rules_a, rules_b, anchorer):
            lock.release()
    assert rules_b.try_acquire()
    rules_b.release()


def test_rule_context_reads_reference_from_home(settings: Settings, tmp_path: Path) -> None:
    assert rule_context(settings).reference.experts == {}
    (settings.home / "reference.json").write_text(
        '{"experts": [{"person_id": "E1", "name": "x"}], "enterprises": [], "relations": []}',
        encoding="utf-8")
    assert "E1" in rule_context(settings).reference.experts


def test_bench_rules_section_smoke(tmp_path: Path) -> None:
    """``scripts/bench.py --rules`` on a tiny portfolio writes every scenario's figures."""
    import json
    import subprocess
    import sys

    bench = Path(__file__).resolve().parents[2] / "scripts" / "bench.py"
    out = tmp_path / "rules.json"
    proc = subprocess.run([sys.executable, str(bench), "--rules", "--rules-projects", "2",
                           "--json", str(out), "--workdir", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Rules overhead" in proc.stdout
    runs = json.loads(out.read_text())["rules"]["runs"]
    assert {r["scenario"] for r in runs} >= {"append only", "follower, every batch",
                                             "before (re-read)"}
    assert all(r["append_cpu_s"] > 0 and r["overhead_pct"] >= 0 for r in runs)
