"""The input envelope ``EventIn`` and the validating entry points.

Role: what a trading system posts (envelope + typed payload), dispatch on ``type`` to one
compiled validator per event type, error reporting with dotted paths, and the JSON dump.
Pure schema code: it must not import the store, the API or the log.
"""

from __future__ import annotations

import json
import threading
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError, create_model

from ledger.events.catalogue import EVENT_TYPES
from ledger.events.errors import EventValidationError
from ledger.events.types import (
    MODEL_CONFIG,
    ActorRole,
    B64Signature,
    Hash,
    Ident,
    IpOrHash,
    MacOrHash,
    OpaqueOrHash,
    Payload,
    Timestamp,
    ZoneKind,
)

__all__ = [
    "MAX_EVENT_BYTES",
    "Actor",
    "EventContext",
    "EventIn",
    "event_to_json",
    "parse_event",
    "parse_event_json",
]

MAX_EVENT_BYTES = 256 * 1024
"""Upper bound on the raw JSON size accepted by ``parse_event_json``."""


class Actor(BaseModel):
    """Who performed the act (EB 第49条: 工作人员)."""

    model_config = MODEL_CONFIG

    id: Ident
    role: ActorRole
    org_id: Ident | None = None


class EventContext(BaseModel):
    """Device, network, signature and location details of the act (docs/rules.md §2.1)."""

    model_config = MODEL_CONFIG

    client_ip: IpOrHash | None = None
    client_mac: MacOrHash | None = None
    device_fp: OpaqueOrHash | None = None
    tool_machine_code: OpaqueOrHash | None = None
    ca_cert_serial: Ident | None = None
    ca_subject_id: Ident | None = None
    signature: B64Signature | None = Field(None, description="E-signature over the payload.")
    location_zone: ZoneKind | None = None
    reader_id: Ident | None = None
    tsa_token: Annotated[str, Field(pattern=r"^[A-Za-z0-9+/=_-]+$", max_length=16384)] | None = (
        Field(None, description="RFC 3161 timestamp token, base64.")
    )
    evidence_refs: Annotated[list[Hash], Field(max_length=100)] | None = Field(
        None, description="SHA-256 of attached documents or AV segments."
    )


class EventIn(BaseModel):
    """An event as posted by a trading system. Build it with ``parse_event`` only."""

    model_config = MODEL_CONFIG

    event_id: Ident = Field(description="Idempotency key chosen by the source system.")
    type: str
    project_id: Ident
    section_id: Ident | None = Field(None, description="Lot (标段/包), if the event is per lot.")
    occurred_at: Timestamp = Field(description="Business time on the source clock.")
    actor: Actor
    context: EventContext | None = None
    payload: Payload


_VALIDATORS: dict[str, type[EventIn]] = {}
_LOCK = threading.Lock()


def envelope_model(event_type: str) -> type[EventIn]:
    """The compiled ``EventIn`` subclass for ``event_type`` (built once, then cached)."""
    model = _VALIDATORS.get(event_type)
    if model is not None:
        return model
    with _LOCK:
        model = _VALIDATORS.get(event_type)
        if model is None:
            model = create_model(
                f"EventIn_{event_type}",
                __base__=EventIn,
                __doc__=f"EventIn with a {event_type} payload.",
                type=(Literal[event_type], ...),  # type: ignore[arg-type]
                payload=(EVENT_TYPES[event_type], ...),
            )
            _VALIDATORS[event_type] = model
    return model


def _loc(parts: tuple[int | str, ...]) -> str:
    """A pydantic location tuple as a dotted path (``payload.file_meta.author``)."""
    return ".".join(str(p) for p in parts)


def _errors(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic errors → ``[{"loc", "msg"}]`` without echoing the input."""
    return [{"loc": _loc(e["loc"]), "msg": e["msg"]} for e in exc.errors(include_input=False)]


def _model_for(data: Any) -> type[EventIn]:
    """Pick the validator by ``type``, or raise with ``loc == "type"``."""
    if not isinstance(data, dict):
        raise EventValidationError([{"loc": "", "msg": "event must be a JSON object"}])
    event_type = data.get("type")
    if event_type is None:
        raise EventValidationError([{"loc": "type", "msg": "Field required"}])
    if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
        shown = event_type[:64] if isinstance(event_type, str) else type(event_type).__name__
        raise EventValidationError([{"loc": "type", "msg": f"unknown event type {shown!r}"}])
    return envelope_model(event_type)


def parse_event(data: dict[str, Any]) -> EventIn:
    """Validate a decoded event; raise ``EventValidationError`` listing every problem."""
    model = _model_for(data)
    try:  # the compiled validator itself: ``model_validate`` only wraps it
        parsed: EventIn = model.__pydantic_validator__.validate_python(data)
    except ValidationError as exc:
        raise EventValidationError(_errors(exc)) from None
    return parsed


def parse_event_json(raw: bytes | str) -> EventIn:
    """Validate an event from raw JSON (size-bounded, duplicate keys rejected).

    JSON numbers with a fraction decode to ``float``, which no field accepts (strict mode).
    """
    if len(raw) > MAX_EVENT_BYTES:
        raise EventValidationError(
            [{"loc": "", "msg": f"event larger than {MAX_EVENT_BYTES} bytes"}]
        )
    try:
        data = json.loads(raw, object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as exc:
        raise EventValidationError([{"loc": "", "msg": f"invalid JSON: {exc}"}]) from None
    return parse_event(data)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON object hook rejecting duplicate keys (ambiguous under canonicalisation)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key[:64]!r}")
        out[key] = value
    return out


def event_to_json(ev: EventIn) -> dict[str, Any]:
    """The JSON-ready dict of a parsed event (``mode="json"``, ``None`` fields dropped)."""
    # the compiled serializer itself: ``model_dump`` only wraps it
    dumped: dict[str, Any] = ev.__pydantic_serializer__.to_python(
        ev, mode="json", exclude_none=True)
    return dumped
