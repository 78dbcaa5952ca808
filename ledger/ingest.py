"""Ingestion: validate submitted events, pseudonymise identifiers, append them to the log.

Bad items are reported one by one with their field paths and never stored; the good ones
of the same batch are appended in one transaction. With a ``GroupCommitter`` (the API uses
one), the valid items of concurrent submissions share a transaction; each submission still
gets exactly its own outcomes, and its receipts are built (from the transaction's one signed
batch promise) in the submitter's thread (or on its event loop) after the commit. Must not
import the API or the verifier.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from ledger.clock import clock_now
from ledger.core.errors import WitnessError
from ledger.events import EventValidationError, Pseudonymizer, event_to_json, parse_event
from ledger.group_commit import GroupCommitter
from ledger.log import Appended, Committed, Rejected, WitnessLog
from ledger.store.log_queries import SUBMITTER_KEY

MAX_BATCH = 1000
_log = logging.getLogger("witness.ingest")


class Recorded(NamedTuple):
    """An event this process has just appended, handed to the rule follower so it need not
    read it back: its log index, the receipt time stamped on it and the submitted fields as
    stored (plaintext, a sealed record too). A tuple: it is built for every event."""

    log_index: int
    received_at: str
    event: Mapping[str, Any]


Handoff = Callable[[Sequence[Recorded]], None]


@dataclass(frozen=True)
class ItemResult:
    """The outcome for one submitted item, in submission order."""

    position: int
    event_id: str | None
    appended: Appended | None = None
    error: WitnessError | EventValidationError | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.appended is not None


class Ingestor:
    """Validates and appends batches; the single entry point for CLI and API ingestion."""

    def __init__(
        self, log: WitnessLog, pseudonymizer: Pseudonymizer, *, max_clock_skew_seconds: int = 300,
        now: Callable[[], datetime] | None = None, committer: GroupCommitter | None = None,
        handoff: Handoff | None = None,
    ) -> None:
        self.log = log
        self.pseudonymizer = pseudonymizer
        self.max_skew = max_clock_skew_seconds
        # the log's own clock unless a test fixes one: skew is judged by the time it stamps
        self.now = now or (lambda: clock_now(log.clock))
        self.committer = committer
        # The elected rule follower of this process, if any (ledger.rules.handoff): it takes
        # the appended events from here and reads only the others from the store.
        self.handoff = handoff

    def submit(self, items: Sequence[Any], submitter: str | None = None) -> list[ItemResult]:
        """Validate every item, append the valid ones atomically, report each outcome.
        ``submitter``: the id of the ingest token posting them (it may read them back)."""
        results, valid = self._validate(items, submitter)
        events = [v[1] for v in valid]
        if not events:
            committed: list[Committed] = []
        elif self.committer is not None:
            committed = self.committer.commit(events)
        else:
            committed = self.log.commit(events)
        return self._finish(len(items), results, valid, self._sealed(valid, committed))

    async def submit_async(self, items: Sequence[Any],
                           submitter: str | None = None) -> list[ItemResult]:
        """``submit`` for an event loop: the commit is awaited, not waited for.

        Validation and building the receipts run on the loop (tens of µs per event);
        the transaction runs on the group committer's thread (or a worker thread without one).
        """
        results, valid = self._validate(items, submitter)
        events = [v[1] for v in valid]
        if not events:
            committed: list[Committed] = []
        elif self.committer is not None:
            committed = await asyncio.wrap_future(self.committer.submit(events))
        else:
            committed = await asyncio.to_thread(self.log.commit, events)
        return self._finish(len(items), results, valid, self._sealed(valid, committed))

    def _sealed(self, valid: list[tuple[int, dict[str, Any], list[str]]],
                committed: list[Committed]) -> list[Appended | Rejected]:
        """The receipts of ``committed``; the new events offered to ``handoff`` first."""
        appended = self.log.seal(committed)
        handoff = self.handoff
        if handoff is not None and committed:
            fresh = [Recorded(a.index, c.received_at, v[1])
                     for v, c, a in zip(valid, committed, appended, strict=True)
                     if isinstance(a, Appended) and not a.duplicate
                     and not isinstance(c, Rejected)]
            try:
                handoff(fresh)
            except Exception:  # the events are stored: the follower reads them from there
                _log.exception("handing appended events to the rule follower failed")
        return appended

    def _validate(
        self, items: Sequence[Any], submitter: str | None
    ) -> tuple[dict[int, ItemResult], list[tuple[int, dict[str, Any], list[str]]]]:
        if len(items) > MAX_BATCH:
            raise WitnessError(f"a batch holds at most {MAX_BATCH} events, got {len(items)}")
        results: dict[int, ItemResult] = {}
        valid: list[tuple[int, dict[str, Any], list[str]]] = []
        now = self.now()
        for pos, item in enumerate(items):
            try:
                event = parse_event(item)
            except EventValidationError as exc:
                results[pos] = ItemResult(pos, _event_id_of(item), error=exc)
                continue
            as_json = self.pseudonymizer.apply(event_to_json(event))
            if submitter:
                as_json[SUBMITTER_KEY] = submitter
            valid.append((pos, as_json, self._skew_warnings(as_json, now)))
        return results, valid

    @staticmethod
    def _finish(
        count: int, results: dict[int, ItemResult],
        valid: list[tuple[int, dict[str, Any], list[str]]], appended: list[Appended | Rejected],
    ) -> list[ItemResult]:
        for (pos, as_json, warnings), outcome in zip(valid, appended, strict=True):
            results[pos] = _result(pos, as_json["event_id"], outcome, warnings)
        return [results[pos] for pos in range(count)]

    def _skew_warnings(self, event: dict[str, Any], now: datetime) -> list[str]:
        occurred = datetime.fromisoformat(event["occurred_at"])
        ahead = (occurred - now).total_seconds()
        if ahead > self.max_skew:
            return [f"occurred_at is {int(ahead)} s ahead of the ledger clock "
                    f"(bound {self.max_skew} s): the source clock may be wrong"]
        return []


def _result(
    pos: int, event_id: str, outcome: Appended | Rejected, warnings: list[str]
) -> ItemResult:
    # positional: a keyword argument costs a third more, once per event
    if isinstance(outcome, Rejected):
        return ItemResult(pos, event_id, None, outcome.error, warnings)
    return ItemResult(pos, event_id, outcome, None, warnings)


def _event_id_of(item: Any) -> str | None:
    if isinstance(item, dict) and isinstance(item.get("event_id"), str):
        return str(item["event_id"])[:128]
    return None
