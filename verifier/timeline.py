"""One readable row per event for a bundle's timeline: time, type, actor, key fields, result.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# Payload fields worth showing a supervisor, in order of preference; the rest stay in the file.
KEY_FIELDS = ("bidder_name", "bidder_org", "file_name", "file_hash", "accepted", "reason",
              "title", "method", "deadline", "winner_name", "amount", "decision", "status")
MAX_KEYS = 3
MAX_VALUE = 40


def _short(value: Any) -> str:
    text = str(value)
    if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
        return text[:12] + "…"
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _actor(env: dict[str, Any]) -> str:
    actor = env.get("actor")
    if not isinstance(actor, dict):
        return ""
    parts = [actor.get("role"), actor.get("name") or actor.get("org_id") or actor.get("id")]
    return "/".join(str(p) for p in parts if p)


def timeline_row(index: int, env: dict[str, Any] | None, result: str,
                 anchored_at: int | None) -> dict[str, Any]:
    """A JSON-ready timeline entry (``env`` is None when the event bytes were unreadable).
    A sealed record (outside the project chain) has ``project_seq`` null and ``seal`` set."""
    if env is None:
        return {"index": index, "result": result}
    raw = env.get("payload")
    payload: dict[str, Any] = raw if isinstance(raw, dict) else {}
    keys = {k: _short(payload[k]) for k in KEY_FIELDS if k in payload}
    row: dict[str, Any] = {
        "index": index, "project_seq": env.get("project_seq"), "event_id": env.get("event_id"),
        "type": env.get("type"), "occurred_at": env.get("occurred_at"),
        "received_at": env.get("received_at"), "actor": _actor(env),
        "key_fields": dict(list(keys.items())[:MAX_KEYS]), "result": result,
    }
    if "seal" in env:
        row["project_seq"], row["seal"] = None, env["seal"]
    if anchored_at is not None:
        row["anchored_at"] = datetime.fromtimestamp(anchored_at, UTC).isoformat()
    return row
