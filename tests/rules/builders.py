"""Test helper: build rule trails (``Trail`` of ``TrailEvent``) from plain dicts.

Shared by every rule test module (§3–§13). Stable API:

- ``make_trail(flags, events, project_id="P-TEST") -> Trail``
  ``flags`` is the PROJECT_REGISTERED payload (start from ``LAWFUL_FLAGS_TB`` /
  ``LAWFUL_FLAGS_GP`` and override: ``{**LAWFUL_FLAGS_TB, "method": "invited"}``); it becomes
  the event at index 0 (occurred at ``REGISTERED_AT``), unless ``flags`` is None or the
  event list already holds a PROJECT_REGISTERED. The events follow in the given order, so
  ``events[i]`` gets index ``i + 1`` (or ``i`` when no registration is prepended).
  Each event is a dict with keys ``type``, ``payload``, ``at`` (occurred_at, RFC 3339;
  a naive time is read as +08:00) and optional ``section``, ``actor``, ``context``,
  ``event_id``, ``received_at`` (defaults to ``at``); a tuple
  ``(type, payload, at[, section[, actor[, context]]])`` is accepted too.
- ``ev(type, at, section=None, **payload)`` — shorthand for one event dict.
- ``ctx(**threshold_overrides) -> RuleContext`` — ``RuleContext.default()`` (the bundled
  calendar), with Thresholds fields overridden when given.
- ``idx(trail, type, n=0) -> int`` — log index of the n-th event of a type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from ledger.rules.context import RuleContext
from ledger.rules.model import Trail, TrailEvent

CST = timezone(timedelta(hours=8))
REGISTERED_AT = "2026-01-05T09:00:00+08:00"
PROJECT_ID = "P-TEST"

LAWFUL_FLAGS_TB: dict[str, Any] = {
    "name": "测试道路改造工程施工",
    "regime": "TB",
    "must_tender": True,
    "state_funded_dominant": True,
    "method": "open",
    "subject": "works",
    "electronic": True,
    "estimate_amount": "10000000.00",
    "max_price": "9800000.00",
    "tenderer_org": {"org_id": "ORG-TENDERER", "name": "测试建设中心"},
    "agent_org": {"org_id": "ORG-AGENT", "name": "测试招标代理有限公司"},
    "sections": ["S1"],
}

LAWFUL_FLAGS_GP: dict[str, Any] = {
    "name": "测试办公设备采购",
    "regime": "GP",
    "must_tender": False,
    "state_funded_dominant": True,
    "method": "open",
    "subject": "goods",
    "electronic": True,
    "budget_amount": "2000000.00",
    "max_price": "2000000.00",
    "gp_above_open_threshold": True,
    "tenderer_org": {"org_id": "ORG-PURCHASER", "name": "测试采购单位"},
    "agent_org": {"org_id": "ORG-AGENT", "name": "测试采购代理有限公司"},
    "sections": ["S1"],
}


def parse_at(value: str | datetime) -> datetime:
    """An RFC 3339 string (or datetime) as an aware datetime; naive means +08:00."""
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=CST)


def ev(type: str, at: str, section: str | None = None, **payload: Any) -> dict[str, Any]:
    """One event dict for ``make_trail``."""
    return {"type": type, "payload": payload, "at": at, "section": section}


def _as_dict(item: Mapping[str, Any] | Sequence[Any]) -> Mapping[str, Any]:
    if isinstance(item, Mapping):
        return item
    keys = ("type", "payload", "at", "section", "actor", "context")
    return dict(zip(keys, item, strict=False))


def make_trail(
    flags: Mapping[str, Any] | None,
    events: Sequence[Mapping[str, Any] | Sequence[Any]],
    project_id: str = PROJECT_ID,
) -> Trail:
    """A trail of PROJECT_REGISTERED(flags) at index 0 followed by ``events``."""
    items = [_as_dict(e) for e in events]
    if flags is not None and not any(i["type"] == "PROJECT_REGISTERED" for i in items):
        items.insert(0, {"type": "PROJECT_REGISTERED", "payload": dict(flags),
                         "at": REGISTERED_AT, "actor": {"id": "tenderer", "role": "tenderer"}})
    out: list[TrailEvent] = []
    for index, item in enumerate(items):
        occurred = parse_at(item["at"])
        out.append(TrailEvent(
            index=index,
            event_id=item.get("event_id") or f"EV-{index:04d}-{item['type']}",
            type=item["type"],
            project_id=project_id,
            section_id=item.get("section"),
            occurred_at=occurred,
            received_at=parse_at(item["received_at"]) if item.get("received_at") else occurred,
            actor=dict(item.get("actor") or {"id": "agent", "role": "agent"}),
            context=dict(item.get("context") or {}),
            payload=dict(item.get("payload") or {}),
        ))
    return Trail(project_id, tuple(out))


def ctx(**thresholds: Any) -> RuleContext:
    """``RuleContext.default()``, with Thresholds overrides when given."""
    base = RuleContext.default()
    if not thresholds:
        return base
    merged = base.thresholds.model_copy(update=thresholds)
    return RuleContext(base.calendar, merged, base.reference)


def idx(trail: Trail, event_type: str, n: int = 0) -> int:
    """Log index of the n-th event of ``event_type``."""
    return trail.of_type(event_type)[n].index
