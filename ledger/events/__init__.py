"""The event catalogue: typed schemas of the trading-process events (docs/rules.md §2).

Role: validate what trading systems post (``parse_event``), list the types
(``EVENT_TYPES``), dump parsed events (``event_to_json``), pseudonymise personal
identifiers (``Pseudonymizer``) and provide one example per type (``example_event``).
This package is pure schema code: it must not import the store, the API or the log.
"""

from ledger.events.catalogue import EVENT_TYPES, PHASES, PSEUDONYMISED_FIELDS, PSEUDONYMISED_KINDS
from ledger.events.envelope import (
    Actor,
    EventContext,
    EventIn,
    envelope_model,
    event_to_json,
    parse_event,
    parse_event_json,
)
from ledger.events.errors import EventValidationError
from ledger.events.examples import example_event, example_types
from ledger.events.pseudonymize import Pseudonymizer
from ledger.events.types import Payload

__all__ = [
    "EVENT_TYPES",
    "PHASES",
    "PSEUDONYMISED_FIELDS",
    "PSEUDONYMISED_KINDS",
    "Actor",
    "EventContext",
    "EventIn",
    "EventValidationError",
    "Payload",
    "Pseudonymizer",
    "envelope_model",
    "event_to_json",
    "example_event",
    "example_types",
    "parse_event",
    "parse_event_json",
]
