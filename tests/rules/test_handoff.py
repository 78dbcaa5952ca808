"""The ingestion's hand-off to the rule follower (``ledger.rules.handoff``): events this
process appends are taken as submitted instead of being read back, and nothing changes.

The handed-over events must be what the store decodes to (sealed records included), and a
follower taking part of the events from the hand-off and the rest from the store (another
worker's appends, or events the bounded buffer dropped) must store the same findings, raise
the same leads and end at the same cursor as one reading everything back.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.core.sealed import is_sealed_blob
from ledger.demo import generate_portfolio
from ledger.events import Pseudonymizer
from ledger.home import init_home, open_log
from ledger.ingest import Ingestor, Recorded
from ledger.log import WitnessLog
from ledger.rules.context import RuleContext
from ledger.rules.engine import trail_event
from ledger.rules.follower import RuleFollower, run_elected_follower
from ledger.rules.handoff import Handoff, chunk_rows
from ledger.rules.model import Finding
from ledger.rules.service import INTERNAL_TYPES, RuleService
from ledger.settings import Settings
from ledger.store.schema import events
from tests.ledger.loops_kit import wait_for

CTX = RuleContext.default()
BATCH = 97  # batches that cut projects and sections anywhere


def _settings(root: Path, name: str) -> Settings:
    s = Settings(home=root / name, origin="test.example/log")
    init_home(s)
    return s


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[list[WitnessLog]]:
    opened = [open_log(_settings(tmp_path, n)) for n in ("a", "b", "c")]
    yield opened
    for log in opened:
        log.db.dispose()


def _events() -> list[dict[str, Any]]:
    """Generated projects (planted violations in every other), interleaved by occurrence."""
    portfolio = generate_portfolio(7, 4, plant_every=2)
    return sorted((e for p in portfolio for e in p.events), key=lambda e: e["occurred_at"])


def _ingestor(log: WitnessLog) -> Ingestor:
    return Ingestor(log, Pseudonymizer(b"k" * 32), max_clock_skew_seconds=10**9)


def test_handed_events_are_what_the_store_decodes_to(logs: list[WitnessLog]) -> None:
    log = logs[0]
    held = Handoff()
    offered: list[Recorded] = []
    ing = _ingestor(log)
    ing.handoff = lambda rs: (offered.extend(rs), held.offer(rs))
    evs = _events()
    for lo in range(0, len(evs), BATCH):
        assert all(r.ok for r in ing.submit(evs[lo:lo + BATCH]))
    with log.db.read() as conn:
        stored = chunk_rows(log, conn, 0, log.size(), None)
        sealed = sum(is_sealed_blob(bytes(c)) for c in
                     conn.execute(events.select().with_only_columns(events.c.canonical))
                     .scalars())
    handed = held.take([r.index for r in stored])
    assert sealed > 0 and len(held) == 0 and held.taken == len(offered) == len(handed)
    # what the log appends itself (the keys published at an opening) is not handed over
    assert {r.type for r in stored if r.index not in handed} <= INTERNAL_TYPES
    for row in stored:
        if row.index not in handed:
            continue
        mine = handed[row.index]
        assert (mine.project_id, mine.type) == (row.project_id, row.type)
        assert trail_event(row.index, mine.decoded()) == trail_event(row.index, row.decoded())


def _run(log: WitnessLog, evs: list[dict[str, Any]], *, handed_every: int,
         kept: int, cache_projects: int = 256) -> tuple[list[Finding], int, int, int]:
    """Append ``evs`` in batches through two ingestors (two workers), the follower catching
    up after each; every ``handed_every``-th batch goes through the one whose appends are
    handed over (0: none). Its findings in order, cursor, log size, events handed over."""
    stamp = [evs[0]["occurred_at"]]
    log.clock = lambda: stamp[0]
    mine, other = _ingestor(log), _ingestor(log)
    follower = RuleFollower(RuleService(log, CTX, cache_projects=cache_projects), chunk=150)
    follower.handoff = Handoff(kept)
    follower.attach(mine)
    found: list[Finding] = []
    process = follower.service.process

    def recording(rows: Any, **kw: Any) -> Any:
        result = process(rows, **kw)
        found.extend(result.new_findings)
        return result

    follower.service.process = recording  # type: ignore[method-assign]
    for n, lo in enumerate(range(0, len(evs), BATCH)):
        chunk = evs[lo:lo + BATCH]
        stamp[0] = max(e["occurred_at"] for e in chunk)
        ing = mine if handed_every and n % handed_every == 0 else other
        assert all(r.ok for r in ing.submit(chunk))
        follower.catch_up()
    return found, follower.position(), log.size(), follower.handoff.taken


def test_half_handed_over_half_read_back_finds_the_same(logs: list[WitnessLog]) -> None:
    evs = _events()
    read_back = _run(logs[0], evs, handed_every=0, kept=10_000)
    mixed = _run(logs[1], evs, handed_every=2, kept=60)  # the buffer drops some too
    assert read_back[3] == 0 and 0 < mixed[3] < len(evs) // 2
    assert read_back[1:3] == mixed[1:3]
    assert [f.key for f in read_back[0]] == [f.key for f in mixed[0]]
    assert read_back[0] == mixed[0] and any(f.lead for f in mixed[0])
    # trails dropped from a small cache are read back whole: still the same
    evicting = _run(logs[2], evs, handed_every=2, kept=60, cache_projects=2)
    assert evicting[:3] == read_back[:3]


def test_the_buffer_is_bounded_and_forgets_what_is_behind_the_follower() -> None:
    held = Handoff(kept=3)
    held.offer([Recorded(i, "t", {"project_id": "P", "type": "X"}) for i in range(5)])
    assert len(held) == 3  # the two oldest dropped: read from the store when due
    assert set(held.take([3])) == {3} and len(held) == 1  # 2 is behind: let go
    with pytest.raises(ValueError):
        Handoff(kept=0)


def test_a_failing_hand_off_does_not_fail_the_append(logs: list[WitnessLog]) -> None:
    def broken(_: object) -> None:
        raise RuntimeError("follower gone")

    ing = _ingestor(logs[0])
    ing.handoff = broken
    assert all(r.ok for r in ing.submit(_events()[:5]))
    assert logs[0].size() == 5


def test_the_elected_follower_takes_its_workers_appends_while_it_follows(
        tmp_path: Path) -> None:
    """``run_elected_follower`` with the worker's ingestor: attached once elected, its appends
    evaluated (the cursor reaches the end), detached when it stops."""
    settings = _settings(tmp_path, "elected")
    log = open_log(settings)
    ing = _ingestor(log)
    service = RuleService(log, CTX)
    stop = threading.Event()
    thread = threading.Thread(target=run_elected_follower, args=(service, settings, stop),
                              kwargs={"poll_seconds": 0.05, "ingestor": ing})
    thread.start()
    try:
        wait_for("elected", lambda: ing.handoff is not None)
        assert all(r.ok for r in ing.submit(_events()[:200]))
        cursor = RuleFollower(service)
        wait_for("caught up", lambda: cursor.position() == log.size())
    finally:
        stop.set()
        thread.join(60)
        log.db.dispose()
    assert not thread.is_alive() and ing.handoff is None
