"""运行状态 (admin): what ``witness status``, ``witness chain`` and ``/readyz`` tell an
operator, on one page — log size, latest checkpoint and its anchor, anchoring lag per bound
chain, the rule follower's position and lag, the readiness checks, and recent anchoring
attempts that never confirmed.

Read from the database; the readiness checks are ``/readyz``'s own answer (the route is
called, so the page lists every check it runs — store, chain, disk, merge delay, anchoring,
background loops — with its state and detail), each named and explained in the page's
language; the detail stays as the check wrote it, the words ``witness status`` and the logs
use. A chain URL is shown without credentials or query (``chain_access.rpc.redact_url``).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from chain_access.rpc import redact_url
from ledger.anchoring.bound import bound_chains
from ledger.rules.follower import CURSOR_NAME
from ledger.store.schema import anchor_intents, anchors, rule_cursor
from witness_api.deps import Services, get_services
from witness_api.ops import readyz
from witness_api.portal.i18n import Translator, request_lang
from witness_api.portal.render import PageRoute, page, require_page
from witness_api.tokens import Principal

router = APIRouter(route_class=PageRoute, include_in_schema=False)
RECENT = 10


def _chains(services: Services, size: int) -> list[dict[str, Any]]:
    out = []
    with services.db.read() as conn:
        for bound in bound_chains(services.log):
            b = bound.binding
            mine = (anchors.c.chain_id == b.chain_id) & (anchors.c.registry == b.registry)
            row = conn.execute(select(anchors).where(mine)
                               .order_by(anchors.c.checkpoint_size.desc()).limit(1)).first()
            spec = redact_url(b.spec) if b.spec.startswith(("http://", "https://")) else b.spec
            out.append({"primary": bound.primary, "binding": b, "spec": spec,
                        "latest": None if row is None else dict(row._mapping),
                        "lag": size - (int(row.checkpoint_size) if row is not None else 0)})
    return out


def _follower(services: Services, size: int) -> dict[str, Any] | None:
    with services.db.read() as conn:
        row = conn.execute(select(rule_cursor)
                           .where(rule_cursor.c.name == CURSOR_NAME)).first()
    if row is None:
        return None
    return {"next_index": int(row.next_index), "lag": size - int(row.next_index),
            "updated_at": row.updated_at}


def _unconfirmed(services: Services) -> list[dict[str, Any]]:
    """Anchoring attempts with no confirmed anchor of their transaction (newest first)."""
    with services.db.read() as conn:
        rows = conn.execute(
            select(anchor_intents.c.attempt, anchor_intents.c.checkpoint_size,
                   anchor_intents.c.chain_id, anchor_intents.c.tx_hash,
                   anchor_intents.c.created_at)
            .where(anchor_intents.c.tx_hash.not_in(select(anchors.c.tx_hash)))
            .order_by(anchor_intents.c.attempt.desc()).limit(RECENT)).all()
        total = conn.execute(select(func.count()).select_from(anchor_intents)).scalar()
    return [dict(r._mapping) | {"total": int(total or 0)} for r in rows]


# What a failing check's detail says (the phrases docs/operations.md#monitoring lists) →
# the reason the page gives in its own language; the first phrase found wins.
REASONS: tuple[tuple[str, str], ...] = (
    ("disk nearly full", "disk_low"), ("merge delay broken", "mmd_broken"),
    ("merge delay at risk", "mmd_risk"), ("anchoring stalled", "anchoring_stalled"),
    ("integrity failure", "integrity"), ("anchoring behind", "anchoring_behind"),
    ("unreachable", "unreachable"), ("stopped because", "loop_stopped"),
    ("check failed", "check_failed"),
)


def _readiness(request: Request, services: Services) -> list[dict[str, Any]]:
    """Every check ``/readyz`` answers, in its order: name, label, state, reason, detail."""
    body = json.loads(bytes(readyz(request, services).body))
    t = Translator(request_lang(request))
    return [{"name": name, "ok": bool(check["ok"]), "detail": str(check["detail"]),
             "label": _known(t, f"ops.check.{name}") or name,
             "reason": _reason(t, name, bool(check["ok"]), str(check["detail"]))}
            for name, check in body["checks"].items()]


def _reason(t: Translator, name: str, ok: bool, detail: str) -> str:
    """What a passing check vouches for; why a failing one fails, as far as its detail says."""
    if ok:
        return _known(t, f"ops.what.{name}")
    key = next((key for phrase, key in REASONS if phrase in detail), "failed")
    return t(f"ops.reason.{key}")


def _known(t: Translator, key: str) -> str:
    return t(key) if key in t.messages else ""


@router.get("/ops")
def ops(
    request: Request,
    _who: Principal = Depends(require_page("admin")),  # noqa: B008
    services: Services = Depends(get_services),  # noqa: B008
) -> HTMLResponse:
    size = services.log.size()
    return page(request, "ops.html", origin=services.log.origin, log_size=size,
                checkpoint=services.log.latest_checkpoint(), chains=_chains(services, size),
                follower=_follower(services, size),
                readiness=_readiness(request, services),
                unconfirmed=_unconfirmed(services))
