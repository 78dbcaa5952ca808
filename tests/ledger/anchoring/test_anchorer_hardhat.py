"""Anchoring on the real Hardhat node from hardhat-node/ (JSON-RPC): deploy, register,
anchor with on-chain consistency verification, anchored receipts, crash reconciliation."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger.anchoring import Anchorer, bind_chain, open_bound_chain
from ledger.anchoring.binding import anchorer_account
from ledger.anchoring.signer import load_checkpoint_key
from ledger.core.receipt import verify_receipt_offline
from ledger.home import init_home, open_log
from ledger.settings import Settings
from tests.ledger.anchoring.conftest import BOUND, append_events, run_witness
from tests.ledger.anchoring.crash_launcher import KILLED, run_killed_at

# Hardhat's first well-known development account (public test key, never for real funds).
HARDHAT_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


@pytest.fixture
def hardhat_settings(hardhat_node: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                     ) -> Settings:
    monkeypatch.setenv("WITNESS_CHAIN_PRIVATE_KEY", HARDHAT_DEV_KEY)
    monkeypatch.delenv("WITNESS_REGISTRY", raising=False)
    s = Settings(home=tmp_path / "home", origin=f"hardhat.test/{tmp_path.name}",
                 chain=hardhat_node)
    init_home(s)
    log = open_log(s)
    bind_chain(s, log)
    log.db.dispose()
    return s


def test_anchor_on_hardhat(hardhat_settings: Settings) -> None:
    append_events(hardhat_settings, 0, 30)
    log = open_log(hardhat_settings)
    chain, binding = open_bound_chain(hardhat_settings, log)
    assert binding.chain_id == 31337
    anchorer = Anchorer(log, chain, binding, anchorer_account(hardhat_settings, create=False),
                        checkpoint_key=load_checkpoint_key(hardhat_settings.home))
    first = anchorer.anchor_once()
    append_events(hardhat_settings, 30, 21)
    second = anchorer.anchor_once()
    sizes = (30 + BOUND, 51 + BOUND, 30 + BOUND)  # + CHECKPOINT_SIGNER_BOUND at index 0
    assert (first.checkpoint_size, second.checkpoint_size, second.chain_size) == sizes
    assert anchorer.chain_head() == (2, 51 + BOUND, log.tree_hash(51 + BOUND))
    receipt = log.receipt(40)
    assert receipt.anchored is not None and receipt.anchored.anchor is not None
    assert receipt.anchored.anchor["chain_id"] == 31337
    verify_receipt_offline(receipt, log.signer.verifier)
    chain.close()


def test_killed_anchorer_reconciles_on_hardhat(hardhat_settings: Settings) -> None:
    append_events(hardhat_settings, 0, 9)
    env = {"WITNESS_CHAIN_PRIVATE_KEY": HARDHAT_DEV_KEY}
    assert run_killed_at(hardhat_settings, "after_send", "anchor", env=env).returncode == KILLED
    out = run_witness(hardhat_settings, "--json", "anchor", env={"WITNESS_CHAIN_PRIVATE_KEY":
                                                                  HARDHAT_DEV_KEY})
    assert '"reconciled"' in out.stdout
    log = open_log(hardhat_settings)
    chain, binding = open_bound_chain(hardhat_settings, log)
    anchorer = Anchorer(log, chain, binding, anchorer_account(hardhat_settings, create=False),
                        checkpoint_key=load_checkpoint_key(hardhat_settings.home))
    assert anchorer.chain_head()[:2] == (1, 9 + BOUND)
    chain.close()
