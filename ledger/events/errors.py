"""The single error type raised when an event does not match the catalogue.

Role: carry every validation problem as ``{"loc": dotted path, "msg": text}`` so the API
can return it as-is. Never echoes input values (they may be large or personal).
Pure schema code: it must not import the store, the API or the log.
"""

from __future__ import annotations

from ledger.core.errors import WitnessError


class EventValidationError(WitnessError, ValueError):
    """An event failed validation; ``errors`` lists each problem with its dotted path."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        self.errors: list[dict[str, str]] = errors
        summary = "; ".join(f"{e['loc'] or '<root>'}: {e['msg']}" for e in errors[:5])
        more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"invalid event: {summary}{more}")
