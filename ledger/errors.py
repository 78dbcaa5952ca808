"""Domain errors of the ledger service (the API maps them to problem+json).

Must not import the API or the verifier.
"""

from __future__ import annotations

from ledger.core.errors import WitnessError


class ConflictError(WitnessError):
    """An event id already in the log with different content (idempotency violated)."""

    def __init__(self, event_id: str, index: int) -> None:
        self.event_id = event_id
        self.index = index
        super().__init__(f"event id {event_id!r} is already at index {index} with other content")


class NotFoundError(WitnessError):
    """No such event, index, checkpoint or project."""


class NotInitialisedError(WitnessError):
    """The data directory has no log yet: run `witness init`."""


class StateConflictError(WitnessError):
    """The request contradicts what already happened (e.g. a lead transferred elsewhere)."""

