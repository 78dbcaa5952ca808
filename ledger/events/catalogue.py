"""The registry of event types: type name → payload model, grouped by phase.

Role: the single list of all event types, their emitters and phases, and the payload
fields that hold personal identifiers (pseudonymised before they enter the log).
Pure schema code: it must not import the store, the API or the log.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from ledger.events import (
    award,
    bids,
    complaints,
    documents,
    evaluation,
    internal,
    onsite,
    opening,
    project,
)
from ledger.events.types import Payload

PHASES: Final[tuple[tuple[str, str], ...]] = (
    ("project", "Project & announcement (项目登记与公告)"),
    ("documents", "Documents & clarifications (招标文件与澄清)"),
    ("bids", "Bids & bonds (投标与保证金)"),
    ("opening", "Opening (开标)"),
    ("evaluation", "Committee & evaluation (评标委员会与评标)"),
    ("onsite", "On-site order (现场秩序)"),
    ("award", "Award & contract (定标与合同)"),
    ("complaints", "Objections & complaints (异议与投诉)"),
    ("internal", "Ledger-internal (线索)"),
)

_MODULES = (project, documents, bids, opening, evaluation, onsite, award, complaints, internal)


def _build() -> dict[str, type[Payload]]:
    """Collect every module's payload models keyed by their EVENT_TYPE."""
    out: dict[str, type[Payload]] = {}
    for module in _MODULES:
        for model in module.PAYLOADS:
            if model.EVENT_TYPE in out or not model.EVENT_TYPE:
                raise RuntimeError(f"duplicate or empty event type on {model.__name__}")
            out[model.EVENT_TYPE] = model
    return out


EVENT_TYPES: Final[dict[str, type[Payload]]] = _build()
"""Type name → payload model (the closed catalogue)."""

PSEUDONYMISED_KINDS: Final = MappingProxyType(
    {
        "ip": "ip",
        "client_ip": "ip",
        "mac": "mac",
        "client_mac": "mac",
        "device_fp": "opaque",
        "tool_machine_code": "opaque",
        "payer_account_hash": "account",
        "contact_phone": "phone",
        "contact_email": "email",
    }
)
"""Field name → normalisation kind, for top-level payload keys and ``context`` keys."""


def pseudonymised_payload_fields(event_type: str) -> tuple[str, ...]:
    """The top-level payload fields of ``event_type`` that are pseudonymised."""
    model = EVENT_TYPES[event_type]
    return tuple(name for name in model.model_fields if name in PSEUDONYMISED_KINDS)


PSEUDONYMISED_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    t: fields for t in EVENT_TYPES if (fields := pseudonymised_payload_fields(t))
}
"""Event type → its pseudonymised top-level payload fields (only types that have some)."""
