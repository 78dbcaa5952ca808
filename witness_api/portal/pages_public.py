"""Public pages: 首页 (``/``) and 回执核验 (``/verify``).

The receipt check runs in the browser (``static/js/verify-page.js`` calling the
``WitnessVerify`` bundle): the page hands it the trust policy's URL, the chain JSON-RPC URL
to ask and the texts to show; nothing of the user's files is sent to the server.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from ledger.events.labels import EVENT_LABELS
from witness_api.deps import Services, get_services
from witness_api.portal.context import portal_state, session_principal
from witness_api.portal.i18n import Translator, request_lang
from witness_api.portal.proof_status import proof_book
from witness_api.portal.render import PageRoute, page

router = APIRouter(route_class=PageRoute, include_in_schema=False)
_LEAF = re.compile(r"^[0-9a-f]{64}$")
CHECK_IDS = ("format", "promise_signature", "batch_proof", "jcs", "leaf_hash",
             "checkpoint_signature", "consistency_proof", "inclusion_proof",
             "witness_cosignatures", "bid_file_sha256", "project_chain", "sealed_records",
             "project_head", "anchor_on_chain", "further_chains", "lead_package", "key_rotation")
"""The verifier's check ids (docs/js-verifier.md) the pages name in their own words."""


@router.get("/")
def home(request: Request, services: Services = Depends(get_services)) -> HTMLResponse:  # noqa: B008
    cp = services.log.latest_checkpoint()
    book = proof_book(services.log)
    return page(request, "home.html", log_size=services.log.size(), checkpoint=cp,
                anchor=book.latest_anchor, principal_home=_home_of(request))


def _home_of(request: Request) -> str | None:
    who = session_principal(request)
    if who is None:
        return None
    return {"bidder": "/me", "supervisor": "/projects", "regulator": "/leads"}.get(
        who.role, "/ops")


def script_texts(t: Translator, prefix: str) -> dict[str, str]:
    """The catalogue entries a page script shows (keys under ``prefix``), for its JSON."""
    return {k[len(prefix):]: v for k, v in t.messages.items() if k.startswith(prefix)}


def verifier_data(request: Request) -> dict[str, Any]:
    """What the verify and audit scripts need: language, labels, texts, where to ask."""
    lang = request_lang(request)
    t = Translator(lang)
    state = portal_state(request)
    return {
        "lang": lang, "policy_url": "/v1/trust-policy", "rpc": state.rpc_url,
        "rpc_proxied": state.rpc_proxied,
        "event_labels": {k: v[0] if lang == "zh" else v[1] for k, v in EVENT_LABELS.items()},
        "checks": {c: t(f"check.{c}") for c in CHECK_IDS},
        "text": script_texts(t, "js."),
    }


def _prefill(request: Request) -> dict[str, Any] | None:
    """The receipt a QR code names (``?index=N&leaf=hex``), when both are well formed."""
    index, leaf = request.query_params.get("index", ""), request.query_params.get("leaf", "")
    if not index.isdigit() or len(index) > 19 or not _LEAF.match(leaf):
        return None
    return {"index": int(index), "leaf": leaf}


@router.get("/verify")
def verify(request: Request) -> HTMLResponse:
    who = session_principal(request)
    upgrade = "session" if who is not None and who.role == "bidder" else "cli"
    data = verifier_data(request) | {"upgrade": upgrade, "prefill": _prefill(request),
                                     "receipt_url": "/v1/receipts/{index}"}
    return page(request, "verify.html", page_data=data, prefill=data["prefill"],
                upgrade=upgrade, rpc_url=data["rpc"], rpc_proxied=data["rpc_proxied"],
                api_base=str(request.base_url).rstrip("/"))
