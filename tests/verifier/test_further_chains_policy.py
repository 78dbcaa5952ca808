"""Trust policies listing further chains (witness-trust/v2): strict parsing, a fingerprint
that covers them, and an anchor on a chain the policy does not list reported, not trusted."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.core.anchor_ref import parse_anchors
from ledger.core.errors import MalformedError
from ledger.core.note import NoteSigner
from ledger.core.trust import chain_entry, policy_fingerprint
from verifier.further_chains import FurtherChains, check_further
from verifier.policy import build, parse_policy
from verifier.report import Report

REGISTRY = "0x" + "ab" * 20
LOG_ID = "0x" + "cd" * 32
KEY = NoteSigner("multi.test/log", Ed25519PrivateKey.generate()).verifier.vkey()


def _doc(**chain: Any) -> dict[str, Any]:
    entry = chain_entry(chain_id=7, registry=REGISTRY, log_id=LOG_ID, endpoint=None,
                        genesis_hash=None, required=True) | chain
    return {"format": "witness-trust/v2", "origin": "multi.test/log", "log_key": KEY,
            "chain": {"chain_id": 1, "registry": "0x" + "11" * 20, "log_id": LOG_ID},
            "chains": [entry]}


def test_v2_policy_parses_and_is_fingerprinted() -> None:
    policy = build(key=None, base=parse_policy(_doc()))
    assert [(c.chain_id, c.required) for c in policy.chains] == [(7, True)]
    optional = build(key=None, base=parse_policy(_doc(required=False)))
    assert policy.fingerprint != optional.fingerprint  # "required" is a trust anchor
    moved = build(key=None, base=parse_policy(_doc(endpoint="http://elsewhere:8545")))
    assert moved.fingerprint == policy.fingerprint  # an endpoint is only a locator
    assert policy_fingerprint(policy.to_json()) == policy.fingerprint


@pytest.mark.parametrize(("change", "message"), [
    ({"required": "yes"}, "chains.0.required must be true or false"),
    ({"registry": "0x12"}, "chains.0.registry must be a 0x-prefixed 20-byte address"),
    ({"chain_id": -1}, "chains.0.chain_id must be a non-negative integer"),
    ({"log_id": "cd" * 32}, "chains.0.log_id must be 0x followed by 64 hex digits"),
])
def test_bad_chain_entries_are_bad_input(change: dict[str, Any], message: str) -> None:
    with pytest.raises(MalformedError, match=message):
        parse_policy(_doc(**change))


def test_v1_policy_cannot_list_chains() -> None:
    with pytest.raises(MalformedError, match="chains needs format witness-trust/v2"):
        parse_policy(_doc() | {"format": "witness-trust/v1"})


def _ref(chain_id: int) -> dict[str, Any]:
    return {"chain_id": chain_id, "registry": "0x" + "99" * 20, "log_id": LOG_ID,
            "chain_index": 0, "tree_size": 3, "root": "00" * 32, "tx_hash": "11" * 32,
            "block_number": 1, "block_hash": "22" * 32, "block_timestamp": 5}


def test_unlisted_and_offline_chains() -> None:
    policy = build(key=None, base=parse_policy(_doc()))
    report = Report("receipt")
    refs = parse_anchors([_ref(99)], "receipt: anchored.anchors")
    check_further(report, FurtherChains(policy, online=False), 3, bytes(32), None, refs)
    # no reference on the required chain 7, offline: pending, never intact
    assert report.outcome == "pending" and "the policy requires" in report.pending[0]
    assert any("not in the trust policy" in u["reason"] for u in report.unchecked)
    with pytest.raises(MalformedError, match=r"anchored.anchors.0.chain_index"):
        parse_anchors([_ref(1) | {"chain_index": 2**256}], "receipt: anchored.anchors")
