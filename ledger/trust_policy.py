"""The trust policy of this log, from its recorded facts: what verifiers should pin.

Role: build the ``witness-trust/v1`` document (``ledger.core.trust``) from the log key and
origin, the recorded chain binding (chain id, genesis hash, registry, log id) and the
configured witnesses, and the log key rotations the log recorded (``log_key`` stays the
first key, so the fingerprint a verifier pinned still holds after a rotation); used by
``witness trust-policy export`` and ``GET /v1/trust-policy``.
Nothing here is read from the chain: the binding was checked against it when recorded.
Must not import the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from chain_access.rpc import redact_url
from ledger.anchoring import read_binding
from ledger.anchoring.bound import bound_chains
from ledger.core.trust import chain_entry, trust_document
from ledger.cosigning import parse_cosigners
from ledger.errors import NotFoundError
from ledger.home import read_log_info
from ledger.log import WitnessLog
from ledger.settings import Settings
from ledger.signers.log_key import rotation_events

DEFAULT_UPGRADE_PATH = "/v1/receipts/{index}"


def local_endpoint(settings: Settings) -> str:
    """The configured chain as a verifier names it (``embedded:<home>/chain``, or the URL
    without credentials or query)."""
    spec = settings.chain.strip()
    if spec == "embedded":
        return f"embedded:{settings.home.resolve() / 'chain'}"
    return redact_url(spec) if spec.startswith(("http://", "https://")) else spec


def default_quorum(witnesses: int) -> int:
    """A majority of the configured witnesses (none required without witnesses)."""
    return witnesses // 2 + 1 if witnesses else 0


def policy_document(settings: Settings, log: WitnessLog, *, endpoint: str | None,
                    witness_quorum: int | None = None, optional: Collection[int] = (),
                    pin_current_key: bool = False) -> dict[str, Any]:
    """The trust policy of ``log``; ``NotFoundError`` while it is not bound to a chain.
    ``pin_current_key``: pin the log's current key, without rotations (a new fingerprint:
    after a key was stolen, the old one must stop vouching for anything, docs/keys.md)."""
    binding = read_binding(log)
    if binding is None:
        raise NotFoundError("the log is not bound to a chain yet: run `witness init`")
    witnesses = [w.key.vkey() for w in parse_cosigners(settings.cosigners)]
    quorum = default_quorum(len(witnesses)) if witness_quorum is None else witness_quorum
    if not 0 <= quorum <= len(witnesses):
        raise ValueError(f"witness quorum must be between 0 and the number of configured "
                         f"witnesses ({len(witnesses)}), not {quorum}")
    rotations = [p["statement"] for _, p in rotation_events(log.db)]
    log_key = read_log_info(log.db)["vkey"]
    if pin_current_key:
        log_key, rotations = log.signer.verifier.vkey(), []
    return trust_document(origin=log.origin, log_key=log_key,
                          chain_id=binding.chain_id, registry=binding.registry,
                          log_id=binding.log_id.lower(), endpoint=endpoint,
                          genesis_hash=binding.genesis_hash,
                          upgrade_path=DEFAULT_UPGRADE_PATH, witnesses=witnesses,
                          witness_quorum=quorum,
                          chains=further_chains(log, endpoint is not None, optional),
                          log_key_rotations=rotations)


def further_chains(log: WitnessLog, with_endpoints: bool,
                   optional: Collection[int] = ()) -> list[dict[str, Any]]:
    """The policy entries of the chains bound after the first (``witness chain bind``), each
    required unless its chain id is in ``optional``; endpoints only when asked for."""
    return [chain_entry(chain_id=b.binding.chain_id, registry=b.binding.registry,
                        log_id=b.binding.log_id.lower(),
                        endpoint=_endpoint(b.binding.spec) if with_endpoints else None,
                        genesis_hash=b.binding.genesis_hash,
                        required=b.binding.chain_id not in optional)
            for b in bound_chains(log) if not b.primary]


def _endpoint(spec: str) -> str:
    return redact_url(spec) if spec.startswith(("http://", "https://")) else spec
