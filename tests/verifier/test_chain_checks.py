"""Anchor checks against a fake registry reader (the embedded-chain version is in
test_anchored_integration.py and runs once ``ledger.anchoring`` exists)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chain_access.registry_events import AnchoredEvent
from ledger.core.note import open_checkpoint
from ledger.export import dumps_bundle, export_project
from tests.verifier.conftest import PROJECTS, Built
from verifier import check_bundle, check_ledger
from verifier.readers import SourceUnavailable
from verifier.readers.chain import ChainBlock, ChainTx, OnChainCheckpoint

REGISTRY = "0x" + "ab" * 20
CHAIN_ID = 31337


class FakeReader:
    def __init__(self, checkpoints: list[tuple[int, bytes]], log_id: bytes, *,
                 down: bool = False) -> None:
        self.cps = checkpoints
        self.log_id = log_id
        self.down = down

    def chain_id(self) -> int:
        return CHAIN_ID

    def _up(self) -> None:
        if self.down:
            raise SourceUnavailable("chain unreachable: connection refused")

    def checkpoint_count(self, log_id: bytes) -> int:
        self._up()
        return len(self.cps)

    def checkpoint_at(self, log_id: bytes, index: int) -> OnChainCheckpoint | None:
        self._up()
        if index >= len(self.cps):
            return None
        size, root = self.cps[index]
        return OnChainCheckpoint(index, size, root, 1_700_000_000 + index, 100 + index)

    def block(self, number: int) -> ChainBlock:
        return ChainBlock(number, bytes([number % 256]) * 32, 1_700_000_000 + number - 100)

    def transaction(self, tx_hash: bytes) -> ChainTx | None:
        """Transaction k (hash bytes([k]) * 32) anchored checkpoint k in block 100 + k."""
        k = tx_hash[0]
        if tx_hash != bytes([k]) * 32 or k >= len(self.cps):
            return None
        size, root = self.cps[k]
        return ChainTx(tx_hash, REGISTRY, 1, 100 + k, self.block(100 + k).hash,
                       (AnchoredEvent(self.log_id, k, size, root),))

    def anchoring_tx(self, log_id: bytes, index: int, block_number: int) -> bytes | None:
        return bytes([index]) * 32 if index < len(self.cps) else None

    def frozen_state(self, log_id: bytes) -> tuple[bool, int] | None:
        self._up()
        return False, 0  # never frozen (tests/verifier/test_succession.py freezes)

    def predecessor_of(self, log_id: bytes) -> tuple[bytes, int, bytes] | None:
        return None

    def successor_of(self, log_id: bytes) -> bytes | None:
        return None


def _setup(built: Built) -> tuple[Any, FakeReader, dict[str, Any]]:
    policy = replace(built.policy, chain_id=CHAIN_ID, registry=REGISTRY)
    sizes = [6, 16, 22]  # the fixture's checkpoints (its openings add 4 BIDS_UNSEALED)
    roots = [open_checkpoint(built.log.checkpoint_at(s).note, [policy.verifier],
                             policy.origin).root for s in sizes]
    reader = FakeReader(list(zip(sizes, roots, strict=True)),
                        bytes.fromhex(policy.pinned_log_id[2:]))
    bundle = export_project(built.log, PROJECTS[0])
    for k, cp in enumerate(bundle["checkpoints"]):
        size = sizes.index(int(cp["note"].split("\n")[1]))
        cp["anchor"] = {"chain_id": CHAIN_ID, "registry": REGISTRY,
                        "log_id": policy.pinned_log_id, "chain_index": size,
                        "tree_size": sizes[size], "root": roots[size].hex(),
                        "tx_hash": "0x" + bytes([size]).hex() * 32,
                        "block_number": 100 + size,
                        "block_hash": "0x" + bytes([100 + size]).hex() * 32,
                        "block_timestamp": 1_700_000_000 + size}
        del k
    return policy, reader, bundle


def _check(bundle: dict[str, Any], policy: Any, reader: Any):  # type: ignore[no-untyped-def]
    return check_bundle(dumps_bundle(bundle).encode(), policy, reader)


def test_anchored_bundle_is_intact(built: Built) -> None:
    policy, reader, bundle = _setup(built)
    report = _check(bundle, policy, reader)
    assert report.outcome == "intact", report.to_text()
    assert all("anchored_at" in t for t in report.timeline)


def test_chain_swapped(built: Built) -> None:
    policy, reader, bundle = _setup(built)
    bundle["checkpoints"][0]["anchor"]["chain_id"] = 1
    assert _check(bundle, policy, reader).first_divergence.code == "anchor"  # type: ignore[union-attr]


def test_registry_swapped(built: Built) -> None:
    policy, reader, bundle = _setup(built)
    for cp in bundle["checkpoints"]:
        cp["anchor"]["registry"] = "0x" + "cd" * 20
    report = _check(bundle, policy, reader)
    assert {p.code for p in report.problems} == {"anchor"}


def test_checkpoint_not_on_chain(built: Built) -> None:
    policy, reader, bundle = _setup(built)
    reader.cps = reader.cps[:1]
    report = _check(bundle, policy, reader)
    assert any(p.code == "anchor" and "no checkpoint" in p.detail for p in report.problems)


def test_chain_holds_another_root_for_the_size(built: Built) -> None:
    policy, reader, bundle = _setup(built)
    reader.cps[2] = (22, b"\x09" * 32)
    report = _check(bundle, policy, reader)
    assert any(p.code == "fork" for p in report.problems)


def test_unanchored_reference_found_by_size(built: Built) -> None:
    policy, reader, bundle = _setup(built)
    for cp in bundle["checkpoints"]:
        cp["anchor"] = None
    assert _check(bundle, policy, reader).outcome == "intact"
    reader.cps = []
    assert _check(bundle, policy, reader).outcome == "pending"


def test_chain_unreachable_is_exit_3(built: Built) -> None:
    policy, reader, bundle = _setup(built)
    reader.down = True
    report = _check(bundle, policy, reader)
    assert report.outcome == "unreachable" and report.exit_code == 3
    assert report.unchecked


def test_fsck_against_the_chain(built: Built) -> None:
    policy, reader, _ = _setup(built)
    report = check_ledger(built.db_url, policy, reader)
    assert report.outcome == "intact", report.to_text()  # no anchor rows: found by size
    assert report.counts["anchors"] == 3
    reader.cps[1] = (16, b"\x09" * 32)
    assert any(p.code == "fork" for p in check_ledger(built.db_url, policy, reader).problems)
