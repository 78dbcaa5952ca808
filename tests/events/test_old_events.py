"""Events stored before a bound existed stay verifiable and readable: the log verifies stored
canonical bytes and the rules read stored payloads; nothing re-validates them on read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.events import EventValidationError, event_to_json, example_event, parse_event
from ledger.events.examples import EXAMPLE_PROJECT_ID
from ledger.rules.context import RuleContext
from ledger.rules.service import RuleService
from tests.verifier.sealed_log import SealedLedger, new_ledger
from verifier import check_ledger


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[SealedLedger]:
    built = new_ledger(tmp_path / "home")
    yield built
    built.log.db.dispose()


def _old(event_type: str, tag: str, **payload: Any) -> dict[str, Any]:
    """An event as an older schema stored it: valid then, out of today's bounds."""
    event = event_to_json(parse_event(example_event(event_type)))
    event["event_id"] = f"OLD-{tag}"
    event["payload"].update(payload)
    return event


def test_old_out_of_bound_events_verify_and_are_read(ledger: SealedLedger) -> None:
    old = [_old("PROJECT_REGISTERED", "0", estimate_amount="-0"),
           _old("CONTRACT_SIGNED", "1", amount="-5.00"),
           _old("BOND_REFUNDED", "2", amount="-0.00", interest="-1.50")]
    for event in old:  # today's schema would refuse them on the way in
        with pytest.raises(EventValidationError):
            parse_event(event)
    ledger.log.append(old)
    ledger.log.checkpoint()

    report = check_ledger(ledger.url, ledger.policy)
    assert report.outcome == "intact", report.to_text()
    assert report.problems == []

    service = RuleService(ledger.log, RuleContext.default())
    service.run_project(EXAMPLE_PROJECT_ID)  # every rule runs over them without raising
    trail = service.trail(EXAMPLE_PROJECT_ID)
    contract = next(e for e in trail.events if e.type == "CONTRACT_SIGNED")
    assert contract.get("amount") == "-5.00"
    assert trail.flags.get("estimate_amount") == "-0"
