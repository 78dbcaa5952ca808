"""One realistic, valid example event per type (a works tender in Shenyang, Liaoning, +08:00).

Role: load ``examples.json`` (shipped with the package) and expand each entry into a full
``EventIn`` dict for docs, tests and demo data.
Pure data code: it must not import the store, the API or the log.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["EXAMPLE_PROJECT_ID", "EXAMPLE_SECTION_ID", "example_event", "example_types"]

EXAMPLE_PROJECT_ID = "LN-SY-2025-0317"
EXAMPLE_SECTION_ID = "LN-SY-2025-0317-S01"


@cache
def _raw() -> dict[str, dict[str, Any]]:
    """The parsed examples file (type → partial event)."""
    text = resources.files("ledger.events").joinpath("examples.json").read_text("utf-8")
    data: dict[str, dict[str, Any]] = json.loads(text)
    return data


def example_types() -> list[str]:
    """Event types that have an example, in catalogue-file order."""
    return list(_raw())


def example_event(event_type: str) -> dict[str, Any]:
    """A complete, valid ``EventIn`` dict for ``event_type`` (a fresh deep copy)."""
    try:
        entry = _raw()[event_type]
    except KeyError:
        raise KeyError(f"no example for event type {event_type!r}") from None
    event: dict[str, Any] = {
        "event_id": f"EV-{event_type}-0001",
        "type": event_type,
        "project_id": EXAMPLE_PROJECT_ID,
    }
    if not entry.get("project_level"):
        event["section_id"] = EXAMPLE_SECTION_ID
    event["occurred_at"] = entry["occurred_at"]
    event["actor"] = copy.deepcopy(entry["actor"])
    if "context" in entry:
        event["context"] = copy.deepcopy(entry["context"])
    event["payload"] = copy.deepcopy(entry["payload"])
    return event
