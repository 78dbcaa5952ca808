"""The trust policy document (``witness-trust/v1``) and the fingerprint a center publishes.

Role: one home for the document a verifier pins — written by ``witness trust-policy
export``, served by ``GET /v1/trust-policy``, read by ``witness-verify --policy`` — and for
its fingerprint: SHA-256 (hex) of the RFC 8785 canonical JSON of the document's trust
anchors. The locators (``chain.endpoint``, ``upgrade_path``) say where to look, not what to
trust, and absent or null fields add nothing, so a policy fetched over HTTP without an
endpoint and one exported with a local endpoint have the same fingerprint; hex values are
compared in lower case (a checksummed and a lower-case registry address are one address).
The log key rotations (``log_key_rotations``) are not anchors either: each is verified from
the pinned key, so a policy re-exported after a rotation keeps its fingerprint.

Must not import anything outside the standard library and ``ledger.core``; no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from ledger.core.canonical import canonical_json

POLICY_FORMAT = "witness-trust/v1"
#: A policy that also lists further chains (``chains``). A reader that knows only v1 refuses
#: it instead of silently checking fewer chains than the policy requires.
POLICY_FORMAT_V2 = "witness-trust/v2"
POLICY_FORMATS = (POLICY_FORMAT, POLICY_FORMAT_V2)
LOCATORS = ("endpoint", "upgrade_path", "log_key_rotations")
_HEX_FIELDS = ("registry", "log_id", "genesis_hash")


def trust_document(*, origin: str, log_key: str, chain_id: int | None, registry: str | None,
                   log_id: str, endpoint: str | None, genesis_hash: str | None,
                   upgrade_path: str, witnesses: Sequence[str] = (),
                   witness_quorum: int = 0,
                   chains: Sequence[dict[str, Any]] = (),
                   log_key_rotations: Sequence[str] = ()) -> dict[str, Any]:
    """The policy document, every field present (``None`` where not pinned). ``chains``:
    further chains, each ``chain_entry``; with any, the document is v2.
    ``log_key_rotations``: the rotation statements from ``log_key`` to the current key
    (``ledger.core.key_rotation``), in order; written only when there are some."""
    doc = {"format": POLICY_FORMAT_V2 if chains else POLICY_FORMAT, "origin": origin,
           "log_key": log_key,
           "chain": {"chain_id": chain_id, "registry": registry, "log_id": log_id,
                     "endpoint": endpoint, "genesis_hash": genesis_hash},
           "upgrade_path": upgrade_path, "witnesses": list(witnesses),
           "witness_quorum": witness_quorum}
    doc |= {"chains": [dict(c) for c in chains]} if chains else {}
    return doc | ({"log_key_rotations": list(log_key_rotations)} if log_key_rotations else {})


def chain_entry(*, chain_id: int, registry: str, log_id: str, endpoint: str | None,
                genesis_hash: str | None, required: bool) -> dict[str, Any]:
    """One further chain of a v2 policy: a missing anchor on a ``required`` chain leaves a
    checkpoint pending; any chain's anchor that contradicts the log is a failure."""
    return {"chain_id": chain_id, "registry": registry, "log_id": log_id,
            "endpoint": endpoint, "genesis_hash": genesis_hash, "required": required}


def _anchors(obj: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key in LOCATORS or value is None:
            continue
        if isinstance(value, dict):
            value = _anchors(value)
        elif isinstance(value, list):
            value = [_anchors(v) if isinstance(v, dict) else v for v in value]
        elif key in _HEX_FIELDS and isinstance(value, str):
            value = value.lower()
        out[key] = value
    return out


def policy_fingerprint(document: dict[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON of the document without locators or nulls."""
    return hashlib.sha256(canonical_json(_anchors(document))).hexdigest()
