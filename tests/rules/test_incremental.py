"""Incremental evaluation against full evaluation: the follower fed a log in random batch
splits, and a follower restarted mid-log, find what evaluating the whole log finds.

The follower's state between polls is the trail cache (decoded trails, extended with each
poll's events) and the rule cursor; after a restart the cursor comes from ``rule_cursor``
and each trail is read again from the store on first use. Both tests check the follower's
findings against a fresh service replaying the same log from index 0 in one pass: it
evaluates every project's whole trail with every rule reading its events, and must find
nothing the incremental runs did not store already.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from ledger.demo import PLANTED_CLASSES, generate_portfolio
from ledger.events import Pseudonymizer
from ledger.home import open_log
from ledger.ingest import MAX_BATCH, Ingestor
from ledger.log import WitnessLog
from ledger.rules.context import RuleContext
from ledger.rules.engine import evaluate
from ledger.rules.follower import RuleFollower
from ledger.rules.service import RuleService
from ledger.settings import Settings
from ledger.store.schema import findings

CTX = RuleContext.default()
WHOLE_LOG = 10**6  # a chunk no test log reaches: one poll takes every event


def _events(seed: int, projects: int) -> list[dict[str, Any]]:
    """Generated projects (one planted class in every other), interleaved by occurrence
    as a live center sends them."""
    portfolio = generate_portfolio(seed, projects, plant_every=2)
    return sorted((e for p in portfolio for e in p.events), key=lambda e: e["occurred_at"])


def _feed(log: WitnessLog, evs: list[dict[str, Any]], cuts: list[int],
          after_batch: Callable[[], object]) -> None:
    """Append ``evs`` in the batches ``cuts`` delimits, receipt time following the events
    (so due-date rules judge each batch against its own "now"), and call ``after_batch``
    (the follower's poll) after each."""
    stamp = [evs[0]["occurred_at"]]
    log.clock = lambda: stamp[0]
    ing = Ingestor(log, Pseudonymizer(b"k" * 32), max_clock_skew_seconds=10**9)
    for lo, hi in zip([0, *cuts], [*cuts, len(evs)], strict=True):
        stamp[0] = max(e["occurred_at"] for e in evs[lo:hi])
        assert all(r.ok for r in ing.submit(evs[lo:hi]))
        after_batch()


def _stored(log: WitnessLog) -> set[str]:
    with log.db.read() as conn:
        return {r[0] for r in conn.execute(select(findings.c.finding_key))}


def _random_cuts(rng: random.Random, n: int) -> list[int]:
    """Batch ends: 2 to 12 random cuts, plus one every ``MAX_BATCH`` events (an append's
    limit), so batches of random sizes, some of a single event."""
    k = rng.randint(1, 11)
    return sorted(set(rng.sample(range(1, n), k)) | set(range(MAX_BATCH, n, MAX_BATCH)))


def _replay_finds_nothing_new(log: WitnessLog) -> None:
    """A fresh service replaying the whole log in one poll (every project's whole trail,
    every rule reading its events) stores nothing the incremental runs did not."""
    before = _stored(log)
    replay = RuleFollower(RuleService(log, CTX), chunk=WHOLE_LOG, name="replay")
    replay.catch_up()
    assert _stored(log) == before
    assert replay.stats.findings == 0 and replay.stats.leads == 0


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_batch_splits_find_what_a_whole_evaluation_finds(
        log: WitnessLog, seed: int) -> None:
    rng = random.Random(f"splits|{seed}")
    evs = _events(seed, 4)
    follower = RuleFollower(RuleService(log, CTX), chunk=rng.choice([50, 400, WHOLE_LOG]))
    _feed(log, evs, _random_cuts(rng, len(evs)), follower.catch_up)
    assert follower.position() == log.size()
    found = _stored(log)
    for pid in {e["project_id"] for e in evs}:  # the final trails' findings are all stored
        assert {f.key for f in evaluate(follower.service.trail(pid), CTX)} <= found, pid
    _replay_finds_nothing_new(log)


@pytest.mark.parametrize("seed", [5, 6])
def test_a_restarted_follower_goes_on_from_the_store(
        log: WitnessLog, settings: Settings, seed: int) -> None:
    """State is rebuilt, not persisted: the second service (on the log opened again, as a
    new process would: its seal key has opened nothing yet) starts with an empty cache and
    the persisted cursor, reads each touched trail whole from the store, and stores what
    one uninterrupted follower would (the replay finds nothing new)."""
    rng = random.Random(f"restart|{seed}")
    evs = _events(seed, 3)
    cuts = _random_cuts(rng, len(evs))
    restart_after = rng.randrange(1, len(cuts) + 1)  # batches taken in before the restart
    followers = [RuleFollower(RuleService(log, CTX), chunk=300)]
    logs: list[WitnessLog] = []
    polls = [0]

    def poll() -> None:
        polls[0] += 1
        if polls[0] == restart_after + 1:  # a new process: nothing kept but the cursor
            reopened = open_log(settings)
            logs.append(reopened)
            followers.append(RuleFollower(RuleService(reopened, CTX), chunk=300))
            assert len(followers[-1].service.cache) == 0
        followers[-1].catch_up()

    try:
        _feed(log, evs, cuts, poll)
        assert len(followers) == 2 and followers[-1].position() == log.size()
        assert followers[-1].service.cache.loads >= 1  # trails read again from the store
        _replay_finds_nothing_new(log)
    finally:
        for opened in logs:
            opened.db.dispose()


def test_the_random_test_covers_planted_classes() -> None:
    """The generated logs above plant violations (so the comparison is not of empties)."""
    planted = {c for seed in (1, 2, 3, 4, 5, 6)
               for p in generate_portfolio(seed, 4, plant_every=2) for c in p.planted}
    assert planted and planted <= set(PLANTED_CLASSES)
