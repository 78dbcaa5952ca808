"""The trust policy document (``witness-trust/v1``) and the fingerprint a center publishes.

Role: one home for the document a verifier pins — written by ``witness trust-policy
export``, served by ``GET /v1/trust-policy``, read by ``witness-verify --policy`` — and for
its fingerprint: SHA-256 (hex) of the RFC 8785 canonical JSON of the document's trust
anchors. The locators (``chain.endpoint``, ``upgrade_path``) say where to look, not what to
trust, and absent or null fields add nothing, so a policy fetched over HTTP without an
endpoint and one exported with a local endpoint have the same fingerprint; hex values are
compared in lower case (a checksummed and a lower-case registry address are one address).

Must not import anything outside the standard library and ``ledger.core``; no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from ledger.core.canonical import canonical_json

POLICY_FORMAT = "witness-trust/v1"
LOCATORS = ("endpoint", "upgrade_path")
_HEX_FIELDS = ("registry", "log_id", "genesis_hash")


def trust_document(*, origin: str, log_key: str, chain_id: int | None, registry: str | None,
                   log_id: str, endpoint: str | None, genesis_hash: str | None,
                   upgrade_path: str, witnesses: Sequence[str] = (),
                   witness_quorum: int = 0) -> dict[str, Any]:
    """The policy document, every field present (``None`` where not pinned)."""
    return {"format": POLICY_FORMAT, "origin": origin, "log_key": log_key,
            "chain": {"chain_id": chain_id, "registry": registry, "log_id": log_id,
                      "endpoint": endpoint, "genesis_hash": genesis_hash},
            "upgrade_path": upgrade_path, "witnesses": list(witnesses),
            "witness_quorum": witness_quorum}


def _anchors(obj: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key in LOCATORS or value is None:
            continue
        if isinstance(value, dict):
            value = _anchors(value)
        elif key in _HEX_FIELDS and isinstance(value, str):
            value = value.lower()
        out[key] = value
    return out


def policy_fingerprint(document: dict[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of the document without locators or nulls."""
    return hashlib.sha256(canonical_json(_anchors(document))).hexdigest()
